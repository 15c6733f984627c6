//! Passive outlier detection as current Envoy does it, consecutive_5xx (envoyproxy/envoy
//! `source/common/upstream/outlier_detection_impl.cc`, commit 00c7146d:
//! `DetectorHostMonitorImpl::putHttpResponseCode`, `DetectorImpl::onConsecutiveErrorWorker`,
//! `DetectorImpl::ejectHost`, `DetectorImpl::checkHostForUneject`, `DetectorImpl::onIntervalTimer`).
//!
//! - Every failure of an attempt counts — with Envoy's default
//!   `split_external_local_origin_errors: false` a refused connection or a reset is reported as
//!   a 503 and a timeout as a 504 (`putResultNoLocalExternalSplit`), and a full queue answers
//!   503 — and any response that is not a 5xx resets the count. The count notifies when it
//!   reaches the threshold exactly (`++consecutive_5xx_ == threshold`); a host already ejected
//!   ignores the notification, otherwise the count restarts after the ejection attempt whether
//!   or not it ejected.
//! - `ejectHost` ejects only while `100 × (ejected + 1) / hosts ≤ max_ejection_percent`, with
//!   `hosts` every host of the cluster: at the default 10 %, fewer than 10 hosts means no
//!   ejection at all, unless `always_eject_one_host` lets the first one go (Envoy 1.31; before
//!   June 2023 Envoy always allowed one, which is where "at least one host" comes from).
//! - The ejection multiplier `eject_time_backoff` starts at 0 and grows by one at each ejection
//!   while `backoff × base < max + base`, so the k-th ejection in a row lasts
//!   min(k × base_ejection_time, max_ejection_time). Un-ejection is checked only on the
//!   interval timer (`<=` against the time since ejection), so an ejection really lasts until
//!   the first tick at or after its end. On each tick every host that is in and was un-ejected
//!   at least one interval ago has its multiplier lowered by one, so a host that behaves for
//!   k intervals is back to a first ejection's length.
//! - Not modelled: success-rate and failure-percentage detection, the
//!   consecutive_gateway_failure detector (off by default: `enforcing_consecutive_gateway_failure`
//!   0), `enforcing_*` percentages other than 100, and `max_ejection_time_jitter` (default 0).
//!
//! The detector is plain data keyed by instance id: the simulation tells it about results and
//! ticks, and asks whether a host is ejected.

use crate::scenario::OutlierConfig;

/// What the detector remembers about one host (Envoy's `DetectorHostMonitorImpl`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Monitor {
    pub consecutive_failures: u32,
    pub ejected: bool,
    /// `eject_time_backoff_`: the multiplier of the base ejection time.
    pub backoff: u32,
    pub last_ejection_ns: u64,
    pub last_unejection_ns: Option<u64>,
    /// Ejections so far (`num_ejections_`).
    pub ejections: u32,
}

/// What a failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted; the threshold was not reached now.
    Counted,
    /// The host was ejected for `duration_ns` (un-ejected at the first tick after that).
    Ejected { duration_ns: u64 },
    /// The threshold was reached but `max_ejection_percent` forbade the ejection.
    Overflow,
    /// The threshold was reached while the host was already ejected: ignored.
    AlreadyEjected,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    threshold: u32,
    base_ns: u64,
    max_ns: u64,
    max_pct: f64,
    always_eject_one_host: bool,
    interval_ns: u64,
}

impl Settings {
    fn of(c: &OutlierConfig) -> Settings {
        let ns = |s: f64| (s * 1e9).round() as u64;
        Settings {
            threshold: c.consecutive_failures.max(1),
            base_ns: ns(c.base_ejection_s),
            max_ns: ns(c.max_ejection_s()),
            max_pct: f64::from(c.max_ejection_pct.min(100)),
            always_eject_one_host: c.always_eject_one_host,
            interval_ns: ns(c.interval_s),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutlierDetector {
    settings: Settings,
    monitors: Vec<Monitor>,
    /// Hosts ejected now (`ejections_active`): a host leaving the cluster is `remove`d, so
    /// every ejected monitor belongs to a host of the cluster.
    active: usize,
}

impl OutlierDetector {
    pub fn new(config: &OutlierConfig) -> Self {
        OutlierDetector {
            settings: Settings::of(config),
            monitors: Vec::new(),
            active: 0,
        }
    }

    /// New settings; what the detector knows about each host is kept.
    pub fn set_config(&mut self, config: &OutlierConfig) {
        self.settings = Settings::of(config);
    }

    pub fn interval_ns(&self) -> u64 {
        self.settings.interval_ns
    }

    pub fn monitor(&self, id: u32) -> Monitor {
        self.monitors.get(id as usize).copied().unwrap_or_default()
    }

    fn entry(&mut self, id: u32) -> &mut Monitor {
        let i = id as usize;
        if self.monitors.len() <= i {
            self.monitors.resize(i + 1, Monitor::default());
        }
        &mut self.monitors[i]
    }

    pub fn is_ejected(&self, id: u32) -> bool {
        self.monitors.get(id as usize).is_some_and(|m| m.ejected)
    }

    /// The length of the host's current (or next) ejection: min(backoff × base, max).
    pub fn ejection_ns(&self, id: u32) -> u64 {
        let m = self.monitor(id);
        let s = &self.settings;
        (u64::from(m.backoff).saturating_mul(s.base_ns)).min(s.max_ns)
    }

    /// A response that is not a 5xx: the run of failures ends.
    pub fn put_success(&mut self, id: u32) {
        if let Some(m) = self.monitors.get_mut(id as usize) {
            m.consecutive_failures = 0;
        }
    }

    /// Hosts ejected now.
    pub fn active_ejections(&self) -> usize {
        self.active
    }

    /// A failed attempt at `id`; `hosts` are all the hosts of the cluster (ejected or not).
    pub fn put_failure(&mut self, id: u32, now_ns: u64, hosts: &[u32]) -> Outcome {
        let threshold = self.settings.threshold;
        let m = self.entry(id);
        m.consecutive_failures = m.consecutive_failures.saturating_add(1);
        if m.consecutive_failures != threshold {
            return Outcome::Counted;
        }
        // onConsecutiveErrorWorker: an ejected host's notification is dropped (and its count
        // is not reset).
        if m.ejected {
            return Outcome::AlreadyEjected;
        }
        let outcome = self.eject(id, now_ns, hosts);
        self.entry(id).consecutive_failures = 0;
        outcome
    }

    /// `ejectHost`.
    fn eject(&mut self, id: u32, now_ns: u64, hosts: &[u32]) -> Outcome {
        let s = self.settings;
        let active = self.active;
        let size = hosts.len().max(1);
        let ejected_percent = 100.0 * (active + 1) as f64 / size as f64;
        let mut should_eject = ejected_percent <= s.max_pct;
        if s.always_eject_one_host {
            should_eject = active == 0 || should_eject;
        }
        if !should_eject {
            return Outcome::Overflow;
        }
        self.active += 1;
        let m = self.entry(id);
        m.ejected = true;
        m.ejections += 1;
        m.last_ejection_ns = now_ns;
        // The multiplier grows after ejecting, so the first ejection uses 1.
        if u64::from(m.backoff).saturating_mul(s.base_ns) < s.max_ns.saturating_add(s.base_ns) {
            m.backoff += 1;
        }
        Outcome::Ejected {
            duration_ns: self.ejection_ns(id),
        }
    }

    /// One tick of the interval timer at `now_ns` over the cluster's `hosts`: un-ejects those
    /// whose time is up (returned, in `hosts` order) and decays the others' multipliers.
    pub fn on_interval(&mut self, now_ns: u64, hosts: &[u32]) -> Vec<u32> {
        let mut unejected = Vec::new();
        for &id in hosts {
            let due = self.ejection_ns(id);
            let m = self.entry(id);
            if m.ejected && due <= now_ns.saturating_sub(m.last_ejection_ns) {
                Self::uneject_monitor(m, now_ns);
                unejected.push(id);
            }
        }
        self.active -= unejected.len();
        let interval = self.settings.interval_ns;
        for &id in hosts {
            let m = self.entry(id);
            if m.ejected {
                continue;
            }
            if let Some(last) = m.last_unejection_ns {
                if now_ns.saturating_sub(last) >= interval && m.backoff > 0 {
                    m.backoff -= 1;
                }
            }
        }
        unejected
    }

    fn uneject_monitor(m: &mut Monitor, now_ns: u64) {
        m.ejected = false;
        m.consecutive_failures = 0;
        m.last_unejection_ns = Some(now_ns);
    }

    /// Un-ejects at once (Envoy's `successful_active_health_check_uneject_host`, on by default:
    /// an active health check that passes brings an ejected host back). True if it was ejected.
    pub fn uneject(&mut self, id: u32, now_ns: u64) -> bool {
        match self.monitors.get_mut(id as usize) {
            Some(m) if m.ejected => {
                Self::uneject_monitor(m, now_ns);
                self.active -= 1;
                true
            }
            _ => false,
        }
    }

    /// The host left the cluster: Envoy drops its monitor, so a host that comes back starts
    /// afresh.
    pub fn remove(&mut self, id: u32) {
        if let Some(m) = self.monitors.get_mut(id as usize) {
            if m.ejected {
                self.active -= 1;
            }
            *m = Monitor::default();
        }
    }
}

#[cfg(test)]
mod tests;

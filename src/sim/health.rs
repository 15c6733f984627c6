//! What the balancer itself knows about health, apart from the registry, and the part of the
//! discovery view it filters out:
//! - Envoy active health checks (`balance::HcSession`): a session per host of the cluster,
//!   started when the host enters the balancer's set, its first probe sent at once and the next
//!   every `interval_s`; a new host is out of the view until a probe passes. A passing probe
//!   also un-ejects an outlier-ejected host (`successful_active_health_check_uneject_host`,
//!   true by default). Not modelled: `no_traffic_interval` (the clusters here always carry
//!   traffic) and interval jitter (0 by default).
//! - Envoy outlier detection (`balance::OutlierDetector`), its interval timer a periodic chain.
//! - Envoy's panic threshold (`healthy_panic_threshold` 50 %, random_lb.h): when fewer than
//!   half of the discovered hosts are healthy, the balancer ignores health and uses them all.
//! - nginx passive health (`balance::PassiveHealth`): unavailable servers leave the view (an
//!   nginx upstream has no panic mode: with every server down it answers 502 at once); a
//!   window's end is one pending timer per server.

use crate::balance::{Failure, HcSession, Outcome, OutlierDetector, PassiveHealth, Transition};

use super::{Event, Lifecycle, LogEvent, Simulation, NS};

/// The balancer's own health state.
#[derive(Clone, Default)]
pub(super) struct BalancerHealth {
    pub outlier: Option<OutlierDetector>,
    pub passive: Option<PassiveHealth>,
}

impl BalancerHealth {
    pub fn build(config: &crate::scenario::BalancerConfig) -> Self {
        BalancerHealth {
            outlier: config.outlier_detection.as_ref().map(OutlierDetector::new),
            passive: config
                .passive_health
                .as_ref()
                .map(|p| PassiveHealth::new(p.max_fails, p.fail_timeout_s)),
        }
    }
}

impl Simulation {
    fn now_whole_s(&self) -> u64 {
        self.now_ns / NS
    }

    pub(super) fn is_ejected(&self, id: u32) -> bool {
        self.health
            .outlier
            .as_ref()
            .is_some_and(|d| d.is_ejected(id))
    }

    /// Not failing active health checks (always true without them).
    pub(super) fn hc_healthy(&self, id: u32) -> bool {
        let inst = &self.fleet[id];
        self.scenario.balancer.health_check.is_none() || !inst.hc_active || inst.hc.healthy
    }

    /// nginx: the server is down (unavailable) now.
    pub(super) fn peer_down(&self, id: u32) -> bool {
        let servers = self.discovery.base.len();
        let now_s = self.now_whole_s();
        self.health
            .passive
            .as_ref()
            .is_some_and(|p| !p.available(id, now_s, servers))
    }

    /// Removes what the balancer's own health knowledge excludes from `base` (the hosts it
    /// discovered, ascending).
    pub(super) fn filter_balancer_side(&self, base: &[u32]) -> Vec<u32> {
        let healthy: Vec<u32> = base
            .iter()
            .copied()
            .filter(|&id| self.hc_healthy(id) && !self.is_ejected(id))
            .collect();
        let mut view = if healthy.len() * 2 < base.len() {
            base.to_vec()
        } else {
            healthy
        };
        if self.health.passive.is_some() {
            view.retain(|&id| !self.peer_down(id));
        }
        view
    }

    /// The hosts of the balancer's cluster are now `base` (ascending): hosts that left are
    /// forgotten by the health state, hosts that joined start a health-check session.
    pub(super) fn sync_base(&mut self, base: Vec<u32>) {
        if base == self.discovery.base {
            return;
        }
        let old = std::mem::take(&mut self.discovery.base);
        let (mut i, mut j) = (0, 0);
        let mut added = Vec::new();
        while i < old.len() || j < base.len() {
            match (old.get(i), base.get(j)) {
                (Some(&a), Some(&b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(&a), b) if b.is_none_or(|&b| a < b) => {
                    self.forget_host(a);
                    i += 1;
                }
                (_, Some(&b)) => {
                    added.push(b);
                    j += 1;
                }
                _ => break,
            }
        }
        self.discovery.base = base;
        if self.scenario.balancer.health_check.is_some() {
            for id in added {
                self.start_hc_session(id);
            }
        }
    }

    fn forget_host(&mut self, id: u32) {
        if let Some(d) = &mut self.health.outlier {
            d.remove(id);
        }
        if let Some(p) = &mut self.health.passive {
            p.remove(id);
        }
        if let Some(inst) = self.fleet.get_mut(id) {
            inst.hc_active = false;
            inst.hc_epoch = inst.hc_epoch.wrapping_add(1);
        }
    }

    /// Every host of the cluster starts a new session (health checks switched on or changed):
    /// they all look new to the next view rebuild.
    pub(super) fn restart_hc_sessions(&mut self) {
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let inst = &mut self.fleet[id];
            inst.hc_active = false;
            inst.hc_epoch = inst.hc_epoch.wrapping_add(1);
        }
        if self.scenario.balancer.health_check.is_some() {
            let base = self.discovery.base.clone();
            for id in base {
                self.start_hc_session(id);
            }
        }
        self.discovery.dirty = true;
    }

    fn start_hc_session(&mut self, id: u32) {
        let Some(inst) = self.fleet.get_mut(id) else {
            return;
        };
        inst.hc = HcSession::default();
        inst.hc_active = true;
        inst.hc_epoch = inst.hc_epoch.wrapping_add(1);
        // initial_jitter 0: the first probe goes out as the session starts.
        self.probe(id);
    }

    pub(super) fn on_health_probe(&mut self, id: u32, epoch: u32) {
        let inst = &self.fleet[id];
        if inst.hc_epoch != epoch || !inst.hc_active {
            return;
        }
        self.probe(id);
    }

    /// One probe of host `id` now (it passes when the instance accepts connections; a refused
    /// one is a network failure, which honours `unhealthy_threshold`), then the next in one
    /// interval.
    fn probe(&mut self, id: u32) {
        let Some(hc) = self.scenario.balancer.health_check.clone() else {
            return;
        };
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        let passed = inst.state.accepts();
        let first = inst.hc.is_first_check();
        let transition = if passed {
            inst.hc.on_success(hc.healthy_threshold)
        } else {
            inst.hc.on_failure(hc.unhealthy_threshold, true)
        };
        let epoch = inst.hc_epoch;
        if transition == Transition::Changed {
            self.discovery.dirty = true;
            let event = if passed {
                LogEvent::HealthChecksPassed {
                    checks: if first { 1 } else { hc.healthy_threshold },
                }
            } else {
                LogEvent::HealthChecksFailed {
                    checks: hc.unhealthy_threshold,
                }
            };
            self.push_log(Some(id), event);
        }
        if passed && self.fleet[id].hc.healthy {
            let unejected = self
                .health
                .outlier
                .as_mut()
                .is_some_and(|d| d.uneject(id, now));
            if unejected {
                self.discovery.dirty = true;
                self.push_log(Some(id), LogEvent::Unejected);
            }
        }
        let interval = super::clock::to_ns(hc.interval_s).max(1);
        self.schedule_in(
            interval,
            Event::HealthProbe {
                instance: id,
                epoch,
            },
        );
    }

    /// A tick of Envoy's outlier-detection interval timer.
    pub(super) fn on_outlier_interval(&mut self) {
        let now = self.now_ns;
        let base = &self.discovery.base;
        let Some(d) = &mut self.health.outlier else {
            return;
        };
        let back = d.on_interval(now, base);
        if !back.is_empty() {
            self.discovery.dirty = true;
        }
        for id in back {
            if self
                .fleet
                .get(id)
                .is_some_and(|i| i.state != Lifecycle::Stopped)
            {
                self.push_log(Some(id), LogEvent::Unejected);
            }
        }
    }

    /// nginx: a request was just sent to `id` (a server past its window opens a new one).
    pub(super) fn on_selected(&mut self, id: u32) {
        let servers = self.discovery.base.len();
        let now_s = self.now_whole_s();
        let Some(p) = &mut self.health.passive else {
            return;
        };
        if p.on_selected(id, now_s, servers) {
            self.discovery.dirty = true;
            self.arm_peer_timer(id);
        }
    }

    /// A failed attempt at `id`, told to the balancer's health knowledge. `last_try`: no retry
    /// was left for it (nginx then counts a 503 as a success).
    pub(super) fn record_failure(&mut self, id: u32, failure: Failure, last_try: bool) {
        let in_cluster = self.discovery.base.binary_search(&id).is_ok();
        if !in_cluster {
            // Envoy keeps monitors (and nginx peers) only for hosts of the cluster.
            return;
        }
        let now = self.now_ns;
        if let Some(d) = &mut self.health.outlier {
            if let Outcome::Ejected { duration_ns } = d.put_failure(id, now, &self.discovery.base) {
                let failures = self
                    .scenario
                    .balancer
                    .outlier_detection
                    .as_ref()
                    .map_or(0, |o| o.consecutive_failures);
                self.discovery.dirty = true;
                self.push_log(
                    Some(id),
                    LogEvent::Ejected {
                        failures,
                        duration_s: duration_ns as f64 / 1e9,
                    },
                );
            }
        }
        let servers = self.discovery.base.len();
        let now_s = self.now_whole_s();
        let retry_on = self.scenario.balancer.retry_on;
        if let Some(p) = &mut self.health.passive {
            let counted = failure.counts_for_nginx(retry_on, last_try);
            if p.on_free(id, now_s, counted, servers) {
                self.discovery.dirty = true;
                let fails = p.peer(id).fails;
                if !p.available(id, now_s, servers) {
                    let fail_timeout_s = self
                        .scenario
                        .balancer
                        .passive_health
                        .as_ref()
                        .map_or(0, |c| c.fail_timeout_s);
                    self.push_log(
                        Some(id),
                        LogEvent::MarkedDown {
                            fails,
                            fail_timeout_s,
                        },
                    );
                }
            }
            self.arm_peer_timer(id);
        }
    }

    /// A response from `id` that is not a failure.
    pub(super) fn attempt_succeeded(&mut self, id: u32) {
        if let Some(d) = &mut self.health.outlier {
            d.put_success(id);
        }
        let servers = self.discovery.base.len();
        let now_s = self.now_whole_s();
        if let Some(p) = &mut self.health.passive {
            if p.on_free(id, now_s, false, servers) {
                self.discovery.dirty = true;
            }
        }
    }

    /// nginx: one pending timer per unavailable server, at the second its window ends.
    fn arm_peer_timer(&mut self, id: u32) {
        let servers = self.discovery.base.len();
        let now_s = self.now_whole_s();
        let Some(p) = &self.health.passive else {
            return;
        };
        let Some(at_s) = p.reopens_at_s(id, now_s, servers) else {
            return;
        };
        let inst = &mut self.fleet[id];
        if inst.peer_timer_armed {
            return;
        }
        inst.peer_timer_armed = true;
        self.queue
            .schedule(at_s.saturating_mul(NS), Event::PeerReopen { instance: id });
    }

    pub(super) fn on_peer_reopen(&mut self, id: u32) {
        self.fleet[id].peer_timer_armed = false;
        self.discovery.dirty = true;
        // A failure since may have opened a later window.
        self.arm_peer_timer(id);
    }
}

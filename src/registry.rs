//! The service registry: instances register when they become ready, renew a lease by heartbeat
//! every `heartbeat_s`, and deregister when they stop. What happens to a lease that is not
//! renewed depends on `flavor`:
//!
//! - `consul` (the default): an exact timer per lease, as a Consul TTL check
//!   (hashicorp/consul `agent/checks/check.go`, `CheckTTL.run` / `SetStatus`, commit 0303d8c3:
//!   any update re-arms a one-shot timer of the TTL, whose expiry turns the check critical):
//!   the instance is evicted the moment `ttl_s` passes without a renewal (here eviction and
//!   "critical" are one step: a critical check is filtered out of healthy queries).
//! - `eureka`: Netflix Eureka (Netflix/eureka at 61acc83d). `Lease.renew()` sets
//!   `lastUpdateTimestamp = now + duration` and `isExpired` tests `now > lastUpdateTimestamp +
//!   duration`, so a renewed lease expires 2 × `ttl_s` after its last renewal (180 s at
//!   Eureka's 90 s; the code's own comment calls this a bug it will not fix), and one never
//!   renewed `ttl_s` after registering. Nothing expires by itself: the `EvictionTask` runs every
//!   60 s (`evictionIntervalTimerInMs`) and `AbstractInstanceRegistry.evict` removes at most
//!   `size − (int)(size × renewalPercentThreshold)` leases per run (15 % at 0.85), chosen by a
//!   partial Knuth shuffle of the expired ones — here with the simulation's seeded stream.
//!   Self-preservation (`PeerAwareInstanceRegistryImpl.isLeaseExpirationEnabled`): no eviction
//!   unless the renewals counted in the previous *completed* minute (`MeasuredRate`, reset every
//!   60 s) are strictly above `(int)(expected × 60 / renewal interval × threshold)`, with
//!   `expected` the clients the server expects renewals from: set by `openForTraffic` to the
//!   initial fleet, +1 per new registration (only while above 0), −1 per cancel or eviction,
//!   and every 15 minutes reset to the registry's count when that count is above threshold ×
//!   expected. The renewal interval in the formula is the server's
//!   `expectedClientRenewalIntervalSeconds`, taken equal to the clients' `heartbeat_s`.
//!   Not modelled: the server's 30 s read-only response cache in front of the clients' own 30 s
//!   fetch (`registry.refresh_s`), peer replication, and the eviction task's compensation for
//!   late runs (a simulated timer is never late).
//!
//! In both flavours an instance whose heartbeat is late is *suspect* (fleetlab's word; still
//! discoverable), and a heartbeat from an evicted but live instance registers it again (Eureka
//! answers the renewal 404 and the client registers; a Consul agent re-syncs its services).
//! With `flavor: consul`, `self_preservation_threshold` is fleetlab's instant approximation of
//! Eureka's rule: expiry waits while fewer than that fraction of the registered leases are live.

use crate::rng::SimRng;
use crate::scenario::{RegistryConfig, RegistryFlavor};

/// Eureka's `evictionIntervalTimerInMs` and `MeasuredRate` bucket: 60 s.
pub const EUREKA_SWEEP_NS: u64 = 60_000_000_000;
/// Eureka's `renewalThresholdUpdateIntervalMs`: 15 minutes.
pub const EUREKA_THRESHOLD_UPDATE_NS: u64 = 900_000_000_000;
/// Eureka's default `renewalPercentThreshold`, which also sets the eviction cap when
/// self-preservation is off.
pub const EUREKA_RENEWAL_PERCENT: f64 = 0.85;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RegState {
    /// Not (yet) registered: starting.
    Unregistered = 0,
    Up = 1,
    /// Registered, but its last expected heartbeat did not arrive.
    Suspect = 2,
    /// The lease expired and the registry removed it.
    Evicted = 3,
    /// It left cleanly (draining or stopped).
    Deregistered = 4,
}

impl RegState {
    /// Every state, in code order.
    pub const ALL: [RegState; 5] = [
        RegState::Unregistered,
        RegState::Up,
        RegState::Suspect,
        RegState::Evicted,
        RegState::Deregistered,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RegState::Unregistered => "unregistered",
            RegState::Up => "up",
            RegState::Suspect => "suspect",
            RegState::Evicted => "evicted",
            RegState::Deregistered => "deregistered",
        }
    }

    pub fn discoverable(self) -> bool {
        matches!(self, RegState::Up | RegState::Suspect)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub state: RegState,
    pub last_renewal_ns: u64,
    /// Eureka's `lastUpdateTimestamp`: the registration time, or last renewal + duration.
    pub last_update_ns: u64,
}

const NO_LEASE: Lease = Lease {
    state: RegState::Unregistered,
    last_renewal_ns: 0,
    last_update_ns: 0,
};

/// What the registry decided when a consul lease's timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Renewed since: the lease now runs out at `due_ns`.
    Renewed {
        due_ns: u64,
    },
    /// Not registered any more: nothing to watch.
    Gone,
    Evicted,
    /// Self-preservation is on: the lease is kept; check again later.
    Preserved,
}

/// What a heartbeat did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    Renewed,
    /// The first renewal after one or more missed heartbeats.
    Resumed,
    /// The instance had been evicted and registers again.
    Reregistered,
    Missed {
        first: bool,
    },
    Ignored,
}

/// What one Eureka eviction run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Self-preservation held eviction back (`isLeaseExpirationEnabled` false).
    pub preserved: bool,
    /// Expired leases found.
    pub expired: Vec<u32>,
    /// Those evicted, in the order the shuffle chose them (at most the cap).
    pub evicted: Vec<u32>,
}

/// Eureka's server-side counters.
#[derive(Debug, Clone, Default)]
struct EurekaState {
    /// `expectedNumberOfClientsSendingRenews`.
    expected: u32,
    /// `renewsLastMin`: the bucket being filled and the last completed one.
    renews_current: u64,
    renews_last_min: u64,
}

#[derive(Debug, Clone)]
pub struct Registry {
    pub config: RegistryConfig,
    leases: Vec<Lease>,
    /// Changes whenever the set of discoverable instances changes.
    version: u64,
    ttl_ns: u64,
    eureka: EurekaState,
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Self {
        let ttl_ns = seconds_to_ns(config.ttl_s);
        Registry {
            config,
            leases: Vec::new(),
            version: 0,
            ttl_ns,
            eureka: EurekaState::default(),
        }
    }

    pub fn set_config(&mut self, config: RegistryConfig) {
        let to_eureka =
            config.flavor == RegistryFlavor::Eureka && self.config.flavor != RegistryFlavor::Eureka;
        self.ttl_ns = seconds_to_ns(config.ttl_s);
        self.config = config;
        if to_eureka {
            // A Eureka server taking over an existing registry expects renewals from all of it.
            let count = self.registered();
            self.open_for_traffic(count);
        }
    }

    pub fn flavor(&self) -> RegistryFlavor {
        self.config.flavor
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn ttl_ns(&self) -> u64 {
        self.ttl_ns
    }

    pub fn lease(&self, id: u32) -> Lease {
        self.leases.get(id as usize).copied().unwrap_or(NO_LEASE)
    }

    fn entry(&mut self, id: u32) -> &mut Lease {
        let i = id as usize;
        if self.leases.len() <= i {
            self.leases.resize(i + 1, NO_LEASE);
        }
        &mut self.leases[i]
    }

    /// Leases held (discoverable), Eureka's `getLocalRegistrySize`.
    fn registered(&self) -> u32 {
        self.leases
            .iter()
            .filter(|l| l.state.discoverable())
            .count() as u32
    }

    /// Room for `n` more leases (a fleet starting at once).
    pub fn reserve(&mut self, n: usize) {
        self.leases.reserve(n);
    }

    pub fn register(&mut self, id: u32, now_ns: u64) {
        let existed = self.lease(id).state.discoverable();
        *self.entry(id) = Lease {
            state: RegState::Up,
            last_renewal_ns: now_ns,
            last_update_ns: now_ns,
        };
        if !existed {
            self.eureka_new_lease();
        }
        self.version += 1;
    }

    /// AbstractInstanceRegistry.register for a new lease: the expected count grows only while
    /// it is above 0.
    fn eureka_new_lease(&mut self) {
        if self.eureka.expected > 0 {
            self.eureka.expected += 1;
        }
    }

    /// internalCancel: the expected count shrinks only while above 0.
    fn eureka_cancel(&mut self) {
        self.eureka.expected = self.eureka.expected.saturating_sub(1);
    }

    pub fn deregister(&mut self, id: u32) {
        let lease = self.entry(id);
        if lease.state != RegState::Deregistered && lease.state != RegState::Unregistered {
            let was_discoverable = lease.state.discoverable();
            lease.state = RegState::Deregistered;
            if was_discoverable {
                self.eureka_cancel();
                self.version += 1;
            }
        }
    }

    /// A heartbeat was due from `id`; `delivered` says whether it reached the registry.
    pub fn heartbeat(&mut self, id: u32, now_ns: u64, delivered: bool) -> Beat {
        let duration = self.ttl_ns;
        let lease = self.entry(id);
        let beat = match (lease.state, delivered) {
            (RegState::Up, true) => Beat::Renewed,
            (RegState::Suspect, true) => {
                lease.state = RegState::Up;
                Beat::Resumed
            }
            (RegState::Evicted, true) => {
                // Renewal answered 404; the client registers again: a new lease.
                *lease = Lease {
                    state: RegState::Up,
                    last_renewal_ns: now_ns,
                    last_update_ns: now_ns,
                };
                self.eureka_new_lease();
                self.version += 1;
                return Beat::Reregistered;
            }
            (RegState::Up, false) => {
                lease.state = RegState::Suspect;
                return Beat::Missed { first: true };
            }
            (RegState::Suspect, false) => return Beat::Missed { first: false },
            _ => return Beat::Ignored,
        };
        lease.last_renewal_ns = now_ns;
        lease.last_update_ns = now_ns.saturating_add(duration);
        self.eureka.renews_current += 1;
        beat
    }

    /// When the lease of `id` runs out: consul, the TTL after the last renewal; eureka, the
    /// instant after which `isExpired` holds (it is evicted at the next sweep after that).
    pub fn expires_at_ns(&self, id: u32) -> Option<u64> {
        let lease = self.lease(id);
        lease
            .state
            .discoverable()
            .then(|| match self.config.flavor {
                RegistryFlavor::Consul => lease.last_renewal_ns.saturating_add(self.ttl_ns),
                RegistryFlavor::Eureka => lease.last_update_ns.saturating_add(self.ttl_ns),
            })
    }

    /// Consul: the timer of lease `id` fired at `now_ns`.
    pub fn expire(&mut self, id: u32, now_ns: u64) -> Expiry {
        let lease = self.lease(id);
        if !lease.state.discoverable() {
            return Expiry::Gone;
        }
        let due_ns = lease.last_renewal_ns.saturating_add(self.ttl_ns);
        if due_ns > now_ns {
            return Expiry::Renewed { due_ns };
        }
        if self.self_preserving(now_ns) {
            return Expiry::Preserved;
        }
        self.entry(id).state = RegState::Evicted;
        self.version += 1;
        Expiry::Evicted
    }

    /// Whether eviction is held back now: Eureka's self-preservation for `flavor: eureka`,
    /// fleetlab's instant approximation of it for `flavor: consul`.
    pub fn self_preserving(&self, now_ns: u64) -> bool {
        let threshold = self.config.self_preservation_threshold;
        if threshold <= 0.0 {
            return false;
        }
        if self.config.flavor == RegistryFlavor::Eureka {
            return !self.lease_expiration_enabled();
        }
        let (mut registered, mut live) = (0u64, 0u64);
        for lease in self.leases.iter().filter(|l| l.state.discoverable()) {
            registered += 1;
            if now_ns.saturating_sub(lease.last_renewal_ns) < self.ttl_ns {
                live += 1;
            }
        }
        registered > 0 && (live as f64) < threshold * registered as f64
    }

    // ---- Eureka ------------------------------------------------------------------------------

    /// `renewalPercentThreshold`: the configured self-preservation threshold, or Eureka's
    /// default 0.85 when self-preservation is off (it still sets the eviction cap).
    fn renewal_percent(&self) -> f64 {
        match self.config.self_preservation_threshold {
            t if t > 0.0 => t,
            _ => EUREKA_RENEWAL_PERCENT,
        }
    }

    /// `openForTraffic(count)`: the server expects renewals from `count` clients.
    pub fn open_for_traffic(&mut self, count: u32) {
        self.eureka.expected = count;
    }

    /// `expectedNumberOfClientsSendingRenews`.
    pub fn expected_clients(&self) -> u32 {
        self.eureka.expected
    }

    /// `numberOfRenewsPerMinThreshold` = (int)(expected × (60 / renewal interval) × percent).
    pub fn renews_per_min_threshold(&self) -> u64 {
        let per_min = 60.0 / self.config.heartbeat_s;
        (f64::from(self.eureka.expected) * per_min * self.renewal_percent()) as u64
    }

    /// `getNumOfRenewsInLastMin`: the previous completed minute's count.
    pub fn renews_last_min(&self) -> u64 {
        self.eureka.renews_last_min
    }

    /// `isLeaseExpirationEnabled`.
    pub fn lease_expiration_enabled(&self) -> bool {
        if self.config.self_preservation_threshold <= 0.0 {
            return true;
        }
        let threshold = self.renews_per_min_threshold();
        threshold > 0 && self.eureka.renews_last_min > threshold
    }

    /// The `MeasuredRate` timer: the minute's count becomes "last minute", a new one starts.
    pub fn rotate_renewals(&mut self) {
        self.eureka.renews_last_min = self.eureka.renews_current;
        self.eureka.renews_current = 0;
    }

    /// `updateRenewalThreshold` (every 15 minutes): adopt the registry's count when it is above
    /// percent × expected, or always when self-preservation is off.
    pub fn update_renewal_threshold(&mut self) {
        let count = self.registered();
        let self_preservation = self.config.self_preservation_threshold > 0.0;
        if f64::from(count) > self.renewal_percent() * f64::from(self.eureka.expected)
            || !self_preservation
        {
            self.eureka.expected = count;
        }
    }

    /// `evict(0)`: one eviction run at `now_ns`, choosing with `rng` (Java's
    /// `i + random.nextInt(size − i)` partial shuffle).
    pub fn sweep(&mut self, now_ns: u64, rng: &mut SimRng) -> Sweep {
        let mut out = Sweep::default();
        let duration = self.ttl_ns;
        out.expired = self
            .leases
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.state.discoverable() && now_ns > l.last_update_ns.saturating_add(duration)
            })
            .map(|(id, _)| id as u32)
            .collect();
        if !self.lease_expiration_enabled() {
            out.preserved = true;
            return out;
        }
        let size = self.registered();
        let to_evict =
            (eviction_limit(size, self.renewal_percent()) as usize).min(out.expired.len());
        let mut pool = out.expired.clone();
        for i in 0..to_evict {
            let j = i + rng.below((pool.len() - i) as u32) as usize;
            pool.swap(i, j);
            let id = pool[i];
            self.entry(id).state = RegState::Evicted;
            self.eureka_cancel();
            out.evicted.push(id);
        }
        if !out.evicted.is_empty() {
            self.version += 1;
        }
        out
    }

    /// Ids of discoverable instances, in id order.
    pub fn discoverable(&self) -> Vec<u32> {
        self.leases
            .iter()
            .enumerate()
            .filter(|(_, l)| l.state.discoverable())
            .map(|(id, _)| id as u32)
            .collect()
    }
}

/// Named registry settings: `consul` (fleetlab's defaults: a 5 s heartbeat against a 15 s TTL
/// check, a live view) and `eureka` (Eureka's defaults: 30 s renewals, a 90 s lease, the
/// client's 30 s registry fetch, self-preservation at 0.85: `LeaseInfo`,
/// `DefaultEurekaClientConfig`, `DefaultEurekaServerConfig`).
pub fn presets() -> Vec<(&'static str, RegistryConfig)> {
    vec![
        ("consul", RegistryConfig::default()),
        (
            "eureka",
            RegistryConfig {
                flavor: RegistryFlavor::Eureka,
                heartbeat_s: 30.0,
                ttl_s: 90.0,
                refresh_s: 30.0,
                self_preservation_threshold: EUREKA_RENEWAL_PERCENT,
            },
        ),
    ]
}

/// Eureka's per-run eviction cap: `size − (int)(size × percent)`.
pub fn eviction_limit(size: u32, renewal_percent: f64) -> u32 {
    size - ((f64::from(size) * renewal_percent) as u32).min(size)
}

pub fn seconds_to_ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

#[cfg(test)]
mod tests;

//! The service registry: instances register when they become ready, renew a lease by heartbeat
//! every `heartbeat_s`, and deregister when they stop. A lease not renewed for `ttl_s` expires
//! and the instance is evicted.
//!
//! Semantics followed, and where the real systems differ:
//! - Expiry is an exact timer per lease, as in a Consul TTL check (critical the moment the TTL
//!   passes) or an etcd lease (revoked at its TTL). Eureka instead sweeps every 60 s and
//!   evicts leases older than `lease-expiration-duration` (90 s by default), so a real Eureka
//!   evicts up to a sweep period later than here.
//! - An instance whose heartbeat is late is *suspect* but still discoverable, as in Eureka,
//!   which keeps serving it until eviction (Consul marks the check critical and filters it out
//!   of healthy queries at TTL expiry, which here is the eviction).
//! - A heartbeat from an evicted but live instance re-registers it (Eureka answers the renewal
//!   404 and the client registers again; a Consul agent re-syncs its services).
//! - Optional Eureka self-preservation: when the share of registered instances whose lease is
//!   still live falls below `self_preservation_threshold` (Eureka: renewals in the last minute
//!   below 85 % of those expected), the registry stops evicting. Like Eureka it then keeps
//!   instances that may really be dead, on the theory that the registry, not the fleet, has
//!   lost its network.

use crate::scenario::RegistryConfig;

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
}

/// What the registry decided about one lease when its timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Renewed since: nothing to do.
    Renewed,
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

#[derive(Debug, Clone)]
pub struct Registry {
    pub config: RegistryConfig,
    leases: Vec<Lease>,
    /// Changes whenever the set of discoverable instances changes.
    version: u64,
    ttl_ns: u64,
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Self {
        let ttl_ns = seconds_to_ns(config.ttl_s);
        Registry {
            config,
            leases: Vec::new(),
            version: 0,
            ttl_ns,
        }
    }

    pub fn set_config(&mut self, config: RegistryConfig) {
        self.ttl_ns = seconds_to_ns(config.ttl_s);
        self.config = config;
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn ttl_ns(&self) -> u64 {
        self.ttl_ns
    }

    pub fn lease(&self, id: u32) -> Lease {
        self.leases.get(id as usize).copied().unwrap_or(Lease {
            state: RegState::Unregistered,
            last_renewal_ns: 0,
        })
    }

    fn entry(&mut self, id: u32) -> &mut Lease {
        let i = id as usize;
        if self.leases.len() <= i {
            self.leases.resize(
                i + 1,
                Lease {
                    state: RegState::Unregistered,
                    last_renewal_ns: 0,
                },
            );
        }
        &mut self.leases[i]
    }

    pub fn register(&mut self, id: u32, now_ns: u64) {
        *self.entry(id) = Lease {
            state: RegState::Up,
            last_renewal_ns: now_ns,
        };
        self.version += 1;
    }

    pub fn deregister(&mut self, id: u32) {
        let lease = self.entry(id);
        if lease.state != RegState::Deregistered && lease.state != RegState::Unregistered {
            let was_discoverable = lease.state.discoverable();
            lease.state = RegState::Deregistered;
            if was_discoverable {
                self.version += 1;
            }
        }
    }

    /// A heartbeat was due from `id`; `delivered` says whether it reached the registry.
    pub fn heartbeat(&mut self, id: u32, now_ns: u64, delivered: bool) -> Beat {
        let lease = self.entry(id);
        match (lease.state, delivered) {
            (RegState::Up, true) => {
                lease.last_renewal_ns = now_ns;
                Beat::Renewed
            }
            (RegState::Suspect, true) => {
                lease.last_renewal_ns = now_ns;
                lease.state = RegState::Up;
                Beat::Resumed
            }
            (RegState::Evicted, true) => {
                *lease = Lease {
                    state: RegState::Up,
                    last_renewal_ns: now_ns,
                };
                self.version += 1;
                Beat::Reregistered
            }
            (RegState::Up, false) => {
                lease.state = RegState::Suspect;
                Beat::Missed { first: true }
            }
            (RegState::Suspect, false) => Beat::Missed { first: false },
            _ => Beat::Ignored,
        }
    }

    /// The timer of the lease renewed at `renewed_ns` fired at `now_ns`.
    pub fn expire(&mut self, id: u32, renewed_ns: u64, now_ns: u64) -> Expiry {
        let lease = self.lease(id);
        if !lease.state.discoverable() || lease.last_renewal_ns != renewed_ns {
            return Expiry::Renewed;
        }
        if self.self_preserving(now_ns) {
            return Expiry::Preserved;
        }
        self.entry(id).state = RegState::Evicted;
        self.version += 1;
        Expiry::Evicted
    }

    /// Eureka self-preservation: too few live leases among the registered instances.
    pub fn self_preserving(&self, now_ns: u64) -> bool {
        let threshold = self.config.self_preservation_threshold;
        if threshold <= 0.0 {
            return false;
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

pub fn seconds_to_ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(threshold: f64) -> Registry {
        Registry::new(RegistryConfig {
            flavor: crate::scenario::RegistryFlavor::Consul,
            heartbeat_s: 5.0,
            ttl_s: 15.0,
            refresh_s: 0.0,
            self_preservation_threshold: threshold,
        })
    }

    #[test]
    fn lease_expires_only_when_not_renewed() {
        let mut r = registry(0.0);
        r.register(0, 0);
        assert_eq!(r.heartbeat(0, 5_000_000_000, true), Beat::Renewed);
        // The timer armed at the first registration is stale now.
        assert_eq!(r.expire(0, 0, 15_000_000_000), Expiry::Renewed);
        assert_eq!(
            r.heartbeat(0, 10_000_000_000, false),
            Beat::Missed { first: true }
        );
        assert_eq!(r.lease(0).state, RegState::Suspect);
        assert_eq!(r.discoverable(), vec![0]);
        assert_eq!(r.expire(0, 5_000_000_000, 20_000_000_000), Expiry::Evicted);
        assert!(r.discoverable().is_empty());
        assert_eq!(r.heartbeat(0, 25_000_000_000, true), Beat::Reregistered);
        assert_eq!(r.discoverable(), vec![0]);
    }

    #[test]
    fn self_preservation_halts_eviction_past_its_threshold() {
        let mut r = registry(0.85);
        for id in 0..5 {
            r.register(id, 0);
        }
        // One of five leases lapses: 4/5 = 0.8 live < 0.85, so Eureka would stop evicting.
        for id in 1..5 {
            r.heartbeat(id, 10_000_000_000, true);
        }
        assert_eq!(r.expire(0, 0, 15_000_000_000), Expiry::Preserved);
        let mut big = registry(0.85);
        for id in 0..20 {
            big.register(id, 0);
        }
        for id in 1..20 {
            big.heartbeat(id, 10_000_000_000, true);
        }
        // 19/20 = 0.95 live: eviction proceeds.
        assert_eq!(big.expire(0, 0, 15_000_000_000), Expiry::Evicted);
    }
}

//! The registry's side of each instance: a heartbeat every `heartbeat_s` renews its lease, a
//! missed one makes it suspect, and an unrenewed lease is evicted by the rules of
//! `registry.flavor` (see `registry.rs`).
//!
//! Consul: one timer per lease, at its expiry. A renewal does not schedule anything: the timer
//! fires at the expiry it was set for, finds the lease renewed and sets itself for the new
//! expiry. So the event heap holds one lease event per instance whatever the heartbeat rate
//! (scheduling an expiry per heartbeat kept TTL / heartbeat of them alive per instance: 1,500
//! at 10 ms heartbeats and a 15 s TTL, 2.2 GB for 100,000 instances). Each renewal takes the
//! event sequence number its expiry would have been scheduled with, and the timer, when it is
//! set for that expiry, uses it: the eviction sorts among events of the same instant exactly
//! as if it had been scheduled at the renewal.
//!
//! Eureka: no per-lease timer; the registry's 60 s chain closes the renewal-count minute, runs
//! the eviction and, every 15 minutes, the renewal-threshold update.

use crate::registry::{seconds_to_ns, Beat, Expiry, RegState, EUREKA_THRESHOLD_UPDATE_NS};
use crate::scenario::RegistryFlavor;

use super::{Event, Lifecycle, LogEvent, Simulation};

impl Simulation {
    /// A new registration of `id` at `now`: its heartbeat chain `hb_epoch` and its lease timer.
    pub(super) fn schedule_lease(&mut self, id: u32, now: u64, hb_epoch: u32) {
        let hb = seconds_to_ns(self.scenario.registry.heartbeat_s);
        self.queue.schedule(
            now + hb,
            Event::Heartbeat {
                instance: id,
                epoch: hb_epoch,
            },
        );
        self.fleet[id].lease_seq = self.queue.reserve_seq();
        self.arm_lease_timer(id);
    }

    /// Sets the consul lease timer of `id` at its expiry, unless one is pending.
    fn arm_lease_timer(&mut self, id: u32) {
        if self.registry.flavor() != RegistryFlavor::Consul || self.fleet[id].lease_timer_armed {
            return;
        }
        let Some(due) = self.registry.expires_at_ns(id) else {
            return;
        };
        let inst = &mut self.fleet[id];
        inst.lease_timer_armed = true;
        inst.lease_epoch = inst.lease_epoch.wrapping_add(1);
        let epoch = inst.lease_epoch;
        let seq = inst.lease_seq;
        self.queue.schedule_at_seq(
            due,
            seq,
            Event::LeaseExpiry {
                instance: id,
                epoch,
            },
        );
    }

    /// New registry settings: every lease timer again (a shorter TTL must not wait for a timer
    /// set for the longer one; Eureka has none).
    pub(super) fn rearm_lease_timers(&mut self) {
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let inst = &mut self.fleet[id];
            inst.lease_timer_armed = false;
            inst.lease_epoch = inst.lease_epoch.wrapping_add(1);
            inst.lease_seq = self.queue.reserve_seq();
            self.arm_lease_timer(id);
        }
    }

    pub(super) fn on_heartbeat(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &self.fleet[id];
        if inst.heartbeat_epoch != epoch || inst.state == Lifecycle::Stopped {
            return;
        }
        let partitioned = inst.partitioned;
        let delivered = inst.state == Lifecycle::Ready && !partitioned;
        let beat = self.registry.heartbeat(id, now, delivered);
        match beat {
            Beat::Renewed => {}
            Beat::Resumed => self.push_log(Some(id), LogEvent::HeartbeatResumed),
            Beat::Reregistered => self.push_log(Some(id), LogEvent::Reregistered),
            Beat::Missed { first: true } => {
                self.push_log(Some(id), LogEvent::HeartbeatMissed { partitioned })
            }
            Beat::Missed { first: false } | Beat::Ignored => {}
        }
        if delivered {
            let seq = self.queue.reserve_seq();
            if matches!(beat, Beat::Renewed | Beat::Resumed | Beat::Reregistered) {
                self.fleet[id].lease_seq = seq;
                self.arm_lease_timer(id);
            }
        }
        let hb = seconds_to_ns(self.scenario.registry.heartbeat_s);
        self.queue.schedule(
            now + hb,
            Event::Heartbeat {
                instance: id,
                epoch,
            },
        );
    }

    pub(super) fn on_lease_expiry(&mut self, id: u32, epoch: u32) {
        let inst = &mut self.fleet[id];
        if inst.lease_epoch != epoch || !inst.lease_timer_armed {
            return;
        }
        inst.lease_timer_armed = false;
        if self.registry.flavor() != RegistryFlavor::Consul {
            return;
        }
        let renewed_ns = self.registry.lease(id).last_renewal_ns;
        match self.registry.expire(id, self.now_ns) {
            Expiry::Gone => {}
            Expiry::Renewed { .. } => self.arm_lease_timer(id),
            Expiry::Evicted => {
                let ttl_s = self.scenario.registry.ttl_s;
                self.push_log(
                    Some(id),
                    LogEvent::Evicted {
                        ttl_s,
                        last_renewal_s: renewed_ns as f64 / 1e9,
                    },
                );
            }
            Expiry::Preserved => {
                self.push_log(Some(id), LogEvent::Preserved);
                // Check again one heartbeat period later.
                let hb = seconds_to_ns(self.scenario.registry.heartbeat_s);
                let inst = &mut self.fleet[id];
                inst.lease_timer_armed = true;
                inst.lease_epoch = inst.lease_epoch.wrapping_add(1);
                let epoch = inst.lease_epoch;
                self.queue.schedule(
                    self.now_ns + hb,
                    Event::LeaseExpiry {
                        instance: id,
                        epoch,
                    },
                );
            }
        }
    }

    /// Eureka's 60 s chain: the renewal-threshold update (every 15 minutes), the end of the
    /// renewal-count minute, then an eviction run.
    pub(super) fn on_registry_sweep(&mut self) {
        let now = self.now_ns;
        if now % EUREKA_THRESHOLD_UPDATE_NS == 0 {
            self.registry.update_renewal_threshold();
        }
        self.registry.rotate_renewals();
        let sweep = self.registry.sweep(now, &mut self.registry_rng);
        // A renewed Eureka lease runs 2 × its duration past the last renewal.
        let ttl_s = 2.0 * self.scenario.registry.ttl_s;
        for id in sweep.evicted {
            let last = self.registry.lease(id).last_renewal_ns;
            self.push_log(
                Some(id),
                LogEvent::Evicted {
                    ttl_s,
                    last_renewal_s: last as f64 / 1e9,
                },
            );
        }
        if sweep.preserved {
            for id in sweep.expired {
                if self.registry.lease(id).state != RegState::Evicted {
                    self.push_log(Some(id), LogEvent::Preserved);
                }
            }
        }
    }
}

//! The registry's side of each instance: a heartbeat every `heartbeat_s` renews its lease, a
//! missed one makes it suspect, and a lease not renewed for `ttl_s` expires (an exact timer
//! per lease, as a Consul TTL check; see `registry.rs` for Eureka's differences). With
//! self-preservation on, expiry is postponed while too few leases are live.

use crate::registry::{seconds_to_ns, Beat, Expiry};

use super::{Event, Lifecycle, LogEvent, Simulation};

impl Simulation {
    pub(super) fn schedule_lease(&mut self, id: u32, now: u64, hb_epoch: u32) {
        let hb = seconds_to_ns(self.scenario.registry.heartbeat_s);
        self.queue.schedule(
            now + hb,
            Event::Heartbeat {
                instance: id,
                epoch: hb_epoch,
            },
        );
        self.queue.schedule(
            now + self.registry.ttl_ns(),
            Event::LeaseExpiry {
                instance: id,
                renewed_ns: now,
            },
        );
    }

    pub(super) fn on_heartbeat(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &self.fleet[id];
        if inst.heartbeat_epoch != epoch || inst.state == Lifecycle::Stopped {
            return;
        }
        let partitioned = inst.partitioned;
        let delivered = inst.state == Lifecycle::Ready && !partitioned;
        match self.registry.heartbeat(id, now, delivered) {
            Beat::Renewed => {}
            Beat::Resumed => self.push_log(Some(id), LogEvent::HeartbeatResumed),
            Beat::Reregistered => self.push_log(Some(id), LogEvent::Reregistered),
            Beat::Missed { first: true } => {
                self.push_log(Some(id), LogEvent::HeartbeatMissed { partitioned })
            }
            Beat::Missed { first: false } | Beat::Ignored => {}
        }
        if delivered {
            self.queue.schedule(
                now + self.registry.ttl_ns(),
                Event::LeaseExpiry {
                    instance: id,
                    renewed_ns: now,
                },
            );
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

    pub(super) fn on_lease_expiry(&mut self, id: u32, renewed_ns: u64) {
        match self.registry.expire(id, renewed_ns, self.now_ns) {
            Expiry::Renewed => {}
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
                let hb = seconds_to_ns(self.scenario.registry.heartbeat_s);
                self.queue.schedule(
                    self.now_ns + hb,
                    Event::LeaseExpiry {
                        instance: id,
                        renewed_ns,
                    },
                );
            }
        }
    }
}

//! The fleet's replicas: scaling to a count (new instances start and become ready after
//! `startup_s`; removed ones are chosen as a ReplicaSet does and drain), and the transitions
//! ready → registered, draining → stopped.

use crate::autoscale::hpa::Explanation;
use crate::registry::seconds_to_ns;

use super::{Event, Instance, Lifecycle, LogEvent, Routing, ScaleEvent, Scaler, Simulation};

impl Simulation {
    /// Replicas of the fleet: what a Deployment would count (not draining or stopped).
    pub fn members(&self) -> u32 {
        self.fleet
            .alive
            .iter()
            .filter(|&&id| self.fleet[id].state.is_member())
            .count() as u32
    }

    /// Sets the fleet to `n` replicas. Added instances start (ready after `startup_s`); removed
    /// ones are chosen as a ReplicaSet does: not-ready (crashed, then starting) before ready,
    /// newest first. The cause (who, and an autoscaler's explanation) is recorded as a scale
    /// event.
    pub(super) fn scale_to(&mut self, n: u32, by: Scaler, explanation: Option<Explanation>) {
        let current = self.members();
        self.fleet.desired = n;
        if n == current {
            return;
        }
        self.mark_change();
        let reason = explanation
            .as_ref()
            .map_or_else(|| "set by hand".to_string(), |e| e.to_string());
        self.stats.scale_events.push(ScaleEvent {
            t_s: self.now_s(),
            from: current,
            to: n,
            reason: reason.clone(),
        });
        self.push_log(
            None,
            LogEvent::Scaled {
                from: current,
                to: n,
                by,
                explanation,
                reason,
            },
        );
        if n > current {
            for _ in current..n {
                self.add_instance(false);
            }
        } else {
            let fleet = &self.fleet;
            let mut victims: Vec<u32> = self
                .fleet
                .alive
                .iter()
                .copied()
                .filter(|&id| fleet[id].state.is_member())
                .collect();
            let rank = |s: Lifecycle| match s {
                Lifecycle::Crashed => 0,
                Lifecycle::Starting => 1,
                _ => 2,
            };
            victims.sort_by_key(|&id| (rank(fleet[id].state), std::cmp::Reverse(id)));
            for id in victims.into_iter().take((current - n) as usize) {
                self.remove_instance(id);
            }
        }
        let members = self.members();
        self.stats.min_members = self.stats.min_members.min(members);
        self.stats.max_members = self.stats.max_members.max(members);
    }

    /// Adds an instance: `running` for the scenario's initial fleet, which is already up at
    /// t = 0; otherwise it starts up for `startup_s`.
    pub(super) fn add_instance(&mut self, running: bool) {
        let id = self.fleet.next_id();
        let cfg = &self.scenario.instances;
        let (weight, speed) = cfg
            .overrides
            .iter()
            .rev()
            .find(|o| o.instance == id)
            .map(|o| (o.weight, o.speed))
            .unwrap_or((1, 1.0));
        self.fleet.insert(Instance::new(
            id,
            self.now_ns,
            cfg.concurrency,
            weight,
            speed,
        ));
        let startup = if running {
            0
        } else {
            seconds_to_ns(cfg.startup_s)
        };
        if startup == 0 {
            self.on_ready(id, 0);
        } else {
            self.queue.schedule(
                self.now_ns + startup,
                Event::Ready {
                    instance: id,
                    epoch: 0,
                },
            );
        }
    }

    fn remove_instance(&mut self, id: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        match inst.state {
            Lifecycle::Ready => {
                inst.state = Lifecycle::Draining;
                inst.heartbeat_epoch += 1;
                let idle = inst.active() == 0;
                self.registry.deregister(id);
                self.push_log(Some(id), LogEvent::Draining);
                if idle {
                    self.stop(id);
                }
            }
            Lifecycle::Starting | Lifecycle::Crashed => {
                inst.epoch += 1;
                inst.set_in_service(now, 0);
                self.registry.deregister(id);
                self.stop(id);
            }
            Lifecycle::Draining | Lifecycle::Stopped => {}
        }
    }

    pub(super) fn stop(&mut self, id: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        inst.state = Lifecycle::Stopped;
        inst.stopped_ns = Some(now);
        self.stats.stopped_instance_ns += u128::from(now.saturating_sub(inst.created_ns));
        inst.heartbeat_epoch += 1;
        inst.queue = Default::default();
        self.fleet.alive.retain(|&a| a != id);
        self.registry.deregister(id);
        self.discovery.dirty = true;
        self.push_log(Some(id), LogEvent::Stopped);
    }

    pub(super) fn on_ready(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        if inst.epoch != epoch || inst.state != Lifecycle::Starting {
            return;
        }
        inst.state = Lifecycle::Ready;
        inst.ready_ns = now;
        inst.hc_healthy = true;
        inst.hc_streak = 0;
        inst.heartbeat_epoch += 1;
        let hb_epoch = inst.heartbeat_epoch;
        if self.routing.is_shared() {
            // Work may be waiting in the central queue.
            loop {
                let inst = &self.fleet[id];
                if inst.in_service >= inst.concurrency {
                    break;
                }
                let Routing::Shared { queue, .. } = &mut self.routing else {
                    break;
                };
                let Some(request) = queue.pop_front() else {
                    break;
                };
                self.start_service(id, request);
            }
            self.list_idle(id);
        }
        self.registry.register(id, now);
        self.schedule_lease(id, now, hb_epoch);
        if now > 0 {
            self.push_log(Some(id), LogEvent::Registered);
        }
        // Requests the activator holds go to the new instance now.
        self.activator_slot_free(id, true);
    }
}

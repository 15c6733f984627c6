//! The fleet's replicas: scaling to a count (new instances start and become ready after
//! `startup_s`; removed ones are chosen as a ReplicaSet does and drain), and the transitions
//! ready → registered, (terminating →) draining → stopped.
//!
//! Removal follows Kubernetes' pod termination (kubernetes/website
//! `content/en/docs/concepts/workloads/pods/pod-lifecycle.md`, "Termination of Pods", at
//! 00aacfad): the pod is deleted and, at the same time, the kubelet runs its preStop hook and
//! the endpoint controllers mark its endpoint terminating, so proxies and clients stop sending
//! to it only once that change has reached them (here: deregistered at once, and the
//! balancers' discovery view, possibly `refresh_s` stale, catches up). Only after preStop does
//! the container get SIGTERM and stop accepting. With `prestop_s` 0 it stops accepting at
//! once, and requests from stale views are refused — the endpoint-removal race a preStop
//! sleep exists to cover. Not modelled: `terminationGracePeriodSeconds` (30 s by default),
//! after which the kubelet kills a pod that has not finished draining.

use super::clock;
use crate::autoscale::hpa::Explanation;

use super::{Event, Instance, Lifecycle, LogEvent, ScaleEvent, Scaler, Simulation};

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
        let (weight, speed) = self.fleet.overrides.get(&id).copied().unwrap_or((1, 1.0));
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
            clock::to_ns(cfg.startup_s)
        };
        if startup == 0 {
            self.on_ready(id, 0);
        } else {
            self.schedule_in(
                startup,
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
                let prestop = clock::to_ns(self.scenario.instances.prestop_s);
                inst.heartbeat_epoch += 1;
                self.registry.deregister(id);
                if prestop > 0 {
                    let inst = &mut self.fleet[id];
                    inst.state = Lifecycle::Terminating;
                    let epoch = inst.epoch;
                    self.schedule_in(
                        prestop,
                        Event::PreStopDone {
                            instance: id,
                            epoch,
                        },
                    );
                    self.push_log(Some(id), LogEvent::Terminating);
                } else {
                    self.start_draining(id);
                }
            }
            Lifecycle::Starting | Lifecycle::Crashed => {
                inst.epoch += 1;
                inst.set_in_service(now, 0);
                self.registry.deregister(id);
                self.stop(id);
            }
            Lifecycle::Draining | Lifecycle::Stopped | Lifecycle::Terminating => {}
        }
    }

    /// The instance stops accepting (SIGTERM) and finishes what it holds.
    fn start_draining(&mut self, id: u32) {
        let inst = &mut self.fleet[id];
        inst.state = Lifecycle::Draining;
        let idle = inst.active() == 0;
        self.push_log(Some(id), LogEvent::Draining);
        if idle {
            self.stop(id);
        }
    }

    pub(super) fn on_prestop_done(&mut self, id: u32, epoch: u32) {
        let inst = &self.fleet[id];
        if inst.epoch == epoch && inst.state == Lifecycle::Terminating {
            self.start_draining(id);
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
        self.registry.deregister(id);
        self.discovery.dirty = true;
        self.push_log(Some(id), LogEvent::Stopped);
        // Memory follows the fleet alive: the stopped instance pushed out of the summary's
        // list is forgotten, unless the balancer's stale view still names it (then it is
        // forgotten once the view moves on). Its lease in the registry stays Deregistered for
        // good from here: a registry keyed by live ids could drop it at this point too.
        if let Some(old) = self.fleet.stopped(id) {
            if self.named_by_discovery(old) {
                self.fleet.linger(old);
            } else {
                self.fleet.forget(old);
                self.forgotten(old);
            }
        }
    }

    /// Instance `id` (stopped, not listed any more, named by no discovery view) was just
    /// dropped from memory, once and for good: ids are never reused, and from now on
    /// `fleet[id]` reads as a blank stopped record. What other parts keep per id can be
    /// dropped here too, so that nothing grows with the instances ever created: today the
    /// registry's lease (`registry.rs`, stays Deregistered for good), the outlier detector's
    /// monitor (`balance/outlier.rs`) and nginx passive health's peer
    /// (`balance/passive_health.rs`) are vectors indexed by id; keyed by id in a map, each
    /// could forget it in this one place.
    fn forgotten(&mut self, id: u32) {
        let _ = id;
    }

    /// Whether the balancer's view, or the discovery cache it is rebuilt from (when refreshed
    /// periodically), still names instance `id`. Both lists are in id order.
    fn named_by_discovery(&self, id: u32) -> bool {
        let d = &self.discovery;
        d.view.binary_search(&id).is_ok()
            || (self.scenario.registry.refresh_s > 0.0 && d.discovered.binary_search(&id).is_ok())
    }

    /// The discovery cache or view changed: stopped records kept only because they named them
    /// are forgotten once they no longer do.
    pub(super) fn release_lingering(&mut self) {
        let d = &self.discovery;
        let cached = self.scenario.registry.refresh_s > 0.0;
        let gone = self.fleet.release_lingering(|id| {
            d.view.binary_search(&id).is_ok() || (cached && d.discovered.binary_search(&id).is_ok())
        });
        for id in gone {
            self.forgotten(id);
        }
    }

    pub(super) fn on_ready(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        if inst.epoch != epoch || inst.state != Lifecycle::Starting {
            return;
        }
        inst.state = Lifecycle::Ready;
        inst.ready_ns = now;
        inst.heartbeat_epoch += 1;
        let hb_epoch = inst.heartbeat_epoch;
        if self.routing.is_shared() {
            // Work may be waiting in the central queue.
            while self.take_from_shared(id) {}
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

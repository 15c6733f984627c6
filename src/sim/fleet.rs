//! Changing the fleet: scaling to a replica count (new instances start, removed ones drain),
//! the registry's heartbeats and lease timers, faults, balancer-side health (active checks and
//! outlier ejection) and the autoscaler's sync loop.

use crate::autoscale::{Observation, PodMetric, PodState};
use crate::registry::{seconds_to_ns, Beat, Expiry};
use crate::scenario::FaultKind;

use super::{Event, Instance, Lifecycle, Simulation, NS};

impl Simulation {
    /// Replicas of the fleet: what a Deployment would count (not draining or stopped).
    pub fn members(&self) -> u32 {
        self.alive
            .iter()
            .filter(|&&id| self.instances[id as usize].state.is_member())
            .count() as u32
    }

    /// Sets the fleet to `n` replicas. Added instances start (ready after `startup_s`); removed
    /// ones are chosen as a ReplicaSet does: not-ready (crashed, then starting) before ready,
    /// newest first. `reason` is recorded as a scale event when given.
    pub(crate) fn scale_to(&mut self, n: u32, reason: Option<String>) {
        let current = self.members();
        self.desired = n;
        if n == current {
            return;
        }
        if let Some(reason) = reason {
            self.scale_events.push(super::ScaleEvent {
                t_s: self.now_s(),
                from: current,
                to: n,
                reason: reason.clone(),
            });
            self.push_log(
                None,
                "scale",
                format!("{current} → {n} instances: {reason}"),
            );
        }
        if n > current {
            for _ in current..n {
                self.add_instance(false);
            }
        } else {
            let mut victims: Vec<u32> = self
                .alive
                .iter()
                .copied()
                .filter(|&id| self.instances[id as usize].state.is_member())
                .collect();
            let rank = |s: Lifecycle| match s {
                Lifecycle::Crashed => 0,
                Lifecycle::Starting => 1,
                _ => 2,
            };
            victims.sort_by_key(|&id| {
                (
                    rank(self.instances[id as usize].state),
                    std::cmp::Reverse(id),
                )
            });
            for id in victims.into_iter().take((current - n) as usize) {
                self.remove_instance(id);
            }
        }
        let members = self.members();
        self.min_members = self.min_members.min(members);
        self.max_members = self.max_members.max(members);
    }

    /// Adds an instance: `running` for the scenario's initial fleet, which is already up at
    /// t = 0; otherwise it starts up for `startup_s`.
    pub(crate) fn add_instance(&mut self, running: bool) {
        let id = self.instances.len() as u32;
        let cfg = &self.scenario.instances;
        let (weight, speed) = cfg
            .overrides
            .iter()
            .rev()
            .find(|o| o.instance == id)
            .map(|o| (o.weight, o.speed))
            .unwrap_or((1, 1.0));
        self.instances.push(Instance::new(
            id,
            self.now_ns,
            cfg.concurrency,
            weight,
            speed,
        ));
        self.alive.push(id);
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
        let inst = &mut self.instances[id as usize];
        match inst.state {
            Lifecycle::Ready => {
                inst.state = Lifecycle::Draining;
                self.registry.deregister(id);
                self.instances[id as usize].heartbeat_epoch += 1;
                self.push_log(
                    Some(id),
                    "draining",
                    "deregistered; finishing its queue".to_string(),
                );
                if self.instances[id as usize].active() == 0 {
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

    pub(crate) fn stop(&mut self, id: u32) {
        let now = self.now_ns;
        let inst = &mut self.instances[id as usize];
        inst.state = Lifecycle::Stopped;
        inst.stopped_ns = Some(now);
        inst.heartbeat_epoch += 1;
        inst.queue = Default::default();
        self.alive.retain(|&a| a != id);
        self.registry.deregister(id);
        self.view_dirty = true;
        self.push_log(Some(id), "stopped", "stopped".to_string());
    }

    pub(crate) fn on_ready(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &mut self.instances[id as usize];
        if inst.epoch != epoch || inst.state != Lifecycle::Starting {
            return;
        }
        inst.state = Lifecycle::Ready;
        inst.ready_ns = now;
        inst.hc_healthy = true;
        inst.hc_streak = 0;
        inst.heartbeat_epoch += 1;
        let hb_epoch = inst.heartbeat_epoch;
        if self.balancer.is_none() {
            // Work may be waiting in the central queue.
            loop {
                let inst = &self.instances[id as usize];
                if inst.in_service >= inst.concurrency {
                    break;
                }
                let Some(request) = self.shared_queue.pop_front() else {
                    break;
                };
                self.start_service(id, request);
            }
            self.list_idle(id);
        }
        self.registry.register(id, now);
        self.schedule_lease(id, now, hb_epoch);
        if now > 0 {
            self.push_log(Some(id), "registered", "ready and registered".to_string());
        }
    }

    fn schedule_lease(&mut self, id: u32, now: u64, hb_epoch: u32) {
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

    pub(crate) fn on_heartbeat(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &self.instances[id as usize];
        if inst.heartbeat_epoch != epoch || inst.state == Lifecycle::Stopped {
            return;
        }
        let delivered = inst.state == Lifecycle::Ready && !inst.partitioned;
        match self.registry.heartbeat(id, now, delivered) {
            Beat::Renewed => {}
            Beat::Resumed => self.push_log(
                Some(id),
                "heartbeat",
                "heartbeat arrived again: up".to_string(),
            ),
            Beat::Reregistered => self.push_log(
                Some(id),
                "registered",
                "heartbeat from an evicted instance: registered again".to_string(),
            ),
            Beat::Missed { first: true } => {
                let why = if inst.partitioned {
                    "partitioned from the registry"
                } else {
                    "not responding"
                };
                self.push_log(
                    Some(id),
                    "missed",
                    format!("missed heartbeat ({why}): suspect"),
                );
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

    pub(crate) fn on_lease_expiry(&mut self, id: u32, renewed_ns: u64) {
        match self.registry.expire(id, renewed_ns, self.now_ns) {
            Expiry::Renewed => {}
            Expiry::Evicted => {
                let ttl = self.scenario.registry.ttl_s;
                self.push_log(
                    Some(id),
                    "evicted",
                    format!("lease expired (no heartbeat for {ttl} s): evicted"),
                );
            }
            Expiry::Preserved => {
                self.push_log(
                    Some(id),
                    "preserved",
                    "lease expired but self-preservation is on: kept".to_string(),
                );
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

    /// Applies a fault to instance `id` now (from the scenario or a click in the page).
    pub fn apply_fault(&mut self, id: u32, kind: FaultKind, factor: f64) {
        let now = self.now_ns;
        let Some(inst) = self.instances.get_mut(id as usize) else {
            self.push_log(
                None,
                "fault",
                format!("{kind:?} ignored: there is no instance {id}").to_lowercase(),
            );
            return;
        };
        if inst.state == Lifecycle::Stopped {
            self.push_log(
                Some(id),
                "fault",
                format!("{kind:?} ignored: instance {id} has stopped").to_lowercase(),
            );
            return;
        }
        match kind {
            FaultKind::Crash => {
                if inst.state == Lifecycle::Crashed {
                    return;
                }
                let lost = u64::from(inst.in_service) + inst.queue.len() as u64;
                inst.failed += lost;
                inst.queue.clear();
                inst.set_in_service(now, 0);
                inst.epoch += 1;
                let draining = inst.state == Lifecycle::Draining;
                inst.state = Lifecycle::Crashed;
                self.requests.failed += lost;
                self.window.failed += lost;
                self.push_log(
                    Some(id),
                    "crash",
                    format!("crashed: {lost} requests in it failed"),
                );
                if draining {
                    self.stop(id);
                }
            }
            FaultKind::Slow => {
                inst.slow_factor = factor;
                self.push_log(
                    Some(id),
                    "slow",
                    format!("slowed to {:.0}% of its capacity", factor * 100.0),
                );
            }
            FaultKind::Partition => {
                inst.partitioned = true;
                self.push_log(
                    Some(id),
                    "partition",
                    "partitioned: heartbeats lost, still serving".to_string(),
                );
            }
            FaultKind::Recover => {
                inst.slow_factor = 1.0;
                inst.partitioned = false;
                if inst.state == Lifecycle::Crashed {
                    inst.state = Lifecycle::Starting;
                    inst.epoch += 1;
                    let epoch = inst.epoch;
                    let startup = seconds_to_ns(self.scenario.instances.startup_s);
                    self.push_log(Some(id), "recover", "restarting".to_string());
                    if startup == 0 {
                        self.on_ready(id, epoch);
                    } else {
                        self.queue.schedule(
                            now + startup,
                            Event::Ready {
                                instance: id,
                                epoch,
                            },
                        );
                    }
                } else {
                    self.push_log(Some(id), "recover", "recovered".to_string());
                }
            }
        }
    }

    // ---- balancer-side health ------------------------------------------------------------

    /// Removes what the balancer's own health knowledge excludes. Like Envoy's panic threshold
    /// (50 %), when fewer than half of the discovered instances are healthy the balancer
    /// ignores health and uses them all.
    pub(crate) fn filter_balancer_side(&self, base: Vec<u32>) -> Vec<u32> {
        let healthy: Vec<u32> = base
            .iter()
            .copied()
            .filter(|&id| {
                let inst = &self.instances[id as usize];
                inst.hc_healthy && !inst.ejected
            })
            .collect();
        if healthy.len() * 2 < base.len() {
            base
        } else {
            healthy
        }
    }

    pub(crate) fn record_success(&mut self, id: u32) {
        self.instances[id as usize].consecutive_failures = 0;
    }

    /// Envoy outlier detection (consecutive_5xx): the n-th consecutive failure ejects the
    /// host for base × (times ejected), unless `max_ejection_pct` of hosts are already out
    /// (at least one host may always be ejected, as in Envoy).
    pub(crate) fn record_failure(&mut self, id: u32) {
        let Some(od) = self.scenario.balancer.outlier_detection.clone() else {
            return;
        };
        let inst = &mut self.instances[id as usize];
        inst.consecutive_failures += 1;
        if inst.ejected || inst.consecutive_failures < od.consecutive_failures {
            return;
        }
        let ejected_now = self
            .alive
            .iter()
            .filter(|&&a| self.instances[a as usize].ejected)
            .count();
        let hosts = self.alive.len().max(1);
        let allowed = ((hosts * od.max_ejection_pct as usize) / 100).max(1);
        if ejected_now >= allowed {
            return;
        }
        let inst = &mut self.instances[id as usize];
        inst.ejected = true;
        inst.ejections += 1;
        inst.consecutive_failures = 0;
        let ejection = inst.ejections;
        let duration = od.base_ejection_s * f64::from(ejection);
        self.queue.schedule(
            self.now_ns + seconds_to_ns(duration),
            Event::Unejection {
                instance: id,
                ejection,
            },
        );
        self.view_dirty = true;
        self.push_log(
            Some(id),
            "ejected",
            format!(
                "{} consecutive failures: ejected for {duration} s",
                od.consecutive_failures
            ),
        );
    }

    pub(crate) fn on_unejection(&mut self, id: u32, ejection: u32) {
        let inst = &mut self.instances[id as usize];
        if inst.ejected && inst.ejections == ejection {
            inst.ejected = false;
            self.view_dirty = true;
            if inst.state != Lifecycle::Stopped {
                self.push_log(
                    Some(id),
                    "unejected",
                    "ejection time over: back in the balancer's set".to_string(),
                );
            }
        }
    }

    /// Active health checks: every interval each live instance is probed; a host's state flips
    /// only after `unhealthy_threshold` (or `healthy_threshold`) consecutive contrary results.
    pub(crate) fn on_health_check(&mut self) {
        let Some(hc) = self.scenario.balancer.health_check.clone() else {
            return;
        };
        let ids = self.alive.clone();
        for id in ids {
            let inst = &mut self.instances[id as usize];
            let passed = matches!(inst.state, Lifecycle::Ready);
            if passed == inst.hc_healthy {
                inst.hc_streak = 0;
                continue;
            }
            inst.hc_streak += 1;
            let needed = if inst.hc_healthy {
                hc.unhealthy_threshold
            } else {
                hc.healthy_threshold
            };
            if inst.hc_streak >= needed {
                inst.hc_healthy = passed;
                inst.hc_streak = 0;
                self.view_dirty = true;
                let text = if passed {
                    format!("{needed} health checks passed: healthy")
                } else {
                    format!("{needed} health checks failed: unhealthy")
                };
                self.push_log(Some(id), if passed { "healthy" } else { "unhealthy" }, text);
            }
        }
    }

    // ---- autoscaling ---------------------------------------------------------------------

    pub(crate) fn on_autoscale(&mut self) {
        let Some(mut autoscaler) = self.autoscaler.take() else {
            return;
        };
        let now = self.now_ns;
        let window_ns = now.saturating_sub(self.last_sync_ns).max(1);
        let capacity = self.scenario.instances.capacity_rps;
        let mut pods = Vec::new();
        for &id in &self.alive {
            let inst = &mut self.instances[id as usize];
            let busy = inst.busy_area_ns(now);
            let delta = busy - inst.busy_at_sync.min(busy);
            inst.busy_at_sync = busy;
            if !inst.state.is_member() {
                continue;
            }
            let request_milli = ((inst.rate_rps(capacity) / inst.slow_factor) * 1000.0)
                .round()
                .max(1.0) as u64;
            let busy_fraction = delta as f64 / (window_ns as f64 * f64::from(inst.concurrency));
            // As Kubernetes' groupPods does for CPU within a pod's initialization period: a
            // pod that became ready during the metric window has a sample that mixes start-up
            // time in, so it counts as unready and its sample is dropped.
            let fresh = inst.ready_ns > self.last_sync_ns;
            let (state, usage) = match inst.state {
                Lifecycle::Ready if !fresh => (
                    PodState::Ready,
                    Some((busy_fraction * request_milli as f64).round() as u64),
                ),
                _ => (PodState::Unready, None),
            };
            pods.push(PodMetric {
                state,
                usage_milli: usage,
                request_milli,
            });
        }
        let arrivals = self.requests.arrived - self.arrivals_at_sync;
        let observation = Observation {
            now_s: self.now_s(),
            current_replicas: self.members(),
            offered_rps: self.workload.rate_rps,
            measured_rps: arrivals as f64 / (window_ns as f64 / NS as f64),
            capacity_rps: capacity,
            pods: &pods,
        };
        let decision = autoscaler.reconcile(&observation);
        let current = observation.current_replicas;
        self.arrivals_at_sync = self.requests.arrived;
        self.last_sync_ns = now;
        self.autoscaler = Some(autoscaler);
        if decision.desired_replicas != current {
            self.scale_to(decision.desired_replicas, Some(decision.reason));
        } else {
            self.push_log(
                None,
                "autoscaler",
                format!("keep {current}: {}", decision.reason),
            );
        }
    }
}

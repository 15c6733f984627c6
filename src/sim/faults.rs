//! Faults, from the scenario or a click in the page: a crash loses the requests inside the
//! instance (they fail) and stops its heartbeats; slow scales its capacity; a partition loses
//! its heartbeats while it keeps serving; recover undoes any of them (a crashed instance
//! restarts, taking `startup_s`).

use crate::registry::seconds_to_ns;
use crate::scenario::FaultKind;

use super::{Event, Lifecycle, LogEvent, Simulation};

impl Simulation {
    /// Applies a fault to instance `id` now.
    pub fn apply_fault(&mut self, id: u32, kind: FaultKind, factor: f64) {
        let now = self.now_ns;
        let exists = self
            .fleet
            .instances
            .get(id as usize)
            .is_some_and(|i| i.state != Lifecycle::Stopped);
        if exists {
            self.mark_change();
        }
        let Some(inst) = self.fleet.get_mut(id) else {
            self.push_log(
                None,
                LogEvent::FaultIgnored {
                    fault: kind,
                    missing: true,
                },
            );
            return;
        };
        if inst.state == Lifecycle::Stopped {
            self.push_log(
                Some(id),
                LogEvent::FaultIgnored {
                    fault: kind,
                    missing: false,
                },
            );
            return;
        }
        match kind {
            FaultKind::Crash => {
                if inst.state == Lifecycle::Crashed {
                    return;
                }
                let lost = u64::from(inst.active());
                inst.failed += lost;
                inst.queue.clear();
                if let Some(r) = inst.llm.as_mut() {
                    // GPU memory is gone: the batch, the waiting queue and the cache.
                    r.shut_down(now);
                    inst.held = 0;
                    inst.kv_full = false;
                }
                inst.set_in_service(now, 0);
                inst.epoch += 1;
                let draining = inst.state == Lifecycle::Draining;
                inst.state = Lifecycle::Crashed;
                self.stats.requests.failed += lost;
                self.stats.window.failed += lost;
                self.push_log(Some(id), LogEvent::Crashed { lost });
                if draining {
                    self.stop(id);
                }
            }
            FaultKind::Slow => {
                inst.slow_factor = factor;
                self.push_log(Some(id), LogEvent::Slowed { factor });
            }
            FaultKind::Partition => {
                inst.partitioned = true;
                self.push_log(Some(id), LogEvent::Partitioned);
            }
            FaultKind::Recover => {
                inst.slow_factor = 1.0;
                inst.partitioned = false;
                if inst.state == Lifecycle::Crashed {
                    inst.state = Lifecycle::Starting;
                    inst.epoch += 1;
                    let epoch = inst.epoch;
                    let startup = seconds_to_ns(self.scenario.instances.startup_s);
                    self.push_log(Some(id), LogEvent::Restarting);
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
                    self.push_log(Some(id), LogEvent::Recovered);
                }
            }
        }
    }
}

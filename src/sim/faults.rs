//! Faults, from the scenario or a click in the page: a crash resets the requests inside the
//! instance (they fail, or are retried) and stops its heartbeats; slow scales its capacity; a partition loses
//! its heartbeats while it keeps serving; recover undoes any of them (a crashed instance
//! restarts, taking `startup_s`).

use super::clock;
use crate::balance::Failure;
use crate::scenario::FaultKind;

use super::{Event, Lifecycle, LogEvent, Simulation};

impl Simulation {
    /// Applies a fault to instance `id` now.
    pub fn apply_fault(&mut self, id: u32, kind: FaultKind, factor: f64) {
        let now = self.now_ns;
        let exists = self
            .fleet
            .get(id)
            .is_some_and(|i| i.state != Lifecycle::Stopped);
        if exists {
            self.mark_change();
        }
        if !self.fleet.ever_existed(id) {
            self.push_log(
                None,
                LogEvent::FaultIgnored {
                    fault: kind,
                    missing: true,
                },
            );
            return;
        }
        // A stopped instance may have been forgotten already: it reads as stopped.
        let inst = &mut self.fleet[id];
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
                // Its connections are reset: every request inside whose client still waits
                // fails now (or is retried, as `retry_on` says).
                let lost = inst.lose_all();
                inst.failed += lost.len() as u64;
                // A model server's sequences live in its replica, and go with the GPU's memory
                // (the batch, the waiting queue and the cache). They fail and are not retried
                // (a simplification: a web request lost in a crash follows `retry_on`; a
                // streamed response that had started would not be retried by Envoy either).
                let lost_llm = match inst.llm.as_mut() {
                    Some(r) => {
                        let n = u64::from(r.shut_down(now));
                        inst.held = 0;
                        inst.kv_full = false;
                        n
                    }
                    None => 0,
                };
                inst.failed += lost_llm;
                inst.set_in_service(now, 0);
                inst.epoch += 1;
                let leaving = matches!(inst.state, Lifecycle::Draining | Lifecycle::Terminating);
                inst.state = Lifecycle::Crashed;
                self.push_log(
                    Some(id),
                    LogEvent::Crashed {
                        lost: lost.len() as u64 + lost_llm,
                    },
                );
                self.stats.requests.failed += lost_llm;
                self.stats.window.failed += lost_llm;
                if leaving {
                    self.stop(id);
                }
                for request in lost {
                    self.attempt_failed(id, request, None, Failure::Reset);
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
                    let startup = clock::to_ns(self.scenario.instances.startup_s);
                    self.push_log(Some(id), LogEvent::Restarting);
                    if startup == 0 {
                        self.on_ready(id, epoch);
                    } else {
                        self.schedule_in(
                            startup,
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

//! Rewinding: a run with checkpoints. A `Replay` keeps copies of the simulation taken as it
//! runs and goes back to any earlier moment by restoring the last copy before it and
//! simulating forward again — the run is deterministic, so the fleet, the charts and the log
//! come back exactly as they were. Changes made after a rewind start a new future: copies
//! taken after that moment are dropped, while the changes recorded later in the old future
//! stay part of the run (they are in its description).
//!
//! Copies are taken every `EVENTS_PER_CHECKPOINT` events, so a rewind re-simulates a bounded
//! amount of work at any fleet size, and sooner, after `SECONDS_PER_CHECKPOINT` simulated
//! seconds, when enough events have passed to pay for the copy: at least one per
//! `BYTES_PER_EVENT` bytes of the last copy. Copying costs time in proportion to its bytes
//! (in wasm about as much as simulating one event per 33 bytes: 1.5 ms for a 0.5 MB copy of
//! five instances, whose histograms, charts and log are most of it, against 100 ns an event),
//! so the rule keeps copies under about 6 % of the work. With a copy every 30 s whatever the
//! rate, five instances at 450 requests/s spent a third of their time copying. When the
//! copies' estimated memory passes `MEMORY_BUDGET`, every other copy between the first (t = 0)
//! and the newest is dropped. The newest always stays: dropping it would make the next copy
//! due at once, and at 100,000 instances (two copies already past the budget) the run would
//! copy itself after every event.

use super::clock;
use crate::error::Error;
use crate::scenario::FaultKind;

use super::{Breakpoints, Event, Simulation, Stop};

const EVENTS_PER_CHECKPOINT: u64 = 1_000_000;
const SECONDS_PER_CHECKPOINT: u64 = 30;
const MEMORY_BUDGET: usize = 64 << 20;
const BYTES_PER_EVENT: u64 = 2;

#[derive(Clone)]
struct Checkpoint {
    sim: Simulation,
    /// Recorded faults and edits when the copy was taken (later ones must be rescheduled).
    faults: usize,
    edits: usize,
    bytes: usize,
}

impl Checkpoint {
    /// The earliest time, and the least events processed, at which the next copy is due
    /// before its `EVENTS_PER_CHECKPOINT` (both must be reached).
    fn due(&self) -> (u64, u64) {
        (
            self.sim.now_ns + SECONDS_PER_CHECKPOINT * 1_000_000_000,
            self.sim.events_processed() + self.bytes as u64 / BYTES_PER_EVENT,
        )
    }
}

pub struct Replay {
    sim: Simulation,
    checkpoints: Vec<Checkpoint>,
    /// Copies taken so far (tests check the pace).
    copies: u64,
    memory_budget: usize,
    /// The furthest time this run's present timeline has reached.
    horizon_ns: u64,
}

impl Replay {
    pub fn new(sim: Simulation) -> Replay {
        let first = Checkpoint {
            faults: sim.scenario.faults.len(),
            edits: sim.scenario.edits.len(),
            bytes: sim.approx_bytes(),
            sim: sim.clone(),
        };
        Replay {
            horizon_ns: sim.now_ns,
            sim,
            checkpoints: vec![first],
            copies: 1,
            memory_budget: MEMORY_BUDGET,
        }
    }

    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    /// The furthest simulated time reached (the end of the time slider).
    pub fn horizon_ns(&self) -> u64 {
        self.horizon_ns
    }

    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Runs forward, as `Simulation::advance_until`, taking copies on the way.
    pub fn advance_until(
        &mut self,
        target_ns: u64,
        max_events: u64,
        breakpoints: Breakpoints,
    ) -> Stop {
        let mut left = max_events;
        loop {
            let last = self.checkpoints.last().expect("the first copy stays");
            let (step_target, budget) = if self.sim.now_ns < last.sim.now_ns {
                // Replaying a stretch that already has its copies.
                (target_ns.min(last.sim.now_ns), left)
            } else {
                // Stop where a copy may fall due: at the copy period's end, then (if too few
                // events had passed by then) after the events that pay for the copy.
                let (time_due, events_due) = last.due();
                let bound = last.sim.events_processed() + EVENTS_PER_CHECKPOINT;
                let done = self.sim.events_processed();
                if self.sim.now_ns < time_due {
                    (
                        target_ns.min(time_due),
                        left.min(bound.saturating_sub(done).max(1)),
                    )
                } else {
                    let events = events_due.min(bound).saturating_sub(done).max(1);
                    (target_ns, left.min(events))
                }
            };
            let before = self.sim.events_processed();
            let stop = self.sim.advance_until(step_target, budget, breakpoints);
            left -= self.sim.events_processed() - before;
            self.horizon_ns = self.horizon_ns.max(self.sim.now_ns);
            self.maybe_checkpoint();
            match stop {
                Stop::Reached if step_target == target_ns => return Stop::Reached,
                Stop::Breakpoint { .. } => return stop,
                _ if left == 0 => return Stop::Budget,
                _ => {}
            }
        }
    }

    fn maybe_checkpoint(&mut self) {
        let last = self.checkpoints.last().expect("the first copy stays");
        let (time_due, events_due) = last.due();
        let events = self.sim.events_processed();
        let due = events >= last.sim.events_processed() + EVENTS_PER_CHECKPOINT
            || (self.sim.now_ns >= time_due && events >= events_due);
        if !due || self.sim.now_ns <= last.sim.now_ns {
            return;
        }
        self.checkpoints.push(Checkpoint {
            faults: self.sim.scenario.faults.len(),
            edits: self.sim.scenario.edits.len(),
            bytes: self.sim.approx_bytes(),
            sim: self.sim.clone(),
        });
        self.copies += 1;
        while self.checkpoints.len() > 2
            && self.checkpoints.iter().map(|c| c.bytes).sum::<usize>() > self.memory_budget
        {
            let newest = self.checkpoints.len() - 1;
            let mut i = 0;
            self.checkpoints.retain(|_| {
                let keep = i == 0 || i == newest || i % 2 == 0;
                i += 1;
                keep
            });
        }
    }

    /// Goes to simulated time `t_ns` (at most the horizon): backwards by restoring the last
    /// copy before it, then forwards. Returns true once there; false when `max_events` ran out
    /// first (call again to continue).
    pub fn seek(&mut self, t_ns: u64, max_events: u64) -> bool {
        let t_ns = t_ns.min(self.horizon_ns);
        if t_ns < self.sim.now_ns {
            let i = self
                .checkpoints
                .iter()
                .rposition(|c| c.sim.now_ns <= t_ns)
                .unwrap_or(0);
            self.restore(i);
        }
        let horizon = self.horizon_ns;
        let reached = self.advance_until(t_ns, max_events, Breakpoints::NONE) == Stop::Reached;
        self.horizon_ns = horizon.max(self.sim.now_ns);
        reached
    }

    /// The simulation as it was at copy `i`, with the changes recorded since then put back
    /// on its schedule.
    fn restore(&mut self, i: usize) {
        let cp = &self.checkpoints[i];
        let mut sim = cp.sim.clone();
        sim.scenario.faults = self.sim.scenario.faults.clone();
        sim.scenario.edits = self.sim.scenario.edits.clone();
        for (index, f) in sim.scenario.faults.iter().enumerate().skip(cp.faults) {
            sim.queue.schedule(
                clock::to_ns(f.at_s),
                Event::Fault {
                    index: index as u32,
                },
            );
        }
        for (index, e) in sim.scenario.edits.iter().enumerate().skip(cp.edits) {
            sim.queue.schedule(
                clock::to_ns(e.at_s),
                Event::Edit {
                    index: index as u32,
                },
            );
        }
        self.sim = sim;
    }

    /// A change made now branches the run: copies from later moments belong to the old future.
    fn branch(&mut self) {
        let now = self.sim.now_ns;
        self.checkpoints.retain(|c| c.sim.now_ns <= now);
        self.horizon_ns = now;
    }

    /// `Simulation::edit`, on the present timeline.
    pub fn edit(&mut self, path: &str, value: serde_json::Value) -> Result<(), Error> {
        let result = self.sim.edit(path, value);
        if result.is_ok() {
            self.branch();
        }
        result
    }

    /// `Simulation::fault`, on the present timeline.
    pub fn fault(&mut self, id: f64, kind: FaultKind, factor: f64) -> Result<(), Error> {
        let result = self.sim.fault(id, kind, factor);
        if result.is_ok() {
            self.branch();
        }
        result
    }

    /// Any other change through the simulation itself (its setters are edits too).
    pub fn change<T>(
        &mut self,
        f: impl FnOnce(&mut Simulation) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = f(&mut self.sim);
        if result.is_ok() {
            self.branch();
        }
        result
    }
}

impl Simulation {
    /// A rough size of this simulation in memory, for the rewind's copy budget.
    pub(super) fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let queued: usize = self
            .fleet
            .alive
            .iter()
            .map(|&id| self.fleet[id].queue.len())
            .sum();
        // Model servers: their sequences and the runs of their KV caches.
        let llm: usize = self
            .fleet
            .records()
            .filter_map(|i| i.llm.as_ref())
            .map(|r| {
                size_of::<crate::serving::Replica>()
                    + r.len() * size_of::<crate::serving::Seq>()
                    + r.kv.entries() * 48
                    + r.history.len() * size_of::<crate::serving::HistorySample>()
            })
            .sum();
        let picks = self
            .picks
            .as_ref()
            .map_or(0, |p| p.len() * (128 + self.discovery.view.len() * 96));
        let n = self.fleet.kept();
        let b = &self.scenario.balancer;
        let balancer = match b.algorithm {
            crate::scenario::Algorithm::RingHash => {
                (self.discovery.view.len() * b.points_per_instance as usize).min(1 << 21) * 12
            }
            crate::scenario::Algorithm::Maglev => b.table_size as usize * 8,
            // Per endpoint: the prefix index's runs, or the tree's prompts.
            crate::scenario::Algorithm::EndpointPicker | crate::scenario::Algorithm::CacheAware => {
                self.discovery.view.len()
                    * ((self.scenario.traffic.prefix.groups as usize).min(1 << 16) * 64 + 64 * 1024)
            }
            _ => self.discovery.view.len() * 16,
        };
        let histograms = self.stats.latency.heap_bytes()
            + self.stats.window.latency.heap_bytes()
            + self.serving.as_ref().map_or(0, |s| s.heap_bytes());
        n * (size_of::<super::Instance>() + 48)
            + histograms
            + queued * size_of::<super::Request>()
            + self.queue.len() * 64
            + self.stats.timeline.len() * size_of::<crate::metrics::Sample>()
            + self.log.len() * 160
            + self.scenario.instances.overrides.len() * 16 * 2
            + balancer
            + llm
            + picks
            + 64 * 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// The copy at t = 0, then at most one per EVENTS_PER_CHECKPOINT events (or 30 s).
    fn at_most(r: &Replay) -> u64 {
        2 + r.sim().events_processed() / EVENTS_PER_CHECKPOINT + r.sim().now_ns / 30_000_000_000
    }

    fn advance(r: &mut Replay, events: u64) {
        let stop = r.advance_until(u64::MAX, events, Breakpoints::default());
        assert_eq!(stop, Stop::Budget);
        let taken = r.sim().events_processed();
        assert!(
            r.copies <= at_most(r),
            "{} copies after {taken} events",
            r.copies
        );
    }

    #[test]
    fn a_copy_waits_for_the_events_that_pay_for_it_and_at_most_a_million() {
        // Five instances at 450/s: 30 s is about 27,000 events, fewer than a copy's bytes / 2.
        let scenario =
            Scenario::from_json(r#"{"duration_s": 100000, "traffic": {"rate_rps": 450}}"#).unwrap();
        let mut replay = Replay::new(Simulation::new(scenario).unwrap());
        replay.advance_until(3_000 * 1_000_000_000, u64::MAX, Breakpoints::NONE);
        let spans: Vec<(u64, u64, u64)> = replay
            .checkpoints
            .windows(2)
            .map(|w| {
                let (a, b) = (&w[0], &w[1]);
                let events = b.sim.events_processed() - a.sim.events_processed();
                (events, b.sim.now_ns - a.sim.now_ns, a.bytes as u64)
            })
            .collect();
        assert!(spans.len() >= 5, "{} copies in 3,000 s", spans.len());
        for &(events, ns, bytes) in &spans {
            assert!(
                ns >= SECONDS_PER_CHECKPOINT * 1_000_000_000,
                "{ns} ns apart"
            );
            assert!(
                events >= bytes / BYTES_PER_EVENT || events >= EVENTS_PER_CHECKPOINT,
                "{events} events paid for a copy of {bytes} bytes"
            );
            assert!(
                events > 30_000,
                "more than 30 s of events ({events}): a copy every 30 s was the old pace"
            );
        }
        // Not much later than due: one event past bytes / 2, or within the next 30 s.
        for &(events, _, bytes) in &spans {
            assert!(
                events <= bytes / BYTES_PER_EVENT + 30 * 1_000,
                "{events} events"
            );
        }
    }

    #[test]
    fn a_copy_too_big_to_pay_for_still_comes_every_million_events() {
        // 10,000 instances at 100 requests/s: 30 s pass long before a million events (mostly
        // heartbeats), and a copy's bytes / 2 is more than a million.
        let scenario = Scenario::from_json(
            r#"{"duration_s": 100000, "traffic": {"rate_rps": 100},
                "instances": {"count": 10000}}"#,
        )
        .unwrap();
        let mut replay = Replay::new(Simulation::new(scenario).unwrap());
        assert!(replay.checkpoints[0].bytes as u64 / BYTES_PER_EVENT > EVENTS_PER_CHECKPOINT);
        replay.advance_until(u64::MAX, 2 * EVENTS_PER_CHECKPOINT + 10, Breakpoints::NONE);
        let taken: Vec<u64> = replay
            .checkpoints
            .iter()
            .map(|c| c.sim.events_processed())
            .collect();
        assert_eq!(taken.len(), 3, "copies at {taken:?}");
        for w in taken.windows(2) {
            assert!(w[1] - w[0] <= EVENTS_PER_CHECKPOINT, "copies at {taken:?}");
        }
    }

    #[test]
    fn over_the_memory_budget_the_newest_copy_stays_and_copies_keep_their_pace() {
        // Every copy is over a budget of one byte, as copies of 100,000 instances are over
        // 64 MB.
        let scenario =
            Scenario::from_json(r#"{"duration_s": 100000, "traffic": {"rate_rps": 450}}"#).unwrap();
        let mut replay = Replay::new(Simulation::new(scenario).unwrap());
        replay.memory_budget = 1;
        // Past the third copy (where thinning first drops one), then event by event: a copy per
        // event shows at once instead of running for minutes.
        advance(&mut replay, 2 * EVENTS_PER_CHECKPOINT + 10);
        for _ in 0..100 {
            advance(&mut replay, 1);
        }
        advance(
            &mut replay,
            EVENTS_PER_CHECKPOINT + EVENTS_PER_CHECKPOINT / 2,
        );
        let taken = replay.sim().events_processed();
        assert_eq!(replay.checkpoints(), 2, "the first and the newest");
        let newest = &replay.checkpoints.last().unwrap().sim;
        assert!(
            newest.events_processed() + EVENTS_PER_CHECKPOINT > taken,
            "the newest copy ({} events) is within one period of now ({taken})",
            newest.events_processed()
        );
    }
}

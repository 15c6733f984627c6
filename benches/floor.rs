//! The floor: the least work a simulator of fleetlab's base model does per request, the
//! measuring stick that `make bench` holds the engine against (issue "Fast at every size").
//!
//! The model is fleetlab's default scenario reduced to its core: Poisson arrivals at rate L,
//! each routed on arrival to one of N instances (round robin; random; power of two choices as
//! Envoy's `LEAST_REQUEST`, two draws with replacement where only strictly fewer active requests
//! beats the first; least connections by a linear scan, ties to the lowest index), and each
//! instance one server with an unbounded FIFO queue and exponential service of mean 1/C.
//! Everything else fleetlab does (registry and discovery view, histograms and time series,
//! lifecycles, faults, autoscaling, dynamic dispatch) is left out, and what is left is done the
//! cheapest obvious way: one binary heap of 16-byte entries (time in ns, and a sequence number
//! and the instance packed into one u64 so simultaneous events leave first in, first out as
//! fleetlab's do), one queue of arrival times per instance whose head is the request in service,
//! and three counters. Randomness is fleetlab's own (`SimRng::exponential`, a ziggurat,
//! `SimRng::below`), so the arithmetic per draw is the same and the gap between the two is the
//! price of fleetlab's features and layout, not of a cheaper sampler. That is why it is the
//! floor: no faithful simulator of this model can skip any of the work done here.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use fleetlab::rng::SimRng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    Random,
    PowerOfTwo,
    LeastConnections,
}

impl Algorithm {
    /// fleetlab's name for the same balancer (`balancer.algorithm`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RoundRobin => "round_robin",
            Algorithm::Random => "random",
            Algorithm::PowerOfTwo => "power_of_two",
            Algorithm::LeastConnections => "least_connections",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub arrived: u64,
    pub completed: u64,
    /// Sum of the completed requests' time in system.
    pub latency_sum_ns: u64,
}

/// Low bits of an event's key: the instance whose request completes, or `ARRIVAL`.
const INSTANCE_BITS: u32 = 24;
const ARRIVAL: u64 = (1 << INSTANCE_BITS) - 1;

/// A min-heap of (time, sequence << INSTANCE_BITS | instance).
struct Events {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    seq: u64,
}

impl Events {
    #[inline]
    fn schedule(&mut self, t_ns: u64, who: u64) {
        self.heap
            .push(Reverse((t_ns, self.seq << INSTANCE_BITS | who)));
        self.seq += 1;
    }

    #[inline]
    fn pop(&mut self) -> Option<(u64, u64)> {
        let Reverse((t, key)) = self.heap.pop()?;
        Some((t, key & ARRIVAL))
    }
}

/// Simulates `duration_s` seconds from an empty fleet (events at exactly the end still happen).
pub fn run(
    instances: u32,
    rate_rps: f64,
    capacity_rps: f64,
    duration_s: f64,
    seed: u64,
    algorithm: Algorithm,
) -> Outcome {
    assert!(instances >= 1 && u64::from(instances) < ARRIVAL);
    let n = instances as usize;
    let end_ns = (duration_s * 1e9) as u64;
    let (gap_mean_s, service_mean_s) = (1.0 / rate_rps, 1.0 / capacity_rps);
    let mut rng = SimRng::seed(seed);
    // As fleetlab: at least 1 ns between arrivals so that time moves forward.
    let gap = |rng: &mut SimRng| ((rng.exponential(gap_mean_s) * 1e9) as u64).max(1);
    let service = |rng: &mut SimRng| (rng.exponential(service_mean_s) * 1e9) as u64;

    let mut events = Events {
        heap: BinaryHeap::with_capacity(n + 1),
        seq: 0,
    };
    let mut queues: Vec<VecDeque<u64>> = vec![VecDeque::new(); n];
    let mut next_rr = 0;
    let mut out = Outcome {
        arrived: 0,
        completed: 0,
        latency_sum_ns: 0,
    };
    events.schedule(gap(&mut rng), ARRIVAL);
    while let Some((now, who)) = events.pop() {
        if now > end_ns {
            break;
        }
        if who == ARRIVAL {
            out.arrived += 1;
            events.schedule(now + gap(&mut rng), ARRIVAL);
            let i = match algorithm {
                Algorithm::RoundRobin => {
                    let i = next_rr;
                    next_rr = if i + 1 == n { 0 } else { i + 1 };
                    i
                }
                Algorithm::Random => rng.below(instances) as usize,
                Algorithm::PowerOfTwo => {
                    let first = rng.below(instances) as usize;
                    let second = rng.below(instances) as usize;
                    if queues[second].len() < queues[first].len() {
                        second
                    } else {
                        first
                    }
                }
                Algorithm::LeastConnections => (0..n).min_by_key(|&i| queues[i].len()).unwrap_or(0),
            };
            let queue = &mut queues[i];
            queue.push_back(now);
            if queue.len() == 1 {
                events.schedule(now + service(&mut rng), i as u64);
            }
        } else {
            let queue = &mut queues[who as usize];
            let arrived_ns = queue
                .pop_front()
                .expect("a completion has its request in service");
            out.completed += 1;
            out.latency_sum_ns += now - arrived_ns;
            if !queue.is_empty() {
                events.schedule(now + service(&mut rng), who);
            }
        }
    }
    out
}

//! Envoy's `LEAST_REQUEST` policy (`least_request_lb.cc`), whose default is the "power of two
//! choices" of Mitzenmacher ("The Power of Two Choices in Randomized Load Balancing", 1996/2001):
//! sampling just two instances at random and sending the request to the less loaded one cuts the
//! maximum load of n requests on n servers from Θ(log n / log log n) (one random choice) to
//! Θ(log log n), and in the queueing ("supermarket") model makes queue lengths fall off doubly
//! exponentially. That is nearly as good as a full scan at O(1) cost, and far less herd-prone
//! than "pick the global minimum" when load reports are stale.
//!
//! Equal weights (Envoy's `unweightedHostPickNChoices`): `choice_count` (default 2) indices are
//! drawn uniformly *with replacement* (`random() % hosts.size()` each time, so both draws can hit
//! the same host), and the first drawn is replaced only by a later draw with strictly fewer active
//! requests, so the first draw wins ties.
//!
//! Unequal weights (Envoy's `EdfLoadBalancerBase` + `hostWeight`): an earliest-deadline-first
//! schedule where each host's effective weight is `weight / (active + 1)^bias`, bias 1.0 (the
//! default `active_request_bias`). A pick pops the entry with the earliest deadline (FIFO among
//! equal deadlines), advances the scheduler clock to that deadline and re-inserts the host at
//! `clock + 1 / effective weight`, the effective weight read at pick time. Only the picked host is
//! re-weighted, so a busy host is slowed down over its next turns rather than skipped at once;
//! hosts never fully drain, unlike P2C. Simplifications: the schedule is rebuilt from the plain
//! weights on every endpoint change (Envoy uses the active counts of that moment, which
//! `set_endpoints` does not see) and without Envoy's random pre-picks that de-synchronise many
//! proxies; slow start is not modelled.
//!
//! With equal weights the next pick's first two draws are named in advance (`likely_next`, made
//! on a copy of the generator), so that the simulation can fetch both instances' records before
//! the request comes: at 100,000 instances those two reads were a third of the run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::common::weight;
use super::{Balancer, Endpoint, Likely, LoadView};
use crate::rng::SimRng;

#[derive(Debug, Clone)]
pub struct PowerOfTwo {
    choice_count: u32,
    len: usize,
    weights: Vec<f64>,
    /// Present only when the weights differ (Envoy builds no scheduler for equal weights).
    edf: Option<Edf>,
}

impl PowerOfTwo {
    /// `choice_count` hosts are sampled per pick (Envoy's default is 2; 0 is treated as 1).
    pub fn new(choice_count: u32) -> Self {
        PowerOfTwo {
            choice_count: choice_count.max(1),
            len: 0,
            weights: Vec::new(),
            edf: None,
        }
    }
}

impl Balancer for PowerOfTwo {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.len = endpoints.len();
        self.weights = endpoints
            .iter()
            .map(|e| f64::from(weight(e.weight)))
            .collect();
        let equal = endpoints
            .windows(2)
            .all(|w| weight(w[0].weight) == weight(w[1].weight));
        self.edf = if equal {
            None
        } else {
            Some(Edf::new(&self.weights))
        };
    }

    fn pick(
        &mut self,
        _key: u64,
        load: &dyn LoadView,
        rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        if let Some(edf) = &mut self.edf {
            let weights = &self.weights;
            // bias 1.0: weight / (active + 1), Envoy's fast path for the default bias.
            return Some(edf.pick_and_add(|i| weights[i] / (f64::from(load.active(i)) + 1.0)));
        }
        let n = self.len as u32;
        let mut candidate = rng.below(n) as usize;
        let mut candidate_active = load.active(candidate);
        for _ in 1..self.choice_count {
            let sampled = rng.below(n) as usize;
            let active = load.active(sampled);
            if active < candidate_active {
                candidate = sampled;
                candidate_active = active;
            }
        }
        Some(candidate)
    }

    /// The next pick's first two draws, made on a copy of the generator (equal weights).
    fn likely_next(&self, rng: &SimRng) -> Likely {
        if self.len == 0 || self.edf.is_some() {
            return [None; 2];
        }
        let n = self.len as u32;
        let mut ahead = rng.clone();
        [Some(ahead.below(n) as usize), Some(ahead.below(n) as usize)]
    }
}

/// Envoy's `EdfScheduler`: a min-heap of (deadline, insertion order) with a virtual clock.
#[derive(Debug, Clone)]
struct Edf {
    clock: f64,
    order: u64,
    heap: BinaryHeap<EdfEntry>,
}

#[derive(Debug, Clone, Copy)]
struct EdfEntry {
    deadline: f64,
    order: u64,
    index: usize,
}

impl Ord for EdfEntry {
    // Reversed so that std's max-heap pops the earliest deadline, then the earliest insertion.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .deadline
            .total_cmp(&self.deadline)
            .then(other.order.cmp(&self.order))
    }
}
impl PartialOrd for EdfEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for EdfEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for EdfEntry {}

impl Edf {
    fn new(weights: &[f64]) -> Self {
        let mut edf = Edf {
            clock: 0.0,
            order: 0,
            heap: BinaryHeap::with_capacity(weights.len()),
        };
        for (i, &w) in weights.iter().enumerate() {
            edf.add(i, w);
        }
        edf
    }

    fn add(&mut self, index: usize, weight: f64) {
        let deadline = self.clock + 1.0 / weight;
        self.heap.push(EdfEntry {
            deadline,
            order: self.order,
            index,
        });
        self.order += 1;
    }

    fn pick_and_add(&mut self, weight_now: impl Fn(usize) -> f64) -> usize {
        let top = self.heap.pop().expect("an entry per endpoint");
        self.clock = top.deadline;
        self.add(top.index, weight_now(top.index));
        top.index
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{assert_binomial, weighted, Loads};
    use super::*;

    fn eps(weights: &[u32]) -> Vec<Endpoint> {
        weighted(0, weights)
    }

    #[test]
    fn the_hint_is_the_next_picks_two_draws() {
        let mut b = PowerOfTwo::new(2);
        b.set_endpoints(&eps(&[1; 1000]));
        let loads = Loads((0..1000).map(|i| (i * 7919 % 13) as u32).collect());
        let mut rng = SimRng::seed(5);
        for _ in 0..10_000 {
            let [Some(first), Some(second)] = b.likely_next(&rng) else {
                panic!("two hints with equal weights");
            };
            let want = if loads.0[second] < loads.0[first] {
                second
            } else {
                first
            };
            assert_eq!(b.pick(0, &loads, &mut rng, 0), Some(want));
        }
        // Unequal weights pick by a schedule, not by draws: no hint.
        b.set_endpoints(&eps(&[1, 2, 3]));
        assert_eq!(b.likely_next(&rng), [None, None]);
    }

    fn counts(b: &mut PowerOfTwo, loads: &Loads, picks: u64, seed: u64) -> Vec<u64> {
        let mut rng = SimRng::seed(seed);
        let mut c = vec![0u64; loads.0.len()];
        for _ in 0..picks {
            c[b.pick(0, loads, &mut rng, 0).unwrap()] += 1;
        }
        c
    }

    #[test]
    fn keeps_the_less_loaded_of_the_sampled() {
        // Replay the draws with a twin generator: the pick must be the least loaded of exactly
        // the sampled indices, the first drawn on a tie.
        let loads = Loads(vec![5, 3, 3, 9, 0, 3, 7, 1]);
        for choices in [2u32, 3, 5] {
            let mut b = PowerOfTwo::new(choices);
            b.set_endpoints(&eps(&[1; 8]));
            let mut rng = SimRng::seed(42);
            let mut twin = SimRng::seed(42);
            for _ in 0..1000 {
                let got = b.pick(0, &loads, &mut rng, 0).unwrap();
                let drawn: Vec<usize> = (0..choices).map(|_| twin.below(8) as usize).collect();
                let best = drawn.iter().copied().min_by_key(|&i| loads.0[i]).unwrap(); // first minimum
                assert_eq!(got, best, "drawn {drawn:?}");
            }
        }
    }

    #[test]
    fn samples_with_replacement() {
        // Loads 0 < 1 < 2 < 3 on four hosts, two draws with replacement: host i wins when the
        // smaller draw is i, probability ((4-i)² - (3-i)²)/16 = 7/16, 5/16, 3/16, 1/16. Without
        // replacement the busiest host could never win.
        let mut b = PowerOfTwo::new(2);
        b.set_endpoints(&eps(&[1; 4]));
        let picks = 160_000;
        let c = counts(&mut b, &Loads(vec![0, 1, 2, 3]), picks, 3);
        for (i, p) in [7.0, 5.0, 3.0, 1.0].iter().enumerate() {
            assert_binomial(c[i], picks, p / 16.0, &format!("host {i}"));
        }
    }

    #[test]
    fn equal_loads_fall_back_to_uniform() {
        let mut b = PowerOfTwo::new(2);
        b.set_endpoints(&eps(&[1; 5]));
        let picks = 100_000;
        let c = counts(&mut b, &Loads(vec![2; 5]), picks, 9);
        for (i, &n) in c.iter().enumerate() {
            assert_binomial(n, picks, 0.2, &format!("host {i}"));
        }
    }

    #[test]
    fn unequal_weights_use_the_edf_schedule() {
        // Idle hosts: effective weights are the plain weights 1 and 3, and EDF serves them in
        // exact proportion (at most one pick off at any point).
        let mut b = PowerOfTwo::new(2);
        b.set_endpoints(&eps(&[1, 3]));
        let c = counts(&mut b, &Loads(vec![0, 0]), 4000, 1);
        assert!(
            c[0].abs_diff(1000) <= 1 && c[1].abs_diff(3000) <= 1,
            "{c:?}"
        );

        // Host 1 has weight 2 but 3 active requests: 2 / (3 + 1) = 0.5 against host 0's 1 / 1,
        // so host 0 now gets two picks for every one of host 1's (the first re-insertions still
        // use the plain weights, hence the small slack).
        let mut b = PowerOfTwo::new(2);
        b.set_endpoints(&eps(&[1, 2]));
        let c = counts(&mut b, &Loads(vec![0, 3]), 3000, 1);
        assert!(
            c[0].abs_diff(2000) <= 2 && c[1].abs_diff(1000) <= 2,
            "{c:?}"
        );
    }

    #[test]
    fn edf_ties_are_fifo() {
        // Weights 1 and 2: deadlines 1.0 (host 0) and 0.5 (host 1); host 1 goes, re-enters at 1.0
        // after host 0's entry, so host 0 goes next, then host 1 again.
        let mut edf = Edf::new(&[1.0, 2.0]);
        let w = [1.0, 2.0];
        let got: Vec<usize> = (0..6).map(|_| edf.pick_and_add(|i| w[i])).collect();
        assert_eq!(got, [1, 0, 1, 1, 0, 1]);
    }
}

//! Smooth weighted round robin, exactly as nginx's `ngx_http_upstream_get_peer`
//! (`src/http/ngx_http_upstream_round_robin.c`) does it: on every pick each peer's
//! `current_weight` grows by its `effective_weight`, the peer with the largest `current_weight`
//! wins (a strict `>` comparison, so ties go to the earlier peer), and the winner gives back the
//! sum of all effective weights. Over a cycle of `total` picks every peer is chosen exactly
//! `weight` times, interleaved rather than in bursts: weights 5, 1, 1 give a a b a c a a.
//!
//! Simplification: nginx lowers `effective_weight` when a peer fails and lets it creep back by
//! one per pick; fleetlab has no per-peer failure feedback into the balancer (outlier detection
//! ejects instances instead), so `effective_weight` always equals `weight`. `WeightedRoundRobin`
//! rebuilds the state from zero on every endpoint change, as nginx does when it re-reads its
//! upstream block; the cost is that the heaviest (then earliest) instance goes first after each
//! change, which only matters when changes are as frequent as requests.

use super::common::weight;
use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

/// nginx's smooth weighted round robin over a fixed list of weights.
///
/// ```
/// use fleetlab::balance::SmoothWeighted;
/// let mut s = SmoothWeighted::new(&[5, 1, 1]);
/// let seq: Vec<usize> = (0..7).map(|_| s.next().unwrap()).collect();
/// assert_eq!(seq, [0, 0, 1, 0, 2, 0, 0]); // a a b a c a a
/// ```
#[derive(Debug, Clone, Default)]
pub struct SmoothWeighted {
    weights: Vec<i64>,
    current: Vec<i64>,
    total: i64,
}

impl SmoothWeighted {
    /// A schedule over `weights` (index i is picked `weights[i]` times per `sum(weights)` picks).
    /// Zero weights are never picked; with no positive weight `next` returns `None`.
    pub fn new(weights: &[u32]) -> Self {
        let weights: Vec<i64> = weights.iter().map(|&w| i64::from(w)).collect();
        let total = weights.iter().sum();
        SmoothWeighted {
            current: vec![0; weights.len()],
            weights,
            total,
        }
    }
}

/// The schedule as an endless iterator of indices.
impl Iterator for SmoothWeighted {
    type Item = usize;

    /// The next index of the schedule (an endless iterator; `None` only when no weight is
    /// positive).
    fn next(&mut self) -> Option<usize> {
        if self.total <= 0 {
            return None;
        }
        let mut best: Option<usize> = None;
        for i in 0..self.weights.len() {
            let w = self.weights[i];
            self.current[i] += w;
            // Strictly greater: an equal later peer does not displace an earlier one. A zero
            // weight peer sits at 0 while the others' current weights sum to `total` > 0, so it
            // can never be the maximum; the `w > 0` test only makes that explicit.
            if w > 0 && best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let best = best?;
        self.current[best] -= self.total;
        Some(best)
    }
}

/// nginx's default (weighted) round robin as a `Balancer`.
#[derive(Debug, Clone, Default)]
pub struct WeightedRoundRobin {
    schedule: SmoothWeighted,
}

impl WeightedRoundRobin {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for WeightedRoundRobin {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let weights: Vec<u32> = endpoints.iter().map(|e| weight(e.weight)).collect();
        self.schedule = SmoothWeighted::new(&weights);
    }

    fn pick(
        &mut self,
        _key: u64,
        _load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        self.schedule.next()
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::*;

    #[test]
    fn nginx_five_one_one() {
        // The sequence nginx documents for weights 5, 1, 1 (a a b a c a a), every cycle.
        let mut s = SmoothWeighted::new(&[5, 1, 1]);
        let got: Vec<usize> = (0..21).map(|_| s.next().unwrap()).collect();
        let cycle = [0, 0, 1, 0, 2, 0, 0];
        assert_eq!(got, cycle.repeat(3));
    }

    #[test]
    fn ties_go_to_the_earlier_index() {
        // Equal weights: every round all current weights are equal before the pick, so plain
        // rotation in index order is the only sequence consistent with "earlier wins".
        let mut s = SmoothWeighted::new(&[2, 2, 2]);
        let got: Vec<usize> = (0..6).map(|_| s.next().unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
        // Weights 1, 3: round one gives (1, 3), index 1 wins and drops to -1; round two gives
        // (2, 2), a tie, which must go to index 0.
        let mut s = SmoothWeighted::new(&[1, 3]);
        assert_eq!(s.next(), Some(1));
        assert_eq!(s.next(), Some(0));
    }

    #[test]
    fn exact_proportions_over_whole_cycles() {
        let weights = [3u32, 1, 4, 1, 5, 9, 2, 6];
        let total: u32 = weights.iter().sum();
        let mut s = SmoothWeighted::new(&weights);
        let mut counts = vec![0u32; weights.len()];
        for _ in 0..total * 50 {
            counts[s.next().unwrap()] += 1;
        }
        let expected: Vec<u32> = weights.iter().map(|w| w * 50).collect();
        assert_eq!(counts, expected);
    }

    #[test]
    fn zero_and_empty_weights() {
        assert_eq!(SmoothWeighted::new(&[]).next(), None);
        assert_eq!(SmoothWeighted::new(&[0, 0]).next(), None);
        let mut s = SmoothWeighted::new(&[0, 2, 0, 1]);
        let got: Vec<usize> = (0..6).map(|_| s.next().unwrap()).collect();
        assert_eq!(got, [1, 3, 1, 1, 3, 1]);
    }

    #[test]
    fn balancer_follows_weights_and_rebuilds() {
        let mut b = WeightedRoundRobin::new();
        let mut rng = SimRng::seed(1);
        let loads = Loads(vec![0; 3]);
        b.set_endpoints(&[
            Endpoint { id: 4, weight: 5 },
            Endpoint { id: 7, weight: 1 },
            Endpoint { id: 9, weight: 1 },
        ]);
        let got: Vec<usize> = (0..7)
            .map(|_| b.pick(0, &loads, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [0, 0, 1, 0, 2, 0, 0]);
        b.set_endpoints(&[Endpoint { id: 7, weight: 1 }, Endpoint { id: 9, weight: 3 }]);
        let got: Vec<usize> = (0..4)
            .map(|_| b.pick(0, &loads, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [1, 0, 1, 1]);
    }
}

//! Random choice, two ways.
//!
//! - `Random` is Envoy's `RANDOM` policy (envoyproxy/envoy
//!   `source/extensions/load_balancing_policies/random/random_lb.cc`,
//!   `RandomLoadBalancer::peekOrChoose`, commit a19aa540: `hosts_to_use[random_hash %
//!   hosts_to_use.size()]`): a uniform draw over the hosts. Host weights are never read, so a
//!   host of weight 3 gets the same share as one of weight 1. fleetlab draws the index with an
//!   unbiased uniform draw instead of Envoy's 64-bit modulo, whose bias (below n / 2^64) no run
//!   can see.
//! - `WeightedRandom` draws in proportion to weight (each host owns a slice of
//!   `[0, total weight)` and a uniform point in that range picks the host whose slice holds it,
//!   found by binary search over the prefix sums). No upstream proxy ships a policy of this
//!   name; it is here to show what weights would do to a random split. With equal weights it
//!   is `Random`, draw for draw.
//!
//! Both are stateless apart from the endpoint list, so they need no coordination between
//! clients and are the baseline the load-aware policies beat: a random split of a Poisson arrival
//! stream gives independent Poisson streams, so with exponential service every instance is its
//! own M/M/1 queue and sees none of the pooling benefit.
//!
//! `Random` names its next pick in advance (`likely_next`, the next draw made on a copy of the
//! generator), so that the simulation can fetch that instance's record before the request
//! comes. Envoy looks ahead in the same spirit to preconnect: `peekAnotherHost` draws the next
//! random number early and keeps it for the pick (`LoadBalancerBase::random(peeking)`,
//! `stashed_random_`, load_balancer_impl.h).

use super::common::weight;
use super::{Balancer, Endpoint, Likely, LoadView};
use crate::rng::SimRng;

/// Envoy's `RANDOM`: uniform over the endpoints, weights ignored.
#[derive(Debug, Clone, Default)]
pub struct Random {
    endpoints: u32,
}

impl Random {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for Random {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.endpoints = endpoints.len() as u32;
    }

    fn pick(
        &mut self,
        _key: u64,
        _load: &dyn LoadView,
        rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        (self.endpoints > 0).then(|| rng.below(self.endpoints) as usize)
    }

    /// The next pick's draw, made on a copy of the generator.
    fn likely_next(&self, rng: &SimRng) -> Likely {
        let next = (self.endpoints > 0).then(|| rng.clone().below(self.endpoints) as usize);
        [next, None]
    }
}

/// A draw in proportion to weight (fleetlab's `weighted_random`).
#[derive(Debug, Clone, Default)]
pub struct WeightedRandom {
    /// Running sums of the weights: endpoint i owns `[cumulative[i-1], cumulative[i])`.
    cumulative: Vec<u64>,
    equal_weights: bool,
}

impl WeightedRandom {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for WeightedRandom {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let mut sum = 0u64;
        self.cumulative = endpoints
            .iter()
            .map(|e| {
                sum += u64::from(weight(e.weight));
                sum
            })
            .collect();
        self.equal_weights = endpoints
            .windows(2)
            .all(|w| weight(w[0].weight) == weight(w[1].weight));
    }

    fn pick(
        &mut self,
        _key: u64,
        _load: &dyn LoadView,
        rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        let n = self.cumulative.len();
        let total = *self.cumulative.last()?;
        if self.equal_weights {
            return Some(rng.below(n as u32) as usize);
        }
        let point = if let Ok(total32) = u32::try_from(total) {
            u64::from(rng.below(total32))
        } else {
            // Unreachable with validated inputs (1000 × 100 000 < 2^32); a uniform u64 modulo
            // total is biased by less than total / 2^64 here.
            rng.next_u64() % total
        };
        Some(self.cumulative.partition_point(|&c| c <= point))
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{assert_binomial, Loads};
    use super::*;

    fn counts_with(b: &mut dyn Balancer, weights: &[u32], picks: u64, seed: u64) -> Vec<u64> {
        let eps: Vec<Endpoint> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Endpoint {
                id: i as u32 * 10,
                weight: w,
            })
            .collect();
        b.set_endpoints(&eps);
        let mut rng = SimRng::seed(seed);
        let loads = Loads(vec![0; eps.len()]);
        let mut c = vec![0u64; eps.len()];
        for _ in 0..picks {
            c[b.pick(0, &loads, &mut rng, 0).unwrap()] += 1;
        }
        c
    }

    #[test]
    fn the_hint_is_the_next_pick() {
        let mut b = Random::new();
        b.set_endpoints(
            &(0..1000)
                .map(|id| Endpoint { id, weight: 1 })
                .collect::<Vec<_>>(),
        );
        let (mut rng, loads) = (SimRng::seed(11), Loads(vec![0; 1000]));
        for _ in 0..10_000 {
            let [hint, none] = b.likely_next(&rng);
            assert_eq!(b.pick(0, &loads, &mut rng, 0), hint);
            assert_eq!(none, None);
        }
    }

    #[test]
    fn envoy_random_ignores_weights() {
        // random_lb.cc reads no weight: weights [1, 3] split 50/50, not 25/75.
        let picks = 100_000;
        let c = counts_with(&mut Random::new(), &[1, 3], picks, 11);
        assert_binomial(c[0], picks, 0.5, "weight 1");
        assert_binomial(c[1], picks, 0.5, "weight 3");
        assert_eq!(
            Random::new().pick(0, &Loads(vec![]), &mut SimRng::seed(1), 0),
            None
        );
    }

    #[test]
    fn with_equal_weights_both_draw_the_same_sequence() {
        let a = counts_with(&mut Random::new(), &[2; 7], 1000, 3);
        let b = counts_with(&mut WeightedRandom::new(), &[2; 7], 1000, 3);
        assert_eq!(a, b);
    }

    fn counts(weights: &[u32], picks: u64, seed: u64) -> Vec<u64> {
        let eps: Vec<Endpoint> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Endpoint {
                id: i as u32 * 10,
                weight: w,
            })
            .collect();
        let mut b = WeightedRandom::new();
        b.set_endpoints(&eps);
        let mut rng = SimRng::seed(seed);
        let loads = Loads(vec![0; eps.len()]);
        let mut c = vec![0u64; eps.len()];
        for _ in 0..picks {
            c[b.pick(0, &loads, &mut rng, 0).unwrap()] += 1;
        }
        c
    }

    #[test]
    fn proportional_to_weight() {
        let weights = [1u32, 2, 3, 4];
        let picks = 200_000;
        let c = counts(&weights, picks, 11);
        for (i, &w) in weights.iter().enumerate() {
            assert_binomial(c[i], picks, f64::from(w) / 10.0, &format!("endpoint {i}"));
        }
    }

    #[test]
    fn uniform_when_weights_are_equal() {
        let picks = 100_000;
        let c = counts(&[3; 8], picks, 5);
        for (i, &n) in c.iter().enumerate() {
            assert_binomial(n, picks, 1.0 / 8.0, &format!("endpoint {i}"));
        }
    }

    #[test]
    fn a_single_endpoint_and_an_empty_set() {
        assert_eq!(counts(&[7], 10, 1), [10]);
        let mut b = WeightedRandom::new();
        b.set_endpoints(&[]);
        assert_eq!(b.pick(0, &Loads(vec![]), &mut SimRng::seed(1), 0), None);
    }
}

//! Plain round robin, as Envoy's `ROUND_ROBIN` policy does it when all weights are equal: a
//! counter that increments on every pick, taken modulo the current number of hosts.
//!
//! Envoy keeps that counter when the host set changes (`rr_indexes_.insert({source, seed_})`
//! never overwrites an existing index, see `round_robin_lb.h`), so a discovery update does not
//! restart the rotation at host 0. Restarting would hand the low-numbered hosts an extra request
//! after every change, which under frequent autoscaling adds up. Envoy seeds the counter with a
//! random number so that many proxies do not march in lockstep; fleetlab simulates one client
//! and starts at 0, which keeps runs easy to follow. Weights are ignored here, so this is the
//! default of neither nginx nor Envoy once weights differ — both defaults are weighted (nginx's
//! smooth weighted round robin, Envoy's EDF scheduler over weights): weighted round robin is
//! `WeightedRoundRobin` (nginx's smooth algorithm).
//!
//! It names its next pick and the one after (`likely_next`), so that the simulation fetches
//! those records ahead: a record is 320 bytes, and at 100,000 instances a sweep through them
//! outruns the processor's own prefetching.

use super::{Balancer, Endpoint, Likely, LoadView};
use crate::rng::SimRng;

#[derive(Debug, Clone, Default)]
pub struct RoundRobin {
    len: usize,
    counter: u64,
}

impl RoundRobin {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for RoundRobin {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        // Deliberately keep `counter` (see the module docs).
        self.len = endpoints.len();
    }

    fn pick(
        &mut self,
        _key: u64,
        _load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let index = (self.counter % self.len as u64) as usize;
        self.counter = self.counter.wrapping_add(1);
        Some(index)
    }

    /// The next pick's endpoint, and the one after.
    fn likely_next(&self, _rng: &SimRng) -> Likely {
        if self.len == 0 {
            return [None; 2];
        }
        let next = (self.counter % self.len as u64) as usize;
        let after = if next + 1 == self.len { 0 } else { next + 1 };
        [Some(next), Some(after)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::*;

    fn eps(n: u32) -> Vec<Endpoint> {
        (0..n).map(|id| Endpoint { id, weight: 1 }).collect()
    }

    #[test]
    fn rotates_through_every_endpoint_in_order() {
        let mut rr = RoundRobin::new();
        let mut rng = SimRng::seed(1);
        rr.set_endpoints(&eps(3));
        let got: Vec<_> = (0..7)
            .map(|_| rr.pick(0, &Loads(vec![0; 3]), &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn the_hint_is_the_next_pick_and_the_one_after() {
        let mut rr = RoundRobin::new();
        let mut rng = SimRng::seed(1);
        rr.set_endpoints(&eps(3));
        let loads = Loads(vec![0; 3]);
        for _ in 0..7 {
            let [next, after] = rr.likely_next(&rng);
            assert_eq!(rr.pick(0, &loads, &mut rng, 0), next);
            assert_eq!(rr.likely_next(&rng)[0], after);
        }
        rr.set_endpoints(&[]);
        assert_eq!(rr.likely_next(&rng), [None, None]);
    }

    #[test]
    fn weights_are_ignored() {
        // Weights 1 and 3: still one each in turn (nginx and Envoy would send 3 of 4 to the
        // second).
        let mut rr = RoundRobin::new();
        let mut rng = SimRng::seed(1);
        rr.set_endpoints(&[Endpoint { id: 0, weight: 1 }, Endpoint { id: 1, weight: 3 }]);
        let got: Vec<_> = (0..4)
            .map(|_| rr.pick(0, &Loads(vec![0; 2]), &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [0, 1, 0, 1]);
    }

    #[test]
    fn an_endpoint_change_does_not_restart_at_zero() {
        let mut rr = RoundRobin::new();
        let mut rng = SimRng::seed(1);
        let loads = Loads(vec![0; 4]);
        rr.set_endpoints(&eps(4));
        for _ in 0..5 {
            rr.pick(0, &loads, &mut rng, 0);
        }
        // Five picks so far; Envoy continues with counter 5 modulo the new size 4 = 1, not 0.
        rr.set_endpoints(&eps(4));
        assert_eq!(rr.pick(0, &loads, &mut rng, 0), Some(1));

        // Many changes, one pick between each: a reset-to-0 balancer would send every pick to
        // index 0; a continuing counter spreads them evenly.
        let mut counts = [0u32; 4];
        for _ in 0..400 {
            rr.set_endpoints(&eps(4));
            counts[rr.pick(0, &loads, &mut rng, 0).unwrap()] += 1;
        }
        assert_eq!(counts, [100, 100, 100, 100]);
    }
}

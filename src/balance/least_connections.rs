//! Least connections as nginx's `least_conn` (`ngx_http_upstream_least_conn_module.c`): pick
//! the endpoint with the fewest active requests relative to its weight, i.e. the smallest
//! `active / weight`, compared exactly by cross-multiplying (`a_i × w_j < a_j × w_i`) as nginx
//! does, so no floating point enters the decision.
//!
//! Ties are broken the way nginx breaks them: by smooth weighted round robin among the tied
//! endpoints only (each tied endpoint's `current_weight` grows by its weight, the largest wins,
//! earlier index on equal values, and the winner gives back the tied endpoints' total). This is
//! deterministic, needs no random draw, and spreads an idle fleet (everything at 0) evenly in
//! weight proportion instead of piling onto the first instance; a "lowest index wins" rule would
//! send every request of a lightly loaded fleet to instance 0. Envoy's `FULL_SCAN` least-request
//! mode breaks the same ties by reservoir sampling instead; both are fair, nginx's is smoother.
//!
//! The round-robin state (`current_weight`) is kept per instance id across endpoint changes so a
//! discovery update does not restart the tie rotation at index 0 (nginx keeps it in shared
//! memory for the life of the upstream). Active counts come from the `LoadView`, which may be
//! stale (`load_delay_s`); nginx reads its own exact in-flight counts.
//! O(N) per pick, like nginx.

use std::collections::BTreeMap;

use super::common::weight;
use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

#[derive(Debug, Clone, Default)]
pub struct LeastConnections {
    ids: Vec<u32>,
    weights: Vec<u64>,
    current: Vec<i64>,
    tied: Vec<usize>,
}

impl LeastConnections {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for LeastConnections {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let old: BTreeMap<u32, i64> = self
            .ids
            .iter()
            .copied()
            .zip(self.current.iter().copied())
            .collect();
        self.ids = endpoints.iter().map(|e| e.id).collect();
        self.weights = endpoints
            .iter()
            .map(|e| u64::from(weight(e.weight)))
            .collect();
        // Survivors keep their rotation state; newcomers start at 0 like a fresh nginx peer. The
        // sum of current weights no longer being 0 after removals is harmless: the schedule only
        // compares them.
        self.current = self
            .ids
            .iter()
            .map(|id| old.get(id).copied().unwrap_or(0))
            .collect();
    }

    fn pick(
        &mut self,
        _key: u64,
        load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        if self.ids.is_empty() {
            return None;
        }
        // Pass 1: the minimum of active/weight, and every endpoint that attains it.
        self.tied.clear();
        let mut best = 0usize;
        let mut best_active = u64::from(load.active(0));
        self.tied.push(0);
        for i in 1..self.ids.len() {
            let active = u64::from(load.active(i));
            let (lhs, rhs) = (active * self.weights[best], best_active * self.weights[i]);
            if lhs < rhs {
                best = i;
                best_active = active;
                self.tied.clear();
                self.tied.push(i);
            } else if lhs == rhs {
                self.tied.push(i);
            }
        }
        if self.tied.len() == 1 {
            return Some(best);
        }
        // Pass 2: smooth weighted round robin among the tied endpoints.
        let mut total = 0i64;
        let mut winner = self.tied[0];
        for &i in &self.tied {
            let w = self.weights[i] as i64;
            self.current[i] += w;
            total += w;
            if self.current[i] > self.current[winner] {
                winner = i;
            }
        }
        self.current[winner] -= total;
        Some(winner)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{weighted, Loads};
    use super::*;

    fn eps(weights: &[u32]) -> Vec<Endpoint> {
        weighted(100, weights)
    }

    #[test]
    fn picks_the_minimum() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1; 5]));
        assert_eq!(b.pick(0, &Loads(vec![4, 2, 7, 1, 3]), &mut rng, 0), Some(3));
        assert_eq!(b.pick(0, &Loads(vec![0, 2, 7, 1, 3]), &mut rng, 0), Some(0));
        assert_eq!(b.pick(0, &Loads(vec![9, 9, 9, 9, 8]), &mut rng, 0), Some(4));
    }

    #[test]
    fn weighted_compares_active_per_weight() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 4]));
        // 2/1 = 2 versus 5/4 = 1.25: the heavier instance wins despite more requests.
        assert_eq!(b.pick(0, &Loads(vec![2, 5]), &mut rng, 0), Some(1));
        // 1/1 = 1 versus 5/4: the light one wins.
        assert_eq!(b.pick(0, &Loads(vec![1, 5]), &mut rng, 0), Some(0));
    }

    #[test]
    fn ties_rotate_in_weight_proportion() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 1, 1]));
        let idle = Loads(vec![0; 3]);
        let got: Vec<_> = (0..6)
            .map(|_| b.pick(0, &idle, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);

        // Only endpoints 1 and 3 are tied at the minimum; they alternate, the others never win.
        let mut b = LeastConnections::new();
        b.set_endpoints(&eps(&[1, 1, 1, 1]));
        let loads = Loads(vec![3, 1, 2, 1]);
        let got: Vec<_> = (0..4)
            .map(|_| b.pick(0, &loads, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [1, 3, 1, 3]);

        // Weighted tie (0/1 == 0/5): smooth WRR among them, 5:1 per 6 picks.
        let mut b = LeastConnections::new();
        b.set_endpoints(&eps(&[1, 5]));
        let idle = Loads(vec![0; 2]);
        let got: Vec<_> = (0..6)
            .map(|_| b.pick(0, &idle, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got.iter().filter(|&&i| i == 1).count(), 5);
    }

    #[test]
    fn tie_rotation_survives_endpoint_changes() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        let idle = Loads(vec![0; 3]);
        let mut counts = [0u32; 3];
        for _ in 0..300 {
            b.set_endpoints(&eps(&[1, 1, 1]));
            counts[b.pick(0, &idle, &mut rng, 0).unwrap()] += 1;
        }
        assert_eq!(counts, [100, 100, 100]);
    }
}

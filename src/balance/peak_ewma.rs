//! Peak-EWMA load balancing as in Finagle's `PeakEwma` and its ports, tower's
//! `load::PeakEwma` + `balance::p2c` (the pair linkerd2-proxy uses): each endpoint keeps a
//! latency estimate that jumps straight up to any higher observed latency (the "peak") and
//! otherwise decays toward the observed values with weight `exp(-elapsed / tau)`, `tau =
//! decay_s` (linkerd: 10 s). An endpoint's cost is `estimate × (pending + 1)`; a request goes to
//! the cheaper of two *distinct* endpoints drawn uniformly at random (tower draws a distinct pair
//! with `rand::seq::index::sample`, keeping the first on a tie: `if aload <= bload { a }`).
//!
//! As in tower and Finagle, *reading* a cost decays the estimate toward 0 over the time since its
//! last update and restamps it (tower's `RttEstimate::decay` is an update with a zero RTT). An
//! endpoint nobody picks therefore becomes cheap again and gets probed, which is how Peak-EWMA
//! forgives a past latency spike. The decay weight uses `libm::exp`, so runs are bit-identical
//! on native and wasm.
//!
//! Pending requests come from the `LoadView` (tower counts its own outstanding handles; here the
//! view may be delayed by `load_delay_s`). Latency is the time from routing to completion that
//! the simulator reports, tower's "complete on response".
//!
//! New endpoints: tower starts every new endpoint at a fixed `default_rtt` (linkerd passes
//! 30 ms; tower's docs mention 1 s; Finagle starts at 0 with a large penalty while requests are
//! outstanding). A fixed value only makes sense relative to the service's latency, which a
//! scenario can set anywhere from microseconds to minutes, so fleetlab starts a new endpoint at
//! the mean estimate of the surviving endpoints that have answered at least once: a newcomer
//! looks like an average member, neither flooded (as a too-low default would cause) nor shunned
//! (too high). When nothing has answered yet every endpoint starts at linkerd's 30 ms, and since
//! they are all equal the value does not matter. `set_endpoints` carries no time, so a newcomer's
//! decay clock starts at the latest time the balancer has seen (0 before any event, which is
//! when a simulation starts), standing in for tower's "at insertion".
//!
//! State is kept per instance id across endpoint changes; a removed endpoint's estimate is
//! dropped, as tower drops the service, so an instance that returns starts afresh.

use std::collections::BTreeMap;

use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

/// linkerd2-proxy's `EWMA_DEFAULT_RTT`, used only before any endpoint has answered.
pub const DEFAULT_RTT_NS: f64 = 30e6;
/// Finagle's and linkerd's decay time, used if a non-positive decay is configured.
const DEFAULT_DECAY_NS: f64 = 10e9;

#[derive(Debug, Clone, Copy)]
struct RttEstimate {
    rtt_ns: f64,
    /// When the estimate was last updated or read, ns.
    update_at: u64,
    /// Whether a response has been observed (only these feed a newcomer's starting value).
    observed: bool,
}

impl RttEstimate {
    fn new(rtt_ns: f64, now_ns: u64) -> Self {
        RttEstimate {
            rtt_ns,
            update_at: now_ns,
            observed: false,
        }
    }

    /// tower's `RttEstimate::update`: take a higher RTT at once, else move toward it by the
    /// time-based weight.
    fn update(&mut self, rtt_ns: f64, now_ns: u64, decay_ns: f64) -> f64 {
        if self.rtt_ns < rtt_ns {
            self.rtt_ns = rtt_ns;
        } else {
            let elapsed = now_ns.saturating_sub(self.update_at) as f64;
            let decay = libm::exp(-elapsed / decay_ns);
            self.rtt_ns = self.rtt_ns * decay + rtt_ns * (1.0 - decay);
        }
        self.update_at = self.update_at.max(now_ns);
        self.rtt_ns
    }
}

#[derive(Debug, Clone)]
pub struct PeakEwma {
    decay_ns: f64,
    ids: Vec<u32>,
    estimates: Vec<RttEstimate>,
    index_of: BTreeMap<u32, usize>,
    /// The latest `now_ns` seen in `pick` or `on_response`.
    clock: u64,
}

impl PeakEwma {
    /// `decay_s`: the time constant tau of the decay, seconds.
    pub fn new(decay_s: f64) -> Self {
        let decay_ns = decay_s * 1e9;
        let decay_ns = if decay_ns.is_finite() && decay_ns > 0.0 {
            decay_ns
        } else {
            DEFAULT_DECAY_NS
        };
        PeakEwma {
            decay_ns,
            ids: Vec::new(),
            estimates: Vec::new(),
            index_of: BTreeMap::new(),
            clock: 0,
        }
    }

    /// The stored latency estimate of instance `id`, ns, as of its last update or read (no decay
    /// applied for the time since). `None` for an unknown id.
    pub fn estimate_ns(&self, id: u32) -> Option<f64> {
        self.index_of.get(&id).map(|&i| self.estimates[i].rtt_ns)
    }

    /// tower's `PeakEwma::load`: decay to now, then weight by the requests in flight.
    fn cost(&mut self, index: usize, load: &dyn LoadView, now_ns: u64) -> f64 {
        let estimate = self.estimates[index].update(0.0, now_ns, self.decay_ns);
        estimate * (f64::from(load.active(index)) + 1.0)
    }
}

impl Balancer for PeakEwma {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let old: BTreeMap<u32, RttEstimate> = self
            .ids
            .iter()
            .copied()
            .zip(self.estimates.iter().copied())
            .collect();
        let (sum, count) = endpoints
            .iter()
            .filter_map(|e| old.get(&e.id))
            .filter(|s| s.observed)
            .fold((0.0, 0u32), |(sum, n), s| (sum + s.rtt_ns, n + 1));
        let start = if count > 0 {
            sum / f64::from(count)
        } else {
            DEFAULT_RTT_NS
        };
        self.ids = endpoints.iter().map(|e| e.id).collect();
        let now = self.clock;
        self.estimates = endpoints
            .iter()
            .map(|e| {
                old.get(&e.id)
                    .copied()
                    .unwrap_or_else(|| RttEstimate::new(start, now))
            })
            .collect();
        self.index_of = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i))
            .collect();
    }

    fn pick(
        &mut self,
        _key: u64,
        load: &dyn LoadView,
        rng: &mut SimRng,
        now_ns: u64,
    ) -> Option<usize> {
        self.clock = self.clock.max(now_ns);
        let n = self.ids.len();
        match n {
            0 => None,
            1 => Some(0),
            _ => {
                // A uniformly random ordered pair of distinct indices.
                let a = rng.below(n as u32) as usize;
                let mut b = rng.below(n as u32 - 1) as usize;
                if b >= a {
                    b += 1;
                }
                let (cost_a, cost_b) = (self.cost(a, load, now_ns), self.cost(b, load, now_ns));
                Some(if cost_a <= cost_b { a } else { b })
            }
        }
    }

    fn on_response(&mut self, id: u32, latency_ns: u64, now_ns: u64) {
        self.clock = self.clock.max(now_ns);
        if let Some(&i) = self.index_of.get(&id) {
            let e = &mut self.estimates[i];
            e.update(latency_ns as f64, now_ns, self.decay_ns);
            e.observed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{assert_binomial, Loads};
    use super::*;

    const MS: u64 = 1_000_000;
    const TAU_S: f64 = 10.0;
    const TAU_NS: u64 = 10_000_000_000;

    fn eps(ids: &[u32]) -> Vec<Endpoint> {
        ids.iter().map(|&id| Endpoint { id, weight: 1 }).collect()
    }

    #[test]
    fn prefers_lower_latency_times_pending() {
        let mut b = PeakEwma::new(TAU_S);
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 2]));
        // Both above the 30 ms start, so both estimates are peaks taken at once.
        b.on_response(1, 40 * MS, 0);
        b.on_response(2, 200 * MS, 0);
        // Two endpoints: both are always sampled. Costs (at the same instant, so no decay):
        // 40 × 1 < 200 × 1; 40 × 4 = 160 < 200; 40 × 6 = 240 > 200.
        for _ in 0..20 {
            assert_eq!(b.pick(0, &Loads(vec![0, 0]), &mut rng, 0), Some(0));
            assert_eq!(b.pick(0, &Loads(vec![3, 0]), &mut rng, 0), Some(0));
            assert_eq!(b.pick(0, &Loads(vec![5, 0]), &mut rng, 0), Some(1));
            assert_eq!(b.pick(0, &Loads(vec![0, 5]), &mut rng, 0), Some(0));
        }
    }

    #[test]
    fn peak_then_exponential_decay() {
        let mut b = PeakEwma::new(TAU_S);
        b.set_endpoints(&eps(&[7]));
        b.on_response(7, 100 * MS, 0);
        // A higher latency replaces the estimate at once (default 30 ms → 100 ms).
        assert_eq!(b.estimate_ns(7), Some(100e6));
        // A lower one a full tau later: 100 e^-1 + 10 (1 - e^-1) = 43.1091 ms
        // (e^-1 = 0.367879441).
        b.on_response(7, 10 * MS, TAU_NS);
        let got = b.estimate_ns(7).unwrap();
        assert!((got - 43.109_15e6).abs() < 1e3, "{got}");
        // A later peak jumps again regardless of the average.
        b.on_response(7, 60 * MS, TAU_NS + 1);
        assert_eq!(b.estimate_ns(7), Some(60e6));
    }

    #[test]
    fn reads_decay_idle_endpoints_so_they_get_probed() {
        let mut b = PeakEwma::new(TAU_S);
        let mut rng = SimRng::seed(3);
        b.set_endpoints(&eps(&[1, 2]));
        b.on_response(1, 100 * MS, 0); // one slow answer, then idle
        b.on_response(2, 10 * MS, 5 * TAU_NS); // 30 e^-5 + 10 (1 - e^-5) ≈ 10.1 ms
                                               // Five taus later endpoint 1 costs 100 e^-5 ≈ 0.67 ms against ≈ 10.1 ms × 2 for
                                               // endpoint 2: the once-slow endpoint is tried again.
        assert_eq!(b.pick(0, &Loads(vec![0, 1]), &mut rng, 5 * TAU_NS), Some(0));
        assert!(b.estimate_ns(1).unwrap() < 1e6);
    }

    #[test]
    fn state_follows_the_id_across_endpoint_changes() {
        let mut b = PeakEwma::new(TAU_S);
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 2, 3]));
        b.on_response(1, 5 * MS, 0);
        b.on_response(2, 5 * MS, 0);
        b.on_response(3, 200 * MS, 0);
        b.set_endpoints(&eps(&[3, 1])); // reordered and shrunk: index 0 is now id 3
        for _ in 0..10 {
            assert_eq!(b.pick(0, &Loads(vec![0, 0]), &mut rng, 0), Some(1));
        }
        assert_eq!(b.estimate_ns(2), None);
        b.on_response(2, 1, 0); // a late answer from a removed endpoint is ignored
        assert_eq!(b.estimate_ns(3), Some(200e6));
    }

    #[test]
    fn newcomers_start_at_the_mean_of_known_estimates() {
        let mut b = PeakEwma::new(TAU_S);
        b.set_endpoints(&eps(&[1, 2, 3]));
        assert_eq!(b.estimate_ns(3), Some(DEFAULT_RTT_NS));
        b.on_response(1, 40 * MS, 0);
        b.on_response(2, 80 * MS, 0);
        // Endpoint 3 never answered: it does not pull the mean toward the default.
        b.set_endpoints(&eps(&[1, 2, 3, 9]));
        assert_eq!(b.estimate_ns(9), Some(60e6));
    }

    #[test]
    fn equal_costs_sample_uniformly_from_distinct_pairs() {
        // All costs equal: the first of the pair wins, and the first is uniform.
        let mut b = PeakEwma::new(TAU_S);
        b.set_endpoints(&eps(&[1, 2, 3, 4]));
        let mut rng = SimRng::seed(8);
        let loads = Loads(vec![0; 4]);
        let picks = 80_000;
        let mut c = [0u64; 4];
        for _ in 0..picks {
            c[b.pick(0, &loads, &mut rng, 0).unwrap()] += 1;
        }
        for (i, &n) in c.iter().enumerate() {
            assert_binomial(n, picks, 0.25, &format!("endpoint {i}"));
        }
        // Distinct pairs: with costs 0 < 1 < 2 < 3 (pending), the costliest never wins.
        let mut b = PeakEwma::new(TAU_S);
        b.set_endpoints(&eps(&[1, 2, 3, 4]));
        let loads = Loads(vec![0, 1, 2, 3]);
        for _ in 0..2000 {
            assert_ne!(b.pick(0, &loads, &mut rng, 0), Some(3));
        }
    }
}

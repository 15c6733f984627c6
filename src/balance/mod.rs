//! Load balancing: how each request picks an instance. A `Balancer` sees the instances its
//! discovery view offers as a slice of `Endpoint`s (in id order) and their load through a
//! `LoadView` (possibly delayed, to model stale load reports). One file per algorithm, each
//! following the system it is named after; the pure building blocks (`jump_hash`,
//! `maglev_table`, `SmoothWeighted`) are usable without the simulation.

use crate::rng::SimRng;
use crate::scenario::BalancerConfig;

/// One instance as the balancer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Instance id: stable for the instance's life, never reused.
    pub id: u32,
    /// Balancer weight, >= 1.
    pub weight: u32,
}

/// Per-endpoint load the balancer may read (indices into the current endpoint slice).
pub trait LoadView {
    /// Requests in service plus queued at endpoint `index`, as the balancer currently sees it.
    fn active(&self, index: usize) -> u32;
}

pub trait Balancer {
    /// The set of endpoints changed (discovery refresh, scaling, ejection). Indices passed to and
    /// returned by `pick` refer to this slice until the next call.
    fn set_endpoints(&mut self, endpoints: &[Endpoint]);

    /// Picks an endpoint index for a request with `key` (0 when traffic carries no keys), or
    /// `None` when there is no endpoint.
    fn pick(
        &mut self,
        key: u64,
        load: &dyn LoadView,
        rng: &mut SimRng,
        now_ns: u64,
    ) -> Option<usize>;

    /// A response from endpoint `id` took `latency_ns` (time from routing to completion).
    fn on_response(&mut self, _id: u32, _latency_ns: u64, _now_ns: u64) {}
}

// TEMPORARY until the algorithm files land: plain rotation for every algorithm.
pub fn build(config: &BalancerConfig) -> Option<Box<dyn Balancer>> {
    struct Rotate(usize, usize);
    impl Balancer for Rotate {
        fn set_endpoints(&mut self, e: &[Endpoint]) {
            self.1 = e.len();
        }
        fn pick(&mut self, _: u64, _: &dyn LoadView, _: &mut SimRng, _: u64) -> Option<usize> {
            if self.1 == 0 {
                return None;
            }
            self.0 = (self.0 + 1) % self.1;
            Some(self.0)
        }
    }
    (config.algorithm != crate::scenario::Algorithm::SharedQueue)
        .then(|| Box::new(Rotate(0, 0)) as Box<dyn Balancer>)
}

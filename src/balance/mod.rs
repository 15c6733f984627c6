//! Load balancing: how each request picks an instance. A `Balancer` sees the instances its
//! discovery view offers as a slice of `Endpoint`s (in id order) and their load through a
//! `LoadView` (possibly delayed, to model stale load reports). One file per algorithm, each
//! following the system it is named after; the pure building blocks (`jump_hash`,
//! `maglev_table`, `SmoothWeighted`) are usable without the simulation.

use crate::rng::SimRng;
use crate::scenario::BalancerConfig;

mod active_health;
mod common;
mod jump_hash;
mod least_connections;
mod maglev;
mod outlier;
mod passive_health;
mod peak_ewma;
mod power_of_two;
mod presets;
mod random;
mod retry;
mod ring_hash;
mod round_robin;
mod smooth_weighted;
mod xxhash;

pub use active_health::{HcSession, Transition};
pub use common::{key_hash, mod_n, moved_fraction};
pub use jump_hash::{jump_hash, JumpHash};
pub use least_connections::LeastConnections;
pub use maglev::{maglev_table, Maglev};
pub use outlier::{Monitor, Outcome, OutlierDetector};
pub use passive_health::{PassiveHealth, Peer};
pub use peak_ewma::PeakEwma;
pub use power_of_two::PowerOfTwo;
pub use presets::presets;
pub use random::{Random, WeightedRandom};
pub use retry::{Backoff, Failure};
pub use ring_hash::{host_address, Ring, RingHash};
pub use round_robin::RoundRobin;
pub use smooth_weighted::{SmoothWeighted, WeightedRoundRobin};
pub use xxhash::xxh64;

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

pub trait Balancer: BalancerClone {
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

    /// For a hash balancer, the endpoint `key` maps to, read without changing anything (the
    /// page's key view and the moved-keys count); `None` for the others.
    fn owner(&self, _key: u64) -> Option<usize> {
        None
    }

    /// Whether this balancer keeps its own index of the endpoints' load. The simulation then
    /// calls `set_loads` with every endpoint's active count after each `set_endpoints` (and at
    /// each stale load report), and `load_changed` for every change in between, so a pick
    /// need not scan the `LoadView`.
    fn tracks_load(&self) -> bool {
        false
    }

    /// The active count of every endpoint, by index.
    fn set_loads(&mut self, _active: &[u32]) {}

    /// Endpoint `index` now has `active` requests.
    fn load_changed(&mut self, _index: usize, _active: u32) {}
}

/// Copying a boxed balancer (the page's rewind keeps copies of the whole simulation).
pub trait BalancerClone {
    fn clone_box(&self) -> Box<dyn Balancer>;
}

impl<T: Balancer + Clone + 'static> BalancerClone for T {
    fn clone_box(&self) -> Box<dyn Balancer> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Balancer> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The balancer `config.algorithm` names, configured from `config`; `None` for
/// `SharedQueue`, which is not a per-request choice (the simulator runs one central queue).
/// Balancers start with no endpoints: call `set_endpoints` before the first `pick`.
pub fn build(config: &BalancerConfig) -> Option<Box<dyn Balancer>> {
    use crate::scenario::{Algorithm, RingKind};
    let balancer: Box<dyn Balancer> = match config.algorithm {
        Algorithm::RoundRobin => Box::new(RoundRobin::new()),
        Algorithm::WeightedRoundRobin => Box::new(WeightedRoundRobin::new()),
        Algorithm::Random => Box::new(Random::new()),
        Algorithm::WeightedRandom => Box::new(WeightedRandom::new()),
        Algorithm::LeastConnections => Box::new(LeastConnections::new()),
        Algorithm::PowerOfTwo => Box::new(PowerOfTwo::new(config.choice_count)),
        Algorithm::PeakEwma => Box::new(PeakEwma::new(config.decay_s)),
        Algorithm::RingHash => Box::new(match config.ring {
            RingKind::Envoy => RingHash::envoy(config.min_ring_size, config.max_ring_size),
            RingKind::Ketama => RingHash::new(config.points_per_instance),
        }),
        Algorithm::Maglev => Box::new(Maglev::new(config.table_size)),
        Algorithm::JumpHash => Box::new(JumpHash::new()),
        Algorithm::SharedQueue => return None,
    };
    Some(balancer)
}

#[cfg(test)]
mod build_tests;

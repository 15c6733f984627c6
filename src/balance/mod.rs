//! Load balancing: how each request picks an instance. A `Balancer` sees the instances its
//! discovery view offers as a slice of `Endpoint`s (in id order) and their load through a
//! `LoadView` (possibly delayed, to model stale load reports). One file per algorithm, each
//! following the system it is named after; the pure building blocks (`jump_hash`,
//! `maglev_table`, `SmoothWeighted`) are usable without the simulation.
//!
//! Balancers for model servers (`endpoint_picker`, `cache_aware`) also read each endpoint's
//! waiting requests and KV-cache use (`LoadView::waiting`, `LoadView::kv_use`, which default to
//! what a plain web instance has) and the request's prompt and shared prefix (`RequestInfo`,
//! through `pick_request`, which defaults to `pick` with the key); they keep the scores of
//! their last pick as plain data (`last_scores`) for the page's "why this replica?" view.

use crate::rng::SimRng;
use crate::scenario::BalancerConfig;

mod active_health;
pub mod cache_aware;
mod common;
pub mod endpoint_picker;
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
mod scores;
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
pub use scores::{EndpointScore, PickScores, Rule};
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

    /// Requests waiting at endpoint `index`, not yet being served (for a model server: not yet
    /// admitted to the batch, vLLM's `num_requests_waiting`). A view that only knows the
    /// active count says all of them wait.
    fn waiting(&self, index: usize) -> u32 {
        self.active(index)
    }

    /// KV-cache use of endpoint `index`, a fraction 0..=1 (vLLM's `kv_cache_usage_perc`); 0 for
    /// servers without one.
    fn kv_use(&self, _index: usize) -> f64 {
        0.0
    }

    /// KV-cache blocks of endpoint `index` (vLLM's `num_gpu_blocks`); 0 when not reported.
    fn kv_blocks(&self, _index: usize) -> u32 {
        0
    }
}

/// What a balancer may know about the request it routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestInfo {
    /// Routing key (0: none), as passed to `pick`.
    pub key: u64,
    /// Prompt tokens (0: unknown, e.g. a web request).
    pub prompt_tokens: u32,
    /// The shared prefix the prompt starts with: its group (0: none) and length in tokens.
    pub prefix_group: u32,
    pub prefix_tokens: u32,
}

impl RequestInfo {
    pub fn key(key: u64) -> RequestInfo {
        RequestInfo {
            key,
            ..RequestInfo::default()
        }
    }
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

    /// Picks for a request described by `request`; balancers that ignore everything but the
    /// key need not implement it.
    fn pick_request(
        &mut self,
        request: &RequestInfo,
        load: &dyn LoadView,
        rng: &mut SimRng,
        now_ns: u64,
    ) -> Option<usize> {
        self.pick(request.key, load, rng, now_ns)
    }

    /// A response from endpoint `id` took `latency_ns` (time from routing to completion).
    fn on_response(&mut self, _id: u32, _latency_ns: u64, _now_ns: u64) {}

    /// The scores behind the last pick (balancers that score endpoints; None for the others).
    fn last_scores(&self) -> Option<PickScores> {
        None
    }

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

    /// The endpoints the next pick will most likely read, when the balancer can tell at
    /// almost no cost (`rng` is the generator the next pick will draw from; a balancer that
    /// draws looks ahead on a copy). Only a hint, which changes no pick: the simulation has the
    /// processor fetch those instances' records while the events before the next pick run,
    /// since at N = 100,000 the record of an instance picked out of index order is otherwise a
    /// wait for main memory.
    fn likely_next(&self, _rng: &SimRng) -> Likely {
        [None; 2]
    }
}

/// Up to two endpoints (indices) that the next pick will likely read.
pub type Likely = [Option<usize>; 2];

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
        Algorithm::EndpointPicker => Box::new(endpoint_picker::EndpointPicker::new()),
        Algorithm::CacheAware => Box::new(cache_aware::CacheAware::new(
            cache_aware::CacheAwareConfig::from(config),
        )),
        Algorithm::SharedQueue => return None,
    };
    Some(balancer)
}

#[cfg(test)]
mod build_tests;

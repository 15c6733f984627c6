//! fleetlab simulates a fleet of service instances request by request, to show how
//! microservices find each other, share load and scale.
//!
//! The core is plain Rust, free of the browser: [`scenario`] describes a run (JSON, validated,
//! every error naming its field); [`sim`] is the discrete-event engine (integer-nanosecond
//! clock, event heap, seeded generators from [`rng`]) that moves requests through the fleet;
//! [`registry`] holds registrations, leases and heartbeats; [`balance`] has one file per
//! load-balancing algorithm (including the inference-aware `endpoint_picker` and
//! `cache_aware`); [`serving`] is the model-server replica (continuous batching over a KV
//! cache, token lengths from a published trace); [`autoscale`] has the seed's rule, a faithful
//! Kubernetes HPA, Knative's Pod Autoscaler and KEDA's queue-depth scaling; [`race`] runs
//! autoscalers side by side on one request stream and weighs cost against latency;
//! [`metrics`] measures latency and keeps the time series; [`theory`] has the closed forms
//! (the seed's L/N and ceil(L/C), M/M/1, M/D/1, M/M/c) the measurements are checked against;
//! [`verdict`] says which of two runs of the same requests served them better, and ranks two
//! to four such runs by the same rule.
//! `wasm.rs` is the only file that knows wasm-bindgen: a thin facade for the page.

pub mod autoscale;
pub mod balance;
pub mod error;
pub mod metrics;
pub mod race;
pub mod registry;
pub mod rng;
pub mod scenario;
pub mod serving;
pub mod sim;
pub mod theory;
pub mod verdict;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::Error;

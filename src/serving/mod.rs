//! Serving a large model: the pieces of a model-server replica, free of the simulation.
//! [`tokens`] draws prompt and output lengths (the Azure 2023 trace's quantiles, a lognormal,
//! or fixed sizes); [`kv`] is a replica's KV cache of 16-token blocks with prefix caching, as
//! vLLM's block pool keeps it; [`replica`] is vLLM's iteration-level scheduler (continuous
//! batching, chunked prefill, preemption when blocks run out) with a step time of
//! a + b·(prefill tokens) + c·(decoding sequences); [`runs`] is the run-length LRU list both the
//! KV cache and the endpoint picker's prefix index are built on. `sim` drives replicas request
//! by request; `balance::endpoint_picker` and `balance::cache_aware` route to them.

pub mod kv;
pub mod replica;
pub mod runs;
pub mod tokens;

pub use replica::{Attempt, HistorySample, Outcome, Replica, Seq, Step};

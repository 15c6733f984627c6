//! The live state in the terms a lesson uses: the article's arithmetic (L/N, ceil(L/C),
//! ρ = L/(N·C)) on the replica count, the same on what really serves (ready instances at their
//! real speeds), whether queueing theory's equal-server formulas apply, the faults and
//! overrides in force, and the latency measured since the last change with whether it is
//! still settling. The page words this; it computes nothing itself.

use serde::Serialize;

use crate::theory::{self, Readout};

use super::{Lifecycle, Simulation, FLAG_EJECTED, FLAG_PARTITIONED, FLAG_SLOW, FLAG_UNHEALTHY};

/// Below this many completions, or this many seconds, since the last change the measured mean
/// is still mostly transient.
const SETTLE_COMPLETIONS: u64 = 500;
const SETTLE_S: f64 = 5.0;

/// How loaded the ready fleet is (ρ on its real capacity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Load {
    /// No instance is ready: every request fails.
    NoCapacity,
    /// ρ < 1: instances are idle this fraction of the time on average.
    Stable { idle_fraction: f64 },
    /// ρ = 1 exactly: no slack, queues drift without bound.
    Critical,
    /// ρ > 1: this many more requests arrive per second than the fleet can serve.
    Overloaded { excess_rps: f64 },
}

/// Something that makes one instance differ from the others.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Condition {
    pub instance: u32,
    pub lifecycle: &'static str,
    /// Its capacity as a multiple of C (its speed × a slow fault's factor).
    pub speed: f64,
    pub weight: u32,
    /// Bits as in the view's `flags` column (partitioned, slow, ejected, unhealthy).
    pub flags: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    pub now_s: f64,
    pub load_rps: f64,
    pub capacity_rps: f64,
    /// N: the replica count wanted (by hand or by the autoscaler).
    pub desired: u32,
    /// Replicas counted (starting, ready, crashed).
    pub members: u32,
    pub ready: u32,
    /// The article's arithmetic on N equal instances of capacity C.
    pub nominal: Readout,
    /// What the ready instances can really serve: Σ C × speed.
    pub ready_capacity_rps: f64,
    /// L over that capacity (`None` with no ready instance).
    pub rho_ready: Option<f64>,
    pub load: Load,
    /// Every ready instance serves at exactly C: the equal-server formulas apply to them.
    pub equal_servers: bool,
    /// The formulas on the ready instances (meaningful when `equal_servers`).
    pub ready_theory: Readout,
    /// Instances that are not plain ready instances at C (crashed, slow, partitioned, ejected,
    /// unhealthy, starting, draining, or with a weight or speed set).
    pub conditions: Vec<Condition>,
    /// Seconds since the last change (an edit, a fault, a scale or rate change).
    pub since_change_s: f64,
    /// Mean latency of the requests completed since that change, and their number.
    pub measured_mean_s: Option<f64>,
    pub measured_completed: u64,
    /// Too soon after the change for the measurement to mean much yet.
    pub settling: bool,
    /// Model servers: the replica's arithmetic (absent for web fleets, where C means
    /// requests per second; for model servers C is not used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving: Option<ServingExplain>,
}

/// A model-server fleet in a lesson's terms: the step formula on the configured lengths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServingExplain {
    /// Mean prompt (own tokens plus the shared prefix's share) and output tokens drawn.
    pub mean_prompt_tokens: f64,
    pub mean_output_tokens: f64,
    /// One decode step of a single sequence: a + c.
    pub decode_step_s: f64,
    /// A request of the mean sizes alone on a replica: time to first token and service.
    pub alone_ttft_s: f64,
    pub alone_service_s: f64,
    /// Fixed sizes: one replica's requests per second with its batch always full
    /// (`theory::llm_full_batch_rps`; None when the batch's prompts exceed the token budget
    /// or the lengths vary).
    pub full_batch_rps: Option<f64>,
    /// Fixed sizes, no shared prefix, `max_batch` 1: each replica is an M/D/1 queue at
    /// L / ready (exact for one replica or random routing): its mean time in system
    /// (None when ρ ≥ 1 or the conditions do not hold).
    pub md1_mean_s: Option<f64>,
    /// The saturation detector's pool value (mean over ready replicas of max(waiting / 5,
    /// KV use / 0.8)) and whether it is ≥ 1.
    pub pool_saturation: f64,
    pub saturated: bool,
    /// Prompt tokens found in the prefix cache, as a fraction of all prompt tokens admitted.
    pub prefix_hit_fraction: f64,
}

/// Conditions listed at most (a 100,000-instance fleet with one override each stays small).
const MAX_CONDITIONS: usize = 50;

impl Simulation {
    /// Notes that the settings or the fleet just changed: measurements restart from here.
    pub(super) fn mark_change(&mut self) {
        self.stats.change_mark = ChangeMark {
            at_ns: self.now_ns,
            count: self.stats.latency.count(),
            sum_ns: self.stats.latency.sum_ns(),
        };
    }

    pub fn explain(&self) -> Explain {
        let c = self.scenario.instances.capacity_rps;
        let load_rps = self.workload.rate_rps;
        let mut ready = 0u32;
        let mut ready_capacity = 0.0;
        let mut equal = true;
        let mut conditions = Vec::new();
        for &id in &self.fleet.alive {
            let inst = &self.fleet[id];
            let speed = inst.speed * inst.slow_factor;
            if inst.state == Lifecycle::Ready {
                ready += 1;
                ready_capacity += c * speed;
                equal &= speed == 1.0;
            }
            let mut flags = 0;
            if inst.partitioned {
                flags |= FLAG_PARTITIONED;
            }
            if inst.slow_factor < 1.0 {
                flags |= FLAG_SLOW;
            }
            if self.is_ejected(inst.id) {
                flags |= FLAG_EJECTED;
            }
            if !self.hc_healthy(inst.id) {
                flags |= FLAG_UNHEALTHY;
            }
            if self.peer_down(inst.id) {
                flags |= super::FLAG_DOWN;
            }
            let plain =
                inst.state == Lifecycle::Ready && flags == 0 && speed == 1.0 && inst.weight == 1;
            if !plain && conditions.len() < MAX_CONDITIONS {
                conditions.push(Condition {
                    instance: id,
                    lifecycle: inst.state.name(),
                    speed,
                    weight: inst.weight,
                    flags,
                });
            }
        }
        let rho_ready = (ready_capacity > 0.0).then(|| load_rps / ready_capacity);
        let load = match rho_ready {
            None => Load::NoCapacity,
            Some(r) if (r - 1.0).abs() < 1e-12 => Load::Critical,
            Some(r) if r < 1.0 => Load::Stable {
                idle_fraction: 1.0 - r,
            },
            Some(_) => Load::Overloaded {
                excess_rps: load_rps - ready_capacity,
            },
        };
        let mark = self.stats.change_mark;
        let completed = self.stats.latency.count() - mark.count;
        let since_change_s = (self.now_ns - mark.at_ns) as f64 / 1e9;
        let measured_mean_s = (completed > 0)
            .then(|| (self.stats.latency.sum_ns() - mark.sum_ns) as f64 / completed as f64 / 1e9);
        Explain {
            now_s: self.now_s(),
            load_rps,
            capacity_rps: c,
            desired: self.fleet.desired,
            members: self.members(),
            ready,
            nominal: theory::readout(load_rps, self.fleet.desired, c),
            ready_capacity_rps: ready_capacity,
            rho_ready,
            load,
            equal_servers: equal,
            ready_theory: theory::readout(load_rps, ready, c),
            conditions,
            since_change_s,
            measured_mean_s,
            measured_completed: completed,
            settling: completed < SETTLE_COMPLETIONS || since_change_s < SETTLE_S,
            serving: self.serving_explain(load_rps, ready),
        }
    }

    fn serving_explain(&self, load_rps: f64, ready: u32) -> Option<ServingExplain> {
        use crate::scenario::Lengths;
        use crate::serving::tokens::TokenSampler;
        let readout = self.serving()?;
        let t = &self.scenario.traffic;
        let m = &self.scenario.instances.llm;
        let lengths = TokenSampler::new(&t.tokens);
        let prefix = t.prefix.share * f64::from(t.prefix.tokens);
        let prompt = lengths.prompt.mean() + prefix;
        let output = lengths.output.mean();
        let (a, b, c) = (
            m.step_base_us,
            m.step_prefill_token_us,
            m.step_decode_seq_us,
        );
        let budget = m.max_batched_tokens;
        let (ttft, service) = theory::llm_alone_s(
            a,
            b,
            c,
            libm::round(prompt) as u32,
            libm::round(output) as u32,
            budget,
        );
        let fixed = t.tokens.lengths == Lengths::Fixed;
        let whole_prompt = t.tokens.prompt_tokens
            + if t.prefix.share > 0.0 {
                t.prefix.tokens
            } else {
                0
            };
        let full_batch_rps = (fixed
            && u64::from(m.max_batch) * u64::from(whole_prompt) <= u64::from(budget)
            && t.prefix.share == 0.0)
            .then(|| {
                theory::llm_full_batch_rps(
                    a,
                    b,
                    c,
                    whole_prompt,
                    t.tokens.output_tokens,
                    m.max_batch,
                )
            });
        let md1_mean_s = if fixed && t.prefix.share == 0.0 && m.max_batch == 1 && ready > 0 {
            theory::md1_mean_response_s(load_rps / f64::from(ready), 1.0 / service).ok()
        } else {
            None
        };
        let (mut admitted, mut cached) = (0u64, 0u64);
        for inst in self.fleet.records() {
            if let Some(r) = inst.llm.as_ref() {
                admitted += r.prefill_tokens + r.cached_tokens;
                cached += r.cached_tokens;
            }
        }
        Some(ServingExplain {
            mean_prompt_tokens: prompt,
            mean_output_tokens: output,
            decode_step_s: theory::llm_step_s(a, b, c, 0.0, 1.0),
            alone_ttft_s: ttft,
            alone_service_s: service,
            full_batch_rps,
            md1_mean_s,
            pool_saturation: readout.pool_saturation,
            saturated: readout.saturated,
            prefix_hit_fraction: if admitted > 0 {
                cached as f64 / admitted as f64
            } else {
                0.0
            },
        })
    }
}

/// Where the measurements since the last change start.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ChangeMark {
    pub at_ns: u64,
    pub count: u64,
    pub sum_ns: u128,
}

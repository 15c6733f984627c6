//! Model-server replicas in the simulation (`instances.model: llm`): a request's prompt and
//! output lengths and shared prefix are drawn at arrival, the balancer picks a replica knowing
//! them, and the replica (`serving::replica`) runs steps back to back while it has work, each
//! step an event. Time to first token (TTFT) is recorded when a request's first token is
//! sampled, time per output token (TPOT) and end-to-end latency when its last one is:
//! TPOT = (end − first token) / (output − 1), as vLLM's benchmark reports it, for requests
//! with more than one output token. A replica that cannot admit a request for lack of KV
//! blocks says so in the log (`kv_full`, once per spell: the spell ends when its waiting
//! queue empties) and in the view's flags. Requests never vanish: they wait (or are
//! preempted back into the waiting queue) until served, dropped at a full queue
//! (`queue_limit`), lost in a crash, or aborted when `balancer.timeout_s` runs out before
//! their last token (the sequence leaves and frees its KV blocks; see `timeouts.rs`).

use serde::Serialize;

use crate::balance::endpoint_picker::{endpoint_saturation, saturation};
use crate::balance::endpoint_picker::{KV_CACHE_UTIL_THRESHOLD, QUEUE_DEPTH_THRESHOLD};
use crate::balance::{Failure, PickScores};
use crate::metrics::{LatencyRecorder, LatencyStats};
use crate::serving::{Attempt, Outcome, Replica, Seq};

use super::service::QueueFull;
use super::workload::LlmRequest;
use super::{clock, Event, Lifecycle, LogEvent, Request, Routing, Simulation};

/// Seconds of per-replica history kept at most, and the fleet-wide budget of samples (a fleet
/// of more than `HISTORY_BUDGET / HISTORY_S` replicas keeps fewer seconds each, at least 10).
pub const HISTORY_S: usize = 300;
pub const HISTORY_BUDGET: usize = 1_000_000;

/// One replica's last samples, as columns (one entry per simulated second).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaHistory {
    pub instance: u32,
    pub t_s: Vec<f64>,
    pub kv_use: Vec<f64>,
    pub batch: Vec<f64>,
    pub waiting: Vec<f64>,
}

/// One kept pick in brief: the request's number, when it was routed and the replica chosen
/// (the list the page offers to choose from, without every endpoint's numbers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PickBrief {
    pub request: u64,
    pub t_s: f64,
    pub winner: Option<u32>,
}

/// What the simulation measures of model serving beyond the web metrics.
#[derive(Clone)]
pub(super) struct ServingStats {
    pub ttft: LatencyRecorder,
    pub tpot: LatencyRecorder,
    pub window_ttft: LatencyRecorder,
    pub window_tpot: LatencyRecorder,
    /// Output tokens of every replica at the last one-second sample.
    pub tokens_at_sample: u64,
    outcomes: Vec<Outcome>,
    /// The totals of the replicas that stopped (their records may be forgotten since, see
    /// `sim::fleet`), so the summary needs only the replicas alive.
    stopped: Totals,
}

/// Counts summed over replicas, and the sums of their lifetime means.
#[derive(Clone, Copy, Default)]
struct Totals {
    replicas: u32,
    output_tokens: u64,
    prefill_tokens: u64,
    cached_tokens: u64,
    preemptions: u64,
    kv_waits: u64,
    kv_mean: f64,
    batch_mean: f64,
}

impl Totals {
    fn add(&mut self, r: &Replica, end_ns: u64) {
        let (kv, batch) = r.means(end_ns);
        self.replicas += 1;
        self.output_tokens += r.output_tokens;
        self.prefill_tokens += r.prefill_tokens;
        self.cached_tokens += r.cached_tokens;
        self.preemptions += r.preemptions;
        self.kv_waits += r.kv_waits;
        self.kv_mean += kv;
        self.batch_mean += batch;
    }
}

impl ServingStats {
    /// Memory held by the four histograms.
    pub fn heap_bytes(&self) -> usize {
        [&self.ttft, &self.tpot, &self.window_ttft, &self.window_tpot]
            .iter()
            .map(|r| r.heap_bytes())
            .sum()
    }

    pub fn new() -> Self {
        ServingStats {
            ttft: LatencyRecorder::new(3),
            tpot: LatencyRecorder::new(3),
            window_ttft: LatencyRecorder::new(2),
            window_tpot: LatencyRecorder::new(2),
            tokens_at_sample: 0,
            outcomes: Vec::new(),
            stopped: Totals::default(),
        }
    }
}

/// The summary's model-serving totals (requests that arrived after the warm-up for the
/// latencies; every token for the counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServingSummary {
    /// Output tokens generated, and per simulated second (the whole fleet).
    pub output_tokens: u64,
    pub output_tokens_per_s: f64,
    /// Prompt tokens computed in prefill steps, and prompt tokens found in the prefix cache.
    pub prefill_tokens: u64,
    pub cached_prompt_tokens: u64,
    /// Cached prompt tokens as a share of all prompt tokens admitted (cached + computed): how
    /// much prefill the prefix caches saved.
    pub cached_prompt_share: f64,
    /// Time-averaged KV use and batch size of the replicas (mean over replicas of each one's
    /// average over its life).
    pub mean_kv_use: f64,
    pub mean_batch: f64,
    /// Sequences preempted for lack of KV blocks (they wait and recompute), and requests that
    /// had to wait at the head of a queue for KV blocks.
    pub preemptions: u64,
    pub kv_waits: u64,
}

/// One replica now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaReadout {
    pub instance: u32,
    pub lifecycle: &'static str,
    /// Not yet admitted to the batch / in the batch / the batch's limit.
    pub waiting: u32,
    pub running: u32,
    pub max_batch: u32,
    pub kv_blocks_used: u32,
    pub kv_blocks: u32,
    pub kv_use: f64,
    /// The saturation detector's value: max(waiting / 5, KV use / 0.8); saturated at ≥ 1.
    pub saturation: f64,
    pub saturated: bool,
    /// In a spell of waiting for KV blocks.
    pub kv_full: bool,
    /// Output tokens over its life and per second of its life.
    pub output_tokens: u64,
    pub output_tokens_per_s: f64,
    pub preemptions: u64,
}

/// The model-serving state now: every live replica and the pool's saturation as the Gateway
/// API Inference Extension's detector computes it (the mean over ready replicas).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServingReadout {
    pub replicas: Vec<ReplicaReadout>,
    pub pool_saturation: f64,
    pub saturated: bool,
    pub queue_depth_threshold: f64,
    pub kv_cache_util_threshold: f64,
    pub ttft_s: LatencyStats,
    pub tpot_s: LatencyStats,
    /// Requests whose first token counts in `ttft_s` (none during the warm-up, when the
    /// figures above are zeros, not measurements).
    pub ttft_measured: u64,
}

impl Simulation {
    #[inline(never)]
    pub(super) fn on_llm_arrival(&mut self) {
        let (request, llm) = self.workload.next_llm_request(self.now_ns);
        self.stats.requests.arrived += 1;
        self.stats.window.arrived += 1;
        self.stats.last_arrival_ns = Some(self.now_ns);
        // The race's check that every variant saw the same requests covers their tokens too.
        self.stats.arrival_digest = (self.stats.arrival_digest
            ^ request.arrived_ns
            ^ (u64::from(llm.prompt) << 32 | u64::from(llm.output)).rotate_left(17)
            ^ u64::from(llm.group).rotate_left(48)
            ^ u64::from(request.key))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29);
        self.schedule_next_arrival();
        if self.activator_in_path() {
            self.through_activator(request, Some(llm));
        } else {
            self.dispatch_llm(request, llm);
        }
    }

    /// Sends a model-server request to the fleet through the balancer; counts a cold-start
    /// failure when it fails with no instance ready (as `dispatch` does for web requests).
    pub(super) fn dispatch_llm(&mut self, request: Request, llm: LlmRequest) {
        let lost_before = self.stats.requests.failed + self.stats.requests.dropped;
        self.route_with(request, Some(llm));
        if self.stats.requests.failed + self.stats.requests.dropped > lost_before
            && !self.any_ready()
        {
            self.stats.cold_start.failed += 1;
        }
    }

    /// A model-server request reaches replica `id`: it waits for the next step, or is refused
    /// at a full waiting queue (`queue_limit`; the caller counts the drop or retries).
    pub(super) fn deliver_llm(
        &mut self,
        id: u32,
        request: Request,
        llm: LlmRequest,
    ) -> Result<(), QueueFull> {
        let mut seq = Seq::new(
            request.arrived_ns,
            llm.prompt,
            llm.output,
            llm.group,
            llm.prefix_tokens,
        );
        seq.origin = Attempt {
            sent_ns: request.sent_ns,
            key: request.key,
            attempt: request.attempt,
            previous: request.previous,
            group: llm.group,
            prefix_tokens: llm.prefix_tokens,
        };
        let queue_limit = self.scenario.instances.queue_limit;
        let inst = &mut self.fleet[id];
        inst.routed += 1;
        if inst.held >= queue_limit {
            inst.dropped += 1;
            return Err(QueueFull);
        }
        let Some(replica) = inst.llm.as_mut() else {
            // Not a model server (the fleet is all or none): refused as a full queue would be.
            inst.dropped += 1;
            return Err(QueueFull);
        };
        replica.enqueue(seq);
        let idle = replica.step.is_none();
        inst.held += 1;
        if idle {
            self.run_replica(id);
        }
        self.arm_timeout(id);
        Ok(())
    }

    /// Starts the replica's next step if it has work and none is under way.
    fn run_replica(&mut self, id: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        let speed = inst.speed * inst.slow_factor;
        let Some(replica) = inst.llm.as_mut() else {
            return;
        };
        if replica.step.is_some() {
            return;
        }
        let step = replica.schedule(now, speed);
        let (running, waiting, blocked, kv_use) = (
            replica.running(),
            replica.waiting(),
            replica.kv_blocked,
            replica.kv_use(),
        );
        inst.held = waiting;
        inst.abandoned = replica.aborting;
        inst.set_in_service(now, running);
        let epoch = inst.epoch;
        let spell_starts = blocked && !inst.kv_full;
        if blocked {
            inst.kv_full = true;
        } else if waiting == 0 {
            inst.kv_full = false;
        }
        if spell_starts {
            self.push_log(
                Some(id),
                LogEvent::KvFull {
                    waiting,
                    running,
                    kv_use,
                },
            );
        }
        match step {
            Some(step) => {
                // A step that would end past the end of time never ends (the replica stays
                // busy with it), as a web request's service does.
                if let Some(done) = clock::later(now, step.ns) {
                    self.queue.schedule(
                        done,
                        Event::Step {
                            instance: id,
                            epoch,
                        },
                    );
                }
            }
            None => {
                let inst = &self.fleet[id];
                if inst.state == Lifecycle::Draining && inst.active() == 0 {
                    self.stop(id);
                }
            }
        }
    }

    pub(super) fn on_step(&mut self, id: u32, epoch: u32) {
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        if inst.epoch != epoch {
            return; // the replica crashed or stopped meanwhile
        }
        let Some(replica) = inst.llm.as_mut() else {
            return;
        };
        let Some(serving) = self.serving.as_mut() else {
            return;
        };
        let mut outcomes = std::mem::take(&mut serving.outcomes);
        replica.finish_step(now, |o| outcomes.push(o));
        let warmup = self.warmup_ns;
        let mut succeeded = 0u32;
        for o in outcomes.drain(..) {
            match o {
                Outcome::FirstToken { arrived_ns } => {
                    let ttft = now - arrived_ns;
                    if arrived_ns >= warmup {
                        serving.ttft.record(ttft);
                    }
                    serving.window_ttft.record(ttft);
                }
                Outcome::Done(seq) => {
                    let latency = now - seq.arrived_ns;
                    if seq.output > 1 {
                        let tpot = (now - seq.first_token_ns) / u64::from(seq.output - 1);
                        if seq.arrived_ns >= warmup {
                            serving.tpot.record(tpot);
                        }
                        serving.window_tpot.record(tpot);
                    }
                    if seq.arrived_ns >= warmup {
                        self.stats.latency.record(latency);
                    }
                    self.stats.window.latency.record(latency);
                    self.stats.requests.completed += 1;
                    self.stats.window.completed += 1;
                    self.fleet[id].completed += 1;
                    if let Routing::Balanced(b) = &mut self.routing {
                        b.on_response(id, latency, now);
                    }
                    succeeded += 1;
                }
            }
        }
        if let Some(serving) = self.serving.as_mut() {
            serving.outcomes = outcomes;
        }
        for _ in 0..succeeded {
            self.attempt_succeeded(id);
        }
        self.run_replica(id);
        // Sequences left: the activator (if it holds requests) may send the next ones here.
        if self.scaling.activator_settings.is_some() {
            self.activator_slot_free(id, false);
        }
    }

    /// Replica `id`'s timer fired: every sequence whose attempt is `timeout` old is aborted
    /// (the balancer reset the stream, the server aborts the request and frees its KV blocks;
    /// see `timeouts.rs`), and the attempt fails for its client or is retried.
    pub(super) fn on_llm_timeout(&mut self, id: u32, timeout: u64) {
        let now = self.now_ns;
        let Some(sent_by) = now.checked_sub(timeout) else {
            self.arm_timeout(id);
            return;
        };
        let inst = &mut self.fleet[id];
        let Some(replica) = inst.llm.as_mut() else {
            return;
        };
        let mut expired = Vec::new();
        replica.abort_sent_by(now, sent_by, |s| {
            let o = s.origin;
            expired.push((
                Request {
                    arrived_ns: s.arrived_ns,
                    sent_ns: o.sent_ns,
                    work: 0.0,
                    key: o.key,
                    attempt: o.attempt,
                    previous: o.previous,
                },
                LlmRequest {
                    prompt: s.prompt,
                    output: s.output,
                    group: o.group,
                    prefix_tokens: o.prefix_tokens,
                },
            ));
        });
        let idle = replica.step.is_none();
        inst.abandoned = replica.aborting;
        inst.failed += expired.len() as u64;
        if idle && !expired.is_empty() {
            // Removed at once: the replica's counts follow, and it may start a step (or stop,
            // when draining and now empty).
            self.run_replica(id);
            if self.scaling.activator_settings.is_some() {
                self.activator_slot_free(id, false);
            }
        }
        self.arm_timeout(id);
        for (request, llm) in expired {
            self.attempt_failed(id, request, Some(llm), Failure::Timeout);
        }
    }

    /// The model-serving readout now (None for a web fleet).
    pub fn serving(&self) -> Option<ServingReadout> {
        let serving = self.serving.as_ref()?;
        let now = self.now_ns;
        let mut replicas = Vec::new();
        let (mut waiting, mut kv) = (Vec::new(), Vec::new());
        for &id in &self.fleet.alive {
            let inst = &self.fleet[id];
            let Some(r) = inst.llm.as_ref() else {
                continue;
            };
            let sat = endpoint_saturation(r.waiting(), r.kv_use());
            if inst.state == Lifecycle::Ready {
                waiting.push(r.waiting());
                kv.push(r.kv_use());
            }
            let life_s = now.saturating_sub(inst.created_ns) as f64 / 1e9;
            replicas.push(ReplicaReadout {
                instance: id,
                lifecycle: inst.state.name(),
                waiting: r.waiting(),
                running: r.running(),
                max_batch: r.max_batch(),
                kv_blocks_used: r.kv.used(),
                kv_blocks: r.kv.total(),
                kv_use: r.kv_use(),
                saturation: sat,
                saturated: sat >= 1.0,
                kv_full: inst.kv_full,
                output_tokens: r.output_tokens,
                output_tokens_per_s: if life_s > 0.0 {
                    r.output_tokens as f64 / life_s
                } else {
                    0.0
                },
                preemptions: r.preemptions,
            });
        }
        let pool = saturation(
            &waiting,
            &kv,
            QUEUE_DEPTH_THRESHOLD,
            KV_CACHE_UTIL_THRESHOLD,
        );
        Some(ServingReadout {
            replicas,
            pool_saturation: pool,
            saturated: pool >= 1.0,
            queue_depth_threshold: QUEUE_DEPTH_THRESHOLD,
            kv_cache_util_threshold: KV_CACHE_UTIL_THRESHOLD,
            ttft_s: serving.ttft.stats(),
            tpot_s: serving.tpot.stats(),
            ttft_measured: serving.ttft.count(),
        })
    }

    /// The summary's serving part (None for a web fleet).
    pub(super) fn serving_summary(&self) -> Option<ServingSummary> {
        let now = self.now_ns;
        let mut t = self.serving.as_ref()?.stopped;
        for &id in &self.fleet.alive {
            if let Some(r) = self.fleet[id].llm.as_ref() {
                t.add(r, now);
            }
        }
        let per_replica = |sum: f64| {
            if t.replicas > 0 {
                sum / f64::from(t.replicas)
            } else {
                0.0
            }
        };
        let mut s = ServingSummary {
            output_tokens: t.output_tokens,
            output_tokens_per_s: 0.0,
            prefill_tokens: t.prefill_tokens,
            cached_prompt_tokens: t.cached_tokens,
            cached_prompt_share: if t.prefill_tokens + t.cached_tokens > 0 {
                t.cached_tokens as f64 / (t.prefill_tokens + t.cached_tokens) as f64
            } else {
                0.0
            },
            mean_kv_use: per_replica(t.kv_mean),
            mean_batch: per_replica(t.batch_mean),
            preemptions: t.preemptions,
            kv_waits: t.kv_waits,
        };
        let span = now as f64 / 1e9;
        if span > 0.0 {
            s.output_tokens_per_s = s.output_tokens as f64 / span;
        }
        Some(s)
    }

    /// The scores behind the last pick (None before the first, or when the run keeps none:
    /// web fleets with balancers that do not score).
    pub fn last_pick_scores(&self) -> Option<PickScores> {
        self.picks.as_ref()?.back().cloned()
    }

    /// The scores behind the last picks still kept (at most 16), oldest first; `request`
    /// numbers them (1 = the run's first arrival).
    pub fn pick_history(&self) -> Vec<PickScores> {
        self.picks
            .as_ref()
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The kept picks in brief, oldest first, one per request (a retried request's first pick,
    /// the one `pick_scores` gives).
    pub fn pick_list(&self) -> Vec<PickBrief> {
        let Some(picks) = self.picks.as_ref() else {
            return Vec::new();
        };
        let mut out: Vec<PickBrief> = Vec::with_capacity(picks.len());
        for p in picks {
            if out.iter().all(|b| b.request != p.request) {
                out.push(PickBrief {
                    request: p.request,
                    t_s: p.t_s,
                    winner: p.winner,
                });
            }
        }
        out
    }

    /// The scores behind the pick for request number `request`, if still kept.
    pub fn pick_scores(&self, request: u64) -> Option<PickScores> {
        self.picks
            .as_ref()?
            .iter()
            .find(|p| p.request == request)
            .cloned()
    }

    /// Instance `id`'s KV use, batch and waiting requests at each of the last one-second
    /// samples (up to `HISTORY_S`); None for a web instance or an unknown id.
    pub fn replica_history(&self, id: u32) -> Option<ReplicaHistory> {
        let r = self.fleet.get(id)?.llm.as_ref()?;
        let h = &r.history;
        Some(ReplicaHistory {
            instance: id,
            t_s: h.iter().map(|s| f64::from(s.t_s)).collect(),
            kv_use: h.iter().map(|s| f64::from(s.kv_use)).collect(),
            batch: h.iter().map(|s| f64::from(s.batch)).collect(),
            waiting: h.iter().map(|s| f64::from(s.waiting)).collect(),
        })
    }

    /// Replica `id` has stopped for good: its totals join the stopped replicas' (its record may
    /// be forgotten from here on).
    pub(super) fn replica_stopped(&mut self, id: u32) {
        let now = self.now_ns;
        if let (Some(serving), Some(r)) = (self.serving.as_mut(), self.fleet[id].llm.as_ref()) {
            serving.stopped.add(r, now);
        }
    }

    /// A new replica for instance `id` when the fleet serves a model.
    pub(super) fn new_replica(&self) -> Option<Box<Replica>> {
        self.serving
            .as_ref()
            .map(|_| Box::new(Replica::new(&self.scenario.instances.llm, self.now_ns)))
    }
}

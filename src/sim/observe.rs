//! Reading the simulation out: the per-second samples of the time series, the summary (the
//! CLI's JSON, identical in wasm), the live details, and the flat per-instance view the page
//! draws from — one row of `VIEW_FIELDS` per instance, read as a typed array over wasm memory.
//! The column list and the row are generated from one table, and the codes in the lifecycle,
//! registry and flags columns are named by `codes()`, so the page never hard-codes a number.
//! Readers keep their own "since last read" baselines (`ViewReader`): reading never changes
//! the simulation.

use serde::Serialize;

use crate::balance::endpoint_picker::endpoint_saturation;
use crate::metrics::{LatencyStats, LlmSample, Requests, Sample};
use crate::registry::RegState;

use super::serving::ServingSummary;
use super::{Instance, Lifecycle, LogEntry, Retired, Simulation, NS};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub simulated_s: f64,
    /// Present, and true, only when the run was stopped before its `duration_s` (the CLI on
    /// Ctrl-C): the figures are those of the run so far.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    pub events_processed: u64,
    pub requests: Requests,
    pub latency_s: LatencyStats,
    /// Requests whose latency counts in `latency_s` (those completed that arrived after the
    /// warm-up). With none, `latency_s` holds zeros, not measurements.
    pub latency_measured: u64,
    /// Model servers: time to first token and time per output token (requests arriving after
    /// the warm-up; TPOT of requests with more than one output token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_s: Option<LatencyStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpot_s: Option<LatencyStats>,
    /// Model servers: first tokens that count in `ttft_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_measured: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving: Option<ServingSummary>,
    pub instances: InstancesSummary,
    /// The alive instances and the last `LISTED_STOPPED` that stopped, in id order.
    pub per_instance: Vec<InstanceSummary>,
    /// The totals of the stopped instances not listed in `per_instance`.
    pub retired: Retired,
    pub scale_events: Vec<ScaleEvent>,
    /// Instance-seconds used: each instance from its creation until it stopped (or now),
    /// starting, crashed and draining time included — the cost.
    pub instance_seconds: f64,
    /// Requests that arrived while no instance was ready.
    pub cold_start: super::ColdStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InstancesSummary {
    pub r#final: u32,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InstanceSummary {
    pub id: u32,
    pub completed: u64,
    pub dropped: u64,
    pub utilization: f64,
    /// Model servers: output tokens, their rate over the replica's life, its time-averaged
    /// KV use and batch, and its preemptions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_kv_use: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_batch: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preemptions: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleEvent {
    pub t_s: f64,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// Bits of the `flags` column.
pub const FLAG_PARTITIONED: u32 = 1;
pub const FLAG_SLOW: u32 = 2;
pub const FLAG_EJECTED: u32 = 4;
pub const FLAG_UNHEALTHY: u32 = 8;
/// nginx passive health: unavailable (max_fails reached within fail_timeout).
pub const FLAG_DOWN: u32 = 16;
/// A model server waiting for KV blocks (a `kv_full` spell).
pub const FLAG_KV_FULL: u32 = 32;
/// A model server the saturation detector counts as saturated (waiting ≥ 5 or KV use ≥ 0.8).
pub const FLAG_SATURATED: u32 = 64;

/// What one row of the view is computed from.
struct Row<'a> {
    inst: &'a Instance,
    registry: RegState,
    lease_left_s: f64,
    utilization: f64,
    routed: u64,
    in_view: bool,
    flags: u32,
    kv_use: f64,
    saturation: f64,
    tokens_per_s: f64,
}

/// The view's columns, each with how its value is computed: `VIEW_FIELDS` and the row written
/// by `ViewReader::fill` both come from this one list.
macro_rules! view_columns {
    ($($name:ident => |$r:ident| $value:expr),* $(,)?) => {
        /// Columns of the per-instance view, in order.
        pub const VIEW_FIELDS: &[&str] = &[$(stringify!($name)),*];
        const COLUMNS: usize = VIEW_FIELDS.len();
        fn view_row(row: &Row) -> [f32; COLUMNS] {
            [$({ let $r = row; $value as f32 }),*]
        }
    };
}

view_columns! {
    id => |r| r.inst.id,
    lifecycle => |r| r.inst.state as u8,
    registry => |r| r.registry as u8,
    queue => |r| r.inst.waiting(),
    in_service => |r| r.inst.in_service,
    concurrency => |r| r.inst.concurrency,
    utilization => |r| r.utilization.min(1.0),
    routed => |r| r.routed,
    completed => |r| r.inst.completed,
    dropped => |r| r.inst.dropped,
    failed => |r| r.inst.failed,
    weight => |r| r.inst.weight,
    speed => |r| r.inst.speed * r.inst.slow_factor,
    lease_left_s => |r| r.lease_left_s,
    in_view => |r| u8::from(r.in_view),
    flags => |r| r.flags,
    kv_use => |r| r.kv_use,
    kv_blocks => |r| r.inst.kv_blocks(),
    saturation => |r| r.saturation,
    tokens_per_s => |r| r.tokens_per_s,
}

/// The names of the codes in the view's `lifecycle` and `registry` columns (index = code) and
/// the bits of its `flags` column.
#[derive(Debug, Clone, Serialize)]
pub struct Codes {
    pub lifecycle: Vec<&'static str>,
    pub registry: Vec<&'static str>,
    pub flags: Vec<(&'static str, u32)>,
}

pub fn codes() -> Codes {
    Codes {
        lifecycle: Lifecycle::ALL.iter().map(|l| l.name()).collect(),
        registry: RegState::ALL.iter().map(|r| r.name()).collect(),
        flags: vec![
            ("partitioned", FLAG_PARTITIONED),
            ("slow", FLAG_SLOW),
            ("ejected", FLAG_EJECTED),
            ("unhealthy", FLAG_UNHEALTHY),
            ("down", FLAG_DOWN),
            ("kv_full", FLAG_KV_FULL),
            ("saturated", FLAG_SATURATED),
        ],
    }
}

/// Extra measurements beyond the summary's contract, for the page and tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Details {
    pub now_s: f64,
    pub offered_rps: f64,
    pub capacity_rps: f64,
    pub desired: u32,
    pub members: u32,
    pub ready: u32,
    pub in_view: u32,
    pub retries: u64,
    pub moved_fraction: Option<f64>,
    pub self_preserving: bool,
    pub requests: Requests,
    pub latency_s: LatencyStats,
    /// Mean busy fraction of ready instances over the last sampled second.
    pub utilization: f64,
    pub throughput_rps: f64,
    pub log_total: u64,
    /// Requests the activator holds now (Knative, at zero or while pods start).
    pub activator_held: u64,
    pub instance_seconds: f64,
    /// Requests that arrived while no instance was ready.
    pub cold_start: super::ColdStart,
    /// A hash of every arrival so far (time, work, key): equal for runs that saw the same
    /// requests, whatever their autoscaler (the race shows it).
    pub arrival_digest: String,
}

impl Simulation {
    pub fn events_processed(&self) -> u64 {
        self.stats.events_processed
    }

    /// Instance records in memory: the alive ones, the last `LISTED_STOPPED` stopped, and
    /// stopped ones a stale discovery view still names.
    pub fn instances_in_memory(&self) -> usize {
        self.fleet.kept()
    }

    /// Lists at most `n` stopped instances one by one in the summary (and keeps their
    /// records); `LISTED_STOPPED` unless changed. For tests that compare a run compacted early
    /// with one never compacted; call before the first instance stops.
    #[doc(hidden)]
    pub fn set_listed_stopped(&mut self, n: usize) {
        self.fleet.listed_cap = n;
    }

    pub fn requests(&self) -> Requests {
        let mut r = self.stats.requests;
        r.in_flight = r.arrived - r.completed - r.dropped - r.failed;
        r
    }

    /// Requests a client still waits for, counted one by one where they are — queued or in
    /// service at an instance (not counting abandoned work), in the central queue, or waiting
    /// to be retried: equals `requests().in_flight` at every instant (conservation).
    pub fn count_in_system(&self) -> u64 {
        let at_instances: u64 = self
            .fleet
            .alive
            .iter()
            .map(|&id| u64::from(self.fleet[id].live()))
            .sum();
        let central = match &self.routing {
            super::Routing::Shared {
                queue, abandoned, ..
            } => (queue.len() - abandoned) as u64,
            super::Routing::Balanced(_) => 0,
        };
        at_instances + central + self.retrying.pending + self.activator_held()
    }

    /// Events waiting in the queue (stale ones included): bounded by the fleet, whatever the
    /// heartbeat rate or the load × timeout.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    pub fn summary(&self) -> Summary {
        let now = self.now_ns;
        Summary {
            seed: self.scenario.seed,
            simulated_s: self.now_s(),
            partial: false,
            events_processed: self.stats.events_processed,
            requests: self.requests(),
            latency_s: self.stats.latency.stats(),
            latency_measured: self.stats.latency.count(),
            ttft_s: self.serving.as_ref().map(|s| s.ttft.stats()),
            tpot_s: self.serving.as_ref().map(|s| s.tpot.stats()),
            ttft_measured: self.serving.as_ref().map(|s| s.ttft.count()),
            serving: self.serving_summary(),
            instances: InstancesSummary {
                r#final: self.members(),
                min: self.stats.min_members,
                max: self.stats.max_members,
            },
            per_instance: self
                .fleet
                .listed()
                .map(|i| {
                    let end = i.stopped_ns.unwrap_or(now);
                    let life_s = end.saturating_sub(i.created_ns) as f64 / 1e9;
                    let llm = i.llm.as_ref();
                    let means = llm.map(|r| r.means(end));
                    InstanceSummary {
                        id: i.id,
                        completed: i.completed,
                        dropped: i.dropped,
                        utilization: i.lifetime_utilization(now),
                        output_tokens: llm.map(|r| r.output_tokens),
                        output_tokens_per_s: llm.map(|r| {
                            if life_s > 0.0 {
                                r.output_tokens as f64 / life_s
                            } else {
                                0.0
                            }
                        }),
                        mean_kv_use: means.map(|m| m.0),
                        mean_batch: means.map(|m| m.1),
                        preemptions: llm.map(|r| r.preemptions),
                    }
                })
                .collect(),
            retired: self.fleet.retired(),
            scale_events: self.stats.scale_events.clone(),
            instance_seconds: self.instance_seconds(),
            cold_start: self.stats.cold_start,
        }
    }

    /// Instance-seconds used so far (see `Summary::instance_seconds`).
    pub fn instance_seconds(&self) -> f64 {
        let now = self.now_ns;
        let alive: u128 = self
            .fleet
            .alive
            .iter()
            .map(|&id| u128::from(now.saturating_sub(self.fleet[id].created_ns)))
            .sum();
        (self.stats.stopped_instance_ns + alive) as f64 / NS as f64
    }

    pub fn details(&self) -> Details {
        let last = self
            .stats
            .timeline
            .samples()
            .last()
            .copied()
            .unwrap_or_default();
        Details {
            now_s: self.now_s(),
            offered_rps: self.workload.rate_rps,
            capacity_rps: self.scenario.instances.capacity_rps,
            desired: self.fleet.desired,
            members: self.members(),
            ready: self
                .fleet
                .alive
                .iter()
                .filter(|&&id| self.fleet[id].state == Lifecycle::Ready)
                .count() as u32,
            in_view: self.discovery.view.len() as u32,
            retries: self.stats.retries,
            moved_fraction: self.stats.last_moved_fraction,
            self_preserving: self.registry.self_preserving(self.now_ns),
            requests: self.requests(),
            latency_s: self.stats.latency.stats(),
            utilization: last.utilization,
            throughput_rps: last.throughput_rps,
            log_total: self.log.total(),
            activator_held: self.activator_held(),
            instance_seconds: self.instance_seconds(),
            cold_start: self.stats.cold_start,
            arrival_digest: format!("{:016x}", self.stats.arrival_digest),
        }
    }

    pub fn timeline(&self) -> &crate::metrics::Timeline {
        &self.stats.timeline
    }

    /// Log entries with `seq >= since` that are still kept (the log keeps the last 1000).
    pub fn log_since(&self, since: u64) -> Vec<LogEntry> {
        self.log.since(since)
    }

    pub(super) fn on_sample(&mut self) {
        let now = self.now_ns;
        let (mut busy, mut servers, mut ready) = (0.0, 0.0, 0u32);
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let Some(inst) = self.fleet.get_mut_quiet(id) else {
                continue;
            };
            let area = inst.busy_area_ns(now);
            let delta = area - inst.busy_at_sample.min(area);
            inst.busy_at_sample = area;
            if matches!(
                inst.state,
                Lifecycle::Ready | Lifecycle::Draining | Lifecycle::Terminating
            ) {
                busy += delta as f64;
                servers += f64::from(inst.concurrency);
            }
            if inst.state == Lifecycle::Ready {
                ready += 1;
            }
        }
        let llm = self.serving_sample();
        let w = &self.stats.window;
        let sample = Sample {
            t_s: self.now_s(),
            offered_rps: self.workload.rate_rps,
            arrived_rps: w.arrived as f64,
            throughput_rps: w.completed as f64,
            dropped: w.dropped,
            failed: w.failed,
            ready,
            desired: self.fleet.desired,
            mean_s: w.latency.mean_s(),
            p50_s: w.latency.quantile_s(0.5),
            p99_s: w.latency.quantile_s(0.99),
            utilization: if servers > 0.0 {
                busy / (servers * NS as f64)
            } else {
                0.0
            },
            in_flight: self.requests().in_flight,
            llm,
        };
        self.stats.timeline.push(sample);
        let arrived = self.stats.window.arrived;
        let w = &mut self.stats.window;
        w.arrived = 0;
        w.completed = 0;
        w.dropped = 0;
        w.failed = 0;
        w.latency.reset();
        self.schedule_in(NS, super::Event::Sample);
        self.report_second(arrived, ready);
    }

    /// The model-serving part of a one-second sample (and the start of the next window).
    fn serving_sample(&mut self) -> Option<LlmSample> {
        let serving = self.serving.as_mut()?;
        let (mut tokens, mut kv_sum, mut kv_max, mut batch, mut waiting, mut sat) =
            (0u64, 0.0, 0.0f64, 0u64, 0u64, 0.0);
        let mut ready = 0u32;
        for inst in self.fleet.records() {
            let Some(r) = inst.llm.as_ref() else {
                continue;
            };
            tokens += r.output_tokens;
            if inst.state == Lifecycle::Ready {
                ready += 1;
                kv_sum += r.kv_use();
                kv_max = kv_max.max(r.kv_use());
                batch += u64::from(r.running());
                waiting += u64::from(r.waiting());
                sat += endpoint_saturation(r.waiting(), r.kv_use());
            }
        }
        // Each live replica's own history: a fleet-wide budget of samples, so a large fleet
        // keeps a shorter history rather than more memory.
        let alive = self.fleet.alive.len().max(1);
        let keep = (super::serving::HISTORY_BUDGET / alive).clamp(10, super::serving::HISTORY_S);
        let t = (self.now_ns / NS) as u32;
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            if let Some(r) = self.fleet[id].llm.as_mut() {
                r.sample(t, keep);
            }
        }
        let n = f64::from(ready.max(1));
        let sample = LlmSample {
            ttft_p50_s: serving.window_ttft.quantile_s(0.5),
            ttft_p99_s: serving.window_ttft.quantile_s(0.99),
            tpot_p50_s: serving.window_tpot.quantile_s(0.5),
            tpot_p99_s: serving.window_tpot.quantile_s(0.99),
            output_tokens_per_s: tokens.saturating_sub(serving.tokens_at_sample) as f64,
            kv_use_mean: kv_sum / n,
            kv_use_max: kv_max,
            batch_mean: batch as f64 / n,
            waiting,
            saturation: if ready == 0 { 1.0 } else { sat / n },
        };
        serving.tokens_at_sample = tokens;
        serving.window_ttft.reset();
        serving.window_tpot.reset();
        Some(sample)
    }
}

/// A reader of the per-instance view with its own memory: utilization and routed requests in
/// each row are measured since this reader's previous `fill`. Its memory is the rows of that
/// fill (id order), so it follows the instances shown, not every instance ever created.
#[derive(Debug, Clone, Default)]
pub struct ViewReader {
    /// (id, busy area, routed, output tokens) of each row of the previous fill, ascending ids.
    previous: Vec<(u32, u64, u64, u64)>,
    next: Vec<(u32, u64, u64, u64)>,
    time_ns: u64,
}

impl ViewReader {
    /// Fills `out` with one row of `VIEW_FIELDS` per instance that has not stopped (and those
    /// stopped in the last `linger_s` seconds that are still kept, so the page can fade them
    /// out).
    pub fn fill(&mut self, sim: &Simulation, out: &mut Vec<f32>, linger_s: f64) {
        out.clear();
        self.next.clear();
        let now = sim.now_ns;
        let linger_ns = super::clock::to_ns(linger_s);
        let shared = sim.routing.is_shared();
        let window = now.saturating_sub(self.time_ns).max(1);
        // Records come in ascending id order and the balancer's view is ascending too, so one
        // cursor walks the view alongside (a binary search per row cost a fifth of the fill at
        // N = 100,000).
        let view = &sim.discovery.view;
        let mut cursor = 0;
        let mut previous = self.previous.iter().peekable();
        for inst in sim.fleet.records() {
            while cursor < view.len() && view[cursor] < inst.id {
                cursor += 1;
            }
            let listed = cursor < view.len() && view[cursor] == inst.id;
            let recently_stopped = inst
                .stopped_ns
                .is_some_and(|s| s.saturating_add(linger_ns) >= now);
            if inst.state == Lifecycle::Stopped && !recently_stopped {
                continue;
            }
            let lease = sim.registry.lease(inst.id);
            let lease_left_s = sim
                .registry
                .expires_at_ns(inst.id)
                .map_or(0.0, |at| at.saturating_sub(now) as f64 / 1e9);
            // Both lists are in id order: walk the previous one alongside.
            while previous.next_if(|p| p.0 < inst.id).is_some() {}
            let (busy_before, routed_before, tokens_before) = previous
                .next_if(|p| p.0 == inst.id)
                .map_or((0, 0, 0), |p| (p.1, p.2, p.3));
            let area = inst.busy_area_ns(now);
            let utilization = (area - busy_before.min(area)) as f64
                / (window as f64 * f64::from(inst.concurrency));
            let routed = inst.routed - routed_before.min(inst.routed);
            let tokens = inst.llm.as_ref().map_or(0, |r| r.output_tokens);
            self.next.push((inst.id, area, inst.routed, tokens));
            let mut flags = 0;
            if inst.partitioned {
                flags |= FLAG_PARTITIONED;
            }
            if inst.slow_factor < 1.0 {
                flags |= FLAG_SLOW;
            }
            if sim.is_ejected(inst.id) {
                flags |= FLAG_EJECTED;
            }
            if !sim.hc_healthy(inst.id) {
                flags |= FLAG_UNHEALTHY;
            }
            if sim.peer_down(inst.id) {
                flags |= FLAG_DOWN;
            }
            let (kv_use, saturation, tokens_per_s) = match inst.llm.as_ref() {
                Some(r) => {
                    let made = r.output_tokens - tokens_before.min(r.output_tokens);
                    let saturation = endpoint_saturation(r.waiting(), r.kv_use());
                    if inst.kv_full {
                        flags |= FLAG_KV_FULL;
                    }
                    if saturation >= 1.0 {
                        flags |= FLAG_SATURATED;
                    }
                    (r.kv_use(), saturation, made as f64 / (window as f64 / 1e9))
                }
                None => (0.0, 0.0, 0.0),
            };
            let in_view = if shared { inst.state.accepts() } else { listed };
            out.extend_from_slice(&view_row(&Row {
                inst,
                registry: lease.state,
                lease_left_s,
                utilization,
                routed,
                in_view,
                flags,
                kv_use,
                saturation,
                tokens_per_s,
            }));
        }
        std::mem::swap(&mut self.previous, &mut self.next);
        self.time_ns = now;
    }
}

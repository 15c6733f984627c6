//! The one table of scenario fields: path, type, allowed range or names, unit and a line of
//! documentation. The validator walks a scenario's JSON against it, docs/scenario.md is
//! generated from it (tests/docs.rs fails when they differ), and the page reads it through the
//! wasm facade to label its controls, state ranges and word errors. Defaults are not repeated
//! here: they come from the types' `Default` implementations (see [`defaults`]).

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{json, Value};

use super::{
    AutoscalerConfig, BehaviorConfig, FormulaConfig, HealthCheckConfig, HpaConfig, KpaConfig,
    OutlierConfig, PassiveHealthConfig, QueueConfig, RetryOn, ScalingRulesConfig, Scenario,
    MAX_CAPACITY_RPS, MAX_DURATION_S, MAX_INSTANCES, MAX_RATE_RPS, MAX_RING_SIZE, MAX_SEED,
};
use crate::autoscale::hpa as hpa_limits;
use crate::error::Range;

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ty {
    /// A whole number in the range (integral floats such as `5.0` or `1e3` are accepted).
    Int {
        range: Range,
    },
    Float {
        range: Range,
    },
    /// One of these names.
    Name {
        names: Vec<&'static str>,
    },
    Bool,
    /// An object whose missing fields take their defaults.
    Object,
    /// An object, or `null` / absent for "off".
    Optional,
    /// A list of objects, at most `max` long.
    List {
        max: u64,
    },
    /// An object with a required `kind` naming its variant (the autoscaler).
    Tagged {
        names: Vec<&'static str>,
    },
    /// Any JSON value (an edit's value, checked against the edited field).
    Any,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Dotted path; `[]` stands for every element of a list: `traffic.changes[].at_s`.
    pub path: String,
    /// For fields of a tagged object: the variants that have it (empty: all).
    pub kinds: Vec<&'static str>,
    #[serde(flatten)]
    pub ty: Ty,
    /// No default: the field must be given (list entries' identifying fields).
    pub required: bool,
    /// `null` is allowed and means "not set" (e.g. a stabilization window left to the default).
    pub nullable: bool,
    pub unit: &'static str,
    pub doc: &'static str,
}

impl Field {
    /// The path of the object holding this field.
    pub fn parent(&self) -> &str {
        self.path.rsplit_once('.').map_or("", |(p, _)| p)
    }

    pub fn name(&self) -> &str {
        self.path.rsplit_once('.').map_or(&self.path, |(_, n)| n)
    }

    pub fn range(&self) -> Option<Range> {
        match self.ty {
            Ty::Int { range } | Ty::Float { range } => Some(range),
            _ => None,
        }
    }
}

pub const ALGORITHMS: &[&str] = &[
    "round_robin",
    "weighted_round_robin",
    "random",
    "weighted_random",
    "least_connections",
    "power_of_two",
    "peak_ewma",
    "ring_hash",
    "maglev",
    "jump_hash",
    "shared_queue",
    "endpoint_picker",
    "cache_aware",
];
pub const AUTOSCALER_KINDS: &[&str] = &["none", "formula", "hpa", "kpa", "queue"];
pub const FAULT_KINDS: &[&str] = &["crash", "slow", "partition", "recover"];

/// Paths an edit (a change made while the run goes on) may set; a path inside one of the
/// objects listed here may be set too. Everything else needs a new run.
pub const LIVE_PATHS: &[&str] = &[
    "instances.count",
    "instances.capacity_rps",
    "instances.queue_limit",
    "instances.startup_s",
    "instances.prestop_s",
    "instances.cpu_request_fraction",
    "instances.overrides[]",
    "traffic.rate_rps",
    "traffic.keys",
    "traffic.key_distribution",
    "traffic.zipf_s",
    "balancer",
    "autoscaler",
    "registry",
];

struct Builder(Vec<Field>);

impl Builder {
    fn add(&mut self, path: &str, ty: Ty, unit: &'static str, doc: &'static str) -> &mut Field {
        self.0.push(Field {
            path: path.to_string(),
            kinds: Vec::new(),
            ty,
            required: false,
            nullable: false,
            unit,
            doc,
        });
        self.0.last_mut().expect("just pushed")
    }
    fn int(
        &mut self,
        path: &str,
        min: f64,
        max: f64,
        unit: &'static str,
        doc: &'static str,
    ) -> &mut Field {
        self.add(
            path,
            Ty::Int {
                range: Range::int(min, max),
            },
            unit,
            doc,
        )
    }
    fn float(
        &mut self,
        path: &str,
        min: f64,
        max: f64,
        unit: &'static str,
        doc: &'static str,
    ) -> &mut Field {
        self.add(
            path,
            Ty::Float {
                range: Range::float(min, max),
            },
            unit,
            doc,
        )
    }
    fn name(&mut self, path: &str, names: &[&'static str], doc: &'static str) -> &mut Field {
        self.add(
            path,
            Ty::Name {
                names: names.to_vec(),
            },
            "",
            doc,
        )
    }
    fn object(&mut self, path: &str, doc: &'static str) -> &mut Field {
        self.add(path, Ty::Object, "", doc)
    }
}

trait Marks {
    fn required(&mut self) -> &mut Self;
    fn nullable(&mut self) -> &mut Self;
    fn kinds(&mut self, kinds: &[&'static str]) -> &mut Self;
}

impl Marks for Field {
    fn required(&mut self) -> &mut Self {
        self.required = true;
        self
    }
    fn nullable(&mut self) -> &mut Self {
        self.nullable = true;
        self
    }
    fn kinds(&mut self, kinds: &[&'static str]) -> &mut Self {
        self.kinds = kinds.to_vec();
        self
    }
}

#[rustfmt::skip]
fn build() -> Vec<Field> {
    let mut b = Builder(Vec::new());
    let max_n = f64::from(MAX_INSTANCES);
    b.int("seed", 0.0, MAX_SEED as f64, "", "seed of every random stream (2^53 − 1: exact in JavaScript)");
    b.float("duration_s", 0.001, MAX_DURATION_S, "s", "simulated seconds for `fleetlab run`");
    b.float("warmup_s", 0.0, MAX_DURATION_S, "s", "latency counts only requests arriving after this (must be < `duration_s`)");

    b.object("traffic", "the requests arriving at the balancer");
    b.float("traffic.rate_rps", 0.0, MAX_RATE_RPS, "req/s", "L, requests per second");
    b.name("traffic.arrivals", &["poisson", "uniform"], "exponential or evenly spaced gaps");
    b.add("traffic.changes", Ty::List { max: 10_000 }, "", "scheduled changes of L, in time order");
    b.float("traffic.changes[].at_s", 0.0, MAX_DURATION_S, "s", "when L changes").required();
    b.float("traffic.changes[].rate_rps", 0.0, MAX_RATE_RPS, "req/s", "the new L").required();
    b.int("traffic.keys", 0.0, 1e9, "", "distinct request keys (0: none; hash balancers need ≥ 1)");
    b.name("traffic.key_distribution", &["uniform", "zipf"], "how keys are drawn");
    b.float("traffic.zipf_s", 0.0, 10.0, "", "Zipf exponent");
    b.object("traffic.tokens", "prompt and output lengths of requests to model servers");
    b.name("traffic.tokens.lengths", &["fixed", "azure_conv", "azure_code", "lognormal"], "`azure_conv`/`azure_code`: the Azure LLM inference trace 2023's quantiles (Splitwise, ISCA '24); `fixed`: the two sizes below; `lognormal`: medians below with the sigmas");
    b.int("traffic.tokens.prompt_tokens", 1.0, 1e6, "tokens", "fixed prompt, or the lognormal's median (default: the conversation trace's median)");
    b.int("traffic.tokens.output_tokens", 1.0, 1e5, "tokens", "fixed output, or the lognormal's median (default: the conversation trace's median)");
    b.float("traffic.tokens.prompt_sigma", 0.0, 5.0, "", "lognormal σ of prompts (default: fitted to the conversation trace's mean)");
    b.float("traffic.tokens.output_sigma", 0.0, 5.0, "", "lognormal σ of outputs (default: fitted to the conversation trace's mean)");
    b.int("traffic.tokens.max_prompt_tokens", 1.0, 1e6, "tokens", "lognormal prompts are clamped to this (default: the conversation trace's maximum)");
    b.int("traffic.tokens.max_output_tokens", 1.0, 1e5, "tokens", "lognormal outputs are clamped to this (default: the conversation trace's maximum)");
    b.object("traffic.prefix", "shared prompt prefixes: system prompts, chat histories");
    b.float("traffic.prefix.share", 0.0, 1.0, "", "fraction of requests that start with a shared prefix (0: none)");
    b.int("traffic.prefix.tokens", 0.0, 1e6, "tokens", "length of each shared prefix, sent before the request's own prompt (default illustrative: a long system prompt, not a measured length)");
    b.int("traffic.prefix.groups", 1.0, 100_000.0, "", "distinct prefixes, each equally likely (default illustrative)");

    b.object("instances", "the fleet");
    b.int("instances.count", 0.0, max_n, "", "N, instances at the start (0 only with a `kpa` or `queue` autoscaler: the fleet starts at zero)");
    b.float("instances.capacity_rps", 0.001, MAX_CAPACITY_RPS, "req/s", "C, requests per second one instance serves");
    b.name("instances.service", &["exponential", "constant"], "service time distribution, mean 1/C");
    b.int("instances.concurrency", 1.0, 10_000.0, "", "requests served at once per instance");
    b.int("instances.queue_limit", 0.0, 1e6, "", "waiting requests per instance (or in the shared queue); beyond: dropped");
    b.float("instances.startup_s", 0.0, 3600.0, "s", "start-up time of instances added after t = 0");
    b.float("instances.prestop_s", 0.0, 3600.0, "s", "Kubernetes preStop: a removed instance keeps serving this long while its endpoint is removed everywhere, then drains (0: it drains at once)");
    b.float("instances.cpu_request_fraction", 0.01, 1.0, "", "CPU request as a fraction of full capacity: HPA utilization = busy fraction / this, so it can pass 100 % (1: it cannot, and one HPA step grows at most 100/target)");
    b.add("instances.overrides", Ty::List { max: u64::from(MAX_INSTANCES) }, "", "per-instance weight and speed");
    b.int("instances.overrides[].instance", 0.0, max_n - 1.0, "", "instance id").required();
    b.int("instances.overrides[].weight", 1.0, 1000.0, "", "balancer weight");
    b.float("instances.overrides[].speed", 0.01, 100.0, "×", "capacity multiplier");
    b.name("instances.model", &["web", "llm"], "`web`: a queue and `concurrency` servers; `llm`: a model-server replica with continuous batching and a KV cache");
    b.object("instances.llm", "the model-server replica (vLLM's scheduler; defaults for Llama-3.1-8B on one A100-80GB)");
    b.int("instances.llm.max_batch", 1.0, 4096.0, "", "sequences in the batch at most (vLLM max_num_seqs: 256 on A100-class GPUs)");
    b.int("instances.llm.max_batched_tokens", 1.0, 1e6, "tokens", "tokens one step computes at most; longer prompts are prefilled in chunks (vLLM max_num_batched_tokens: 2048 on A100-class GPUs)");
    b.int("instances.llm.kv_blocks", 1.0, 1e7, "", "KV-cache blocks of 16 tokens (26312: Llama-3.1-8B, 128 KiB per token, on 80 GB at 0.9 utilization, derived)");
    b.add("instances.llm.prefix_caching", Ty::Bool, "", "reuse the cached blocks of a shared prefix (vLLM enable_prefix_caching: on)");
    b.float("instances.llm.step_base_us", 0.0, 1e7, "µs", "a: fixed cost of one step (16441.5: inference-sim's fit, Llama-3.1-8B, A100-80GB, TP 1)");
    b.float("instances.llm.step_prefill_token_us", 0.0, 1e5, "µs", "b: cost per prompt token computed in the step (47.84: same fit)");
    b.float("instances.llm.step_decode_seq_us", 0.0, 1e6, "µs", "c: cost per decoding sequence in the step (18.21: same fit)");

    b.object("balancer", "how each request picks an instance");
    b.name("balancer.algorithm", ALGORITHMS, "");
    b.int("balancer.choice_count", 2.0, 100.0, "", "power_of_two: instances sampled");
    b.float("balancer.decay_s", 0.001, 3600.0, "s", "peak_ewma: decay time constant");
    b.name("balancer.ring", &["envoy", "ketama"], "ring_hash: `envoy` (Envoy's RING_HASH: about `min_ring_size` points in all, shared by weight) or `ketama` (libketama: `points_per_instance` per unit of weight)");
    b.int("balancer.points_per_instance", 1.0, 1000.0, "", "ring_hash with `ring: ketama`: ring points per unit of weight (libketama: 160)");
    b.int("balancer.min_ring_size", 1.0, f64::from(MAX_RING_SIZE), "", "ring_hash with `ring: envoy`: Envoy's minimum_ring_size; N equal hosts get ceil(this / N) points each");
    b.int("balancer.max_ring_size", 1.0, f64::from(MAX_RING_SIZE), "", "ring_hash with `ring: envoy`: Envoy's maximum_ring_size (≥ `min_ring_size`; Envoy's default 8,388,608 is above fleetlab's ceiling)");
    b.int("balancer.table_size", 2.0, 1_000_003.0, "", "maglev: lookup table size, a prime");
    b.float("balancer.load_delay_s", 0.0, 3600.0, "s", "period of the load reports the balancer sees (0: exact, live)");
    b.float("balancer.timeout_s", 0.0, 86_400.0, "s", "time the balancer waits for one attempt (0: forever; Envoy's route timeout 15 s, nginx proxy_read_timeout 60 s); a late attempt fails (requests.timed_out); a web instance still does its work, a model server aborts the sequence and frees its KV blocks; for a model server it spans the whole streamed response, to the last output token");
    b.int("balancer.retries", 0.0, 100.0, "", "retries of a failed attempt, each on another instance than the one before (Envoy: none without a retry policy)");
    b.name("balancer.retry_on", RetryOn::NAMES, "what is retried: `connect_failure` (refused connection), `error_timeout` (nginx's default proxy_next_upstream: also resets and timeouts) or `5xx` (Envoy retry_on 5xx: also a 503 from a full queue)");
    b.float("balancer.retry_backoff_s", 0.0, 60.0, "s", "Envoy's retry back-off base: retry k waits a uniform time below min(base × 2^(k−1), 10 × base) (0: at once, as nginx; Envoy: 0.025)");
    b.add("balancer.health_check", Ty::Optional, "", "Envoy active health checks (object present: on); a host entering the balancer's set starts unhealthy and is probed at once");
    b.float("balancer.health_check.interval_s", 0.01, 3600.0, "s", "time between probes of one host");
    b.int("balancer.health_check.unhealthy_threshold", 1.0, 100.0, "", "failed probes in a row to mark unhealthy");
    b.int("balancer.health_check.healthy_threshold", 1.0, 100.0, "", "good probes in a row to mark healthy again (a new host's first good probe suffices)");
    b.add("balancer.outlier_detection", Ty::Optional, "", "Envoy passive outlier detection, consecutive_5xx (object present: on); refused connections, resets, timeouts and 503s count");
    b.int("balancer.outlier_detection.consecutive_failures", 1.0, 1000.0, "", "failures in a row that eject (Envoy consecutive_5xx)");
    b.float("balancer.outlier_detection.base_ejection_s", 0.001, 86_400.0, "s", "the k-th ejection in a row lasts k × this, at most `max_ejection_time_s`; k drops by one each `interval_s` the host stays in");
    b.int("balancer.outlier_detection.max_ejection_pct", 0.0, 100.0, "%", "eject only if then at most this % of the hosts are ejected: at 10 %, fewer than 10 hosts means no ejection");
    b.float("balancer.outlier_detection.interval_s", 0.001, 86_400.0, "s", "period of the timer that un-ejects hosts and decays k (Envoy interval)");
    b.float("balancer.outlier_detection.max_ejection_time_s", 0.001, 86_400.0, "s", "longest ejection (null: max(300 s, `base_ejection_s`), Envoy's default; ≥ `base_ejection_s`)").nullable();
    b.add("balancer.outlier_detection.always_eject_one_host", Ty::Bool, "", "eject a host when none is ejected even above `max_ejection_pct` (Envoy 1.31)");
    b.add("balancer.passive_health", Ty::Optional, "", "nginx passive health, max_fails / fail_timeout (object present: on); refused connections, resets and timeouts count, a 503 only with `retry_on: 5xx`");
    b.int("balancer.passive_health.max_fails", 0.0, 1000.0, "", "failures, with no success after the window opened, that make a server unavailable (0: never)");
    b.int("balancer.passive_health.fail_timeout_s", 0.0, 3600.0, "s", "how long it stays unavailable, whole seconds; then one probe request goes through");
    b.float("balancer.cache_threshold", 0.0, 1.0, "", "cache_aware: a prefix match above this fraction of the prompt picks its worker (SGLang router CLI: 0.3)");
    b.int("balancer.balance_abs_threshold", 0.0, 1e6, "", "cache_aware: imbalanced when max − min load exceeds this… (CLI: 64)");
    b.float("balancer.balance_rel_threshold", 1.0, 1000.0, "", "…and max exceeds this × min (CLI: 1.5)");
    b.float("balancer.eviction_interval_s", 0.0, 3600.0, "s", "cache_aware: how often oversized trees are trimmed (CLI: 120; 0: never)");
    b.int("balancer.max_tree_size", 1.0, 1e12, "", "cache_aware: characters one worker's tree keeps after trimming (CLI: 2^26)");

    b.add("autoscaler", Ty::Tagged { names: AUTOSCALER_KINDS.to_vec() }, "", "who sets the instance count");
    b.name("autoscaler.kind", AUTOSCALER_KINDS, "`none`, `formula` (the article's N = ceil(L/C)), `hpa` (Kubernetes, CPU), `kpa` (Knative, requests in flight, scale to zero) or `queue` (waiting requests through KEDA)").required();
    let scalers = &["formula", "hpa"];
    b.int("autoscaler.target_utilization_pct", 1.0, f64::from(hpa_limits::MAX_TARGET_UTILIZATION_PCT), "%", "target busy fraction per instance").kinds(scalers);
    b.int("autoscaler.min_replicas", 1.0, f64::from(hpa_limits::MAX_REPLICAS), "", "fewest instances").kinds(scalers);
    b.int("autoscaler.min_replicas", 0.0, f64::from(hpa_limits::MAX_REPLICAS), "", "KEDA's minReplicaCount: fewest replicas (0: scale to zero after the cooldown)").kinds(&["queue"]);
    b.int("autoscaler.max_replicas", 1.0, f64::from(hpa_limits::MAX_REPLICAS), "", "most instances (≥ `min_replicas`)").kinds(&["formula", "hpa", "queue"]);
    b.float("autoscaler.sync_s", 0.1, 3600.0, "s", "time between decisions").kinds(scalers);
    b.name("autoscaler.source", &["offered", "measured"], "formula: L as configured or as measured over the last sync").kinds(&["formula"]);
    let hpa = &["hpa", "queue"];
    b.object("autoscaler.tolerance", "no change while the usage ratio is within [1 − scale_down, 1 + scale_up]").kinds(hpa);
    b.float("autoscaler.tolerance.scale_down", 0.0, hpa_limits::MAX_TOLERANCE_SCALE_DOWN, "", "tolerance below the target (0.1 = 10 %)").kinds(hpa);
    b.float("autoscaler.tolerance.scale_up", 0.0, hpa_limits::MAX_TOLERANCE_SCALE_UP, "", "tolerance above the target").kinds(hpa);
    b.add("autoscaler.behavior", Ty::Optional, "", "autoscaling/v2 `behavior` (absent: the controller's path without one)").kinds(hpa);
    for dir in ["scale_up", "scale_down"] {
        let p = format!("autoscaler.behavior.{dir}");
        b.add(&p, Ty::Optional, "", "rules for this direction (absent: Kubernetes' defaults)").kinds(hpa);
        b.int(&format!("{p}.stabilization_window_s"), 0.0, f64::from(hpa_limits::MAX_STABILIZATION_WINDOW_S), "s", "stabilization window (null: 0 up, 300 down)").kinds(hpa).nullable();
        b.name(&format!("{p}.select_policy"), &["max", "min", "disabled"], "which policy limits the change").kinds(hpa);
        b.add(&format!("{p}.policies"), Ty::List { max: hpa_limits::MAX_POLICIES as u64 }, "", "rate limits (empty: Kubernetes' defaults)").kinds(hpa);
        b.name(&format!("{p}.policies[].kind"), &["pods", "percent"], "a number of pods or a percentage").kinds(hpa).required();
        b.int(&format!("{p}.policies[].value"), 1.0, f64::from(hpa_limits::MAX_POLICY_VALUE), "", "pods or percent per period").kinds(hpa).required();
        b.int(&format!("{p}.policies[].period_s"), 1.0, f64::from(hpa_limits::MAX_POLICY_PERIOD_S), "s", "the period").kinds(hpa).required();
    }
    let kpa = &["kpa"];
    b.name("autoscaler.metric", &["concurrency", "rps"], "what the KPA scales on: requests in flight (queued or in service) or requests per second, summed over the pods").kinds(kpa);
    b.int("autoscaler.container_concurrency", 0.0, 1000.0, "", "the revision's containerConcurrency, requests one pod takes at once; sets the per-pod total (0: unlimited, total 100)").kinds(kpa);
    b.float("autoscaler.target", 0.01, 1e6, "", "per-pod total to aim at instead (`autoscaling.knative.dev/target`; capped at container_concurrency; null: none)").kinds(kpa).nullable();
    b.float("autoscaler.target_utilization_pct", 1.0, 100.0, "%", "target per pod = max(0.01, total × this)").kinds(kpa);
    b.float("autoscaler.target_burst_capacity", -1.0, 1e6, "", "spare requests to absorb a burst: the activator stays in the path while ready × total − this − panic value < 0 (−1: always; 0: never)").kinds(kpa);
    b.int("autoscaler.stable_window_s", 6.0, 3600.0, "s", "the stable average's window; also how long panic and an active revision last at least").kinds(kpa);
    b.float("autoscaler.panic_window_pct", 1.0, 100.0, "%", "the panic window, as a share of the stable window (rounded to whole seconds, at least 1 s)").kinds(kpa);
    b.float("autoscaler.panic_threshold_pct", 110.0, 1000.0, "%", "panic when the panic window asks for this share of the ready pods").kinds(kpa);
    b.float("autoscaler.max_scale_up_rate", 1.001, 1e6, "×", "at most this × ready pods per decision (Knative: > 1)").kinds(kpa);
    b.float("autoscaler.max_scale_down_rate", 1.001, 1e6, "×", "at least ready pods ÷ this per decision (Knative: > 1)").kinds(kpa);
    b.int("autoscaler.scale_down_delay_s", 0.0, 3600.0, "s", "a lower count must hold this long before the pods go").kinds(kpa);
    b.add("autoscaler.enable_scale_to_zero", Ty::Bool, "", "whether the last pod may go").kinds(kpa);
    b.float("autoscaler.scale_to_zero_grace_s", 0.001, 3600.0, "s", "once inactive, the activator must have been in the path this long before the last pod goes").kinds(kpa);
    b.float("autoscaler.scale_to_zero_retention_s", 0.0, 3600.0, "s", "the last pod stays at least this long after the revision went inactive").kinds(kpa);
    b.int("autoscaler.min_scale", 0.0, f64::from(hpa_limits::MAX_REPLICAS), "", "fewest pods (0: down to zero)").kinds(kpa);
    b.int("autoscaler.max_scale", 0.0, f64::from(hpa_limits::MAX_REPLICAS), "", "most pods (0: no limit; else ≥ `min_scale`)").kinds(kpa);
    b.int("autoscaler.initial_scale", 0.0, f64::from(hpa_limits::MAX_REPLICAS), "", "pods the revision must first reach before it may scale down (0 needs Knative's allow-zero-initial-scale)").kinds(kpa);
    b.int("autoscaler.activation_scale", 0.0, f64::from(hpa_limits::MAX_REPLICAS), "", "pods to ask for at once when traffic asks for any (0 or 1: no effect)").kinds(kpa);
    b.float("autoscaler.progress_deadline_s", 1.0, 3600.0, "s", "an activation with no ready pod after this + 30 s gives up and goes back to zero").kinds(kpa);
    b.float("autoscaler.activator_timeout_s", 0.001, 3600.0, "s", "the revision's request timeout: a request held longer in the activator fails").kinds(kpa);
    b.int("autoscaler.activator_queue_limit", 0.0, 1e6, "", "requests the activator holds at most (Knative's breaker queue depth); beyond, dropped").kinds(kpa);
    let queue = &["queue"];
    b.float("autoscaler.threshold", 0.001, 1e6, "", "waiting requests per replica to aim for (the trigger's threshold): desired = ceil(waiting / threshold)").kinds(queue);
    b.float("autoscaler.polling_s", 1.0, 3600.0, "s", "KEDA's pollingInterval; its HPA decides on the same ticks").kinds(queue);
    b.float("autoscaler.cooldown_s", 0.0, 36_000.0, "s", "KEDA's cooldownPeriod: no activity for this long scales to zero (with min_replicas 0)").kinds(queue);
    b.add("autoscaler.keepalive", Ty::Bool, "", "the production stack's second trigger: any request in the last minute keeps a replica and wakes the fleet from zero").kinds(queue);

    b.object("registry", "registrations, leases and discovery");
    b.name("registry.flavor", &["consul", "eureka"], "`consul`: an exact timer per lease; `eureka`: expiry 2 × `ttl_s` after the last renewal, a sweep every 60 s evicting at most 15 % of the registry");
    b.float("registry.heartbeat_s", 0.01, 3600.0, "s", "heartbeat (lease renewal) interval (Eureka: 30)");
    b.float("registry.ttl_s", 0.01, 36_000.0, "s", "consul: a lease not renewed for this long expires; eureka: the lease duration (90), expired 2 × this after the last renewal");
    b.float("registry.refresh_s", 0.0, 3600.0, "s", "discovery cache refresh period (0: balancers see changes at once; Eureka's client: 30)");
    b.float("registry.self_preservation_threshold", 0.0, 1.0, "", "Eureka self-preservation (0: off; Eureka: 0.85): no eviction unless the last minute's renewals are above this × expected; consul: expiry waits while fewer leases are live");

    b.add("faults", Ty::List { max: 10_000 }, "", "scheduled faults");
    b.float("faults[].at_s", 0.0, MAX_DURATION_S, "s", "when").required();
    b.name("faults[].kind", FAULT_KINDS, "").required();
    b.int("faults[].instance", 0.0, max_n - 1.0, "", "instance id").required();
    b.float("faults[].factor", 0.01, 1.0, "×", "slow: capacity multiplier");

    b.add("edits", Ty::List { max: 10_000 }, "", "changes made while the run went on (the page records them), in time order");
    b.float("edits[].at_s", 0.0, MAX_DURATION_S, "s", "when").required();
    b.add("edits[].path", Ty::Any, "", "the field changed: one of the live fields or a field inside `balancer`, `autoscaler` or `registry`").required();
    b.add("edits[].value", Ty::Any, "", "its new value, checked as that field is").required();
    b.0
}

/// Every field of the scenario format, in document order.
pub fn fields() -> &'static [Field] {
    static FIELDS: OnceLock<Vec<Field>> = OnceLock::new();
    FIELDS.get_or_init(build)
}

/// The field at `path` (list indices written `[]` or `[3]`), for the autoscaler variant `kind`.
pub fn field(path: &str, kind: Option<&str>) -> Option<&'static Field> {
    let normal = normalize(path);
    fields().iter().find(|f| {
        f.path == normal && (f.kinds.is_empty() || kind.is_some_and(|k| f.kinds.contains(&k)))
    })
}

/// `traffic.changes[3].at_s` → `traffic.changes[].at_s`.
pub fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether an edit may set `path` while the simulation runs.
pub fn is_live(path: &str) -> bool {
    let normal = normalize(path);
    LIVE_PATHS.iter().any(|live| {
        normal == *live
            || (matches!(*live, "balancer" | "autoscaler" | "registry")
                && normal.starts_with(live)
                && normal[live.len()..].starts_with('.'))
    })
}

/// The documents defaults are read from: `Scenario::default()` with each optional object
/// switched on at its own defaults, each autoscaler variant at its defaults, and list entries
/// as deserializing an entry with only its required fields gives.
struct DefaultDocs {
    base: Value,
    formula: Value,
    hpa: Value,
    kpa: Value,
    queue: Value,
    items: Value,
}

fn default_docs() -> &'static DefaultDocs {
    static DOCS: OnceLock<DefaultDocs> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut scenario = Scenario::default();
        scenario.balancer.health_check = Some(HealthCheckConfig::default());
        scenario.balancer.outlier_detection = Some(OutlierConfig::default());
        scenario.balancer.passive_health = Some(PassiveHealthConfig::default());
        DefaultDocs {
            base: ser(&scenario),
            formula: ser(&AutoscalerConfig::Formula(FormulaConfig::default())),
            hpa: ser(&AutoscalerConfig::Hpa(HpaConfig {
                behavior: Some(BehaviorConfig {
                    scale_up: Some(ScalingRulesConfig::default()),
                    scale_down: Some(ScalingRulesConfig::default()),
                }),
                ..HpaConfig::default()
            })),
            kpa: ser(&AutoscalerConfig::Kpa(KpaConfig::default())),
            queue: ser(&AutoscalerConfig::Queue(QueueConfig {
                behavior: Some(BehaviorConfig {
                    scale_up: Some(ScalingRulesConfig::default()),
                    scale_down: Some(ScalingRulesConfig::default()),
                }),
                ..QueueConfig::default()
            })),
            items: json!({
                "traffic": {"changes": [{}]},
                "instances": {"overrides": [{"weight": 1, "speed": 1.0}]},
                "faults": [{"factor": 0.25}],
            }),
        }
    })
}

fn ser<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("defaults serialize")
}

/// The default of field `f` (for the autoscaler variant `kind`, when the field has variants);
/// `null` when it has none (a required field, or an option that is off).
pub fn default_value(f: &Field, kind: Option<&str>) -> Value {
    let docs = default_docs();
    let found = if let Some(rest) = f.path.strip_prefix("autoscaler.") {
        let kind = kind
            .or_else(|| f.kinds.first().copied())
            .unwrap_or("formula");
        let doc = match kind {
            "hpa" => &docs.hpa,
            "kpa" => &docs.kpa,
            "queue" => &docs.queue,
            _ => &docs.formula,
        };
        lookup(doc, rest)
    } else if f.path.contains("[]") {
        lookup(&docs.items, &f.path)
    } else {
        lookup(&docs.base, &f.path)
    };
    found.cloned().unwrap_or(Value::Null)
}

/// Every (field, variant, default) triple, for the page.
pub fn defaults() -> Vec<(&'static Field, Option<&'static str>, Value)> {
    let mut out = Vec::new();
    for f in fields() {
        if f.kinds.is_empty() {
            out.push((f, None, default_value(f, None)));
        } else {
            for &k in &f.kinds {
                out.push((f, Some(k), default_value(f, Some(k))));
            }
        }
    }
    out
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = root;
    for part in path.split('.') {
        let (name, list) = match part.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (part, false),
        };
        node = node.get(name)?;
        if list {
            node = node.get(0)?;
        }
    }
    Some(node)
}

/// The docs/scenario.md table, generated from the fields and their defaults.
pub fn markdown_table() -> String {
    let mut out = String::from("| field | default | allowed | meaning |\n|---|---|---|---|\n");
    for f in fields() {
        if matches!(f.ty, Ty::Object) {
            continue;
        }
        let cell = |v: &Value| match (&f.ty, v) {
            (Ty::List { .. }, _) => "[]".to_string(),
            (Ty::Optional, _) => "off".to_string(),
            (Ty::Tagged { .. }, v) => format!("`{}`", v["kind"].as_str().unwrap_or("none")),
            (_, Value::Null) => "null".to_string(),
            (_, Value::String(s)) => format!("`{s}`"),
            (_, Value::Number(n)) => crate::error::plain(n.as_f64().unwrap_or(0.0)),
            (_, v) => v.to_string(),
        };
        let default = if f.required {
            "—".to_string()
        } else if f.kinds.len() > 1 {
            let per: Vec<(String, &str)> = f
                .kinds
                .iter()
                .map(|k| (cell(&default_value(f, Some(k))), *k))
                .collect();
            if per.iter().all(|(v, _)| *v == per[0].0) {
                per[0].0.clone()
            } else {
                per.iter()
                    .map(|(v, k)| format!("{v} ({k})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        } else {
            cell(&default_value(f, None))
        };
        let path = f.path.replace("[]", "[0]");
        let kinds = if f.kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.kinds.join(", "))
        };
        let allowed = match &f.ty {
            Ty::Int { range } | Ty::Float { range } => format!(
                "{} – {}",
                crate::error::plain(range.min),
                crate::error::plain(range.max)
            ),
            Ty::Name { names } | Ty::Tagged { names } => names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            Ty::List { max } => format!("at most {max} entries"),
            Ty::Optional => "object or null".to_string(),
            Ty::Bool => "`true`, `false`".to_string(),
            Ty::Object | Ty::Any => String::new(),
        };
        let unit = if f.unit.is_empty() || f.unit == "×" || f.unit == "%" {
            String::new()
        } else {
            format!(" ({})", f.unit)
        };
        out.push_str(&format!(
            "| `{path}`{kinds} | {default} | {allowed} | {}{unit} |\n",
            f.doc
        ));
    }
    out
}

/// The table as JSON: one object per field with its type, range or names, unit, doc and
/// default (per autoscaler variant where it has variants). The page reads this.
pub fn to_json() -> String {
    serde_json::to_string_pretty(&rows()).expect("rows serialize")
}

/// The rows of `to_json`, as values (no text round trip, which would round 2^53 − 1).
pub fn rows() -> Vec<Value> {
    defaults()
        .into_iter()
        .map(|(f, kind, default)| {
            let mut row = serde_json::to_value(f).expect("a field serializes");
            row["kind"] = kind.map_or(Value::Null, Value::from);
            row["default"] = default;
            row
        })
        .collect()
}

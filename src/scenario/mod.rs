//! `Scenario`: the one description of a run, shared by the CLI (a JSON file), the page (its URL
//! fragment) and the tests. Every field has a default, a documented range and a check that names
//! the field when the value is outside it; unknown fields are rejected so a typo never silently
//! falls back to a default. The limits keep every run finite and every allocation bounded.

use serde::{Deserialize, Serialize};

use crate::error::{plain, Error, ErrorKind};

mod parse;
pub mod presets;
pub mod schema;

pub use parse::strict_json;

/// Largest fleet the simulator accepts (instances alive at once, and the autoscalers' max).
pub const MAX_INSTANCES: u32 = 100_000;
/// Largest offered load, requests per second.
pub const MAX_RATE_RPS: f64 = 1e7;
/// Largest capacity of one instance, requests per second.
pub const MAX_CAPACITY_RPS: f64 = 1e7;
/// Longest simulated run, seconds.
pub const MAX_DURATION_S: f64 = 1e6;
/// Largest seed: 2^53 - 1, the largest integer a JavaScript number (and so the page's URL) holds exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub traffic: Traffic,
    pub instances: Instances,
    pub balancer: BalancerConfig,
    pub autoscaler: AutoscalerConfig,
    pub registry: RegistryConfig,
    pub faults: Vec<Fault>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            duration_s: 600.0,
            warmup_s: 0.0,
            traffic: Traffic::default(),
            instances: Instances::default(),
            balancer: BalancerConfig::default(),
            autoscaler: AutoscalerConfig::None,
            registry: RegistryConfig::default(),
            faults: Vec::new(),
            edits: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Exponential inter-arrival times (a Poisson process).
    Poisson,
    /// Evenly spaced arrivals, 1/L apart.
    Uniform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDistribution {
    Uniform,
    Zipf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Traffic {
    pub rate_rps: f64,
    pub arrivals: Arrivals,
    pub changes: Vec<RateChange>,
    /// Number of distinct request keys (0: requests carry no key).
    pub keys: u32,
    pub key_distribution: KeyDistribution,
    /// Zipf exponent s when `key_distribution` is `zipf`.
    pub zipf_s: f64,
    /// Prompt and output lengths (model servers only).
    pub tokens: TokenConfig,
    /// Shared prompt prefixes (model servers only).
    pub prefix: PrefixConfig,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            rate_rps: 500.0,
            arrivals: Arrivals::Poisson,
            changes: Vec::new(),
            keys: 0,
            key_distribution: KeyDistribution::Uniform,
            zipf_s: 1.0,
            tokens: TokenConfig::default(),
            prefix: PrefixConfig::default(),
        }
    }
}

/// Where prompt and output lengths come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lengths {
    /// Every request has `prompt_tokens` and `output_tokens`.
    Fixed,
    /// The Azure LLM inference trace 2023, conversation (quantile table).
    AzureConv,
    /// The Azure LLM inference trace 2023, code (quantile table).
    AzureCode,
    /// Lognormal with medians `prompt_tokens`, `output_tokens` and the sigmas, clamped.
    Lognormal,
}

/// Prompt and output lengths in tokens (see `serving::tokens`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    pub lengths: Lengths,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    pub prompt_sigma: f64,
    pub output_sigma: f64,
    pub max_prompt_tokens: u32,
    pub max_output_tokens: u32,
}

impl Default for TokenConfig {
    /// The Azure conversation trace; the fixed sizes and lognormal medians are its medians
    /// (1020 and 129), the sigmas its mean-fitted ones and the maxima its maxima
    /// (notes/llm-serving.md §4.1–4.2).
    fn default() -> Self {
        TokenConfig {
            lengths: Lengths::AzureConv,
            prompt_tokens: 1020,
            output_tokens: 129,
            prompt_sigma: 0.4981,
            output_sigma: 0.9926,
            max_prompt_tokens: 14050,
            max_output_tokens: 1000,
        }
    }
}

/// Requests that start with a shared prefix (a system prompt, or a chat's history): a share
/// of the requests belongs to one of `groups` prefixes, chosen uniformly, and sends its
/// `tokens` tokens before its own prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrefixConfig {
    pub share: f64,
    pub tokens: u32,
    pub groups: u32,
}

impl Default for PrefixConfig {
    /// Off (share 0); 1024 tokens and 8 groups are illustrative, not from a source.
    fn default() -> Self {
        PrefixConfig {
            share: 0.0,
            tokens: 1024,
            groups: 8,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateChange {
    pub at_s: f64,
    pub rate_rps: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTime {
    /// Exponential with mean 1/C (the M in M/M/c).
    Exponential,
    /// Always exactly 1/C (the D in M/D/1).
    Constant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Instances {
    pub count: u32,
    pub capacity_rps: f64,
    pub service: ServiceTime,
    pub concurrency: u32,
    pub queue_limit: u32,
    pub startup_s: f64,
    /// Kubernetes preStop hook: a removed instance keeps serving this long (its endpoint is
    /// being removed everywhere meanwhile), then drains.
    pub prestop_s: f64,
    /// The CPU request as a fraction of an instance's full capacity: the HPA's utilization is
    /// the busy fraction divided by it, so it can exceed 100 %.
    pub cpu_request_fraction: f64,
    /// Per-instance differences from the fleet's defaults (heterogeneous fleets).
    pub overrides: Vec<InstanceOverride>,
    /// What an instance is: a web server (queue and servers) or a model server (batching).
    pub model: Model,
    /// The model server, when `model` is `llm`.
    pub llm: LlmConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// A web server: `concurrency` servers fed by a FIFO queue.
    Web,
    /// A model server replica: continuous batching over a KV cache (`serving::replica`).
    Llm,
}

/// A model-server replica (see `serving::replica`). Defaults: vLLM's for an A100-class GPU
/// and the measured step-time fit for Llama-3.1-8B on an A100-80GB (TP 1, vLLM 0.8.4) in
/// inference-sim's `defaults.yaml` @b563c440; the block count is derived for that model on an
/// 80 GB GPU at 0.9 memory utilization (notes/llm-serving.md §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    pub max_batch: u32,
    pub max_batched_tokens: u32,
    pub kv_blocks: u32,
    pub prefix_caching: bool,
    pub step_base_us: f64,
    pub step_prefill_token_us: f64,
    pub step_decode_seq_us: f64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            max_batch: 256,
            max_batched_tokens: 2048,
            kv_blocks: 26_312,
            prefix_caching: true,
            step_base_us: 16_441.5,
            step_prefill_token_us: 47.84,
            step_decode_seq_us: 18.21,
        }
    }
}

impl Default for Instances {
    fn default() -> Self {
        Instances {
            count: 5,
            capacity_rps: 100.0,
            service: ServiceTime::Exponential,
            concurrency: 1,
            queue_limit: 1000,
            startup_s: 0.0,
            prestop_s: 0.0,
            cpu_request_fraction: 1.0,
            overrides: Vec::new(),
            model: Model::Web,
            llm: LlmConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceOverride {
    /// Instance id (instances are numbered 0, 1, 2, ... in creation order).
    pub instance: u32,
    /// Balancer weight (weighted round robin, weighted random, ring/maglev), default 1.
    #[serde(default = "one_u32")]
    pub weight: u32,
    /// Capacity multiplier: this instance serves `speed × C` requests/s, default 1.
    #[serde(default = "one_f64")]
    pub speed: f64,
}

fn one_u32() -> u32 {
    1
}
fn one_f64() -> f64 {
    1.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    RoundRobin,
    WeightedRoundRobin,
    /// Envoy's RANDOM: uniform over the hosts, weights ignored.
    Random,
    /// A draw in proportion to weight (no upstream policy of this name; see `balance::random`).
    WeightedRandom,
    LeastConnections,
    PowerOfTwo,
    PeakEwma,
    RingHash,
    Maglev,
    JumpHash,
    /// One central FIFO queue feeding every instance: the M/M/c reference, not a real balancer.
    SharedQueue,
    /// The Gateway API Inference Extension's endpoint picker (queue, KV cache, prefix).
    EndpointPicker,
    /// SGLang's cache-aware router.
    CacheAware,
}

impl Algorithm {
    pub const ALL: [Algorithm; 13] = [
        Algorithm::RoundRobin,
        Algorithm::WeightedRoundRobin,
        Algorithm::Random,
        Algorithm::WeightedRandom,
        Algorithm::LeastConnections,
        Algorithm::PowerOfTwo,
        Algorithm::PeakEwma,
        Algorithm::RingHash,
        Algorithm::Maglev,
        Algorithm::JumpHash,
        Algorithm::SharedQueue,
        Algorithm::EndpointPicker,
        Algorithm::CacheAware,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RoundRobin => "round_robin",
            Algorithm::WeightedRoundRobin => "weighted_round_robin",
            Algorithm::Random => "random",
            Algorithm::WeightedRandom => "weighted_random",
            Algorithm::LeastConnections => "least_connections",
            Algorithm::PowerOfTwo => "power_of_two",
            Algorithm::PeakEwma => "peak_ewma",
            Algorithm::RingHash => "ring_hash",
            Algorithm::Maglev => "maglev",
            Algorithm::JumpHash => "jump_hash",
            Algorithm::SharedQueue => "shared_queue",
            Algorithm::EndpointPicker => "endpoint_picker",
            Algorithm::CacheAware => "cache_aware",
        }
    }

    pub fn uses_keys(self) -> bool {
        matches!(
            self,
            Algorithm::RingHash | Algorithm::Maglev | Algorithm::JumpHash
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BalancerConfig {
    pub algorithm: Algorithm,
    /// power_of_two: how many instances to sample (Envoy least_request `choice_count`).
    pub choice_count: u32,
    /// peak_ewma: decay time constant of the latency average, seconds (Finagle default 10 s).
    pub decay_s: f64,
    /// ring_hash: how the ring is built (Envoy's `RING_HASH` or libketama's continuum).
    pub ring: RingKind,
    /// ring_hash with `ring: ketama`: points on the ring per unit of weight (ketama: 160).
    pub points_per_instance: u32,
    /// ring_hash with `ring: envoy`: Envoy's `minimum_ring_size` (default 1024).
    pub min_ring_size: u32,
    /// ring_hash with `ring: envoy`: Envoy's `maximum_ring_size`.
    pub max_ring_size: u32,
    /// maglev: lookup table size; must be prime (Envoy's default 65537).
    pub table_size: u32,
    /// How old the load information (active requests) the balancer sees is, seconds.
    pub load_delay_s: f64,
    /// How long the balancer waits for one attempt's response, seconds (0: forever). An attempt
    /// not answered in time fails (it is retried when `retry_on` covers timeouts).
    pub timeout_s: f64,
    /// Retries of a failed attempt, each on another instance than the attempt before.
    pub retries: u32,
    /// Which failed attempts are retried.
    pub retry_on: RetryOn,
    /// Envoy's retry back-off base interval, seconds (0: retry at once, as nginx does).
    pub retry_backoff_s: f64,
    pub health_check: Option<HealthCheckConfig>,
    pub outlier_detection: Option<OutlierConfig>,
    /// cache_aware: a prefix match must exceed this fraction of the prompt.
    pub cache_threshold: f64,
    /// cache_aware: loads are imbalanced when (max − min) > this AND max > rel × min.
    pub balance_abs_threshold: u32,
    pub balance_rel_threshold: f64,
    /// cache_aware: how often trees over `max_tree_size` characters are trimmed.
    pub eviction_interval_s: f64,
    pub max_tree_size: u64,
    pub passive_health: Option<PassiveHealthConfig>,
}

impl Default for BalancerConfig {
    fn default() -> Self {
        BalancerConfig {
            algorithm: Algorithm::RoundRobin,
            choice_count: 2,
            decay_s: 10.0,
            ring: RingKind::Envoy,
            points_per_instance: 160,
            min_ring_size: 1024,
            max_ring_size: MAX_RING_SIZE,
            table_size: 65537,
            load_delay_s: 0.0,
            timeout_s: 0.0,
            retries: 0,
            retry_on: RetryOn::ConnectFailure,
            retry_backoff_s: 0.0,
            health_check: None,
            outlier_detection: None,
            cache_threshold: 0.3,
            balance_abs_threshold: 64,
            balance_rel_threshold: 1.5,
            eviction_interval_s: 120.0,
            max_tree_size: 1 << 26,
            passive_health: None,
        }
    }
}

/// Largest ring (points) `ring_hash` builds: Envoy's `maximum_ring_size` may be up to 8M, but
/// 2^21 points (24 MB with the sort's scratch) bound what the page holds.
pub const MAX_RING_SIZE: u32 = 1 << 21;

/// How `ring_hash` places points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingKind {
    /// Envoy `RING_HASH`: about `min_ring_size` points in all, shared by normalized weight.
    Envoy,
    /// libketama: `points_per_instance` points per unit of weight (160 per server).
    Ketama,
}

/// Which failures of an attempt a retry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryOn {
    /// A refused connection only (Envoy `retry_on: connect-failure`).
    #[serde(rename = "connect_failure")]
    ConnectFailure,
    /// nginx's default `proxy_next_upstream error timeout`: a refused connection, a reset (the
    /// instance crashed with the request in it) or a timeout; a 503 goes back to the client.
    #[serde(rename = "error_timeout")]
    ErrorTimeout,
    /// Envoy `retry_on: 5xx` (nginx: `error timeout http_503`): also a 503 from an instance
    /// whose queue is full.
    #[serde(rename = "5xx")]
    Status5xx,
}

impl RetryOn {
    pub const NAMES: &'static [&'static str] = &["connect_failure", "error_timeout", "5xx"];
}

/// Active health checking (Envoy `health_checks`). Each host has its own probe timer, started
/// when the host enters the balancer's set: a new host starts unhealthy (FAILED_ACTIVE_HC) and
/// is probed at once; its first result, if good, makes it healthy; afterwards a host flips
/// only after `unhealthy_threshold` / `healthy_threshold` consecutive contrary results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheckConfig {
    pub interval_s: f64,
    pub unhealthy_threshold: u32,
    pub healthy_threshold: u32,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            interval_s: 5.0,
            unhealthy_threshold: 2,
            healthy_threshold: 2,
        }
    }
}

/// Passive outlier detection as Envoy's `outlier_detection` (consecutive_5xx): the
/// `consecutive_failures`-th failure in a row ejects a host if then at most
/// `max_ejection_pct` % of the hosts are ejected (or it would be the only one and
/// `always_eject_one_host` is set); the k-th ejection in a row lasts
/// min(k × `base_ejection_s`, `max_ejection_time_s`); un-ejection and the decay of k happen on
/// a timer every `interval_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutlierConfig {
    pub consecutive_failures: u32,
    pub base_ejection_s: f64,
    pub max_ejection_pct: u32,
    pub interval_s: f64,
    /// `None`: Envoy's default, max(300 s, `base_ejection_s`).
    pub max_ejection_time_s: Option<f64>,
    pub always_eject_one_host: bool,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        OutlierConfig {
            consecutive_failures: 5,
            base_ejection_s: 30.0,
            max_ejection_pct: 10,
            interval_s: 10.0,
            max_ejection_time_s: None,
            always_eject_one_host: false,
        }
    }
}

impl OutlierConfig {
    /// The ejection time cap in force: Envoy's `max_ejection_time`, by default
    /// max(300 s, `base_ejection_time`).
    pub fn max_ejection_s(&self) -> f64 {
        self.max_ejection_time_s
            .unwrap_or(self.base_ejection_s.max(300.0))
    }
}

/// nginx's passive health (`server … max_fails=1 fail_timeout=10s`): `max_fails` failures
/// counted without a success in between make a server unavailable for `fail_timeout_s`
/// (whole seconds, as nginx's clock), after which one probe request is let through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassiveHealthConfig {
    pub max_fails: u32,
    pub fail_timeout_s: u32,
}

impl Default for PassiveHealthConfig {
    fn default() -> Self {
        PassiveHealthConfig {
            max_fails: 1,
            fail_timeout_s: 10,
        }
    }
}

/// Who sets the instance count; `kind` names the variant. Parsed after the schema walk, so
/// serde's derived internally tagged form is enough.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutoscalerConfig {
    None,
    Formula(FormulaConfig),
    Hpa(HpaConfig),
    /// Knative's Pod Autoscaler (concurrency or RPS, panic mode, scale to zero, activator).
    Kpa(KpaConfig),
    /// Waiting requests through KEDA's generated HPA (the vLLM production stack's pattern).
    Queue(QueueConfig),
}

impl AutoscalerConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            AutoscalerConfig::None => "none",
            AutoscalerConfig::Formula(_) => "formula",
            AutoscalerConfig::Hpa(_) => "hpa",
            AutoscalerConfig::Kpa(_) => "kpa",
            AutoscalerConfig::Queue(_) => "queue",
        }
    }

    /// Whether this autoscaler can run the fleet at zero instances.
    pub fn scales_to_zero(&self) -> bool {
        matches!(self, AutoscalerConfig::Kpa(_) | AutoscalerConfig::Queue(_))
    }
}

/// What the KPA scales on (`autoscaling.knative.dev/metric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpaMetricConfig {
    /// In-flight requests per pod (Knative's default).
    Concurrency,
    /// Requests per second per pod.
    Rps,
}

/// Knative's Pod Autoscaler: the revision's annotations and `config-autoscaler` in one place,
/// with Knative's defaults (knative/serving @98e5ef90, `pkg/autoscaler/config/config.go`
/// `defaultConfig`; `config-deployment`'s progress deadline; the revision's `timeoutSeconds`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KpaConfig {
    pub metric: KpaMetricConfig,
    /// The revision's `containerConcurrency` (0: unlimited).
    pub container_concurrency: u32,
    /// `autoscaling.knative.dev/target` (null: container concurrency, 100 or 200 req/s).
    pub target: Option<f64>,
    /// `container-concurrency-target-percentage` / `target-utilization-percentage`.
    pub target_utilization_pct: f64,
    pub target_burst_capacity: f64,
    pub stable_window_s: u32,
    pub panic_window_pct: f64,
    pub panic_threshold_pct: f64,
    pub max_scale_up_rate: f64,
    pub max_scale_down_rate: f64,
    pub scale_down_delay_s: u32,
    pub enable_scale_to_zero: bool,
    pub scale_to_zero_grace_s: f64,
    pub scale_to_zero_retention_s: f64,
    pub min_scale: u32,
    /// 0: no maximum.
    pub max_scale: u32,
    pub initial_scale: u32,
    pub activation_scale: u32,
    /// `progress-deadline` of `config-deployment`: activation gives up after this + 30 s.
    pub progress_deadline_s: f64,
    /// The revision's `timeoutSeconds`: a request buffered longer in the activator fails.
    pub activator_timeout_s: f64,
    /// Requests the activator buffers at most (`breakerQueueDepth`); beyond, refused.
    pub activator_queue_limit: u32,
}

impl Default for KpaConfig {
    fn default() -> Self {
        KpaConfig {
            metric: KpaMetricConfig::Concurrency,
            container_concurrency: 0,
            target: None,
            target_utilization_pct: 70.0,
            target_burst_capacity: 211.0,
            stable_window_s: 60,
            panic_window_pct: 10.0,
            panic_threshold_pct: 200.0,
            max_scale_up_rate: 1000.0,
            max_scale_down_rate: 2.0,
            scale_down_delay_s: 0,
            enable_scale_to_zero: true,
            scale_to_zero_grace_s: 30.0,
            scale_to_zero_retention_s: 0.0,
            min_scale: 0,
            max_scale: 0,
            initial_scale: 1,
            activation_scale: 0,
            progress_deadline_s: 600.0,
            activator_timeout_s: 300.0,
            activator_queue_limit: 10_000,
        }
    }
}

/// Queue-depth scaling as KEDA does it for vLLM (production-stack's ScaledObject: a
/// Prometheus trigger on `vllm:num_requests_waiting`, threshold 5): KEDA moves 0 ↔ 1 and its
/// generated HPA (External metric, AverageValue = threshold) scales above that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Waiting requests per replica the HPA aims for (the trigger's `threshold`).
    pub threshold: f64,
    /// KEDA's `pollingInterval` (also the HPA's sync here).
    pub polling_s: f64,
    /// KEDA's `cooldownPeriod`: inactive this long before scaling to zero.
    pub cooldown_s: f64,
    /// KEDA's `minReplicaCount` (0: scale to zero).
    pub min_replicas: u32,
    /// KEDA's `maxReplicaCount`.
    pub max_replicas: u32,
    /// The production stack's second trigger for scale-to-zero: any request in the last
    /// minute keeps one replica (`sum(rate(vllm:num_incoming_requests_total[1m]) > bool 0)`,
    /// threshold 1).
    pub keepalive: bool,
    pub tolerance: ToleranceConfig,
    pub behavior: Option<BehaviorConfig>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            threshold: 5.0,
            polling_s: 15.0,
            cooldown_s: 300.0,
            min_replicas: 0,
            max_replicas: 100,
            keepalive: true,
            tolerance: ToleranceConfig::default(),
            behavior: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadSource {
    /// L exactly as configured (the seed's rule reads the offered load).
    Offered,
    /// The arrival rate measured over the last sync period.
    Measured,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormulaConfig {
    pub target_utilization_pct: u32,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub sync_s: f64,
    pub source: LoadSource,
}

impl Default for FormulaConfig {
    fn default() -> Self {
        FormulaConfig {
            target_utilization_pct: 100,
            min_replicas: 1,
            max_replicas: 1000,
            sync_s: 15.0,
            source: LoadSource::Offered,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HpaConfig {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_utilization_pct: u32,
    pub tolerance: ToleranceConfig,
    pub behavior: Option<BehaviorConfig>,
    pub sync_s: f64,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            min_replicas: 1,
            max_replicas: 100,
            target_utilization_pct: 80,
            tolerance: ToleranceConfig::default(),
            behavior: None,
            sync_s: 15.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToleranceConfig {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Default for ToleranceConfig {
    fn default() -> Self {
        ToleranceConfig {
            scale_down: 0.1,
            scale_up: 0.1,
        }
    }
}

/// autoscaling/v2 `behavior`; a missing direction gets Kubernetes' default rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviorConfig {
    pub scale_up: Option<ScalingRulesConfig>,
    pub scale_down: Option<ScalingRulesConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingRulesConfig {
    #[serde(default)]
    pub stabilization_window_s: Option<u32>,
    #[serde(default = "select_max")]
    pub select_policy: SelectPolicyConfig,
    #[serde(default)]
    pub policies: Vec<ScalingPolicyConfig>,
}

fn select_max() -> SelectPolicyConfig {
    SelectPolicyConfig::Max
}

impl Default for ScalingRulesConfig {
    fn default() -> Self {
        ScalingRulesConfig {
            stabilization_window_s: None,
            select_policy: select_max(),
            policies: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectPolicyConfig {
    Max,
    Min,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKindConfig {
    Pods,
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicyConfig {
    pub kind: PolicyKindConfig,
    pub value: u32,
    pub period_s: u32,
}

/// Which registry's expiry rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryFlavor {
    /// An exact timer per lease: the instance is evicted the moment `ttl_s` passes without a
    /// renewal (a Consul TTL check going critical).
    Consul,
    /// Netflix Eureka: leases expire 2 × `ttl_s` after the last renewal, a sweep every 60 s
    /// evicts at most 15 % of the registry, self-preservation reads the last minute's renewals.
    Eureka,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    pub flavor: RegistryFlavor,
    pub heartbeat_s: f64,
    pub ttl_s: f64,
    /// Discovery cache refresh period; 0 means balancers see registry changes at once.
    pub refresh_s: f64,
    /// Eureka self-preservation (`renewalPercentThreshold`, Eureka's default 0.85; 0: off).
    /// With `flavor: eureka`, eviction stops while the renewals of the last completed minute
    /// are not above this fraction of those expected (and every sweep evicts at most
    /// 1 − this fraction of the registry, 15 % at Eureka's default, also when off). With
    /// `flavor: consul` (Consul has no such mode) it is fleetlab's instant approximation:
    /// expiry waits while fewer than this fraction of the leases are live.
    pub self_preservation_threshold: f64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            flavor: RegistryFlavor::Consul,
            heartbeat_s: 5.0,
            ttl_s: 15.0,
            refresh_s: 0.0,
            self_preservation_threshold: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The instance dies: queued and in-service requests fail, heartbeats stop.
    Crash,
    /// Capacity × `factor` until recovered.
    Slow,
    /// Heartbeats are lost but the instance still serves.
    Partition,
    /// Undo any fault: a crashed instance restarts (with `startup_s`), slow and partition end.
    Recover,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub at_s: f64,
    pub kind: FaultKind,
    pub instance: u32,
    /// For `slow`: capacity multiplier in (0, 1]; default 0.25.
    #[serde(default = "quarter")]
    pub factor: f64,
}

fn quarter() -> f64 {
    0.25
}

/// A change made while the run went on (the page records each one), replayed at `at_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub at_s: f64,
    /// A live field (`schema::LIVE_PATHS`) or a field inside `balancer`, `autoscaler` or
    /// `registry`; `instances.overrides[]` sets one instance's override.
    pub path: String,
    pub value: serde_json::Value,
}

/// What part of the running simulation an accepted edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Count,
    Rate,
    Capacity,
    QueueLimit,
    Startup,
    PreStop,
    CpuRequest,
    Keys,
    Balancer,
    Autoscaler,
    Registry,
    Override(u32),
}

impl Scenario {
    /// Parses and validates a scenario; errors name the JSON path of the offending field.
    pub fn from_json(text: &str) -> Result<Scenario, Error> {
        let mut value = parse::strict_json(text)?;
        parse::check_document(&mut value)?;
        let scenario: Scenario = serde_json::from_value(value)
            .map_err(|e| Error::new("", format!("could not be read: {e}")))?;
        scenario.check_relations()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serializes")
    }

    /// Checks every field against the schema and every relation between fields; returns the
    /// first problem found, naming its field. A NaN anywhere is refused (it serializes as null).
    pub fn validate(&self) -> Result<(), Error> {
        let mut value = serde_json::to_value(self)
            .map_err(|e| Error::new("", format!("could not be written: {e}")))?;
        parse::check_document(&mut value)?;
        self.check_relations()
    }

    /// The rules that involve more than one field.
    fn check_relations(&self) -> Result<(), Error> {
        if self.warmup_s >= self.duration_s {
            return Err(Error::of(
                "warmup_s",
                ErrorKind::NotBelow {
                    other: "duration_s".into(),
                    limit: self.duration_s,
                },
                Some(plain(self.warmup_s)),
            ));
        }
        let mut last = 0.0;
        for (i, c) in self.traffic.changes.iter().enumerate() {
            if c.at_s < last {
                return Err(Error::of(
                    format!("traffic.changes[{i}].at_s"),
                    ErrorKind::OutOfOrder { previous: last },
                    Some(plain(c.at_s)),
                ));
            }
            last = c.at_s;
        }
        self.check_section_relations()?;
        self.check_model()?;
        // Edits are replayed in order on a scratch copy, so each is checked against the
        // settings in force when it applies.
        let mut scratch = Scenario {
            edits: Vec::new(),
            faults: Vec::new(),
            ..self.clone()
        };
        let mut last = 0.0;
        for (i, edit) in self.edits.iter().enumerate() {
            if edit.at_s < last {
                return Err(Error::of(
                    format!("edits[{i}].at_s"),
                    ErrorKind::OutOfOrder { previous: last },
                    Some(plain(edit.at_s)),
                ));
            }
            last = edit.at_s;
            scratch
                .apply_edit(&edit.path, edit.value.clone())
                .map_err(|e| {
                    let mut e = e;
                    e.problem = format!("{} {}", e.field, e.problem);
                    e.field = format!("edits[{i}]");
                    e
                })?;
        }
        Ok(())
    }

    /// A model server must hold its longest sequence in its KV cache (vLLM refuses to start
    /// when `max_model_len` tokens do not fit).
    fn check_model(&self) -> Result<(), Error> {
        if self.instances.model != Model::Llm {
            return Ok(());
        }
        let lengths = crate::serving::tokens::TokenSampler::new(&self.traffic.tokens);
        let prefix = if self.traffic.prefix.share > 0.0 {
            u64::from(self.traffic.prefix.tokens)
        } else {
            0
        };
        let longest =
            u64::from(lengths.prompt.max()) + prefix + u64::from(lengths.output.max()) - 1;
        let blocks = longest.div_ceil(u64::from(crate::serving::kv::BLOCK_TOKENS));
        let have = u64::from(self.instances.llm.kv_blocks);
        if have < blocks {
            return Err(Error::of(
                "instances.llm.kv_blocks",
                ErrorKind::NotAtLeast {
                    other: "the blocks of the longest sequence (prefix + prompt + output)".into(),
                    limit: blocks as f64,
                },
                Some(have.to_string()),
            ));
        }
        Ok(())
    }

    /// Relations inside the sections an edit can change.
    fn check_section_relations(&self) -> Result<(), Error> {
        let b = &self.balancer;
        if !is_prime(b.table_size) {
            return Err(Error::of(
                "balancer.table_size",
                ErrorKind::NotPrime,
                Some(b.table_size.to_string()),
            ));
        }
        if b.min_ring_size > b.max_ring_size {
            // Envoy refuses the same: "ring hash: minimum_ring_size (20) > maximum_ring_size (10)".
            return Err(Error::of(
                "balancer.max_ring_size",
                ErrorKind::NotAtLeast {
                    other: "min_ring_size".into(),
                    limit: f64::from(b.min_ring_size),
                },
                Some(b.max_ring_size.to_string()),
            ));
        }
        if let Some(od) = &b.outlier_detection {
            if let Some(max) = od.max_ejection_time_s {
                // Envoy's DetectorImpl::create refuses max_ejection_time < base_ejection_time.
                if max < od.base_ejection_s {
                    return Err(Error::of(
                        "balancer.outlier_detection.max_ejection_time_s",
                        ErrorKind::NotAtLeast {
                            other: "base_ejection_s".into(),
                            limit: od.base_ejection_s,
                        },
                        Some(plain(max)),
                    ));
                }
            }
        }
        if b.algorithm.uses_keys() && self.traffic.keys == 0 {
            return Err(Error::of(
                "traffic.keys",
                ErrorKind::NeedsKeys {
                    algorithm: b.algorithm.name().into(),
                },
                None,
            ));
        }
        if self.instances.model == Model::Llm && b.algorithm == Algorithm::SharedQueue {
            return Err(Error::of(
                "balancer.algorithm",
                ErrorKind::NeedsModel {
                    algorithm: b.algorithm.name().into(),
                    model: "web".into(),
                },
                None,
            ));
        }
        if self.instances.count == 0 && !self.autoscaler.scales_to_zero() {
            return Err(Error::of(
                "instances.count",
                ErrorKind::NeedsScaleFromZero {
                    autoscalers: vec!["kpa".into(), "queue".into()],
                },
                Some("0".into()),
            ));
        }
        let (min, max, max_name, min_name) = match &self.autoscaler {
            AutoscalerConfig::None => return Ok(()),
            AutoscalerConfig::Formula(f) => (
                f.min_replicas,
                f.max_replicas,
                "max_replicas",
                "min_replicas",
            ),
            AutoscalerConfig::Hpa(h) => (
                h.min_replicas,
                h.max_replicas,
                "max_replicas",
                "min_replicas",
            ),
            AutoscalerConfig::Queue(q) => (
                q.min_replicas,
                q.max_replicas,
                "max_replicas",
                "min_replicas",
            ),
            AutoscalerConfig::Kpa(k) => {
                let tbc = k.target_burst_capacity;
                if tbc < 0.0 && tbc != -1.0 {
                    return Err(Error::of(
                        "autoscaler.target_burst_capacity",
                        ErrorKind::UnlimitedOrAtLeast {
                            unlimited: -1.0,
                            min: 0.0,
                        },
                        Some(plain(tbc)),
                    ));
                }
                // Knative: max-scale 0 is "no maximum".
                let max = if k.max_scale == 0 {
                    u32::MAX
                } else {
                    k.max_scale
                };
                (k.min_scale, max, "max_scale", "min_scale")
            }
        };
        if min > max {
            return Err(Error::of(
                format!("autoscaler.{max_name}"),
                ErrorKind::NotAtLeast {
                    other: min_name.into(),
                    limit: f64::from(min),
                },
                Some(max.to_string()),
            ));
        }
        Ok(())
    }

    /// Text a person typed for the field at `path` (list indices allowed, as in
    /// `instances.overrides[].speed`), as the JSON value an edit, a list entry or a new run
    /// takes: parsed as a whole field's typed text is (thousands separators accepted, empty and
    /// non-numbers refused) and checked against the field's rules, so text means the same in
    /// every box on the page, and settings that cannot change live are parsed here too.
    pub fn parse_typed(&self, path: &str, text: &str) -> Result<serde_json::Value, Error> {
        let kind = path
            .starts_with("autoscaler.")
            .then(|| self.autoscaler.kind());
        let spec = known_field(path, kind)?;
        let mut value = parse::from_text(spec, text)?;
        parse::check_value(spec, &mut value, path, kind)?;
        Ok(value)
    }

    /// Applies one live change to these settings, checked as the scenario file is: `value`
    /// may be text typed by a person into a number field (parsed here). On error nothing
    /// changes. Returns what changed.
    /// The value is returned as checked (text parsed, whole numbers normalized), as it should be
    /// recorded.
    pub fn apply_edit(
        &mut self,
        path: &str,
        value: serde_json::Value,
    ) -> Result<(Change, serde_json::Value), Error> {
        use serde_json::Value;
        if !schema::is_live(path) {
            let known = schema::field(path, Some(self.autoscaler.kind())).is_some();
            return Err(if known {
                Error::of(path, ErrorKind::NotLive, None)
            } else {
                Error::of(
                    path,
                    ErrorKind::UnknownField {
                        allowed: Vec::new(),
                    },
                    None,
                )
            });
        }
        if path == "instances.overrides[]" {
            let mut value = value;
            parse::check_object_at(&mut value, "instances.overrides[]", path)?;
            let o: InstanceOverride = serde_json::from_value(value.clone())
                .map_err(|e| Error::new(path, format!("could not be read: {e}")))?;
            let list = &mut self.instances.overrides;
            list.retain(|x| x.instance != o.instance);
            if o.weight != 1 || o.speed != 1.0 {
                let at = list.partition_point(|x| x.instance < o.instance);
                list.insert(at, o);
            }
            return Ok((Change::Override(o.instance), value));
        }
        let mut candidate = self.clone_without_lists();
        let mut doc = serde_json::to_value(&candidate)
            .map_err(|e| Error::new("", format!("could not be written: {e}")))?;
        // The autoscaler's fields depend on its kind: switching kind starts from its defaults.
        let kind = if path == "autoscaler.kind" {
            let k = value.as_str().unwrap_or_default().to_string();
            return self.apply_edit("autoscaler", serde_json::json!({ "kind": k }));
        } else if path.starts_with("autoscaler.") {
            Some(self.autoscaler.kind())
        } else if path == "autoscaler" {
            None
        } else {
            Some(self.autoscaler.kind())
        };
        let spec = known_field(path, kind)?;
        let mut value = match value {
            Value::String(text) if spec.range().is_some() => parse::from_text(spec, &text)?,
            other => other,
        };
        parse::check_value(spec, &mut value, path, kind)?;
        set_path(&mut doc, path, value.clone());
        let mut doc_check = doc.clone();
        parse::check_document(&mut doc_check)?;
        candidate = serde_json::from_value(doc_check)
            .map_err(|e| Error::new(path, format!("could not be read: {e}")))?;
        candidate.check_section_relations()?;
        let section = path.split('.').next().unwrap_or_default();
        let change = match (section, path) {
            (_, "instances.count") => Change::Count,
            (_, "instances.capacity_rps") => Change::Capacity,
            (_, "instances.queue_limit") => Change::QueueLimit,
            (_, "instances.startup_s") => Change::Startup,
            (_, "instances.prestop_s") => Change::PreStop,
            (_, "instances.cpu_request_fraction") => Change::CpuRequest,
            (_, "traffic.rate_rps") => Change::Rate,
            ("traffic", _) => Change::Keys,
            ("balancer", _) => Change::Balancer,
            ("autoscaler", _) => Change::Autoscaler,
            _ => Change::Registry,
        };
        self.traffic.rate_rps = candidate.traffic.rate_rps;
        self.traffic.keys = candidate.traffic.keys;
        self.traffic.key_distribution = candidate.traffic.key_distribution;
        self.traffic.zipf_s = candidate.traffic.zipf_s;
        self.instances.count = candidate.instances.count;
        self.instances.capacity_rps = candidate.instances.capacity_rps;
        self.instances.queue_limit = candidate.instances.queue_limit;
        self.instances.startup_s = candidate.instances.startup_s;
        self.instances.prestop_s = candidate.instances.prestop_s;
        self.instances.cpu_request_fraction = candidate.instances.cpu_request_fraction;
        self.balancer = candidate.balancer;
        self.autoscaler = candidate.autoscaler;
        self.registry = candidate.registry;
        Ok((change, value))
    }

    /// The settings an edit can touch, without the long lists (which edits never read).
    fn clone_without_lists(&self) -> Scenario {
        Scenario {
            traffic: Traffic {
                changes: Vec::new(),
                ..self.traffic.clone()
            },
            instances: Instances {
                overrides: Vec::new(),
                ..self.instances.clone()
            },
            faults: Vec::new(),
            edits: Vec::new(),
            ..self.clone_shallow()
        }
    }

    fn clone_shallow(&self) -> Scenario {
        Scenario {
            seed: self.seed,
            duration_s: self.duration_s,
            warmup_s: self.warmup_s,
            traffic: Traffic::default(),
            instances: Instances::default(),
            balancer: self.balancer.clone(),
            autoscaler: self.autoscaler.clone(),
            registry: self.registry.clone(),
            faults: Vec::new(),
            edits: Vec::new(),
        }
    }
}

/// The schema's field at `path` for the autoscaler variant `kind`, or the error naming it.
fn known_field(path: &str, kind: Option<&str>) -> Result<&'static schema::Field, Error> {
    schema::field(path, kind).ok_or_else(|| {
        Error::of(
            path,
            ErrorKind::UnknownField {
                allowed: Vec::new(),
            },
            None,
        )
    })
}

/// Sets `path` (dotted, no list indices) in a JSON document, creating objects on the way (an
/// optional object that was off is switched on at its defaults).
fn set_path(doc: &mut serde_json::Value, path: &str, value: serde_json::Value) {
    use serde_json::Value;
    let mut node = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Default::default());
        }
        let map = node.as_object_mut().expect("an object");
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            return;
        }
        node = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}

fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2u32;
    while d.saturating_mul(d) <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

#[cfg(test)]
mod typed_text_tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn typed_text_means_the_same_in_a_list_entry_and_in_a_setting_that_is_not_live() {
        let sc = Scenario::default();
        // a list entry's number with a thousands separator, as the N box accepts it
        assert_eq!(
            sc.parse_typed("instances.overrides[].weight", " 1,000 ")
                .unwrap(),
            Value::from(1000)
        );
        assert_eq!(
            sc.parse_typed("instances.overrides[3].speed", "0.5")
                .unwrap(),
            Value::from(0.5)
        );
        // a setting that cannot change live: parsed all the same
        assert_eq!(sc.parse_typed("seed", "42").unwrap(), Value::from(42));
        // JavaScript's Number() would read these; the core does not
        for (text, kind) in [
            ("0x10", "not_a_number"),
            ("", "empty"),
            ("1e400", "out_of_range"),
        ] {
            let e = sc.parse_typed("duration_s", text).unwrap_err();
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["kind"], kind, "{text:?}: {e}");
            assert!(e.to_string().contains("duration_s"), "{e}");
        }
        // the field's own range applies: a negative speed is refused with the range
        let e = sc
            .parse_typed("instances.overrides[].speed", "-1")
            .unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap()["kind"],
            "out_of_range",
            "{e}"
        );
        // an autoscaler field exists only for its kinds
        assert!(sc
            .parse_typed("autoscaler.target_utilization_pct", "50")
            .is_err());
        let mut hpa = Scenario::default();
        hpa.apply_edit("autoscaler", serde_json::json!({"kind": "hpa"}))
            .unwrap();
        assert!(hpa
            .parse_typed("autoscaler.target_utilization_pct", "50")
            .is_ok());
    }
}

//! `Scenario`: the one description of a run, shared by the CLI (a JSON file), the page (its URL
//! fragment) and the tests. Every field has a default, a documented range and a check that names
//! the field when the value is outside it; unknown fields are rejected so a typo never silently
//! falls back to a default. The limits keep every run finite and every allocation bounded.

use serde::{Deserialize, Serialize};

use crate::autoscale::hpa;
use crate::error::{check_int, check_range, Error};

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
    #[serde(deserialize_with = "seed_value")]
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub traffic: Traffic,
    pub instances: Instances,
    pub balancer: BalancerConfig,
    pub autoscaler: AutoscalerConfig,
    pub registry: RegistryConfig,
    pub faults: Vec<Fault>,
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
    /// Per-instance differences from the fleet's defaults (heterogeneous fleets).
    pub overrides: Vec<InstanceOverride>,
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
            overrides: Vec::new(),
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
    Random,
    LeastConnections,
    PowerOfTwo,
    PeakEwma,
    RingHash,
    Maglev,
    JumpHash,
    /// One central FIFO queue feeding every instance: the M/M/c reference, not a real balancer.
    SharedQueue,
}

impl Algorithm {
    pub const ALL: [Algorithm; 10] = [
        Algorithm::RoundRobin,
        Algorithm::WeightedRoundRobin,
        Algorithm::Random,
        Algorithm::LeastConnections,
        Algorithm::PowerOfTwo,
        Algorithm::PeakEwma,
        Algorithm::RingHash,
        Algorithm::Maglev,
        Algorithm::JumpHash,
        Algorithm::SharedQueue,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RoundRobin => "round_robin",
            Algorithm::WeightedRoundRobin => "weighted_round_robin",
            Algorithm::Random => "random",
            Algorithm::LeastConnections => "least_connections",
            Algorithm::PowerOfTwo => "power_of_two",
            Algorithm::PeakEwma => "peak_ewma",
            Algorithm::RingHash => "ring_hash",
            Algorithm::Maglev => "maglev",
            Algorithm::JumpHash => "jump_hash",
            Algorithm::SharedQueue => "shared_queue",
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
    /// ring_hash: points on the ring per unit of weight (ketama uses 160 per server).
    pub points_per_instance: u32,
    /// maglev: lookup table size; must be prime (Envoy's default 65537).
    pub table_size: u32,
    /// How old the load information (active requests) the balancer sees is, seconds.
    pub load_delay_s: f64,
    /// Client retries of a failed request on another instance (0 or 1).
    pub retries: u32,
    pub health_check: Option<HealthCheckConfig>,
    pub outlier_detection: Option<OutlierConfig>,
}

impl Default for BalancerConfig {
    fn default() -> Self {
        BalancerConfig {
            algorithm: Algorithm::RoundRobin,
            choice_count: 2,
            decay_s: 10.0,
            points_per_instance: 160,
            table_size: 65537,
            load_delay_s: 0.0,
            retries: 0,
            health_check: None,
            outlier_detection: None,
        }
    }
}

/// Active health checking (Envoy `health_checks`): probe every `interval_s`; a host flips to
/// unhealthy after `unhealthy_threshold` consecutive failed probes and back after
/// `healthy_threshold` consecutive good ones.
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

/// Passive outlier detection (Envoy `outlier_detection`, consecutive_5xx): `consecutive_failures`
/// failures eject a host for `base_ejection_s × times ejected`, never more than
/// `max_ejection_pct` % of the hosts at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutlierConfig {
    pub consecutive_failures: u32,
    pub base_ejection_s: f64,
    pub max_ejection_pct: u32,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        OutlierConfig {
            consecutive_failures: 5,
            base_ejection_s: 30.0,
            max_ejection_pct: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutoscalerConfig {
    None,
    Formula(FormulaConfig),
    Hpa(HpaConfig),
}

/// Internally tagged by `kind`, deserialized by hand so that an error inside the variant keeps
/// its path (serde's derived internally-tagged enums lose it: "autoscaler" instead of
/// "autoscaler.min_replicas").
impl<'de> Deserialize<'de> for AutoscalerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        let serde_json::Value::Object(mut fields) = value else {
            return Err(D::Error::custom(
                "must be an object with a \"kind\": none, formula or hpa",
            ));
        };
        let kind = match fields.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(other) => {
                return Err(D::Error::custom(format!(
                "{PATH_MARK}kind{PATH_MARK}must be \"none\", \"formula\" or \"hpa\", got {other}"
            )))
            }
            None => {
                return Err(D::Error::custom(
                    "missing field `kind` (none, formula or hpa)",
                ))
            }
        };
        let rest = serde_json::Value::Object(fields);
        fn inner<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            rest: serde_json::Value,
        ) -> Result<T, E> {
            serde_path_to_error::deserialize(rest)
                .map_err(|e| E::custom(format!("{PATH_MARK}{}{PATH_MARK}{}", e.path(), e.inner())))
        }
        match kind.as_str() {
            "none" => {
                let _: NoFields = inner(rest)?;
                Ok(AutoscalerConfig::None)
            }
            "formula" => Ok(AutoscalerConfig::Formula(inner(rest)?)),
            "hpa" => Ok(AutoscalerConfig::Hpa(inner(rest)?)),
            other => Err(D::Error::custom(format!("{PATH_MARK}kind{PATH_MARK}must be \"none\", \"formula\" or \"hpa\", got \"{other}\""))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// Brackets a sub-path inside an error message, so `Scenario::from_*` can append it to the path.
const PATH_MARK: char = '\u{1f}';

/// Turns a serde_path_to_error path and message into an `Error`, joining a sub-path that a
/// hand-written deserializer put in the message.
pub fn path_error(path: &str, message: &str) -> Error {
    let mut field = if path == "." {
        String::new()
    } else {
        path.to_string()
    };
    let mut problem = strip_serde_position(message);
    if let Some(rest) = problem.strip_prefix(PATH_MARK) {
        if let Some((sub, msg)) = rest.split_once(PATH_MARK) {
            if !sub.is_empty() && sub != "." {
                field = if field.is_empty() {
                    sub.to_string()
                } else {
                    format!("{field}.{sub}")
                };
            }
            problem = msg.to_string();
        }
    }
    Error::new(field, problem)
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    pub heartbeat_s: f64,
    pub ttl_s: f64,
    /// Discovery cache refresh period; 0 means balancers see registry changes at once.
    pub refresh_s: f64,
    /// Eureka self-preservation: stop evicting when renewals fall below this fraction of the
    /// expected (0 disables; Eureka's default threshold is 0.85).
    pub self_preservation_threshold: f64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
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

impl Scenario {
    /// Parses and validates a scenario; errors name the JSON path of the offending field.
    pub fn from_json(text: &str) -> Result<Scenario, Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de)
            .map_err(|e| path_error(&e.path().to_string(), &e.inner().to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serializes")
    }

    /// Checks every range; returns the first problem found, naming its field.
    pub fn validate(&self) -> Result<(), Error> {
        check_int("seed", self.seed, 0, MAX_SEED)?;
        check_range("duration_s", self.duration_s, 0.001, MAX_DURATION_S)?;
        check_range("warmup_s", self.warmup_s, 0.0, MAX_DURATION_S)?;
        if self.warmup_s >= self.duration_s {
            return Err(Error::new(
                "warmup_s",
                format!(
                    "must be less than duration_s ({}), got {}",
                    self.duration_s, self.warmup_s
                ),
            ));
        }

        let t = &self.traffic;
        check_range("traffic.rate_rps", t.rate_rps, 0.0, MAX_RATE_RPS)?;
        if t.changes.len() > 10_000 {
            return Err(Error::new(
                "traffic.changes",
                format!("at most 10000 changes, got {}", t.changes.len()),
            ));
        }
        let mut last_at = 0.0;
        for (i, c) in t.changes.iter().enumerate() {
            check_range(
                &format!("traffic.changes[{i}].at_s"),
                c.at_s,
                0.0,
                MAX_DURATION_S,
            )?;
            check_range(
                &format!("traffic.changes[{i}].rate_rps"),
                c.rate_rps,
                0.0,
                MAX_RATE_RPS,
            )?;
            if c.at_s < last_at {
                return Err(Error::new(
                    format!("traffic.changes[{i}].at_s"),
                    format!(
                        "changes must be in time order: {} comes after {}",
                        c.at_s, last_at
                    ),
                ));
            }
            last_at = c.at_s;
        }
        check_int("traffic.keys", t.keys, 0, 1_000_000_000)?;
        check_range("traffic.zipf_s", t.zipf_s, 0.0, 10.0)?;

        let n = &self.instances;
        check_int("instances.count", n.count, 1, MAX_INSTANCES)?;
        check_range(
            "instances.capacity_rps",
            n.capacity_rps,
            1e-3,
            MAX_CAPACITY_RPS,
        )?;
        check_int("instances.concurrency", n.concurrency, 1, 10_000)?;
        check_int("instances.queue_limit", n.queue_limit, 0, 1_000_000)?;
        check_range("instances.startup_s", n.startup_s, 0.0, 3600.0)?;
        if n.overrides.len() > MAX_INSTANCES as usize {
            return Err(Error::new(
                "instances.overrides",
                format!("at most {MAX_INSTANCES} overrides"),
            ));
        }
        for (i, o) in n.overrides.iter().enumerate() {
            check_int(
                &format!("instances.overrides[{i}].instance"),
                o.instance,
                0,
                MAX_INSTANCES - 1,
            )?;
            check_int(
                &format!("instances.overrides[{i}].weight"),
                o.weight,
                1,
                1000,
            )?;
            check_range(
                &format!("instances.overrides[{i}].speed"),
                o.speed,
                0.01,
                100.0,
            )?;
        }

        let b = &self.balancer;
        check_int("balancer.choice_count", b.choice_count, 2, 100)?;
        check_range("balancer.decay_s", b.decay_s, 0.001, 3600.0)?;
        check_int(
            "balancer.points_per_instance",
            b.points_per_instance,
            1,
            1000,
        )?;
        check_int("balancer.table_size", b.table_size, 2, 1_000_003)?;
        if !is_prime(b.table_size) {
            return Err(Error::new(
                "balancer.table_size",
                format!("must be a prime number (e.g. 65537), got {}", b.table_size),
            ));
        }
        check_range("balancer.load_delay_s", b.load_delay_s, 0.0, 3600.0)?;
        check_int("balancer.retries", b.retries, 0, 1)?;
        if b.algorithm.uses_keys() && t.keys == 0 {
            return Err(Error::new(
                "traffic.keys",
                format!(
                    "balancer {} routes by key: set traffic.keys to at least 1",
                    b.algorithm.name()
                ),
            ));
        }
        if let Some(h) = &b.health_check {
            check_range(
                "balancer.health_check.interval_s",
                h.interval_s,
                0.01,
                3600.0,
            )?;
            check_int(
                "balancer.health_check.unhealthy_threshold",
                h.unhealthy_threshold,
                1,
                100,
            )?;
            check_int(
                "balancer.health_check.healthy_threshold",
                h.healthy_threshold,
                1,
                100,
            )?;
        }
        if let Some(o) = &b.outlier_detection {
            check_int(
                "balancer.outlier_detection.consecutive_failures",
                o.consecutive_failures,
                1,
                1000,
            )?;
            check_range(
                "balancer.outlier_detection.base_ejection_s",
                o.base_ejection_s,
                0.001,
                3600.0,
            )?;
            check_int(
                "balancer.outlier_detection.max_ejection_pct",
                o.max_ejection_pct,
                0,
                100,
            )?;
        }

        match &self.autoscaler {
            AutoscalerConfig::None => {}
            AutoscalerConfig::Formula(f) => {
                check_int(
                    "autoscaler.target_utilization_pct",
                    f.target_utilization_pct,
                    1,
                    1000,
                )?;
                check_replicas(f.min_replicas, f.max_replicas)?;
                check_range("autoscaler.sync_s", f.sync_s, 0.1, 3600.0)?;
            }
            AutoscalerConfig::Hpa(h) => {
                check_int(
                    "autoscaler.target_utilization_pct",
                    h.target_utilization_pct,
                    1,
                    hpa::MAX_TARGET_UTILIZATION_PCT,
                )?;
                check_replicas(h.min_replicas, h.max_replicas)?;
                check_range("autoscaler.sync_s", h.sync_s, 0.1, 3600.0)?;
                check_range(
                    "autoscaler.tolerance.scale_down",
                    h.tolerance.scale_down,
                    0.0,
                    hpa::MAX_TOLERANCE_SCALE_DOWN,
                )?;
                check_range(
                    "autoscaler.tolerance.scale_up",
                    h.tolerance.scale_up,
                    0.0,
                    hpa::MAX_TOLERANCE_SCALE_UP,
                )?;
                if let Some(b) = &h.behavior {
                    for (dir, rules) in [("scale_up", &b.scale_up), ("scale_down", &b.scale_down)] {
                        let Some(rules) = rules else { continue };
                        let base = format!("autoscaler.behavior.{dir}");
                        if let Some(w) = rules.stabilization_window_s {
                            check_int(
                                &format!("{base}.stabilization_window_s"),
                                w,
                                0,
                                hpa::MAX_STABILIZATION_WINDOW_S,
                            )?;
                        }
                        if rules.policies.len() > hpa::MAX_POLICIES {
                            return Err(Error::new(
                                format!("{base}.policies"),
                                format!("at most {} policies", hpa::MAX_POLICIES),
                            ));
                        }
                        for (i, p) in rules.policies.iter().enumerate() {
                            check_int(
                                &format!("{base}.policies[{i}].value"),
                                p.value,
                                1,
                                hpa::MAX_POLICY_VALUE,
                            )?;
                            // autoscaling/v2: periodSeconds must be > 0 and <= 1800.
                            check_int(
                                &format!("{base}.policies[{i}].period_s"),
                                p.period_s,
                                1,
                                hpa::MAX_POLICY_PERIOD_S,
                            )?;
                        }
                    }
                }
            }
        }

        let r = &self.registry;
        check_range("registry.heartbeat_s", r.heartbeat_s, 0.01, 3600.0)?;
        check_range("registry.ttl_s", r.ttl_s, 0.01, 36000.0)?;
        check_range("registry.refresh_s", r.refresh_s, 0.0, 3600.0)?;
        check_range(
            "registry.self_preservation_threshold",
            r.self_preservation_threshold,
            0.0,
            1.0,
        )?;

        if self.faults.len() > 10_000 {
            return Err(Error::new("faults", "at most 10000 faults"));
        }
        for (i, f) in self.faults.iter().enumerate() {
            check_range(&format!("faults[{i}].at_s"), f.at_s, 0.0, MAX_DURATION_S)?;
            check_int(
                &format!("faults[{i}].instance"),
                f.instance,
                0,
                MAX_INSTANCES - 1,
            )?;
            check_range(&format!("faults[{i}].factor"), f.factor, 0.01, 1.0)?;
        }
        Ok(())
    }
}

/// The seed as any JSON number, so that -4 or 1.5 get the same range message as other fields.
fn seed_value<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    use serde::de::Error as _;
    let value = serde_json::Value::deserialize(deserializer)?;
    match value.as_u64() {
        Some(seed) if seed <= MAX_SEED => Ok(seed),
        _ => Err(D::Error::custom(format!(
            "must be a whole number between 0 and {MAX_SEED}, got {value}"
        ))),
    }
}

fn check_replicas(min: u32, max: u32) -> Result<(), Error> {
    check_int("autoscaler.min_replicas", min, 1, MAX_INSTANCES)?;
    check_int("autoscaler.max_replicas", max, 1, MAX_INSTANCES)?;
    if min > max {
        return Err(Error::new(
            "autoscaler.max_replicas",
            format!("must be at least min_replicas ({min}), got {max}"),
        ));
    }
    Ok(())
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

/// serde_json appends " at line L column C"; the path already locates the field.
fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

//! A faithful model of the Kubernetes HorizontalPodAutoscaler controller, for one HPA with one
//! CPU-utilization (`Resource`, `type: Utilization`) metric.
//!
//! It follows upstream `kubernetes/kubernetes`:
//!
//! * `pkg/controller/podautoscaler/replica_calculator.go`: `GetResourceReplicas`, `groupPods`,
//!   `removeMetricsForPods`, `Tolerances.isWithin`, and `metrics/utilization.go`
//!   (`GetResourceUtilizationRatio`): integer-percent utilization, per-direction tolerance, the
//!   "pessimistic" recompute for missing and unready pods.
//! * `pkg/controller/podautoscaler/horizontal.go`: `reconcileAutoscaler`,
//!   `recordInitialRecommendation`, `normalizeDesiredReplicas` (`stabilizeRecommendation` +
//!   `convertDesiredReplicasWithRules`, scale-up limit `max(2 × current, 4)`),
//!   `normalizeDesiredReplicasWithBehaviors` (`stabilizeRecommendationWithBehaviors` +
//!   `convertDesiredReplicasWithBehaviorRate`, `calculateScaleUpLimitWithScalingRules`,
//!   `calculateScaleDownLimitWithBehaviors`, `getReplicasChangePerPeriod`), `storeScaleEvent` and
//!   `markScaleEventsOutdated`.
//! * `pkg/apis/autoscaling/v2/defaults.go`: the default `behavior`.
//!
//! Wall-clock `time.Now()` is replaced by the caller's `now_s` (seconds). Go's `Before(cutoff)`
//! and `After(cutoff)` are kept exactly (strict `<` and `>`), so boundaries behave as upstream's
//! do when timestamps coincide.
//!
//! Modelling choices (see each item): a pod is `Ready`, `Unready` (not ready, pending or still
//! starting: upstream's `unreadyPods`, whether or not it has a sample) or `Ignored` (deleting or
//! failed: upstream's `ignoredPods`). A `Ready` pod without a sample is a *missing* pod.

use crate::error::Error;

/// `--horizontal-pod-autoscaler-tolerance` default (and `defaultTestingTolerance`).
const DEFAULT_TOLERANCE: f64 = 0.1;
/// `scaleUpLimitFactor` in horizontal.go (path without `behavior`).
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
/// `scaleUpLimitMinimum` in horizontal.go (path without `behavior`).
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;
/// `--horizontal-pod-autoscaler-downscale-stabilization` default: 5 minutes.
pub const DOWNSCALE_STABILISATION_WINDOW_S: u32 = 300;
/// API validation: `periodSeconds` must be in 1..=1800.
pub const MAX_POLICY_PERIOD_S: u32 = 1800;
/// API validation: `stabilizationWindowSeconds` must be in 0..=3600.
pub const MAX_STABILIZATION_WINDOW_S: u32 = 3600;
/// Replica counts are `int32` in Kubernetes.
const INT32_MAX: i64 = i32::MAX as i64;

// ---------------------------------------------------------------------------------------------
// Data types
// ---------------------------------------------------------------------------------------------

/// How the replica calculator treats a pod (`groupPods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PodState {
    /// Running and ready: its sample counts; without a sample it is a "missing" pod.
    Ready,
    /// Not ready, pending, or starting (CPU initialisation): upstream's `unreadyPods`. Its sample
    /// is dropped; it counts as 0% only when the ready pods ask to scale up. (Upstream puts a
    /// *running* not-ready pod with no sample among the missing pods instead; this model treats
    /// every `Unready` pod like a pending one, which is what a starting replica is.)
    Unready,
    /// Being deleted or failed: upstream's `ignoredPods`, left out entirely.
    Ignored,
}

/// One pod as the metrics pipeline sees it: CPU usage and request in millicores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PodMetric {
    pub state: PodState,
    /// `None`: metrics-server returned no sample for this pod.
    pub usage_milli: Option<u64>,
    /// Sum of the containers' CPU requests; 0 means "missing request" (an error, as upstream).
    pub request_milli: u64,
}

/// Per-direction tolerance on the usage ratio (`behavior.scale{Up,Down}.tolerance`, KEP-4951).
/// No change while `1 − scale_down ≤ ratio ≤ 1 + scale_up`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            scale_down: DEFAULT_TOLERANCE,
            scale_up: DEFAULT_TOLERANCE,
        }
    }
}

impl Tolerance {
    /// `Tolerances.isWithin`.
    fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// What `GetResourceReplicas` returns: the proposed replica count and the current utilization
/// (integer percent of the requests, over the ready pods with samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recommendation {
    pub replicas: u32,
    pub utilization_pct: u32,
}

/// `HPAScalingPolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// `ScalingPolicySelect`: `Max` picks the policy allowing the biggest change, `Min` the
/// smallest, `Disabled` forbids scaling in that direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// `HPAScalingPolicy`: at most `value` pods (or `value` percent) of change per `period_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    pub value: u32,
    pub period_s: u32,
}

/// `HPAScalingRules` for one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScalingRules {
    /// `None`: scale-up uses 0, scale-down uses the controller's
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (300 s).
    pub stabilization_window_s: Option<u32>,
    pub select_policy: SelectPolicy,
    /// Empty: Kubernetes' default policies for that direction, as when `policies` is omitted
    /// (`GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules` copy only the fields set).
    pub policies: Vec<ScalingPolicy>,
}

/// `HorizontalPodAutoscalerBehavior`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    /// `defaults.go`: scale up with no stabilization, `Max` of +100% and +4 pods per 15 s; scale
    /// down by up to 100% per 15 s. The scale-down window is left `None` as upstream does, so the
    /// controller default (300 s) applies.
    fn default() -> Self {
        Behavior {
            scale_up: ScalingRules {
                stabilization_window_s: Some(0),
                select_policy: SelectPolicy::Max,
                policies: vec![
                    ScalingPolicy {
                        kind: PolicyKind::Percent,
                        value: 100,
                        period_s: 15,
                    },
                    ScalingPolicy {
                        kind: PolicyKind::Pods,
                        value: 4,
                        period_s: 15,
                    },
                ],
            },
            scale_down: ScalingRules {
                stabilization_window_s: None,
                select_policy: SelectPolicy::Max,
                policies: vec![ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_s: 15,
                }],
            },
        }
    }
}

/// The HPA's spec, for one CPU-utilization metric.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaSpec {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_utilization_pct: u32,
    pub tolerance: Tolerance,
    /// `None`: the controller's path without `behavior` (`normalizeDesiredReplicas`).
    pub behavior: Option<Behavior>,
}

/// The outcome of one reconcile pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    pub desired_replicas: u32,
    /// Which step decided, in words, with the Kubernetes condition reason in brackets.
    pub reason: String,
}

// ---------------------------------------------------------------------------------------------
// Replica calculator
// ---------------------------------------------------------------------------------------------

/// `GetResourceReplicas`: the replica count the metric asks for, before stabilization, rate
/// limits and min/max.
pub fn resource_replicas(
    current_replicas: u32,
    pods: &[PodMetric],
    target_utilization_pct: u32,
    tolerance: Tolerance,
) -> Result<Recommendation, Error> {
    check_tolerance("tolerance.scale_down", tolerance.scale_down)?;
    check_tolerance("tolerance.scale_up", tolerance.scale_up)?;
    calc_resource(current_replicas, pods, target_utilization_pct, tolerance).map(|o| o.rec)
}

/// How the calculator reached its answer, for the teaching reason string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CalcPath {
    /// No missing pods and no scale-up with unready pods; the ratio is inside the band.
    WithinTolerance,
    /// `ceil(ratio × readyPodCount)`.
    Simple { ready: usize },
    /// The recompute with missing / unready pods assumed at the pessimistic value.
    Recomputed(Recompute),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Recompute {
    new_ratio: f64,
    /// `len(metrics)` after the fill-in.
    counted: usize,
    missing: usize,
    /// Percent of request assumed for missing pods (0 on scale-up, `max(100, target)` on
    /// scale-down); `None` when the ratio is exactly 1 and they were not filled in.
    missing_pct: Option<u32>,
    /// Unready pods counted as 0% (only on scale-up).
    unready_zeroed: usize,
    outcome: RecomputeOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecomputeOutcome {
    Replicas,
    InsideTolerance,
    DirectionFlip,
    CountWouldReverse(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct CalcOutcome {
    rec: Recommendation,
    ratio: f64,
    path: CalcPath,
}

/// `GetResourceUtilizationRatio`: `int32((metricsTotal * 100) / requestsTotal)` and that
/// divided by the target. Totals are exact (u128); the percentage saturates at `int32` max as
/// newer upstream does. `None` when the request total is 0.
fn utilization_ratio(samples: &[(u128, u128)], target_pct: u32) -> Option<(f64, u32)> {
    let (mut usage, mut request) = (0u128, 0u128);
    for &(u, r) in samples {
        usage = usage.saturating_add(u);
        request = request.saturating_add(r);
    }
    if request == 0 {
        return None;
    }
    let pct = (usage.saturating_mul(100) / request).min(INT32_MAX as u128) as u32;
    Some((f64::from(pct) / f64::from(target_pct), pct))
}

/// `int32(math.Ceil(x))`, saturating instead of overflowing.
fn ceil_replicas(x: f64) -> u32 {
    let c = x.ceil();
    if c.is_nan() || c <= 0.0 {
        0
    } else if c >= INT32_MAX as f64 {
        INT32_MAX as u32
    } else {
        c as u32
    }
}

fn calc_resource(
    current_replicas: u32,
    pods: &[PodMetric],
    target_pct: u32,
    tolerance: Tolerance,
) -> Result<CalcOutcome, Error> {
    if target_pct == 0 {
        return Err(Error::out_of_range(
            "target_utilization_pct",
            0,
            1,
            i32::MAX,
        ));
    }
    if pods.is_empty() {
        return Err(Error::new(
            "pods",
            "no pods returned by selector while calculating replica count",
        ));
    }
    // groupPods + removeMetricsForPods(ignored) + removeMetricsForPods(unready).
    let mut samples: Vec<(u128, u128)> = Vec::with_capacity(pods.len());
    let mut unready: Vec<u128> = Vec::new();
    let mut missing: Vec<u128> = Vec::new();
    for pod in pods {
        let request = u128::from(pod.request_milli);
        match (pod.state, pod.usage_milli) {
            (PodState::Ignored, _) => {}
            (PodState::Unready, _) => unready.push(request),
            (PodState::Ready, None) => missing.push(request),
            (PodState::Ready, Some(usage)) => samples.push((u128::from(usage), request)),
        }
    }
    let ready_pod_count = samples.len();
    if samples.is_empty() {
        return Err(Error::new(
            "pods",
            "did not receive metrics for targeted pods (pods might be unready)",
        ));
    }
    // calculateRequests: every listed pod needs a request for the resource.
    if let Some(i) = pods.iter().position(|p| p.request_milli == 0) {
        return Err(Error::new(
            format!("pods[{i}].request_milli"),
            "missing request for cpu: utilization is usage ÷ request, so the request must be > 0",
        ));
    }
    let no_match = || Error::new("pods", "no metrics returned matched known pods");
    let (usage_ratio, utilization) =
        utilization_ratio(&samples, target_pct).ok_or_else(no_match)?;
    let done = |replicas: u32, path: CalcPath| CalcOutcome {
        rec: Recommendation {
            replicas,
            utilization_pct: utilization,
        },
        ratio: usage_ratio,
        path,
    };

    let scale_up_with_unready = !unready.is_empty() && usage_ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if tolerance.is_within(usage_ratio) {
            return Ok(done(current_replicas, CalcPath::WithinTolerance));
        }
        let replicas = ceil_replicas(usage_ratio * ready_pod_count as f64);
        return Ok(done(
            replicas,
            CalcPath::Simple {
                ready: ready_pod_count,
            },
        ));
    }

    let mut missing_pct = None;
    if !missing.is_empty() {
        if usage_ratio < 1.0 {
            // Scale-down: missing pods use 100% of their request, or the target when above 100%.
            let fallback = u128::from(target_pct.max(100));
            for &request in &missing {
                samples.push((request * fallback / 100, request));
            }
            missing_pct = Some(target_pct.max(100));
        } else if usage_ratio > 1.0 {
            // Scale-up: missing pods use 0%.
            for &request in &missing {
                samples.push((0, request));
            }
            missing_pct = Some(0);
        }
    }
    if scale_up_with_unready {
        for &request in &unready {
            samples.push((0, request));
        }
    }
    let (new_ratio, _) = utilization_ratio(&samples, target_pct).ok_or_else(no_match)?;
    let mut recompute = Recompute {
        new_ratio,
        counted: samples.len(),
        missing: missing.len(),
        missing_pct,
        unready_zeroed: if scale_up_with_unready {
            unready.len()
        } else {
            0
        },
        outcome: RecomputeOutcome::Replicas,
    };
    if tolerance.is_within(new_ratio) {
        recompute.outcome = RecomputeOutcome::InsideTolerance;
        return Ok(done(current_replicas, CalcPath::Recomputed(recompute)));
    }
    if (usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0) {
        recompute.outcome = RecomputeOutcome::DirectionFlip;
        return Ok(done(current_replicas, CalcPath::Recomputed(recompute)));
    }
    let new_replicas = ceil_replicas(new_ratio * samples.len() as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas)
        || (new_ratio > 1.0 && new_replicas < current_replicas)
    {
        recompute.outcome = RecomputeOutcome::CountWouldReverse(new_replicas);
        return Ok(done(current_replicas, CalcPath::Recomputed(recompute)));
    }
    Ok(done(new_replicas, CalcPath::Recomputed(recompute)))
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn explain_calc(o: &CalcOutcome, target_pct: u32, current: u32, tol: Tolerance) -> String {
    let head = format!(
        "utilization {}% vs target {}% → ratio {:.2}",
        o.rec.utilization_pct, target_pct, o.ratio
    );
    let band = format!("[{:.2}, {:.2}]", 1.0 - tol.scale_down, 1.0 + tol.scale_up);
    match o.path {
        CalcPath::WithinTolerance => {
            format!("{head}, inside the tolerance band {band} → keep {current} replicas")
        }
        CalcPath::Simple { ready } => format!(
            "{head} × {} → {} replicas",
            plural(ready, "ready pod"),
            o.rec.replicas
        ),
        CalcPath::Recomputed(r) => {
            let mut assumed = Vec::new();
            if let Some(pct) = r.missing_pct {
                assumed.push(format!(
                    "{} without a sample as {pct}%",
                    plural(r.missing, "pod")
                ));
            }
            if r.unready_zeroed > 0 {
                assumed.push(format!("{} as 0%", plural(r.unready_zeroed, "unready pod")));
            }
            let assumed = if assumed.is_empty() {
                String::from("nothing to fill in")
            } else {
                format!("counting {}", assumed.join(" and "))
            };
            let again = format!("{head}; {assumed} → ratio {:.2}", r.new_ratio);
            match r.outcome {
                RecomputeOutcome::Replicas => format!(
                    "{again} × {} → {} replicas",
                    plural(r.counted, "pod"),
                    o.rec.replicas
                ),
                RecomputeOutcome::InsideTolerance => format!(
                    "{again}, inside the tolerance band {band} → keep {current} replicas"
                ),
                RecomputeOutcome::DirectionFlip => format!(
                    "{again}, which would reverse the scaling direction → keep {current} replicas"
                ),
                RecomputeOutcome::CountWouldReverse(n) => format!(
                    "{again} × {} → {n}, which would move against the ratio → keep {current} replicas",
                    plural(r.counted, "pod")
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Controller state: recommendations and scale events
// ---------------------------------------------------------------------------------------------

/// `timestampedRecommendation`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TimedRecommendation {
    replicas: i64,
    t: f64,
}

/// `timestampedScaleEvent`: replica change (absolute value) made by this controller.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScaleEvent {
    change: i64,
    t: f64,
    outdated: bool,
}

/// `stabilizeRecommendation` (path without `behavior`): max of the recommendations not older
/// than the window (`!Before(cutoff)`), storing the new one in place of an old one.
fn stabilize_recommendation(
    recs: &mut Vec<TimedRecommendation>,
    now: f64,
    desired: i64,
    window_s: f64,
) -> i64 {
    let cutoff = now - window_s;
    let mut max_recommendation = desired;
    let mut old_index = None;
    for (i, rec) in recs.iter().enumerate() {
        if rec.t < cutoff {
            old_index = Some(i);
        } else if rec.replicas > max_recommendation {
            max_recommendation = rec.replicas;
        }
    }
    let new = TimedRecommendation {
        replicas: desired,
        t: now,
    };
    match old_index {
        Some(i) => recs[i] = new,
        None => recs.push(new),
    }
    max_recommendation
}

/// `stabilizeRecommendationWithBehaviors`: the up-recommendation is the min over the scale-up
/// window, the down-recommendation the max over the scale-down window (`After(cutoff)`); the
/// current count is brought inside `[up, down]`.
fn stabilize_with_behaviors(
    recs: &mut Vec<TimedRecommendation>,
    now: f64,
    current: i64,
    desired: i64,
    up_window_s: f64,
    down_window_s: f64,
) -> i64 {
    let up_cutoff = now - up_window_s;
    let down_cutoff = now - down_window_s;
    let mut up_recommendation = desired;
    let mut down_recommendation = desired;
    let mut old_index = None;
    for (i, rec) in recs.iter().enumerate() {
        if rec.t > up_cutoff {
            up_recommendation = up_recommendation.min(rec.replicas);
        }
        if rec.t > down_cutoff {
            down_recommendation = down_recommendation.max(rec.replicas);
        }
        if rec.t < up_cutoff && rec.t < down_cutoff {
            old_index = Some(i);
        }
    }
    let mut recommendation = current;
    if recommendation < up_recommendation {
        recommendation = up_recommendation;
    }
    if recommendation > down_recommendation {
        recommendation = down_recommendation;
    }
    let new = TimedRecommendation {
        replicas: desired,
        t: now,
    };
    match old_index {
        Some(i) => recs[i] = new,
        None => recs.push(new),
    }
    recommendation
}

/// `getReplicasChangePerPeriod`: replicas changed by events strictly newer than `now − period`.
fn replicas_change_per_period(now: f64, period_s: u32, events: &[ScaleEvent]) -> i64 {
    let cutoff = now - f64::from(period_s);
    events
        .iter()
        .filter(|e| e.t > cutoff)
        .fold(0i64, |acc, e| acc.saturating_add(e.change))
}

/// `f64` → `i64` like Go's `int32(...)` conversion would for sane values: truncation toward 0,
/// saturating (and NaN → 0) instead of undefined.
fn trunc_i64(x: f64) -> i64 {
    x as i64
}

fn describe_policy(p: &ScalingPolicy, sign: char) -> String {
    match p.kind {
        PolicyKind::Pods => format!("Pods {sign}{}/{}s", p.value, p.period_s),
        PolicyKind::Percent => format!("Percent {sign}{}%/{}s", p.value, p.period_s),
    }
}

fn select_name(s: SelectPolicy) -> &'static str {
    match s {
        SelectPolicy::Max => "Max",
        SelectPolicy::Min => "Min",
        SelectPolicy::Disabled => "Disabled",
    }
}

/// A rate limit and how it was reached.
#[derive(Debug, Clone, PartialEq)]
struct RateLimit {
    limit: i64,
    detail: String,
}

/// `calculateScaleUpLimitWithScalingRules`.
fn scale_up_limit_with_rules(
    now: f64,
    current: i64,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
) -> RateLimit {
    let (mut result, pick): (i64, fn(i64, i64) -> i64) = match rules.select_policy {
        SelectPolicy::Disabled => {
            return RateLimit {
                limit: current,
                detail: String::from("scale-up selectPolicy is Disabled"),
            }
        }
        SelectPolicy::Min => (i64::MAX, i64::min),
        SelectPolicy::Max => (i64::MIN, i64::max),
    };
    let mut parts = Vec::new();
    for policy in &rules.policies {
        let added = replicas_change_per_period(now, policy.period_s, up_events);
        let deleted = replicas_change_per_period(now, policy.period_s, down_events);
        let period_start = current.saturating_sub(added).saturating_add(deleted);
        let proposed = match policy.kind {
            PolicyKind::Pods => period_start.saturating_add(i64::from(policy.value)),
            // Rounded up, or a small percentage would never add a pod.
            PolicyKind::Percent => {
                trunc_i64((period_start as f64 * (1.0 + f64::from(policy.value) / 100.0)).ceil())
            }
        };
        parts.push(format!(
            "{} from {period_start} → {proposed}",
            describe_policy(policy, '+')
        ));
        result = pick(result, proposed);
    }
    RateLimit {
        limit: result,
        detail: format!(
            "{} of [{}]",
            select_name(rules.select_policy),
            parts.join(", ")
        ),
    }
}

/// `calculateScaleDownLimitWithBehaviors`.
fn scale_down_limit_with_rules(
    now: f64,
    current: i64,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
) -> RateLimit {
    let (mut result, pick): (i64, fn(i64, i64) -> i64) = match rules.select_policy {
        SelectPolicy::Disabled => {
            return RateLimit {
                limit: current,
                detail: String::from("scale-down selectPolicy is Disabled"),
            }
        }
        // For scaling down the smallest change is the highest count.
        SelectPolicy::Min => (i64::MIN, i64::max),
        SelectPolicy::Max => (i64::MAX, i64::min),
    };
    let mut parts = Vec::new();
    for policy in &rules.policies {
        let added = replicas_change_per_period(now, policy.period_s, up_events);
        let deleted = replicas_change_per_period(now, policy.period_s, down_events);
        let period_start = current.saturating_sub(added).saturating_add(deleted);
        let proposed = match policy.kind {
            PolicyKind::Pods => period_start.saturating_sub(i64::from(policy.value)),
            // Truncated: int32(float64(periodStartReplicas) * (1 - value/100)).
            PolicyKind::Percent => {
                trunc_i64(period_start as f64 * (1.0 - f64::from(policy.value) / 100.0))
            }
        };
        parts.push(format!(
            "{} from {period_start} → {proposed}",
            describe_policy(policy, '-')
        ));
        result = pick(result, proposed);
    }
    RateLimit {
        limit: result,
        detail: format!(
            "{} of [{}]",
            select_name(rules.select_policy),
            parts.join(", ")
        ),
    }
}

/// The `ScalingLimited` condition reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitReason {
    DesiredWithinRange,
    ScaleUpLimit,
    ScaleDownLimit,
    TooManyReplicas,
    TooFewReplicas,
}

impl LimitReason {
    fn name(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "DesiredWithinRange",
            LimitReason::ScaleUpLimit => "ScaleUpLimit",
            LimitReason::ScaleDownLimit => "ScaleDownLimit",
            LimitReason::TooManyReplicas => "TooManyReplicas",
            LimitReason::TooFewReplicas => "TooFewReplicas",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Limited {
    replicas: i64,
    reason: LimitReason,
    /// The rate limit consulted, if any, and its derivation.
    rate: Option<RateLimit>,
}

/// `convertDesiredReplicasWithRules` (path without `behavior`).
fn convert_with_rules(current: i64, desired: i64, min: i64, max: i64) -> Limited {
    let scale_up_limit =
        trunc_i64((SCALE_UP_LIMIT_FACTOR * current as f64).max(SCALE_UP_LIMIT_MINIMUM));
    let rate = Some(RateLimit {
        limit: scale_up_limit,
        detail: format!("max(2 × {current}, 4)"),
    });
    let (maximum_allowed, limiting) = if max > scale_up_limit {
        (scale_up_limit, LimitReason::ScaleUpLimit)
    } else {
        (max, LimitReason::TooManyReplicas)
    };
    if desired < min {
        Limited {
            replicas: min,
            reason: LimitReason::TooFewReplicas,
            rate,
        }
    } else if desired > maximum_allowed {
        Limited {
            replicas: maximum_allowed,
            reason: limiting,
            rate,
        }
    } else {
        Limited {
            replicas: desired,
            reason: LimitReason::DesiredWithinRange,
            // The scale-up limit has nothing to say about a scale-down.
            rate: if desired >= current { rate } else { None },
        }
    }
}

/// `convertDesiredReplicasWithBehaviorRate`.
#[allow(clippy::too_many_arguments)]
fn convert_with_behavior_rate(
    now: f64,
    current: i64,
    desired: i64,
    min: i64,
    max: i64,
    behavior: &Behavior,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
) -> Limited {
    if desired > current {
        let mut rate =
            scale_up_limit_with_rules(now, current, up_events, down_events, &behavior.scale_up);
        if rate.limit < current {
            // No further scale-up until the recent scale-up events age out.
            rate.limit = current;
        }
        let (maximum_allowed, limiting) = if max > rate.limit {
            (rate.limit, LimitReason::ScaleUpLimit)
        } else {
            (max, LimitReason::TooManyReplicas)
        };
        if desired > maximum_allowed {
            return Limited {
                replicas: maximum_allowed,
                reason: limiting,
                rate: Some(rate),
            };
        }
        return Limited {
            replicas: desired,
            reason: LimitReason::DesiredWithinRange,
            rate: Some(rate),
        };
    }
    if desired < current {
        let mut rate =
            scale_down_limit_with_rules(now, current, up_events, down_events, &behavior.scale_down);
        if rate.limit > current {
            // No further scale-down until the recent scale-down events age out.
            rate.limit = current;
        }
        let (minimum_allowed, limiting) = if min < rate.limit {
            (rate.limit, LimitReason::ScaleDownLimit)
        } else {
            (min, LimitReason::TooFewReplicas)
        };
        if desired < minimum_allowed {
            return Limited {
                replicas: minimum_allowed,
                reason: limiting,
                rate: Some(rate),
            };
        }
        return Limited {
            replicas: desired,
            reason: LimitReason::DesiredWithinRange,
            rate: Some(rate),
        };
    }
    Limited {
        replicas: desired,
        reason: LimitReason::DesiredWithinRange,
        rate: None,
    }
}

fn explain_limit(l: &Limited, current: i64, before: i64, min: i64, max: i64) -> String {
    let rate = l
        .rate
        .as_ref()
        .map(|r| format!("{} = {}", r.detail, r.limit))
        .unwrap_or_default();
    let body = match l.reason {
        LimitReason::DesiredWithinRange if before > current => {
            format!("within the scale-up limit ({rate}) and max_replicas {max}")
        }
        LimitReason::DesiredWithinRange if before < current && !rate.is_empty() => {
            format!("within the scale-down limit ({rate}) and min_replicas {min}")
        }
        LimitReason::DesiredWithinRange => {
            format!("within min_replicas {min} and max_replicas {max}")
        }
        LimitReason::ScaleUpLimit => {
            format!(
                "capped at {} by the scale-up rate limit ({rate})",
                l.replicas
            )
        }
        LimitReason::ScaleDownLimit => {
            format!(
                "limited to {} by the scale-down rate limit ({rate})",
                l.replicas
            )
        }
        LimitReason::TooManyReplicas => format!("clamped to max_replicas {}", l.replicas),
        LimitReason::TooFewReplicas => format!("raised to min_replicas {}", l.replicas),
    };
    format!("; {body} [{}]", l.reason.name())
}

/// `markScaleEventsOutdated`.
fn mark_scale_events_outdated(events: &mut [ScaleEvent], now: f64, longest_period_s: u32) {
    let cutoff = now - f64::from(longest_period_s);
    for event in events.iter_mut() {
        if event.t < cutoff {
            event.outdated = true;
        }
    }
}

/// `getLongestPolicyPeriod`.
fn longest_policy_period(rules: &ScalingRules) -> u32 {
    rules.policies.iter().map(|p| p.period_s).max().unwrap_or(0)
}

/// One direction of `storeScaleEvent`: mark outdated events, then reuse the last outdated slot
/// or append.
fn store_scale_event_in(events: &mut Vec<ScaleEvent>, rules: &ScalingRules, now: f64, change: i64) {
    mark_scale_events_outdated(events, now, longest_policy_period(rules));
    let new = ScaleEvent {
        change,
        t: now,
        outdated: false,
    };
    match events.iter().rposition(|e| e.outdated) {
        Some(i) => events[i] = new,
        None => events.push(new),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn check_tolerance(field: &str, value: f64) -> Result<(), Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::new(
            field,
            format!("must be a finite number ≥ 0 (e.g. 0.1 for 10%), got {value}"),
        ))
    }
}

fn check_rules(prefix: &str, rules: &ScalingRules) -> Result<(), Error> {
    if let Some(w) = rules.stabilization_window_s {
        crate::error::check_int(
            &format!("{prefix}.stabilization_window_s"),
            w,
            0,
            MAX_STABILIZATION_WINDOW_S,
        )?;
    }
    for (i, p) in rules.policies.iter().enumerate() {
        crate::error::check_int(
            &format!("{prefix}.policies[{i}].value"),
            p.value,
            1,
            i32::MAX as u32,
        )?;
        crate::error::check_int(
            &format!("{prefix}.policies[{i}].period_s"),
            p.period_s,
            1,
            MAX_POLICY_PERIOD_S,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The controller
// ---------------------------------------------------------------------------------------------

/// One HorizontalPodAutoscaler with the controller's memory for it: the recommendation log used
/// by stabilization and the scale events used by the `behavior` rate limits.
#[derive(Debug, Clone)]
pub struct Hpa {
    spec: HpaSpec,
    /// `a.recommendations[key]`; `None` until the first reconcile records the initial one.
    recommendations: Option<Vec<TimedRecommendation>>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
}

impl Hpa {
    /// Validates the spec as the API server would (fields named `autoscaler.…`) and fills
    /// omitted (empty) policies with the defaults.
    pub fn new(spec: HpaSpec) -> Result<Hpa, Error> {
        crate::error::check_int(
            "autoscaler.min_replicas",
            spec.min_replicas,
            1,
            i32::MAX as u32,
        )?;
        crate::error::check_int(
            "autoscaler.max_replicas",
            spec.max_replicas,
            spec.min_replicas,
            i32::MAX as u32,
        )?;
        crate::error::check_int(
            "autoscaler.target_utilization_pct",
            spec.target_utilization_pct,
            1,
            i32::MAX as u32,
        )?;
        check_tolerance("autoscaler.tolerance.scale_down", spec.tolerance.scale_down)?;
        check_tolerance("autoscaler.tolerance.scale_up", spec.tolerance.scale_up)?;
        let mut spec = spec;
        if let Some(b) = spec.behavior.as_mut() {
            check_rules("autoscaler.behavior.scale_up", &b.scale_up)?;
            check_rules("autoscaler.behavior.scale_down", &b.scale_down)?;
            // Omitted policies take the defaults, as the API server's defaulting does.
            let defaults = Behavior::default();
            if b.scale_up.policies.is_empty() {
                b.scale_up.policies = defaults.scale_up.policies;
            }
            if b.scale_down.policies.is_empty() {
                b.scale_down.policies = defaults.scale_down.policies;
            }
        }
        Ok(Hpa {
            spec,
            recommendations: None,
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
        })
    }

    /// The effective spec (after policy defaulting).
    pub fn spec(&self) -> &HpaSpec {
        &self.spec
    }

    /// One pass of `reconcileAutoscaler` at time `now_s`, with the scale target at
    /// `current_replicas` and these pods. The returned count is what the controller writes to
    /// the scale subresource (equal to `current_replicas` when it does not rescale).
    pub fn reconcile(&mut self, now_s: f64, current_replicas: u32, pods: &[PodMetric]) -> Decision {
        let current = i64::from(current_replicas);
        if !now_s.is_finite() {
            return Decision {
                desired_replicas: current_replicas,
                reason: format!("now_s must be a finite number of seconds, got {now_s}; no change"),
            };
        }
        // recordInitialRecommendation: the first pass remembers the current count.
        if self.recommendations.is_none() {
            self.recommendations = Some(vec![TimedRecommendation {
                replicas: current,
                t: now_s,
            }]);
        }

        let min = i64::from(self.spec.min_replicas);
        let max = i64::from(self.spec.max_replicas);
        let (desired, mut reason) = if current == 0 {
            // min_replicas ≥ 1 by validation: "Autoscaling is disabled for this resource".
            return Decision {
                desired_replicas: 0,
                reason: String::from(
                    "scaling is disabled since the replica count of the target is zero [ScalingDisabled]",
                ),
            };
        } else if current > max {
            (
                max,
                format!("current replicas {current} above max_replicas {max} → set to {max}"),
            )
        } else if current < min {
            (
                min,
                format!("current replicas {current} below min_replicas {min} → set to {min}"),
            )
        } else {
            let outcome = match calc_resource(
                current_replicas,
                pods,
                self.spec.target_utilization_pct,
                self.spec.tolerance,
            ) {
                Ok(o) => o,
                Err(e) => {
                    return Decision {
                        desired_replicas: current_replicas,
                        reason: format!(
                            "the HPA was unable to compute the replica count: {e}; keep {current} replicas [FailedGetResourceMetric]"
                        ),
                    }
                }
            };
            let mut text = explain_calc(
                &outcome,
                self.spec.target_utilization_pct,
                current_replicas,
                self.spec.tolerance,
            );
            let metric_desired = i64::from(outcome.rec.replicas);
            // Borrow the behavior out of the spec while the state is updated (no clone).
            let behavior = self.spec.behavior.take();
            let desired = match &behavior {
                None => self.normalize(now_s, current, metric_desired, &mut text),
                Some(b) => {
                    self.normalize_with_behaviors(now_s, current, metric_desired, b, &mut text)
                }
            };
            self.spec.behavior = behavior;
            (desired, text)
        };

        let desired = desired.clamp(0, INT32_MAX);
        if desired != current {
            self.store_scale_event(now_s, current, desired);
            reason.push_str(&format!(" → scale {current} → {desired}"));
        } else {
            reason.push_str(&format!(" → no change ({current})"));
        }
        Decision {
            desired_replicas: desired as u32,
            reason,
        }
    }

    /// `normalizeDesiredReplicas`.
    fn normalize(&mut self, now: f64, current: i64, desired: i64, text: &mut String) -> i64 {
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let window = f64::from(DOWNSCALE_STABILISATION_WINDOW_S);
        let stabilized = stabilize_recommendation(recs, now, desired, window);
        if stabilized != desired {
            text.push_str(&format!(
                "; the {DOWNSCALE_STABILISATION_WINDOW_S} s stabilization window keeps the highest recent recommendation, {stabilized} [ScaleDownStabilized]"
            ));
        }
        let min = i64::from(self.spec.min_replicas);
        let max = i64::from(self.spec.max_replicas);
        let limited = convert_with_rules(current, stabilized, min, max);
        text.push_str(&explain_limit(&limited, current, stabilized, min, max));
        limited.replicas
    }

    /// `normalizeDesiredReplicasWithBehaviors`.
    fn normalize_with_behaviors(
        &mut self,
        now: f64,
        current: i64,
        desired: i64,
        behavior: &Behavior,
        text: &mut String,
    ) -> i64 {
        // maybeInitScaleDownStabilizationWindow / GenerateHPAScaleUpRules.
        let up_window = behavior.scale_up.stabilization_window_s.unwrap_or(0);
        let down_window = behavior
            .scale_down
            .stabilization_window_s
            .unwrap_or(DOWNSCALE_STABILISATION_WINDOW_S);
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let stabilized = stabilize_with_behaviors(
            recs,
            now,
            current,
            desired,
            f64::from(up_window),
            f64::from(down_window),
        );
        if stabilized != desired {
            if desired >= current {
                text.push_str(&format!(
                    "; the scale-up stabilization window ({up_window} s) applies the lowest recent recommendation, {stabilized} [ScaleUpStabilized]"
                ));
            } else {
                text.push_str(&format!(
                    "; the scale-down stabilization window ({down_window} s) applies the highest recent recommendation, {stabilized} [ScaleDownStabilized]"
                ));
            }
        }
        let min = i64::from(self.spec.min_replicas);
        let max = i64::from(self.spec.max_replicas);
        let limited = convert_with_behavior_rate(
            now,
            current,
            stabilized,
            min,
            max,
            behavior,
            &self.scale_up_events,
            &self.scale_down_events,
        );
        text.push_str(&explain_limit(&limited, current, stabilized, min, max));
        limited.replicas
    }

    /// `storeScaleEvent`: only with a `behavior` (the events are not used otherwise).
    fn store_scale_event(&mut self, now: f64, prev: i64, new: i64) {
        let Some(behavior) = &self.spec.behavior else {
            return;
        };
        if new > prev {
            store_scale_event_in(
                &mut self.scale_up_events,
                &behavior.scale_up,
                now,
                new - prev,
            );
        } else {
            store_scale_event_in(
                &mut self.scale_down_events,
                &behavior.scale_down,
                now,
                prev - new,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- helpers ------------------------------------------------------------------------------

    /// replica_calculator_test.go gives every pod two containers (`numContainersPerPod = 2`),
    /// each with the listed request and usage level; a pod's totals are twice the level.
    const CONTAINERS: u64 = 2;

    fn ready(level: u64, request: u64) -> PodMetric {
        PodMetric {
            state: PodState::Ready,
            usage_milli: Some(CONTAINERS * level),
            request_milli: CONTAINERS * request,
        }
    }
    fn unready(level: u64, request: u64) -> PodMetric {
        PodMetric {
            state: PodState::Unready,
            usage_milli: Some(CONTAINERS * level),
            request_milli: CONTAINERS * request,
        }
    }
    /// Ready but no sample from the metrics API.
    fn no_sample(request: u64) -> PodMetric {
        PodMetric {
            state: PodState::Ready,
            usage_milli: None,
            request_milli: CONTAINERS * request,
        }
    }
    fn pending(request: u64) -> PodMetric {
        PodMetric {
            state: PodState::Unready,
            usage_milli: None,
            request_milli: CONTAINERS * request,
        }
    }
    fn failed(request: u64) -> PodMetric {
        PodMetric {
            state: PodState::Ignored,
            usage_milli: None,
            request_milli: CONTAINERS * request,
        }
    }
    fn tol(scale_down: f64, scale_up: f64) -> Tolerance {
        Tolerance {
            scale_down,
            scale_up,
        }
    }
    fn rc(current: u32, pods: &[PodMetric], target: u32) -> Recommendation {
        resource_replicas(current, pods, target, Tolerance::default()).unwrap()
    }
    fn rec(replicas: u32, utilization_pct: u32) -> Recommendation {
        Recommendation {
            replicas,
            utilization_pct,
        }
    }

    /// `n` ready pods sharing `total_usage` millicores, each requesting `request`.
    fn spread(n: u32, total_usage: u64, request: u64) -> Vec<PodMetric> {
        let n64 = u64::from(n);
        (0..n64)
            .map(|i| PodMetric {
                state: PodState::Ready,
                usage_milli: Some(total_usage / n64 + u64::from(i < total_usage % n64)),
                request_milli: request,
            })
            .collect()
    }

    fn spec(min: u32, max: u32, target: u32, behavior: Option<Behavior>) -> HpaSpec {
        HpaSpec {
            min_replicas: min,
            max_replicas: max,
            target_utilization_pct: target,
            tolerance: Tolerance::default(),
            behavior,
        }
    }

    // ---- replica_calculator_test.go: TestReplicaCalcResourceScale ------------------------------

    #[test]
    fn replica_calc_scale_up() {
        let pods = [ready(300, 1000), ready(500, 1000), ready(700, 1000)];
        assert_eq!(rc(3, &pods, 30), rec(5, 50));
    }

    #[test]
    fn replica_calc_scale_up_unready_pod_scales_less() {
        let pods = [unready(300, 1000), ready(500, 1000), ready(700, 1000)];
        assert_eq!(rc(3, &pods, 30), rec(4, 60));
    }

    #[test]
    fn replica_calc_no_scale_unready_pods_ignored() {
        // ScaleUpUnreadyNoScale: counting the unready pods as 0% would flip to a scale-down.
        let pods = [ready(400, 1000), unready(500, 1000), unready(700, 1000)];
        assert_eq!(rc(3, &pods, 30), rec(3, 40));
    }

    #[test]
    fn replica_calc_scale_up_failed_and_deleted_pods_ignored() {
        let pods = [
            ready(500, 1000),
            ready(700, 1000),
            failed(1000),
            failed(1000),
        ];
        assert_eq!(rc(2, &pods, 30), rec(4, 60));
    }

    #[test]
    fn replica_calc_scale_down() {
        let pods = [
            ready(100, 1000),
            ready(300, 1000),
            ready(500, 1000),
            ready(250, 1000),
            ready(250, 1000),
        ];
        assert_eq!(rc(5, &pods, 50), rec(3, 28));
    }

    #[test]
    fn replica_calc_scale_down_excludes_unready_pods() {
        // ScaleDownIgnoresUnreadyPods.
        let pods = [
            ready(100, 1000),
            ready(300, 1000),
            ready(500, 1000),
            unready(250, 1000),
            unready(250, 1000),
        ];
        assert_eq!(rc(5, &pods, 50), rec(2, 30));
    }

    #[test]
    fn replica_calc_scale_down_excludes_unscheduled_pods() {
        let pods = [
            ready(100, 1000),
            pending(1000),
            pending(1000),
            pending(1000),
            pending(1000),
        ];
        assert_eq!(rc(5, &pods, 50), rec(1, 10));
    }

    #[test]
    fn replica_calc_scale_down_failed_pods_ignored() {
        let pods = [
            ready(100, 1000),
            ready(300, 1000),
            ready(500, 1000),
            ready(250, 1000),
            ready(250, 1000),
            failed(1000),
            failed(1000),
        ];
        assert_eq!(rc(5, &pods, 50), rec(3, 28));
    }

    // ---- replica_calculator_test.go: tolerance -----------------------------------------------

    #[test]
    fn replica_calc_tolerance() {
        // TestReplicaCalcTolerance: 102% against 100% is inside the default 10% band.
        let pods = [ready(1010, 900), ready(1030, 1000), ready(1020, 1100)];
        assert_eq!(rc(3, &pods, 100), rec(3, 102));
    }

    #[test]
    fn replica_calc_configurable_tolerance() {
        // TestReplicaCalcConfigurableTolerance: Tolerances{scaleDown, scaleUp}.
        let requests = [900, 1000, 1100];
        let pods = |levels: [u64; 3]| -> Vec<PodMetric> {
            levels
                .iter()
                .zip(requests)
                .map(|(&l, r)| ready(l, r))
                .collect()
        };
        let cases = [
            (
                "Outside of a 0% tolerance",
                tol(0.0, 0.0),
                [909, 1010, 1111],
                rec(4, 101),
            ),
            (
                "Within a 200% scale-up tolerance",
                tol(0.1, 2.0),
                [1890, 1910, 1900],
                rec(3, 190),
            ),
            (
                "Outside 8% scale-up tolerance",
                tol(2.0, 0.08),
                [1100, 1080, 1090],
                rec(4, 109),
            ),
            (
                "Within a 36% scale-down tolerance",
                tol(0.36, 0.1),
                [660, 640, 650],
                rec(3, 65),
            ),
            (
                "Outside a 34% scale-down tolerance",
                tol(0.34, 0.1),
                [660, 640, 650],
                rec(2, 65),
            ),
        ];
        for (name, t, levels, want) in cases {
            assert_eq!(
                resource_replicas(3, &pods(levels), 100, t).unwrap(),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn replica_calc_computed_tolerance_alg_implementation() {
        // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods using 150m of ~300m
        // requested (50%). target = 1/(2 × 0.9) + 0.01 → int32(56.56) = 56%: ratio 50/56 = 0.893,
        // just outside the band → ceil(8.93) = 9. With + 0.004 → 55%: ratio 0.909 → stay at 10.
        let requests = [400, 200, 310, 290, 302, 298, 301, 299, 300, 300];
        let pods: Vec<PodMetric> = requests.iter().map(|&r| ready(150, r)).collect();
        let target = (1.0 / (2.0 * (1.0 - DEFAULT_TOLERANCE)) + 0.01) * 100.0;
        assert_eq!(target as u32, 56);
        assert_eq!(rc(10, &pods, target as u32), rec(9, 50));
        let target = (1.0 / (2.0 * (1.0 - DEFAULT_TOLERANCE)) + 0.004) * 100.0;
        assert_eq!(target as u32, 55);
        assert_eq!(rc(10, &pods, target as u32), rec(10, 50));
    }

    // ---- replica_calculator_test.go: missing metrics -------------------------------------------

    #[test]
    fn replica_calc_missing_metrics() {
        // Scale-down: the 2 pods without samples count as 100% → 62% → ceil(0.62 × 4) = 3.
        let pods = [
            ready(400, 1000),
            ready(95, 1000),
            no_sample(1000),
            no_sample(1000),
        ];
        assert_eq!(rc(4, &pods, 100), rec(3, 24));
    }

    #[test]
    fn replica_calc_missing_metrics_no_change_eq_gt_lt() {
        let eq = [ready(1000, 1000), no_sample(1000)];
        assert_eq!(rc(2, &eq, 100), rec(2, 100));
        let gt = [ready(1900, 1000), no_sample(1000)];
        assert_eq!(rc(2, &gt, 100), rec(2, 190));
        let lt = [ready(600, 1000), no_sample(1000)];
        assert_eq!(rc(2, &lt, 100), rec(2, 60));
    }

    #[test]
    fn replica_calc_missing_metrics_unready_change() {
        let pods = [unready(100, 1000), ready(450, 1000), no_sample(1000)];
        assert_eq!(rc(3, &pods, 50), rec(3, 45));
    }

    #[test]
    fn replica_calc_missing_metrics_unready_scale_up() {
        let pods = [unready(100, 1000), ready(2000, 1000), no_sample(1000)];
        assert_eq!(rc(3, &pods, 50), rec(4, 200));
    }

    #[test]
    fn replica_calc_missing_metrics_unready_scale_down() {
        let pods = [
            unready(100, 1000),
            ready(100, 1000),
            ready(100, 1000),
            no_sample(1000),
        ];
        assert_eq!(rc(4, &pods, 50), rec(3, 10));
    }

    #[test]
    fn replica_calc_missing_metrics_scale_down_target_over_100() {
        // Missing pods count as max(100, target)% = 300% on scale-down.
        let pods = [
            unready(200, 1000),
            ready(100, 1000),
            ready(100, 2000),
            no_sample(2000),
        ];
        assert_eq!(rc(4, &pods, 300), rec(2, 6));
    }

    #[test]
    fn replica_calc_during_rolling_update_with_max_surge() {
        // 3 pods for 2 replicas: the recompute gives ceil(0.8 × 3) = 3 > 2 while the ratio says
        // scale down, so the count stays.
        let pods = [ready(100, 1000), ready(100, 1000), no_sample(1000)];
        assert_eq!(rc(2, &pods, 50), rec(2, 10));
    }

    #[test]
    fn replica_calc_errors() {
        // TestReplicaCalcEmptyCPURequest: "missing request for".
        let e = resource_replicas(1, &[ready(200, 0)], 100, Tolerance::default()).unwrap_err();
        assert_eq!(e.field, "pods[0].request_milli");
        assert!(e.problem.contains("missing request for cpu"), "{e}");
        // No ready pod with a sample.
        let e = resource_replicas(
            2,
            &[pending(1000), no_sample(1000)],
            50,
            Tolerance::default(),
        )
        .unwrap_err();
        assert!(e.problem.contains("did not receive metrics"), "{e}");
        let e = resource_replicas(2, &[], 50, Tolerance::default()).unwrap_err();
        assert!(e.problem.contains("no pods returned"), "{e}");
        let e = resource_replicas(2, &[ready(1, 1)], 0, Tolerance::default()).unwrap_err();
        assert_eq!(e.field, "target_utilization_pct");
        let e = resource_replicas(2, &[ready(1, 1)], 50, tol(f64::NAN, 0.1)).unwrap_err();
        assert_eq!(e.field, "tolerance.scale_down");
    }

    #[test]
    fn utilization_is_integer_percent() {
        // (metricsTotal × 100) / requestsTotal truncates: 100/300 → 33%, ratio 33/50 = 0.66,
        // not 0.6667: ceil(0.66 × 3) = 2 either way here, but the reported utilization is 33.
        let pods = [PodMetric {
            state: PodState::Ready,
            usage_milli: Some(100),
            request_milli: 300,
        }; 3];
        assert_eq!(rc(3, &pods, 50), rec(2, 33));
    }

    // ---- tolerance band ------------------------------------------------------------------------

    #[test]
    fn tolerance_band_and_per_direction_tolerance() {
        let at = |usage: u64, t: Tolerance| -> u32 {
            let pods = spread(10, 10 * usage, 1000);
            resource_replicas(10, &pods, 100, t).unwrap().replicas
        };
        // Ratio 1.05 is inside ±0.1, 1.15 is outside: ceil(1.15 × 10) = 12.
        assert_eq!(at(1050, Tolerance::default()), 10);
        assert_eq!(at(1150, Tolerance::default()), 12);
        // The band is closed: exactly 1.10 does not scale.
        assert_eq!(at(1100, Tolerance::default()), 10);
        assert_eq!(at(1110, Tolerance::default()), 12);
        // Down side: 0.95 stays, 0.85 → ceil(8.5) = 9.
        assert_eq!(at(950, Tolerance::default()), 10);
        assert_eq!(at(850, Tolerance::default()), 9);
        // Per direction: eager up (2%), lazy down (50%).
        assert_eq!(at(1030, tol(0.5, 0.02)), 11);
        assert_eq!(at(600, tol(0.5, 0.02)), 10);
        assert_eq!(at(400, tol(0.5, 0.02)), 4);
    }

    // ---- horizontal_test.go: TestNormalizeDesiredReplicas (no behavior) ------------------------

    fn recs(now: f64, list: &[(i64, f64)]) -> Vec<TimedRecommendation> {
        list.iter()
            .map(|&(replicas, ago)| TimedRecommendation {
                replicas,
                t: now - ago,
            })
            .collect()
    }

    #[test]
    fn normalize_desired_replicas_stabilization() {
        let now = 10_000.0;
        type Case = (&'static str, Vec<(i64, f64)>, i64, i64, usize);
        let cases: [Case; 5] = [
            ("empty log", vec![], 5, 5, 1),
            ("stabilize", vec![(4, 120.0), (5, 60.0)], 3, 5, 3),
            ("no stabilize", vec![(1, 120.0), (2, 60.0)], 3, 3, 3),
            (
                "no stabilize - old recommendations",
                vec![(10, 600.0), (9, 540.0)],
                3,
                3,
                2,
            ),
            (
                "stabilize - old recommendations",
                vec![(10, 600.0), (4, 60.0), (5, 120.0), (9, 540.0)],
                3,
                5,
                4,
            ),
        ];
        for (name, log, desired, want, want_len) in cases {
            let mut log = recs(now, &log);
            let got = stabilize_recommendation(&mut log, now, desired, 300.0);
            assert_eq!(got, want, "{name}");
            assert_eq!(log.len(), want_len, "{name}");
        }
    }

    // ---- horizontal_test.go: TestNormalizeDesiredReplicasWithBehavior --------------------------

    #[test]
    fn normalize_desired_replicas_with_behavior() {
        let now = 10_000.0;
        struct Case {
            name: &'static str,
            log: Vec<(i64, f64)>,
            current: i64,
            desired: i64,
            want: i64,
            want_log: Option<Vec<i64>>,
            up_window: f64,
            down_window: f64,
        }
        let case = |name,
                    log: &[(i64, f64)],
                    current,
                    desired,
                    want,
                    want_log: Option<&[i64]>,
                    up,
                    down| Case {
            name,
            log: log.to_vec(),
            current,
            desired,
            want,
            want_log: want_log.map(|w| w.to_vec()),
            up_window: up,
            down_window: down,
        };
        let cases = [
            case(
                "empty recommendations for scaling down",
                &[],
                100,
                5,
                5,
                Some(&[5]),
                0.0,
                0.0,
            ),
            case(
                "simple scale down stabilization",
                &[(4, 120.0), (5, 60.0)],
                100,
                3,
                5,
                Some(&[4, 5, 3]),
                0.0,
                180.0,
            ),
            case(
                "simple scale up stabilization",
                &[(4, 120.0), (5, 60.0)],
                1,
                7,
                4,
                Some(&[4, 5, 7]),
                300.0,
                0.0,
            ),
            case(
                "no scale down stabilization",
                &[(1, 120.0), (2, 60.0)],
                100,
                3,
                3,
                Some(&[1, 2, 3]),
                300.0,
                0.0,
            ),
            case(
                "no scale up stabilization",
                &[(4, 120.0), (5, 60.0)],
                1,
                3,
                3,
                Some(&[4, 5, 3]),
                0.0,
                300.0,
            ),
            case(
                "no scale down stabilization, reuse recommendation element",
                &[(10, 600.0), (9, 540.0)],
                100,
                3,
                3,
                Some(&[10, 3]),
                0.0,
                0.0,
            ),
            case(
                "no scale up stabilization, reuse recommendation element",
                &[(10, 600.0), (9, 540.0)],
                1,
                100,
                100,
                Some(&[10, 100]),
                0.0,
                0.0,
            ),
            case(
                "scale down stabilization, reuse one of obsolete recommendation element",
                &[(10, 600.0), (4, 60.0), (5, 120.0), (9, 540.0)],
                100,
                3,
                5,
                Some(&[10, 4, 5, 3]),
                0.0,
                180.0,
            ),
            case(
                "scale up stabilization, reuse one of obsolete recommendation element",
                &[(10, 6000.0), (6, 60.0), (5, 120.0), (9, 180.0)],
                1,
                100,
                5,
                Some(&[100, 6, 5, 9]),
                300.0,
                0.0,
            ),
            case(
                "scale up and down stabilization, do not scale up when prenormalized rec goes down",
                &[(2, 6000.0), (3, 180.0)],
                2,
                1,
                2,
                None,
                300.0,
                300.0,
            ),
            case(
                "scale up and down stabilization, do not scale down when prenormalized rec goes up",
                &[(2, 6000.0), (1, 180.0)],
                2,
                3,
                2,
                None,
                300.0,
                300.0,
            ),
        ];
        for c in cases {
            let mut log = recs(now, &c.log);
            let got = stabilize_with_behaviors(
                &mut log,
                now,
                c.current,
                c.desired,
                c.up_window,
                c.down_window,
            );
            assert_eq!(got, c.want, "{}", c.name);
            if let Some(w) = c.want_log {
                let stored: Vec<i64> = log.iter().map(|r| r.replicas).collect();
                assert_eq!(stored, w, "{}", c.name);
            }
        }
    }

    // ---- horizontal_test.go: TestScalingWithRules (convertDesiredReplicasWithBehaviorRate) -----

    /// `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow)`.
    fn gen_rules(
        pods: u32,
        pods_period: u32,
        percent: u32,
        percent_period: u32,
        window: u32,
    ) -> ScalingRules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyKind::Pods,
                value: pods,
                period_s: pods_period,
            });
        }
        if percent != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyKind::Percent,
                value: percent,
                period_s: percent_period,
            });
        }
        ScalingRules {
            stabilization_window_s: Some(window),
            select_policy: SelectPolicy::Max,
            policies,
        }
    }

    /// `generateEventsUniformDistribution`: event i sits in the middle of segment i of the last
    /// `period_s` seconds (oldest first), truncated to whole seconds like the Go helper.
    fn events_uniform(raw: &[i64], period_s: u32, now: f64) -> Vec<ScaleEvent> {
        let seg = f64::from(period_s) / raw.len() as f64;
        raw.iter()
            .enumerate()
            .map(|(idx, &change)| {
                let ago = (f64::from(period_s) - seg * (idx as f64 + 1.0) + seg / 2.0).trunc();
                ScaleEvent {
                    change,
                    t: now - ago,
                    outdated: false,
                }
            })
            .collect()
    }

    #[test]
    fn scaling_with_rules() {
        let now = 10_000.0;
        struct Case {
            name: &'static str,
            up_events: Vec<ScaleEvent>,
            down_events: Vec<ScaleEvent>,
            min: i64,
            max: i64,
            up: Option<ScalingRules>,
            down: Option<ScalingRules>,
            current: i64,
            desired: i64,
            want: i64,
            want_reason: LimitReason,
        }
        use LimitReason::*;
        let c = |name, min, max, up, down, current, desired, want, want_reason| Case {
            name,
            up_events: vec![],
            down_events: vec![],
            min,
            max,
            up,
            down,
            current,
            desired,
            want,
            want_reason,
        };
        let ev = |raw: &[i64]| events_uniform(raw, 120, now);
        let with = |mut case: Case, up: Vec<ScaleEvent>, down: Vec<ScaleEvent>| {
            case.up_events = up;
            case.down_events = down;
            case
        };
        let g = gen_rules;
        let cases = vec![
            c("prenormalized desired replicas within range", 3, 8, None, None, 5, 7, 7, DesiredWithinRange),
            c("prenormalized desired replicas < minReplicas", 2, 8, None, None, 3, 1, 2, TooFewReplicas),
            c("prenormalized desired replicas within range when minReplicas is 0", 0, 10, None, None, 1, 0, 0, DesiredWithinRange),
            c("maxReplicas is the limit because maxReplicas < scaleUpLimit", 1, 10, None, None, 20, 1000, 10, TooManyReplicas),
            c("desired replica count is more than the maximum replica count", 100, 150, None, None, 100, 1000, 150, TooManyReplicas),
            c("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", 1, 2000, Some(g(0, 0, 1, 60, 0)), None, 3, 1000, 4, ScaleUpLimit),
            c("scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", 3, 2000, None, Some(g(20, 60, 0, 0, 0)), 1000, 3, 980, ScaleDownLimit),
            c("scaleUp with default behavior", 1, 1000, None, None, 10, 50, 20, ScaleUpLimit),
            c("scaleUp with pods policy larger than percent policy", 1, 1000, Some(g(100, 60, 100, 60, 0)), None, 10, 500, 110, ScaleUpLimit),
            c("scaleUp with percent policy larger than pods policy", 1, 1000, Some(g(2, 60, 100, 60, 0)), None, 10, 500, 20, ScaleUpLimit),
            c("scaleUp with spec MaxReplicas limitation with large pod policy", 1, 1000, Some(g(100, 60, 0, 0, 0)), None, 10, 50, 50, DesiredWithinRange),
            c("scaleUp with spec MaxReplicas limitation with large percent policy", 1, 1000, Some(g(10000, 60, 0, 0, 0)), None, 10, 50, 50, DesiredWithinRange),
            c("scaleUp with pod policy limitation", 1, 1000, Some(g(30, 60, 0, 0, 0)), None, 10, 50, 40, ScaleUpLimit),
            c("scaleUp with percent policy limitation", 1, 1000, Some(g(0, 0, 200, 60, 0)), None, 10, 50, 30, ScaleUpLimit),
            c("scaleDown with percent policy larger than pod policy", 1, 1000, None, Some(g(20, 60, 1, 60, 300)), 100, 2, 80, ScaleDownLimit),
            c("scaleDown with pod policy larger than percent policy", 1, 1000, None, Some(g(2, 60, 1, 60, 300)), 100, 2, 98, ScaleDownLimit),
            c("scaleDown with spec MinReplicas=nil limitation with large pod policy", 1, 1000, None, Some(g(100, 60, 0, 0, 300)), 10, 0, 1, TooFewReplicas),
            c("scaleDown with spec MinReplicas limitation with large percent policy", 5, 1000, None, Some(g(0, 0, 100, 60, 300)), 10, 2, 5, TooFewReplicas),
            c("scaleDown with pod policy limitation", 1, 1000, None, Some(g(5, 60, 0, 0, 300)), 10, 2, 5, ScaleDownLimit),
            c("scaleDown with percent policy limitation", 1, 1000, None, Some(g(0, 0, 50, 60, 300)), 10, 5, 5, DesiredWithinRange),
            with(c("scaleUp with spec MaxReplicas limitation with large pod policy and events", 1, 200, Some(g(300, 60, 0, 0, 0)), None, 100, 500, 200, TooManyReplicas), ev(&[1, 5, 9]), vec![]),
            with(c("scaleUp with spec MaxReplicas limitation with large percent policy and events", 1, 200, Some(g(0, 0, 10000, 60, 0)), None, 100, 500, 200, TooManyReplicas), ev(&[1, 5, 9]), vec![]),
            with(c("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", 1, 1000, Some(g(5, 120, 0, 0, 0)), None, 100, 500, 100, ScaleUpLimit), ev(&[1, 5, 9]), vec![]),
            with(c("scaleUp with pod policy and previous scale up events", 1, 1000, Some(g(150, 120, 0, 0, 0)), None, 100, 500, 235, ScaleUpLimit), ev(&[1, 5, 9]), vec![]),
            with(c("scaleUp with percent policy and previous scale up events", 1, 1000, Some(g(0, 0, 200, 120, 0)), None, 100, 500, 255, ScaleUpLimit), ev(&[1, 5, 9]), vec![]),
            with(c("scaleUp with percent policy and previous scale up and down events", 1, 1000, Some(g(0, 0, 300, 300, 0)), None, 6, 24, 16, ScaleUpLimit), ev(&[4]), ev(&[2])),
            with(c("scaleDown with default policy and previous events", 1, 1000, None, None, 10, 5, 5, DesiredWithinRange), vec![], ev(&[1, 5, 9])),
            with(c("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", 1, 1000, None, Some(g(115, 120, 0, 0, 300)), 100, 0, 1, TooFewReplicas), vec![], ev(&[1, 5, 9])),
            with(c("scaleDown with spec MinReplicas limitation with large pod policy and previous events", 5, 1000, None, Some(g(130, 120, 0, 0, 300)), 100, 0, 5, TooFewReplicas), vec![], ev(&[1, 5, 9])),
            with(c("scaleDown with spec MinReplicas limitation with large percent policy and previous events", 5, 1000, None, Some(g(0, 0, 100, 120, 300)), 100, 2, 5, TooFewReplicas), vec![], ev(&[1, 5, 9])),
            with(c("scaleDown with pod policy limitation and previous events", 1, 1000, None, Some(g(5, 120, 0, 0, 300)), 100, 2, 100, ScaleDownLimit), vec![], ev(&[1, 5, 9])),
            with(c("scaleDown with percent policy limitation and previous events", 1, 1000, None, Some(g(0, 0, 50, 120, 300)), 100, 0, 56, ScaleDownLimit), vec![], ev(&[2, 4, 6])),
            with(c("scaleDown with percent policy and previous scale up and down events", 1, 1000, None, Some(g(0, 0, 50, 180, 0)), 10, 1, 6, ScaleDownLimit), ev(&[2]), ev(&[4])),
            with(c("scaleDown with previous events preventing further scale down", 1, 1000, None, Some(g(0, 0, 10, 120, 300)), 100, 0, 100, ScaleDownLimit), vec![], ev(&[10, 10, 10])),
            with(c("scaleDown with with previous events still allowing more scale down", 1, 1000, None, Some(g(0, 0, 1000, 120, 300)), 10, 5, 5, DesiredWithinRange), vec![], ev(&[10, 10, 10])),
            with(c("check 'outdated' flag for events for one behavior for up", 1, 1000, Some(g(1000, 60, 0, 0, 0)), None, 100, 200, 200, DesiredWithinRange), ev(&[8, 12, 9, 11]), vec![]),
            with(c("check that events were not marked 'outdated' for two different policies in the behavior for up", 1, 1000, Some(g(1000, 120, 100, 60, 0)), None, 100, 200, 200, DesiredWithinRange), ev(&[8, 12, 9, 11]), vec![]),
            with(c("check that events were marked 'outdated' for two different policies in the behavior for up", 1, 1000, Some(g(1000, 30, 100, 60, 0)), None, 100, 200, 200, DesiredWithinRange), ev(&[8, 12, 9, 11]), vec![]),
            with(c("check 'outdated' flag for events for one behavior for down", 1, 1000, None, Some(g(1000, 60, 0, 0, 300)), 100, 5, 5, DesiredWithinRange), vec![], ev(&[8, 12, 9, 11])),
            with(c("check that events were not marked 'outdated' for two different policies in the behavior for down", 1, 1000, None, Some(g(1000, 120, 100, 60, 300)), 100, 5, 5, DesiredWithinRange), vec![], ev(&[8, 12, 9, 11])),
            with(c("check that events were marked 'outdated' for two different policies in the behavior for down", 1, 1000, None, Some(g(1000, 30, 100, 60, 300)), 100, 5, 5, DesiredWithinRange), vec![], ev(&[8, 12, 9, 11])),
        ];
        for case in cases {
            let defaults = Behavior::default();
            let behavior = Behavior {
                scale_up: case.up.unwrap_or(defaults.scale_up),
                scale_down: case.down.unwrap_or(defaults.scale_down),
            };
            let got = convert_with_behavior_rate(
                now,
                case.current,
                case.desired,
                case.min,
                case.max,
                &behavior,
                &case.up_events,
                &case.down_events,
            );
            assert_eq!(got.replicas, case.want, "{}", case.name);
            assert_eq!(got.reason, case.want_reason, "{}", case.name);
        }
    }

    #[test]
    fn calculate_scale_down_limit_with_min_select_policy() {
        // TestCalculateScaleDownLimitWithBehaviors-style: 5 replicas, Pods 2/60 and Percent
        // 50/60; Min picks the smaller change, max(5 − 2, int32(5 × 0.5)) = 3.
        let mut rules = gen_rules(2, 60, 50, 60, 300);
        rules.select_policy = SelectPolicy::Min;
        assert_eq!(
            scale_down_limit_with_rules(0.0, 5, &[], &[], &rules).limit,
            3
        );
        rules.select_policy = SelectPolicy::Max;
        assert_eq!(
            scale_down_limit_with_rules(0.0, 5, &[], &[], &rules).limit,
            2
        );
        rules.select_policy = SelectPolicy::Disabled;
        assert_eq!(
            scale_down_limit_with_rules(0.0, 5, &[], &[], &rules).limit,
            5
        );
    }

    // ---- horizontal_test.go: TestStoreScaleEvents ------------------------------------------------

    #[test]
    fn store_scale_events() {
        let now = 10_000.0;
        let e = |change: i64, ago: f64| ScaleEvent {
            change,
            t: now - ago,
            outdated: false,
        };
        type Case = (
            &'static str,
            Vec<ScaleEvent>,
            ScalingRules,
            Vec<(i64, bool)>,
            i64,
        );
        let cases: Vec<Case> = vec![
            (
                "empty entries with two-policy-behavior",
                vec![],
                gen_rules(10, 60, 100, 60, 0),
                vec![(5, false)],
                0,
            ),
            (
                "one outdated entry to be replaced with behavior",
                vec![e(7, 61.0)],
                gen_rules(10, 60, 100, 60, 0),
                vec![(5, false)],
                0,
            ),
            (
                "one actual entry to be not touched with behavior",
                vec![e(7, 58.0)],
                gen_rules(10, 60, 100, 60, 0),
                vec![(7, false), (5, false)],
                7,
            ),
            (
                "two entries, one of them to be replaced",
                vec![e(7, 61.0), e(6, 59.0)],
                gen_rules(10, 60, 0, 0, 0),
                vec![(5, false), (6, false)],
                6,
            ),
            (
                "replace one entry, use policies with different periods",
                vec![e(8, 29.0), e(6, 59.0), e(7, 61.0), e(9, 61.0)],
                gen_rules(10, 60, 100, 30, 0),
                vec![(8, false), (6, false), (7, true), (5, false)],
                14,
            ),
            (
                "two entries, both actual",
                vec![e(7, 58.0), e(6, 59.0)],
                gen_rules(10, 120, 100, 30, 0),
                vec![(7, false), (6, false), (5, false)],
                13,
            ),
        ];
        for (name, mut events, rules, want, want_change) in cases {
            assert_eq!(
                replicas_change_per_period(now, 60, &events),
                want_change,
                "{name}"
            );
            store_scale_event_in(&mut events, &rules, now, 5);
            let got: Vec<(i64, bool)> = events.iter().map(|e| (e.change, e.outdated)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn no_scale_events_stored_without_behavior() {
        let mut hpa = Hpa::new(spec(1, 100, 50, None)).unwrap();
        let d = hpa.reconcile(0.0, 4, &spread(4, 4 * 2000, 1000));
        assert_eq!(d.desired_replicas, 8);
        assert!(hpa.scale_up_events.is_empty() && hpa.scale_down_events.is_empty());
    }

    // ---- the docs' scale-down example ----------------------------------------------------------

    #[test]
    fn docs_scale_down_policies_example() {
        // kubernetes.io "Horizontal Pod Autoscaling" → Scaling policies: scaleDown policies
        // Pods 4/60 s and Percent 10/60 s, default selectPolicy Max. "if there are 80 replicas
        // and the target has to be scaled down to 10 replicas then during the first step 8
        // replicas will be reduced. In the next iteration when the number of replicas is 72,
        // 10% of the pods is 7.2 but the number is rounded up to 8 … When the number of
        // replicas falls below 40 the first policy (Pods) is applied and 4 replicas will be
        // reduced at a time." The load is constant at 10 pods' worth (500% of one request at a
        // 50% target); min_replicas = 10 is where it has to land.
        let behavior = Behavior {
            scale_down: ScalingRules {
                stabilization_window_s: Some(0),
                select_policy: SelectPolicy::Max,
                policies: vec![
                    ScalingPolicy {
                        kind: PolicyKind::Pods,
                        value: 4,
                        period_s: 60,
                    },
                    ScalingPolicy {
                        kind: PolicyKind::Percent,
                        value: 10,
                        period_s: 60,
                    },
                ],
            },
            ..Behavior::default()
        };
        let mut hpa = Hpa::new(spec(10, 100, 50, Some(behavior))).unwrap();
        let mut replicas = 80u32;
        let mut trajectory = vec![replicas];
        for step in 0..16 {
            let now = 60.0 * f64::from(step);
            let d = hpa.reconcile(now, replicas, &spread(replicas, 5000, 1000));
            if d.desired_replicas != replicas {
                trajectory.push(d.desired_replicas);
            }
            replicas = d.desired_replicas;
            // Half-way through a period nothing more may go: the period still holds the change.
            let mid = hpa.reconcile(now + 30.0, replicas, &spread(replicas, 5000, 1000));
            if replicas > 10 {
                assert_eq!(
                    mid.desired_replicas,
                    replicas,
                    "t={}: {}",
                    now + 30.0,
                    mid.reason
                );
                assert!(mid.reason.contains("[ScaleDownLimit]"), "{}", mid.reason);
            }
        }
        assert_eq!(
            trajectory,
            [80, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10]
        );
    }

    // ---- default scale-up under saturation -----------------------------------------------------

    /// Every pod at 1000% of its request against a 50% target: the metric asks for 20×.
    fn saturated(n: u32) -> Vec<PodMetric> {
        spread(n, u64::from(n) * 10_000, 1000)
    }

    #[test]
    fn scale_up_without_behavior_is_limited_to_max_of_double_or_four() {
        // horizontal.go: scaleUpLimitFactor 2.0, scaleUpLimitMinimum 4.0.
        let mut hpa = Hpa::new(spec(1, 1000, 50, None)).unwrap();
        let mut replicas = 1;
        let mut seen = vec![replicas];
        for step in 0..4 {
            let d = hpa.reconcile(15.0 * f64::from(step), replicas, &saturated(replicas));
            assert!(d.reason.contains("[ScaleUpLimit]"), "{}", d.reason);
            replicas = d.desired_replicas;
            seen.push(replicas);
        }
        assert_eq!(seen, [1, 4, 8, 16, 32]);
    }

    #[test]
    fn scale_up_with_default_behavior_is_max_of_100_percent_or_4_pods_per_15s() {
        // Docs (default behavior): "4 pods or a 100% of the currently running replicas may at
        // most be added every 15 seconds".
        let mut hpa = Hpa::new(spec(1, 1000, 50, Some(Behavior::default()))).unwrap();
        let mut replicas = 1;
        let mut seen = vec![replicas];
        for step in 0..4 {
            let now = 15.0 * f64::from(step);
            let d = hpa.reconcile(now, replicas, &saturated(replicas));
            assert!(d.reason.contains("[ScaleUpLimit]"), "{}", d.reason);
            replicas = d.desired_replicas;
            seen.push(replicas);
            // 5 s later the period still contains the scale-up: no further change.
            let again = hpa.reconcile(now + 5.0, replicas, &saturated(replicas));
            assert_eq!(again.desired_replicas, replicas, "{}", again.reason);
        }
        assert_eq!(seen, [1, 5, 10, 20, 40]);
    }

    // ---- default 300 s scale-down stabilization ------------------------------------------------

    /// 10 replicas at target until t = 45, then load drops to 20% (metric asks for 4) from
    /// t = 60; reconcile every 15 s. Returns the time of the scale-down and its result.
    fn time_of_scale_down(behavior: Option<Behavior>) -> (f64, u32) {
        let mut hpa = Hpa::new(spec(1, 100, 50, behavior)).unwrap();
        let mut replicas = 10;
        for step in 0..40 {
            let now = 15.0 * f64::from(step);
            let per_pod = if now < 60.0 { 500 } else { 200 };
            let d = hpa.reconcile(
                now,
                replicas,
                &spread(replicas, u64::from(replicas) * per_pod, 1000),
            );
            if d.desired_replicas != replicas {
                return (now, d.desired_replicas);
            }
            if now >= 60.0 {
                assert!(
                    d.reason.contains("[ScaleDownStabilized]"),
                    "t={now}: {}",
                    d.reason
                );
            }
            replicas = d.desired_replicas;
        }
        panic!("never scaled down");
    }

    #[test]
    fn default_scale_down_stabilization_holds_for_300s() {
        // Without behavior: the max recommendation not Before(now − 300 s). The last "10" was
        // recorded at t = 45, so it still counts at t = 345 and is gone at t = 360.
        assert_eq!(time_of_scale_down(None), (360.0, 4));
        // Default behavior: same 300 s window but upstream keeps recommendations After(cutoff),
        // so t = 45 drops out at t = 345. The default scale-down policy (100%/15 s) lets it go
        // straight to 4.
        assert_eq!(time_of_scale_down(Some(Behavior::default())), (345.0, 4));
    }

    #[test]
    fn first_reconcile_records_current_replicas_so_no_immediate_scale_down() {
        // recordInitialRecommendation: a brand-new HPA does not scale down on its first pass.
        let mut hpa = Hpa::new(spec(1, 100, 50, None)).unwrap();
        let d = hpa.reconcile(0.0, 10, &spread(10, 10 * 100, 1000));
        assert_eq!(d.desired_replicas, 10, "{}", d.reason);
        assert!(
            d.reason.contains("highest recent recommendation, 10"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn scale_up_stabilization_window_uses_lowest_recent_recommendation() {
        let mut behavior = Behavior::default();
        behavior.scale_up.stabilization_window_s = Some(60);
        let mut hpa = Hpa::new(spec(1, 100, 50, Some(behavior))).unwrap();
        // First pass records 4; a spike asking for 8 is held at 4 for the next 60 s.
        let d = hpa.reconcile(0.0, 4, &spread(4, 4 * 500, 1000));
        assert_eq!(d.desired_replicas, 4);
        let d = hpa.reconcile(15.0, 4, &spread(4, 4 * 1000, 1000));
        assert_eq!(d.desired_replicas, 4, "{}", d.reason);
        assert!(d.reason.contains("[ScaleUpStabilized]"), "{}", d.reason);
        let d = hpa.reconcile(75.0, 4, &spread(4, 4 * 1000, 1000));
        assert_eq!(d.desired_replicas, 8, "{}", d.reason);
    }

    // ---- min / max and reconcile edge cases ----------------------------------------------------

    #[test]
    fn min_max_clamping() {
        let mut hpa = Hpa::new(spec(2, 6, 50, None)).unwrap();
        // Current above max: straight to max without consulting metrics.
        let d = hpa.reconcile(0.0, 9, &[]);
        assert_eq!(d.desired_replicas, 6, "{}", d.reason);
        // Current below min: straight to min.
        let d = hpa.reconcile(15.0, 1, &[]);
        assert_eq!(d.desired_replicas, 2, "{}", d.reason);
        // Desired above max (4 × 2 = 8 allowed by the rate limit, max 6).
        let d = hpa.reconcile(30.0, 4, &spread(4, 4 * 1000, 1000));
        assert_eq!(d.desired_replicas, 6, "{}", d.reason);
        assert!(
            d.reason
                .contains("clamped to max_replicas 6 [TooManyReplicas]"),
            "{}",
            d.reason
        );
        // Desired below min (behavior with no stabilization so the drop is immediate).
        let mut b = Behavior::default();
        b.scale_down.stabilization_window_s = Some(0);
        let mut hpa = Hpa::new(spec(2, 6, 50, Some(b))).unwrap();
        let d = hpa.reconcile(0.0, 5, &spread(5, 5 * 10, 1000));
        assert_eq!(d.desired_replicas, 2, "{}", d.reason);
        assert!(d.reason.contains("[TooFewReplicas]"), "{}", d.reason);
    }

    #[test]
    fn zero_replicas_disables_scaling_and_metric_errors_keep_current() {
        let mut hpa = Hpa::new(spec(1, 10, 50, None)).unwrap();
        let d = hpa.reconcile(0.0, 0, &saturated(3));
        assert_eq!(d.desired_replicas, 0);
        assert!(d.reason.contains("ScalingDisabled"), "{}", d.reason);
        let d = hpa.reconcile(15.0, 3, &[pending(1000), pending(1000), pending(1000)]);
        assert_eq!(d.desired_replicas, 3);
        assert!(d.reason.contains("FailedGetResourceMetric"), "{}", d.reason);
        let d = hpa.reconcile(30.0, 1, &[ready(100, 0)]);
        assert_eq!(d.desired_replicas, 1);
        assert!(d.reason.contains("pods[0].request_milli"), "{}", d.reason);
    }

    #[test]
    fn disabled_select_policy_blocks_that_direction() {
        let mut b = Behavior::default();
        b.scale_up.select_policy = SelectPolicy::Disabled;
        b.scale_down.stabilization_window_s = Some(0);
        let mut hpa = Hpa::new(spec(1, 100, 50, Some(b))).unwrap();
        let d = hpa.reconcile(0.0, 4, &saturated(4));
        assert_eq!(d.desired_replicas, 4, "{}", d.reason);
        let d = hpa.reconcile(15.0, 4, &spread(4, 4 * 100, 1000));
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
    }

    #[test]
    fn reason_teaches_each_step() {
        let mut hpa = Hpa::new(spec(1, 10, 60, None)).unwrap();
        let d = hpa.reconcile(0.0, 3, &spread(3, 3000, 1000));
        assert_eq!(d.desired_replicas, 5);
        assert_eq!(
            d.reason,
            "utilization 100% vs target 60% → ratio 1.67 × 3 ready pods → 5 replicas; \
             within the scale-up limit (max(2 × 3, 4) = 6) and max_replicas 10 [DesiredWithinRange] → scale 3 → 5"
        );
        let d = hpa.reconcile(15.0, 5, &spread(5, 5 * 640, 1000));
        assert!(
            d.reason.contains("inside the tolerance band [0.90, 1.10]"),
            "{}",
            d.reason
        );
        assert!(d.reason.ends_with("→ no change (5)"), "{}", d.reason);
        let pods = [unready(300, 1000), ready(500, 1000), ready(700, 1000)];
        let mut hpa = Hpa::new(spec(1, 10, 30, None)).unwrap();
        let d = hpa.reconcile(0.0, 3, &pods);
        assert!(
            d.reason.starts_with(
                "utilization 60% vs target 30% → ratio 2.00; counting 1 unready pod as 0% → ratio 1.33 × 3 pods → 4 replicas"
            ),
            "{}",
            d.reason
        );
    }

    // ---- validation and robustness -------------------------------------------------------------

    #[test]
    fn new_validates_the_spec() {
        let field = |s: HpaSpec| Hpa::new(s).unwrap_err().field;
        assert_eq!(field(spec(0, 5, 50, None)), "autoscaler.min_replicas");
        assert_eq!(field(spec(6, 5, 50, None)), "autoscaler.max_replicas");
        assert_eq!(
            field(spec(1, 5, 0, None)),
            "autoscaler.target_utilization_pct"
        );
        let mut s = spec(1, 5, 50, None);
        s.tolerance.scale_up = -0.1;
        assert_eq!(field(s), "autoscaler.tolerance.scale_up");
        let mut s = spec(1, 5, 50, None);
        s.tolerance.scale_down = f64::INFINITY;
        assert_eq!(field(s), "autoscaler.tolerance.scale_down");
        let mut b = Behavior::default();
        b.scale_down.policies[0].period_s = 1801;
        assert_eq!(
            field(spec(1, 5, 50, Some(b))),
            "autoscaler.behavior.scale_down.policies[0].period_s"
        );
        let mut b = Behavior::default();
        b.scale_up.policies[1].period_s = 0;
        assert_eq!(
            field(spec(1, 5, 50, Some(b))),
            "autoscaler.behavior.scale_up.policies[1].period_s"
        );
        let mut b = Behavior::default();
        b.scale_up.policies[0].value = 0;
        assert_eq!(
            field(spec(1, 5, 50, Some(b))),
            "autoscaler.behavior.scale_up.policies[0].value"
        );
        // Empty policies mean "omitted": Kubernetes' defaults for that direction.
        let mut b = Behavior::default();
        b.scale_down.policies.clear();
        b.scale_up.policies.clear();
        b.scale_down.stabilization_window_s = Some(60);
        let hpa = Hpa::new(spec(1, 5, 50, Some(b))).unwrap();
        let effective = hpa.spec().behavior.clone().unwrap();
        assert_eq!(
            effective.scale_up.policies,
            Behavior::default().scale_up.policies
        );
        assert_eq!(
            effective.scale_down.policies,
            Behavior::default().scale_down.policies
        );
        assert_eq!(effective.scale_down.stabilization_window_s, Some(60));
        let mut b = Behavior::default();
        b.scale_up.stabilization_window_s = Some(3601);
        assert_eq!(
            field(spec(1, 5, 50, Some(b))),
            "autoscaler.behavior.scale_up.stabilization_window_s"
        );
        assert!(Hpa::new(spec(1, 1, 1, Some(Behavior::default()))).is_ok());
    }

    #[test]
    fn never_panics() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pick = |x: u64, options: &[u64]| options[(x % options.len() as u64) as usize];
        for round in 0..400 {
            let behavior = if round % 2 == 0 {
                None
            } else {
                let mut b = Behavior::default();
                b.scale_down.select_policy =
                    [SelectPolicy::Max, SelectPolicy::Min, SelectPolicy::Disabled][round % 3];
                b.scale_up.policies[0].value = i32::MAX as u32;
                b.scale_down.policies[0].value = i32::MAX as u32;
                Some(b)
            };
            let max = pick(next(), &[1, 7, 1000, i32::MAX as u64]) as u32;
            let mut hpa = Hpa::new(HpaSpec {
                min_replicas: 1,
                max_replicas: max,
                target_utilization_pct: pick(next(), &[1, 50, 300, i32::MAX as u64]) as u32,
                tolerance: tol(pick(next(), &[0, 1, 3]) as f64 / 10.0, 0.0),
                behavior,
            })
            .unwrap();
            let mut replicas = pick(next(), &[0, 1, 3, u32::MAX as u64]) as u32;
            for step in 0..8 {
                let n = (next() % 6) as usize;
                let pods: Vec<PodMetric> = (0..n)
                    .map(|_| PodMetric {
                        state: [PodState::Ready, PodState::Unready, PodState::Ignored]
                            [(next() % 3) as usize],
                        usage_milli: [None, Some(0), Some(next()), Some(u64::MAX)]
                            [(next() % 4) as usize],
                        request_milli: pick(next(), &[0, 1, 1000, u64::MAX]),
                    })
                    .collect();
                let now = [f64::from(step) * 15.0, f64::NAN, -1e300, 1e300][(next() % 4) as usize];
                let d = hpa.reconcile(now, replicas, &pods);
                assert!(!d.reason.is_empty());
                let _ =
                    resource_replicas(replicas, &pods, (next() % 3) as u32, Tolerance::default());
                replicas = d.desired_replicas;
            }
        }
    }
}

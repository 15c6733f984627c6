//! Why an autoscaler decided what it did, as data. A [`Decision`](super::Decision) carries an
//! [`Explanation`]: the steps the controller went through, in order, each with the numbers it
//! used and none of the words. The page renders the steps in its own language from these
//! numbers; `Display` renders them in English, and that text is `Decision::reason` (the text
//! the summary's scale events and the determinism files carry).
//!
//! The English rendering is the concatenation of the steps: every step but a first one starts
//! with its own separator (`; `, `, `, ` × `, ` → `). The names in brackets are Kubernetes'
//! condition reasons (`ScalingActive`, `AbleToScale` and `ScalingLimited` in horizontal.go)
//! and stay untranslated.

use std::fmt;

use serde::Serialize;

use super::external::ExternalCalc;
use super::replica_calculator::CalcError;
use super::{PolicyKind, SelectPolicy};
use crate::autoscale::kpa::{
    ActivatorPath, Bounds, Burst, Delay, NoData, Observed, Panic, PodCounts, ToZero,
};
use crate::autoscale::queue::KedaStep;
use crate::error::Error;
use crate::scenario::LoadSource;

/// The steps of one decision, in the order the controller took them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Explanation {
    pub steps: Vec<Step>,
}

impl From<Vec<Step>> for Explanation {
    fn from(steps: Vec<Step>) -> Self {
        Explanation { steps }
    }
}

/// The English text: each step's rendering, concatenated.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.steps.iter().try_for_each(|step| write!(f, "{step}"))
    }
}

/// Scaling up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ScaleUp,
    ScaleDown,
}

/// Which bound of the spec a replica count is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaBound {
    MinReplicas,
    MaxReplicas,
}

/// The `ScalingLimited` condition reasons (serialized with Kubernetes' spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LimitReason {
    DesiredWithinRange,
    ScaleUpLimit,
    ScaleDownLimit,
    TooManyReplicas,
    TooFewReplicas,
}

impl LimitReason {
    pub fn name(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "DesiredWithinRange",
            LimitReason::ScaleUpLimit => "ScaleUpLimit",
            LimitReason::ScaleDownLimit => "ScaleDownLimit",
            LimitReason::TooManyReplicas => "TooManyReplicas",
            LimitReason::TooFewReplicas => "TooFewReplicas",
        }
    }
}

/// A rate limit on the replica count and how it was reached. Serialized flat:
/// `{"limit": 10, "formula": "legacy", "factor": 2.0, "minimum": 4.0, "current": 5}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimit {
    /// The highest (scale-up) or lowest (scale-down) count allowed, after being brought back to
    /// the current count when recent events have used up the policies.
    pub limit: i64,
    #[serde(flatten)]
    pub formula: RateFormula,
}

/// How a rate limit was computed (its name under `"formula"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "formula", rename_all = "snake_case")]
pub enum RateFormula {
    /// Without `behavior`: `max(factor × current, minimum)` (`scaleUpLimitFactor` 2,
    /// `scaleUpLimitMinimum` 4).
    Legacy {
        factor: f64,
        minimum: f64,
        current: i64,
    },
    /// `selectPolicy: Disabled` for that direction: no change allowed.
    Disabled { direction: Direction },
    /// `selectPolicy` `Max` or `Min` over the direction's policies.
    Policies {
        direction: Direction,
        select: SelectPolicy,
        policies: Vec<PolicyLimit>,
    },
}

/// One policy's share of a rate limit (`calculateScaleUpLimitWithScalingRules` /
/// `calculateScaleDownLimitWithBehaviors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PolicyLimit {
    pub kind: PolicyKind,
    pub value: u32,
    pub period_s: u32,
    /// Replicas at the start of the policy's period: current − added + deleted by this
    /// controller's scale events newer than `period_s`.
    pub period_start: i64,
    /// The count this policy allows (upstream's `proposed`).
    pub proposed: i64,
}

/// One step of a decision. Serialized with its name under `"step"`, e.g.
/// `{"step": "calc", "utilization_pct": 85, "target_pct": 60, "ratio": 1.4166…}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The caller's clock was not a finite number: nothing was done.
    InvalidTime { now_s: f64 },
    /// The target has 0 replicas: autoscaling is off for it (`ScalingDisabled`).
    Disabled,
    /// The current count is outside `[min, max]`: set to that bound without reading metrics.
    OutOfRange {
        current: i64,
        bound: ReplicaBound,
        /// The bound's value, which becomes the desired count.
        limit: i64,
    },
    /// The replica calculator failed (`FailedGetResourceMetric`): keep the current count.
    MetricError { error: CalcError, keep: u32 },
    /// `GetResourceUtilizationRatio`: integer-percent utilization over the ready pods with a
    /// sample, and its ratio to the target.
    Calc {
        utilization_pct: u32,
        target_pct: u32,
        ratio: f64,
    },
    /// The (last computed) ratio is inside the tolerance band `[low, high]`: keep the count.
    WithinTolerance { low: f64, high: f64, keep: u32 },
    /// `ceil(ratio × pods)`. `ready_only`: the first ratio over the ready pods; otherwise the
    /// recomputed one over every pod counted in it.
    Proportional {
        pods: usize,
        ready_only: bool,
        replicas: u32,
    },
    /// The pessimistic recompute: pods without a sample counted at `missing_pct` percent of
    /// their request (`None`: the ratio was exactly 1 and they were left out) and unready pods
    /// at 0% (only on scale-up), giving `new_ratio`.
    Recomputed {
        missing: usize,
        missing_pct: Option<u32>,
        unready_zeroed: usize,
        new_ratio: f64,
    },
    /// The recomputed ratio points the other way: keep the count.
    DirectionFlip { keep: u32 },
    /// `ceil(new_ratio × pods)` = `replicas` moves against the ratio: keep the count.
    AgainstRatio {
        pods: usize,
        replicas: u32,
        keep: u32,
    },
    /// A stabilization window replaced the recommendation: the lowest recent one on scale-up
    /// (`ScaleUpStabilized`), the highest on scale-down (`ScaleDownStabilized`).
    /// `with_behavior: false` is the controller's path without `behavior` (always scale-down).
    Stabilized {
        direction: Direction,
        window_s: u32,
        recommendation: i64,
        with_behavior: bool,
    },
    /// Rate limits and min/max (`convertDesiredReplicasWith…`): `desired` (after
    /// stabilization) became `replicas`.
    Limit {
        condition: LimitReason,
        current: i64,
        desired: i64,
        replicas: i64,
        min: i64,
        max: i64,
        /// The rate limit consulted, if any.
        rate: Option<RateLimit>,
    },
    /// The seed's rule `ceil(L / (C × target))` clamped to `[min, max]`.
    Formula {
        source: LoadSource,
        load_rps: f64,
        target_pct: u32,
        /// C × target.
        per_instance_rps: f64,
        /// `ceil(L / per_instance_rps)`, 0 without load.
        raw: u32,
        min: u32,
        max: u32,
        desired: u32,
    },
    /// Knative's decider: the stable and panic window averages.
    KpaObserved(Observed),
    /// Knative's decider: no metrics for a stable window.
    KpaNoData(NoData),
    /// Knative's decider: pod counts and their rate-limit clamp.
    KpaPods(PodCounts),
    /// Knative's decider: panic mode.
    KpaPanic(Panic),
    /// Knative's decider: the scale-down delay window.
    KpaDelay(Delay),
    /// Knative's decider: excess burst capacity.
    KpaBurst(Burst),
    /// Knative's PodAutoscaler: min/max/initial scale.
    KpaBounds(Bounds),
    /// Knative's PodAutoscaler: scale to zero.
    KpaToZero(ToZero),
    /// Knative: the activator in or out of the request path.
    Activator(ActivatorPath),
    /// An External metric with an AverageValue target (KEDA's HPA).
    External(ExternalCalc),
    /// KEDA's own 0 ↔ 1 decision (activation and cooldown).
    Keda(KedaStep),
    /// The controller rescales.
    Scale { from: i64, to: i64 },
    /// The count stays.
    NoChange { current: i64 },
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A rate in req/s rounded to 2 decimals, without trailing zeros.
fn rps(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    format!("{rounded}")
}

fn band(f: &mut fmt::Formatter<'_>, low: f64, high: f64, keep: u32) -> fmt::Result {
    write!(
        f,
        ", inside the tolerance band [{low:.2}, {high:.2}] → keep {keep} replicas"
    )
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Step::InvalidTime { now_s } => write!(
                f,
                "now_s must be a finite number of seconds, got {now_s}; no change"
            ),
            Step::Disabled => f.write_str(
                "scaling is disabled since the replica count of the target is zero [ScalingDisabled]",
            ),
            Step::OutOfRange {
                current,
                bound,
                limit,
            } => {
                let (side, name) = match bound {
                    ReplicaBound::MaxReplicas => ("above", "max_replicas"),
                    ReplicaBound::MinReplicas => ("below", "min_replicas"),
                };
                write!(
                    f,
                    "current replicas {current} {side} {name} {limit} → set to {limit}"
                )
            }
            Step::MetricError { error, keep } => write!(
                f,
                "the HPA was unable to compute the replica count: {}; keep {keep} replicas [FailedGetResourceMetric]",
                Error::from(error)
            ),
            Step::Calc {
                utilization_pct,
                target_pct,
                ratio,
            } => write!(
                f,
                "utilization {utilization_pct}% vs target {target_pct}% → ratio {ratio:.2}"
            ),
            Step::WithinTolerance { low, high, keep } => band(f, low, high, keep),
            Step::Proportional {
                pods,
                ready_only,
                replicas,
            } => {
                let one = if ready_only { "ready pod" } else { "pod" };
                write!(f, " × {} → {replicas} replicas", plural(pods, one))
            }
            Step::Recomputed {
                missing,
                missing_pct,
                unready_zeroed,
                new_ratio,
            } => {
                let mut assumed = Vec::new();
                if let Some(pct) = missing_pct {
                    assumed.push(format!(
                        "{} without a sample as {pct}%",
                        plural(missing, "pod")
                    ));
                }
                if unready_zeroed > 0 {
                    assumed.push(format!("{} as 0%", plural(unready_zeroed, "unready pod")));
                }
                let assumed = if assumed.is_empty() {
                    String::from("nothing to fill in")
                } else {
                    format!("counting {}", assumed.join(" and "))
                };
                write!(f, "; {assumed} → ratio {new_ratio:.2}")
            }
            Step::DirectionFlip { keep } => write!(
                f,
                ", which would reverse the scaling direction → keep {keep} replicas"
            ),
            Step::AgainstRatio {
                pods,
                replicas,
                keep,
            } => write!(
                f,
                " × {} → {replicas}, which would move against the ratio → keep {keep} replicas",
                plural(pods, "pod")
            ),
            Step::Stabilized {
                direction,
                window_s,
                recommendation,
                with_behavior,
            } => match (with_behavior, direction) {
                (false, _) => write!(
                    f,
                    "; the {window_s} s stabilization window keeps the highest recent recommendation, {recommendation} [ScaleDownStabilized]"
                ),
                (true, Direction::ScaleUp) => write!(
                    f,
                    "; the scale-up stabilization window ({window_s} s) applies the lowest recent recommendation, {recommendation} [ScaleUpStabilized]"
                ),
                (true, Direction::ScaleDown) => write!(
                    f,
                    "; the scale-down stabilization window ({window_s} s) applies the highest recent recommendation, {recommendation} [ScaleDownStabilized]"
                ),
            },
            Step::Limit {
                condition,
                current,
                desired,
                replicas,
                min,
                max,
                ref rate,
            } => {
                let rate_text = rate.as_ref().map(|r| r.to_string()).unwrap_or_default();
                let rate = rate_text.as_str();
                f.write_str("; ")?;
                match condition {
                    LimitReason::DesiredWithinRange if desired > current => write!(
                        f,
                        "within the scale-up limit ({rate}) and max_replicas {max}"
                    ),
                    LimitReason::DesiredWithinRange if desired < current && !rate.is_empty() => {
                        write!(
                            f,
                            "within the scale-down limit ({rate}) and min_replicas {min}"
                        )
                    }
                    LimitReason::DesiredWithinRange => {
                        write!(f, "within min_replicas {min} and max_replicas {max}")
                    }
                    LimitReason::ScaleUpLimit => write!(
                        f,
                        "capped at {replicas} by the scale-up rate limit ({rate})"
                    ),
                    LimitReason::ScaleDownLimit => write!(
                        f,
                        "limited to {replicas} by the scale-down rate limit ({rate})"
                    ),
                    LimitReason::TooManyReplicas => write!(f, "clamped to max_replicas {replicas}"),
                    LimitReason::TooFewReplicas => write!(f, "raised to min_replicas {replicas}"),
                }?;
                write!(f, " [{}]", condition.name())
            }
            Step::Formula {
                source,
                load_rps,
                target_pct,
                per_instance_rps,
                raw,
                min,
                max,
                desired,
            } => {
                let what = match source {
                    LoadSource::Offered => "offered",
                    LoadSource::Measured => "measured",
                };
                let per = rps(per_instance_rps);
                write!(
                    f,
                    "{what} L = {} req/s, C × {target_pct}% = {per} req/s → ceil(L / {per}) = {raw}",
                    rps(load_rps)
                )?;
                if raw != desired {
                    write!(f, ", clamped to [{min}, {max}] → {desired}")?;
                }
                Ok(())
            }
            Step::KpaObserved(ref s) => s.fmt(f),
            Step::KpaNoData(ref s) => s.fmt(f),
            Step::KpaPods(ref s) => s.fmt(f),
            Step::KpaPanic(ref s) => s.fmt(f),
            Step::KpaDelay(ref s) => s.fmt(f),
            Step::KpaBurst(ref s) => s.fmt(f),
            Step::KpaBounds(ref s) => s.fmt(f),
            Step::KpaToZero(ref s) => s.fmt(f),
            Step::Activator(ref s) => s.fmt(f),
            Step::External(ref s) => s.fmt(f),
            Step::Keda(ref s) => s.fmt(f),
            Step::Scale { from, to } => write!(f, " → scale {from} → {to}"),
            Step::NoChange { current } => write!(f, " → no change ({current})"),
        }
    }
}

/// `"{formula} = {limit}"`, e.g. `max(2 × 5, 4) = 10` or
/// `Max of [Percent +100%/15s from 5 → 10, Pods +4/15s from 5 → 9] = 10`.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.formula, self.limit)
    }
}

impl fmt::Display for RateFormula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateFormula::Legacy {
                factor,
                minimum,
                current,
            } => write!(f, "max({factor} × {current}, {minimum})"),
            RateFormula::Disabled { direction } => {
                write!(f, "{} selectPolicy is Disabled", direction_name(*direction))
            }
            RateFormula::Policies {
                direction,
                select,
                policies,
            } => {
                let sign = match direction {
                    Direction::ScaleUp => '+',
                    Direction::ScaleDown => '-',
                };
                let select = match select {
                    SelectPolicy::Max => "Max",
                    SelectPolicy::Min => "Min",
                    SelectPolicy::Disabled => "Disabled",
                };
                write!(f, "{select} of [")?;
                for (i, p) in policies.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match p.kind {
                        PolicyKind::Pods => write!(f, "Pods {sign}{}/{}s", p.value, p.period_s)?,
                        PolicyKind::Percent => {
                            write!(f, "Percent {sign}{}%/{}s", p.value, p.period_s)?
                        }
                    }
                    write!(f, " from {} → {}", p.period_start, p.proposed)?;
                }
                f.write_str("]")
            }
        }
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::ScaleUp => "scale-up",
        Direction::ScaleDown => "scale-down",
    }
}

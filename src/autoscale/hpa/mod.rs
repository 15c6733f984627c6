//! A faithful model of the Kubernetes HorizontalPodAutoscaler controller, for one HPA with one
//! CPU-utilization (`Resource`, `type: Utilization`) metric.
//!
//! It follows upstream `kubernetes/kubernetes`, one file per upstream seam:
//!
//! * this file: the API types (`pkg/apis/autoscaling/v2`: `HPAScalingRules`,
//!   `HPAScalingPolicy`, the default `behavior` of `defaults.go`), the spec's limits (the
//!   window and period bounds of `validation.go`, the simulator's own bounds for the rest) and
//!   the controller's pass over one HPA, from
//!   `pkg/controller/podautoscaler/horizontal.go`: `reconcileAutoscaler` (min/max before
//!   metrics, `ScalingDisabled` at 0 replicas, `FailedGetResourceMetric`),
//!   `recordInitialRecommendation`, the choice between `normalizeDesiredReplicas` and
//!   `normalizeDesiredReplicasWithBehaviors`, and `storeScaleEvent`'s call site;
//! * `replica_calculator.rs`: `replica_calculator.go` (`GetResourceReplicas`, `groupPods`,
//!   `removeMetricsForPods`, `Tolerances.isWithin`) and `metrics/utilization.go`
//!   (`GetResourceUtilizationRatio`): integer-percent utilization, per-direction tolerance, the
//!   "pessimistic" recompute for missing and unready pods;
//! * `normalize.rs`: the rest of `horizontal.go`: `stabilizeRecommendation`,
//!   `stabilizeRecommendationWithBehaviors`, `convertDesiredReplicasWithRules` (scale-up limit
//!   `max(2 × current, 4)`), `convertDesiredReplicasWithBehaviorRate`,
//!   `calculateScaleUpLimitWithScalingRules`, `calculateScaleDownLimitWithBehaviors`,
//!   `getReplicasChangePerPeriod`, `storeScaleEvent` and `markScaleEventsOutdated`;
//! * `explain.rs`: not upstream: the decision's explanation as data (the controller's steps and
//!   numbers, with Kubernetes' condition reasons), rendered to English for [`Decision::reason`].
//!
//! Wall-clock `time.Now()` is replaced by the caller's `now_s` (seconds). Go's `Before(cutoff)`
//! and `After(cutoff)` are kept exactly (strict `<` and `>`), so boundaries behave as upstream's
//! do when timestamps coincide.
//!
//! Modelling choices (see each item): a pod is `Ready`, `Unready` (not ready, pending or still
//! starting: upstream's `unreadyPods`, whether or not it has a sample) or `Ignored` (deleting or
//! failed: upstream's `ignoredPods`). A `Ready` pod without a sample is a *missing* pod.

mod explain;
mod external;
mod normalize;
mod replica_calculator;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_reason;

use serde::Serialize;

use crate::error::{check_int, check_range, Error, ErrorKind};

pub use explain::{
    Direction, Explanation, LimitReason, PolicyLimit, RateFormula, RateLimit, ReplicaBound, Step,
};
pub use external::{external_per_pod_replicas, ExternalCalc, ExternalMetric};
pub use replica_calculator::{resource_replicas, CalcError};

use normalize::{
    convert_with_behavior_rate, convert_with_rules, stabilize_recommendation,
    stabilize_with_behaviors, store_scale_event_in, ScaleEvent, TimedRecommendation,
};
use replica_calculator::calc_resource;

/// `--horizontal-pod-autoscaler-tolerance` default (and `defaultTestingTolerance`).
const DEFAULT_TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-downscale-stabilization` default: 5 minutes.
pub const DOWNSCALE_STABILISATION_WINDOW_S: u32 = 300;
/// Replica counts are `int32` in Kubernetes.
const INT32_MAX: i64 = i32::MAX as i64;

// ---------------------------------------------------------------------------------------------
// Limits: the one definition of what an HPA spec may hold. `Hpa::new` checks them and the
// scenario validator checks the same ones, with the same field names and messages.
// ---------------------------------------------------------------------------------------------

/// `target_utilization_pct` is in 1..=1000 (a target over 100% is allowed, as upstream).
pub const MAX_TARGET_UTILIZATION_PCT: u32 = 1000;
/// `min_replicas` and `max_replicas` are in 1..=MAX_REPLICAS: the largest fleet the simulator
/// runs (upstream's bound, `int32`, is far beyond it).
pub const MAX_REPLICAS: u32 = crate::scenario::MAX_INSTANCES;
/// API validation: `stabilizationWindowSeconds` must be in 0..=3600.
pub const MAX_STABILIZATION_WINDOW_S: u32 = 3600;
/// API validation: `periodSeconds` must be in 1..=1800.
pub const MAX_POLICY_PERIOD_S: u32 = 1800;
/// A policy's `value` is in 1..=MAX_POLICY_VALUE (upstream: > 0).
pub const MAX_POLICY_VALUE: u32 = 1_000_000;
/// At most this many policies per direction.
pub const MAX_POLICIES: usize = 100;
/// `tolerance.scale_down` is in 0..=1 (1 − scale_down is the band's low end).
pub const MAX_TOLERANCE_SCALE_DOWN: f64 = 1.0;
/// `tolerance.scale_up` is in 0..=10.
pub const MAX_TOLERANCE_SCALE_UP: f64 = 10.0;

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

/// What `GetResourceReplicas` returns: the proposed replica count and the current utilization
/// (integer percent of the requests, over the ready pods with samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recommendation {
    pub replicas: u32,
    pub utilization_pct: u32,
}

/// `HPAScalingPolicyType` (serialized with Kubernetes' spelling: `Pods`, `Percent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// `ScalingPolicySelect`: `Max` picks the policy allowing the biggest change, `Min` the
/// smallest, `Disabled` forbids scaling in that direction (serialized with Kubernetes' spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub desired_replicas: u32,
    /// Which step decided, in words, with the Kubernetes condition reason in brackets: the
    /// English rendering of `explanation`.
    pub reason: String,
    /// The steps of the decision as data, for rendering in other languages.
    pub explanation: Explanation,
}

impl Decision {
    /// A decision whose `reason` is the English rendering of `explanation`.
    pub fn new(desired_replicas: u32, explanation: Explanation) -> Decision {
        Decision {
            desired_replicas,
            reason: explanation.to_string(),
            explanation,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn check_rules(prefix: &str, rules: &ScalingRules) -> Result<(), Error> {
    if let Some(w) = rules.stabilization_window_s {
        check_int(
            &format!("{prefix}.stabilization_window_s"),
            w,
            0,
            MAX_STABILIZATION_WINDOW_S,
        )?;
    }
    if rules.policies.len() > MAX_POLICIES {
        return Err(Error::of(
            format!("{prefix}.policies"),
            ErrorKind::TooMany {
                max: MAX_POLICIES as u64,
            },
            Some(rules.policies.len().to_string()),
        ));
    }
    for (i, p) in rules.policies.iter().enumerate() {
        check_int(
            &format!("{prefix}.policies[{i}].value"),
            p.value,
            1,
            MAX_POLICY_VALUE,
        )?;
        check_int(
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
    /// Validates the spec against the limits above (fields named `autoscaler.…`, the same
    /// checks, order and messages as the scenario validator) and fills omitted (empty) policies
    /// with the defaults.
    pub fn new(spec: HpaSpec) -> Result<Hpa, Error> {
        check_int(
            "autoscaler.target_utilization_pct",
            spec.target_utilization_pct,
            1,
            MAX_TARGET_UTILIZATION_PCT,
        )?;
        check_int(
            "autoscaler.min_replicas",
            spec.min_replicas,
            1,
            MAX_REPLICAS,
        )?;
        check_int(
            "autoscaler.max_replicas",
            spec.max_replicas,
            1,
            MAX_REPLICAS,
        )?;
        if spec.min_replicas > spec.max_replicas {
            return Err(Error::of(
                "autoscaler.max_replicas",
                ErrorKind::NotAtLeast {
                    other: "min_replicas".into(),
                    limit: f64::from(spec.min_replicas),
                },
                Some(spec.max_replicas.to_string()),
            ));
        }
        check_range(
            "autoscaler.tolerance.scale_down",
            spec.tolerance.scale_down,
            0.0,
            MAX_TOLERANCE_SCALE_DOWN,
        )?;
        check_range(
            "autoscaler.tolerance.scale_up",
            spec.tolerance.scale_up,
            0.0,
            MAX_TOLERANCE_SCALE_UP,
        )?;
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
        let target = self.spec.target_utilization_pct;
        let tolerance = self.spec.tolerance;
        self.reconcile_with(now_s, current_replicas, |steps| {
            match calc_resource(current_replicas, pods, target, tolerance) {
                Ok(o) => {
                    steps.extend(o.steps(target, current_replicas, tolerance));
                    Ok(i64::from(o.rec.replicas))
                }
                Err(error) => Err(Step::MetricError {
                    error,
                    keep: current_replicas,
                }),
            }
        })
    }

    /// `reconcileAutoscaler` with External metrics of `AverageValue` targets (KEDA's generated
    /// HPA): each metric proposes `GetExternalPerPodMetricReplicas` over the replicas that
    /// exist, the largest proposal wins (`computeReplicasForMetrics`), then the same
    /// stabilization, rate limits and min/max as for CPU.
    pub fn reconcile_external(
        &mut self,
        now_s: f64,
        current_replicas: u32,
        metrics: &[ExternalMetric],
    ) -> Decision {
        let tolerance = self.spec.tolerance;
        self.reconcile_with(now_s, current_replicas, |steps| {
            let mut proposal = 0i64;
            for m in metrics {
                let calc = external_per_pod_replicas(current_replicas, m, tolerance);
                proposal = proposal.max(i64::from(calc.proposal));
                steps.push(calc.step());
            }
            Ok(proposal)
        })
    }

    /// The controller's pass around a metric calculation (`metric` returns the proposal, or
    /// the step that keeps the count when the metric cannot be computed).
    fn reconcile_with(
        &mut self,
        now_s: f64,
        current_replicas: u32,
        metric: impl FnOnce(&mut Vec<Step>) -> Result<i64, Step>,
    ) -> Decision {
        let current = i64::from(current_replicas);
        if !now_s.is_finite() {
            return Decision::new(current_replicas, vec![Step::InvalidTime { now_s }].into());
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
        let mut steps = Vec::new();
        let desired = if current == 0 {
            // min_replicas ≥ 1 by validation: "Autoscaling is disabled for this resource".
            return Decision::new(0, vec![Step::Disabled].into());
        } else if current > max {
            steps.push(Step::OutOfRange {
                current,
                bound: ReplicaBound::MaxReplicas,
                limit: max,
            });
            max
        } else if current < min {
            steps.push(Step::OutOfRange {
                current,
                bound: ReplicaBound::MinReplicas,
                limit: min,
            });
            min
        } else {
            let metric_desired = match metric(&mut steps) {
                Ok(d) => d,
                Err(step) => return Decision::new(current_replicas, vec![step].into()),
            };
            // Borrow the behavior out of the spec while the state is updated (no clone).
            let behavior = self.spec.behavior.take();
            let desired = match &behavior {
                None => self.normalize(now_s, current, metric_desired, &mut steps),
                Some(b) => {
                    self.normalize_with_behaviors(now_s, current, metric_desired, b, &mut steps)
                }
            };
            self.spec.behavior = behavior;
            desired
        };

        let desired = desired.clamp(0, INT32_MAX);
        if desired != current {
            self.store_scale_event(now_s, current, desired);
            steps.push(Step::Scale {
                from: current,
                to: desired,
            });
        } else {
            steps.push(Step::NoChange { current });
        }
        Decision::new(desired as u32, steps.into())
    }

    /// `normalizeDesiredReplicas`.
    fn normalize(&mut self, now: f64, current: i64, desired: i64, steps: &mut Vec<Step>) -> i64 {
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let window = f64::from(DOWNSCALE_STABILISATION_WINDOW_S);
        let stabilized = stabilize_recommendation(recs, now, desired, window);
        if stabilized != desired {
            // The max over the window: it only ever holds a scale-down back.
            steps.push(Step::Stabilized {
                direction: Direction::ScaleDown,
                window_s: DOWNSCALE_STABILISATION_WINDOW_S,
                recommendation: stabilized,
                with_behavior: false,
            });
        }
        let min = i64::from(self.spec.min_replicas);
        let max = i64::from(self.spec.max_replicas);
        let limited = convert_with_rules(current, stabilized, min, max);
        let replicas = limited.replicas;
        steps.push(limited.step(current, stabilized, min, max));
        replicas
    }

    /// `normalizeDesiredReplicasWithBehaviors`.
    fn normalize_with_behaviors(
        &mut self,
        now: f64,
        current: i64,
        desired: i64,
        behavior: &Behavior,
        steps: &mut Vec<Step>,
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
            let (direction, window_s) = if desired >= current {
                (Direction::ScaleUp, up_window)
            } else {
                (Direction::ScaleDown, down_window)
            };
            steps.push(Step::Stabilized {
                direction,
                window_s,
                recommendation: stabilized,
                with_behavior: true,
            });
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
        let replicas = limited.replicas;
        steps.push(limited.step(current, stabilized, min, max));
        replicas
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
    use super::test_support::*;
    use super::*;

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
    fn limits_are_the_scenario_validators() {
        // The same spec through Hpa::new and through Scenario::from_json must be accepted by
        // both or refused by both with the same field and message; the bounds are the documented
        // ones (docs/scenario.md; autoscaling/v2 validation for the window and the period).
        use crate::scenario::{HpaConfig, Scenario};
        use serde_json::{json, Value};
        let policies = json!([{"kind": "pods", "value": 4, "period_s": 15}]);
        let base = json!({"min_replicas": 1, "max_replicas": MAX_REPLICAS,
            "target_utilization_pct": 80, "tolerance": {"scale_down": 0.1, "scale_up": 0.1},
            "behavior": {
                "scale_up": {"stabilization_window_s": 0, "policies": policies},
                "scale_down": {"stabilization_window_s": 300, "policies": policies}}});
        let many = |n: usize| Value::Array(vec![policies[0].clone(); n]);
        let cases: Vec<(&str, &str, Value, bool)> = vec![
            (
                "/target_utilization_pct",
                "target_utilization_pct",
                json!(0),
                false,
            ),
            (
                "/target_utilization_pct",
                "target_utilization_pct",
                json!(1),
                true,
            ),
            (
                "/target_utilization_pct",
                "target_utilization_pct",
                json!(1000),
                true,
            ),
            (
                "/target_utilization_pct",
                "target_utilization_pct",
                json!(1001),
                false,
            ),
            ("/min_replicas", "min_replicas", json!(0), false),
            ("/min_replicas", "min_replicas", json!(100_000), true),
            ("/min_replicas", "min_replicas", json!(100_001), false),
            ("/max_replicas", "max_replicas", json!(100_001), false),
            ("/max_replicas", "max_replicas", json!(0), false),
            // Below min_replicas (1 by default is fine; 1 with min 1 is at the bound).
            ("/max_replicas", "max_replicas", json!(1), true),
            (
                "/tolerance/scale_down",
                "tolerance.scale_down",
                json!(-0.01),
                false,
            ),
            (
                "/tolerance/scale_down",
                "tolerance.scale_down",
                json!(0.0),
                true,
            ),
            (
                "/tolerance/scale_down",
                "tolerance.scale_down",
                json!(1.0),
                true,
            ),
            (
                "/tolerance/scale_down",
                "tolerance.scale_down",
                json!(1.01),
                false,
            ),
            (
                "/tolerance/scale_up",
                "tolerance.scale_up",
                json!(-0.01),
                false,
            ),
            (
                "/tolerance/scale_up",
                "tolerance.scale_up",
                json!(10.0),
                true,
            ),
            (
                "/tolerance/scale_up",
                "tolerance.scale_up",
                json!(10.01),
                false,
            ),
            (
                "/behavior/scale_up/stabilization_window_s",
                "behavior.scale_up.stabilization_window_s",
                json!(3600),
                true,
            ),
            (
                "/behavior/scale_up/stabilization_window_s",
                "behavior.scale_up.stabilization_window_s",
                json!(3601),
                false,
            ),
            (
                "/behavior/scale_down/stabilization_window_s",
                "behavior.scale_down.stabilization_window_s",
                json!(0),
                true,
            ),
            (
                "/behavior/scale_down/stabilization_window_s",
                "behavior.scale_down.stabilization_window_s",
                json!(3601),
                false,
            ),
            (
                "/behavior/scale_down/policies",
                "behavior.scale_down.policies",
                many(100),
                true,
            ),
            (
                "/behavior/scale_down/policies",
                "behavior.scale_down.policies",
                many(101),
                false,
            ),
            (
                "/behavior/scale_up/policies/0/value",
                "behavior.scale_up.policies[0].value",
                json!(0),
                false,
            ),
            (
                "/behavior/scale_up/policies/0/value",
                "behavior.scale_up.policies[0].value",
                json!(1_000_000),
                true,
            ),
            (
                "/behavior/scale_up/policies/0/value",
                "behavior.scale_up.policies[0].value",
                json!(1_000_001),
                false,
            ),
            (
                "/behavior/scale_down/policies/0/period_s",
                "behavior.scale_down.policies[0].period_s",
                json!(0),
                false,
            ),
            (
                "/behavior/scale_down/policies/0/period_s",
                "behavior.scale_down.policies[0].period_s",
                json!(1),
                true,
            ),
            (
                "/behavior/scale_down/policies/0/period_s",
                "behavior.scale_down.policies[0].period_s",
                json!(1800),
                true,
            ),
            (
                "/behavior/scale_down/policies/0/period_s",
                "behavior.scale_down.policies[0].period_s",
                json!(1801),
                false,
            ),
        ];
        for (pointer, field, value, ok) in cases {
            let mut config = base.clone();
            *config.pointer_mut(pointer).unwrap() = value.clone();
            if field == "min_replicas" && ok {
                config["max_replicas"] = value.clone();
            }
            if field == "max_replicas" && value == json!(1) {
                config["min_replicas"] = json!(1);
            }
            let hpa = Hpa::new(crate::autoscale::hpa_spec(
                &serde_json::from_value::<HpaConfig>(config.clone()).unwrap(),
            ))
            .map(|_| ());
            let mut scenario = config;
            scenario["kind"] = json!("hpa");
            let scenario =
                Scenario::from_json(&json!({ "autoscaler": scenario }).to_string()).map(|_| ());
            assert_eq!(hpa.is_ok(), ok, "{field} = {value}: {hpa:?}");
            assert_eq!(hpa, scenario, "{field} = {value}");
            if let Err(e) = hpa {
                assert_eq!(e.field, format!("autoscaler.{field}"));
            }
        }
        // min_replicas above max_replicas: the same message from both.
        let config = json!({"min_replicas": 5, "max_replicas": 4});
        let e = Hpa::new(crate::autoscale::hpa_spec(
            &serde_json::from_value::<HpaConfig>(config).unwrap(),
        ))
        .unwrap_err();
        assert_eq!(e.field, "autoscaler.max_replicas");
        assert_eq!(e.problem, "must be at least min_replicas (5), got 4");
        let scenario = r#"{"autoscaler": {"kind": "hpa", "min_replicas": 5, "max_replicas": 4}}"#;
        assert_eq!(Scenario::from_json(scenario).unwrap_err(), e);
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
                b.scale_up.policies[0].value = MAX_POLICY_VALUE;
                b.scale_down.policies[0].value = MAX_POLICY_VALUE;
                Some(b)
            };
            let max = pick(next(), &[1, 7, 1000, u64::from(MAX_REPLICAS)]) as u32;
            let mut hpa = Hpa::new(HpaSpec {
                min_replicas: 1,
                max_replicas: max,
                target_utilization_pct: pick(
                    next(),
                    &[1, 50, 300, u64::from(MAX_TARGET_UTILIZATION_PCT)],
                ) as u32,
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

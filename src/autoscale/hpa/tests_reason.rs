//! `Decision::reason` is the English rendering of the explanation; it must stay byte-identical
//! to the text the controller built before the explanation existed, because the determinism
//! files (the CLI's scale events) embed it. The oracle here is that old string-building code,
//! copied verbatim from the controller as it was (`explain_calc`, `describe_policy`, the rate
//! limits with their preformatted `detail`, `explain_limit`, `reconcile`, `normalize*`; only
//! `Decision` is renamed `OldDecision` and errors go through `old_error`), run
//! side by side with the controller over the scenarios of the controller's tests and a seeded
//! random sweep. It reuses only what the explanation did not touch: the replica calculator's
//! numbers and path (`calc_resource`), the stabilization functions and the scale-event store.
//! Its error texts are the old literals too.

use std::collections::BTreeSet;

use super::normalize::{
    replicas_change_per_period, stabilize_recommendation, stabilize_with_behaviors,
    store_scale_event_in, trunc_i64, ScaleEvent, TimedRecommendation,
};
use super::replica_calculator::{
    calc_resource, CalcError, CalcOutcome, CalcPath, RecomputeOutcome,
};
use super::test_support::*;
use super::{
    Behavior, Decision, Hpa, HpaSpec, PodMetric, PodState, PolicyKind, ScalingPolicy, ScalingRules,
    SelectPolicy, Tolerance, DOWNSCALE_STABILISATION_WINDOW_S, INT32_MAX, MAX_POLICY_PERIOD_S,
    MAX_REPLICAS, MAX_STABILIZATION_WINDOW_S,
};
use crate::error::Error;
use crate::rng::SimRng;

// ---- the oracle: the old text, verbatim --------------------------------------------------------

const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// The old calculator's error texts (the literals `calc_resource` returned).
fn old_error(e: CalcError) -> Error {
    match e {
        CalcError::ZeroTarget => Error::out_of_range("target_utilization_pct", 0, 1, i32::MAX),
        CalcError::NoPods => Error::new(
            "pods",
            "no pods returned by selector while calculating replica count",
        ),
        CalcError::NoMetrics => Error::new(
            "pods",
            "did not receive metrics for targeted pods (pods might be unready)",
        ),
        CalcError::MissingRequest { pod: i } => Error::new(
            format!("pods[{i}].request_milli"),
            "missing request for cpu: utilization is usage ÷ request, so the request must be > 0",
        ),
        CalcError::NoMatch => Error::new("pods", "no metrics returned matched known pods"),
    }
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

struct OldDecision {
    desired_replicas: u32,
    reason: String,
}

/// The old controller: the same state, the old text.
struct OldHpa {
    spec: HpaSpec,
    recommendations: Option<Vec<TimedRecommendation>>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
}

impl OldHpa {
    /// From the effective (validated, defaulted) spec of a new controller.
    fn new(spec: HpaSpec) -> OldHpa {
        OldHpa {
            spec,
            recommendations: None,
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
        }
    }

    pub fn reconcile(
        &mut self,
        now_s: f64,
        current_replicas: u32,
        pods: &[PodMetric],
    ) -> OldDecision {
        let current = i64::from(current_replicas);
        if !now_s.is_finite() {
            return OldDecision {
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
            return OldDecision {
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
                    let e = old_error(e);
                    return OldDecision {
                        desired_replicas: current_replicas,
                        reason: format!(
                            "the HPA was unable to compute the replica count: {e}; keep {current} replicas [FailedGetResourceMetric]"
                        ),
                    };
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
        OldDecision {
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

// ---- side by side ----------------------------------------------------------------------------

/// The controller and the oracle on the same spec, with a record of which kinds of step the
/// decisions went through (`"step"`, plus the limit's condition and the rate formula).
struct Twin {
    hpa: Hpa,
    old: OldHpa,
}

impl Twin {
    fn new(spec: HpaSpec) -> Twin {
        let hpa = Hpa::new(spec).unwrap();
        let old = OldHpa::new(hpa.spec().clone());
        Twin { hpa, old }
    }

    fn reconcile(
        &mut self,
        seen: &mut BTreeSet<String>,
        now: f64,
        current: u32,
        pods: &[PodMetric],
    ) -> Decision {
        let d = self.hpa.reconcile(now, current, pods);
        let want = self.old.reconcile(now, current, pods);
        assert_eq!(d.reason, want.reason, "t={now} current={current}");
        assert_eq!(d.desired_replicas, want.desired_replicas, "{}", d.reason);
        assert_eq!(d.reason, d.explanation.to_string());
        record(seen, &d);
        d
    }
}

/// Serializes the explanation and notes the kinds it holds.
fn record(seen: &mut BTreeSet<String>, d: &Decision) {
    let json = serde_json::to_value(&d.explanation).unwrap();
    for step in json["steps"].as_array().unwrap() {
        let name = step["step"].as_str().unwrap();
        seen.insert(name.to_string());
        if name == "limit" {
            seen.insert(format!("limit {}", step["condition"].as_str().unwrap()));
            if let Some(formula) = step["rate"]["formula"].as_str() {
                seen.insert(format!("rate {formula}"));
            }
        }
        if name == "stabilized" {
            seen.insert(format!(
                "stabilized {} {}",
                step["direction"].as_str().unwrap(),
                step["with_behavior"]
            ));
        }
    }
}

fn with_down_window(window: u32) -> Behavior {
    let mut b = Behavior::default();
    b.scale_down.stabilization_window_s = Some(window);
    b
}

/// The reconcile sequences of the controller's own tests (mod.rs), on both.
#[test]
fn reasons_match_the_old_text_in_the_controllers_scenarios() {
    let mut seen = BTreeSet::new();
    let seen = &mut seen;

    // reason_teaches_each_step, with its literal.
    let mut t = Twin::new(spec(1, 10, 60, None));
    let d = t.reconcile(seen, 0.0, 3, &spread(3, 3000, 1000));
    assert_eq!(
        d.reason,
        "utilization 100% vs target 60% → ratio 1.67 × 3 ready pods → 5 replicas; \
         within the scale-up limit (max(2 × 3, 4) = 6) and max_replicas 10 [DesiredWithinRange] → scale 3 → 5"
    );
    t.reconcile(seen, 15.0, 5, &spread(5, 5 * 640, 1000));
    let pods = [unready(300, 1000), ready(500, 1000), ready(700, 1000)];
    Twin::new(spec(1, 10, 30, None)).reconcile(seen, 0.0, 3, &pods);

    // docs_scale_down_policies_example.
    let b = Behavior {
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
    let mut t = Twin::new(spec(10, 100, 50, Some(b)));
    let mut replicas = 80u32;
    for step in 0..16 {
        let now = 60.0 * f64::from(step);
        replicas = t
            .reconcile(seen, now, replicas, &spread(replicas, 5000, 1000))
            .desired_replicas;
        t.reconcile(seen, now + 30.0, replicas, &spread(replicas, 5000, 1000));
    }

    // Saturated scale-up, without and with the default behavior.
    let saturated = |n: u32| spread(n, u64::from(n) * 10_000, 1000);
    for behavior in [None, Some(Behavior::default())] {
        let mut t = Twin::new(spec(1, 1000, 50, behavior));
        let mut replicas = 1;
        for step in 0..6 {
            let now = 15.0 * f64::from(step);
            replicas = t
                .reconcile(seen, now, replicas, &saturated(replicas))
                .desired_replicas;
            t.reconcile(seen, now + 5.0, replicas, &saturated(replicas));
        }
    }

    // time_of_scale_down, first_reconcile…: a drop to 20% after t = 60.
    for behavior in [None, Some(Behavior::default())] {
        let mut t = Twin::new(spec(1, 100, 50, behavior));
        let mut replicas = 10;
        for step in 0..40 {
            let now = 15.0 * f64::from(step);
            let per_pod = if now < 60.0 { 500 } else { 200 };
            let pods = spread(replicas, u64::from(replicas) * per_pod, 1000);
            replicas = t.reconcile(seen, now, replicas, &pods).desired_replicas;
        }
    }
    Twin::new(spec(1, 100, 50, None)).reconcile(seen, 0.0, 10, &spread(10, 1000, 1000));

    // scale_up_stabilization_window_uses_lowest_recent_recommendation.
    let mut b = Behavior::default();
    b.scale_up.stabilization_window_s = Some(60);
    let mut t = Twin::new(spec(1, 100, 50, Some(b)));
    t.reconcile(seen, 0.0, 4, &spread(4, 4 * 500, 1000));
    t.reconcile(seen, 15.0, 4, &spread(4, 4 * 1000, 1000));
    t.reconcile(seen, 75.0, 4, &spread(4, 4 * 1000, 1000));

    // min_max_clamping.
    let mut t = Twin::new(spec(2, 6, 50, None));
    t.reconcile(seen, 0.0, 9, &[]);
    t.reconcile(seen, 15.0, 1, &[]);
    t.reconcile(seen, 30.0, 4, &spread(4, 4 * 1000, 1000));
    let mut t = Twin::new(spec(2, 6, 50, Some(with_down_window(0))));
    t.reconcile(seen, 0.0, 5, &spread(5, 5 * 10, 1000));

    // zero_replicas_disables_scaling_and_metric_errors_keep_current, and a clock that is NaN.
    let mut t = Twin::new(spec(1, 10, 50, None));
    t.reconcile(seen, 0.0, 0, &saturated(3));
    t.reconcile(
        seen,
        15.0,
        3,
        &[pending(1000), pending(1000), pending(1000)],
    );
    t.reconcile(seen, 30.0, 1, &[ready(100, 0)]);
    t.reconcile(seen, 45.0, 2, &[]);
    t.reconcile(seen, f64::NAN, 2, &saturated(2));

    // disabled_select_policy_blocks_that_direction, both directions.
    for up in [true, false] {
        let mut b = with_down_window(0);
        if up {
            b.scale_up.select_policy = SelectPolicy::Disabled;
        } else {
            b.scale_down.select_policy = SelectPolicy::Disabled;
        }
        let mut t = Twin::new(spec(1, 100, 50, Some(b)));
        t.reconcile(seen, 0.0, 4, &saturated(4));
        t.reconcile(seen, 15.0, 4, &spread(4, 4 * 100, 1000));
    }

    // The replica calculator's cases (replica_calculator.rs), through the controller.
    let calc_cases: Vec<(u32, Vec<PodMetric>, u32)> = vec![
        (
            3,
            vec![ready(300, 1000), ready(500, 1000), ready(700, 1000)],
            30,
        ),
        (
            3,
            vec![unready(300, 1000), ready(500, 1000), ready(700, 1000)],
            30,
        ),
        (
            3,
            vec![ready(400, 1000), unready(500, 1000), unready(700, 1000)],
            30,
        ),
        (
            2,
            vec![
                ready(500, 1000),
                ready(700, 1000),
                failed(1000),
                failed(1000),
            ],
            30,
        ),
        (
            5,
            vec![
                ready(100, 1000),
                ready(300, 1000),
                ready(500, 1000),
                unready(250, 1000),
                unready(250, 1000),
            ],
            50,
        ),
        (
            5,
            vec![
                ready(100, 1000),
                pending(1000),
                pending(1000),
                pending(1000),
                pending(1000),
            ],
            50,
        ),
        (
            3,
            vec![ready(1010, 900), ready(1030, 1000), ready(1020, 1100)],
            100,
        ),
        (
            4,
            vec![
                ready(400, 1000),
                ready(95, 1000),
                no_sample(1000),
                no_sample(1000),
            ],
            100,
        ),
        (2, vec![ready(1000, 1000), no_sample(1000)], 100),
        (2, vec![ready(1900, 1000), no_sample(1000)], 100),
        (2, vec![ready(600, 1000), no_sample(1000)], 100),
        (
            3,
            vec![unready(100, 1000), ready(450, 1000), no_sample(1000)],
            50,
        ),
        (
            3,
            vec![unready(100, 1000), ready(2000, 1000), no_sample(1000)],
            50,
        ),
        (
            4,
            vec![
                unready(100, 1000),
                ready(100, 1000),
                ready(100, 1000),
                no_sample(1000),
            ],
            50,
        ),
        (
            4,
            vec![
                unready(200, 1000),
                ready(100, 1000),
                ready(100, 2000),
                no_sample(2000),
            ],
            300,
        ),
        (
            2,
            vec![ready(100, 1000), ready(100, 1000), no_sample(1000)],
            50,
        ),
    ];
    for (current, pods, target) in &calc_cases {
        for behavior in [None, Some(with_down_window(0))] {
            Twin::new(spec(1, 100, *target, behavior)).reconcile(seen, 0.0, *current, pods);
        }
    }
    for name in [
        "calc",
        "proportional",
        "recomputed",
        "limit",
        "scale",
        "no_change",
    ] {
        assert!(seen.contains(name), "{name} not reached: {seen:?}");
    }
}

/// Random specs, pods, clocks and counts from a fixed seed; every decision on both.
#[test]
fn reasons_match_the_old_text_over_a_random_sweep() {
    let mut rng = SimRng::seed(0x5eed_4a9a);
    let mut seen = BTreeSet::new();
    for _ in 0..3000 {
        let mut t = Twin::new(random_spec(&mut rng));
        let mut now = 0.0;
        let mut replicas = 1 + rng.below(12);
        for _ in 0..25 {
            now += [0.0, 5.0, 15.0, 15.0, 15.0, 30.0, 61.0, 300.0][rng.below(8) as usize];
            let clock = if rng.below(200) == 0 { f64::NAN } else { now };
            let current = match rng.below(20) {
                0 => 0,
                1 => rng.below(60),
                _ => replicas,
            };
            let pods = random_pods(&mut rng, current);
            replicas = t
                .reconcile(&mut seen, clock, current, &pods)
                .desired_replicas;
        }
    }
    let every = [
        "invalid_time",
        "disabled",
        "out_of_range",
        "metric_error",
        "calc",
        "within_tolerance",
        "proportional",
        "recomputed",
        "direction_flip",
        "against_ratio",
        "stabilized",
        "stabilized scale_down false",
        "stabilized scale_down true",
        "stabilized scale_up true",
        "limit",
        "limit DesiredWithinRange",
        "limit ScaleUpLimit",
        "limit ScaleDownLimit",
        "limit TooManyReplicas",
        "limit TooFewReplicas",
        "rate legacy",
        "rate disabled",
        "rate policies",
        "scale",
        "no_change",
    ];
    for name in every {
        assert!(seen.contains(name), "{name} not reached: {seen:?}");
    }
}

fn pick<T: Copy>(rng: &mut SimRng, options: &[T]) -> T {
    options[rng.below(options.len() as u32) as usize]
}

fn random_rules(rng: &mut SimRng, up: bool) -> ScalingRules {
    let policies = (0..rng.below(4))
        .map(|_| {
            let kind = pick(rng, &[PolicyKind::Pods, PolicyKind::Percent]);
            let value = match kind {
                PolicyKind::Pods => 1 + rng.below(10),
                PolicyKind::Percent => pick(rng, &[1, 10, 50, 100, 200, 1000]),
            };
            ScalingPolicy {
                kind,
                value,
                period_s: pick(rng, &[1, 15, 30, 60, 120, MAX_POLICY_PERIOD_S]),
            }
        })
        .collect();
    let windows: &[u32] = if up {
        &[0, 0, 30, 60]
    } else {
        &[0, 15, 60, 300, MAX_STABILIZATION_WINDOW_S]
    };
    ScalingRules {
        stabilization_window_s: if rng.below(3) == 0 {
            None
        } else {
            Some(pick(rng, windows))
        },
        select_policy: pick(
            rng,
            &[
                SelectPolicy::Max,
                SelectPolicy::Max,
                SelectPolicy::Min,
                SelectPolicy::Disabled,
            ],
        ),
        policies,
    }
}

fn random_spec(rng: &mut SimRng) -> HpaSpec {
    let min = pick(rng, &[1, 1, 2, 3, 5]);
    let max = match rng.below(8) {
        0 => MAX_REPLICAS,
        1 => min,
        _ => min + rng.below(30),
    };
    let behavior = match rng.below(3) {
        0 => None,
        1 => Some(Behavior::default()),
        _ => Some(Behavior {
            scale_up: random_rules(rng, true),
            scale_down: random_rules(rng, false),
        }),
    };
    HpaSpec {
        min_replicas: min,
        max_replicas: max,
        target_utilization_pct: pick(rng, &[1, 30, 50, 60, 80, 100, 150, 300, 1000]),
        tolerance: Tolerance {
            scale_down: pick(rng, &[0.0, 0.05, 0.1, 0.1, 0.36, 1.0]),
            scale_up: pick(rng, &[0.0, 0.02, 0.1, 0.1, 2.0, 10.0]),
        },
        behavior,
    }
}

/// About `current` pods (sometimes more, as in a rolling update, or none), mostly ready, all at
/// one load level with some noise.
fn random_pods(rng: &mut SimRng, current: u32) -> Vec<PodMetric> {
    let n = match rng.below(10) {
        0 => 0,
        1 => current + 1 + rng.below(3),
        _ => current.min(40),
    };
    let level = pick(rng, &[0.05, 0.2, 0.5, 0.6, 0.8, 1.0, 1.2, 2.0, 5.0]);
    (0..n)
        .map(|_| {
            let request = if rng.below(300) == 0 {
                0
            } else {
                pick(rng, &[100, 1000, 1000, 2000])
            };
            let usage = (request as f64 * level * (0.5 + rng.unit())) as u64;
            PodMetric {
                state: match rng.below(20) {
                    0 | 1 => PodState::Unready,
                    2 => PodState::Ignored,
                    _ => PodState::Ready,
                },
                usage_milli: if rng.below(12) == 0 {
                    None
                } else {
                    Some(usage)
                },
                request_milli: request,
            }
        })
        .collect()
}

//! What the controller does with the calculator's count before writing it: stabilization,
//! rate limits and min/max, and the memory of its own scale events those limits read.
//!
//! It ports upstream `pkg/controller/podautoscaler/horizontal.go`:
//!
//! * without `behavior` (`normalizeDesiredReplicas`): `stabilizeRecommendation` (the max over
//!   the downscale window, `!Before(cutoff)`) and `convertDesiredReplicasWithRules` (scale-up
//!   limit `max(scaleUpLimitFactor × current, scaleUpLimitMinimum)` = `max(2 × current, 4)`);
//! * with `behavior` (`normalizeDesiredReplicasWithBehaviors`):
//!   `stabilizeRecommendationWithBehaviors` (`After(cutoff)`),
//!   `convertDesiredReplicasWithBehaviorRate`, `calculateScaleUpLimitWithScalingRules`,
//!   `calculateScaleDownLimitWithBehaviors` and `getReplicasChangePerPeriod`;
//! * the scale events: `storeScaleEvent`, `markScaleEventsOutdated`, `getLongestPolicyPeriod`.
//!
//! The tests next to it are upstream's `TestNormalizeDesiredReplicas`,
//! `TestNormalizeDesiredReplicasWithBehavior`, `TestScalingWithRules` and
//! `TestStoreScaleEvents` (horizontal_test.go).

use super::explain::{Direction, LimitReason, PolicyLimit, RateFormula, RateLimit, Step};
use super::{Behavior, PolicyKind, ScalingRules, SelectPolicy};

/// `scaleUpLimitFactor` in horizontal.go (path without `behavior`).
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
/// `scaleUpLimitMinimum` in horizontal.go (path without `behavior`).
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// `timestampedRecommendation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TimedRecommendation {
    pub(super) replicas: i64,
    pub(super) t: f64,
}

/// `timestampedScaleEvent`: replica change (absolute value) made by this controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ScaleEvent {
    pub(super) change: i64,
    pub(super) t: f64,
    pub(super) outdated: bool,
}

/// `stabilizeRecommendation` (path without `behavior`): max of the recommendations not older
/// than the window (`!Before(cutoff)`), storing the new one in place of an old one.
pub(super) fn stabilize_recommendation(
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
pub(super) fn stabilize_with_behaviors(
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
pub(super) fn replicas_change_per_period(now: f64, period_s: u32, events: &[ScaleEvent]) -> i64 {
    let cutoff = now - f64::from(period_s);
    events
        .iter()
        .filter(|e| e.t > cutoff)
        .fold(0i64, |acc, e| acc.saturating_add(e.change))
}

/// `f64` → `i64` like Go's `int32(...)` conversion would for sane values: truncation toward 0,
/// saturating (and NaN → 0) instead of undefined.
pub(super) fn trunc_i64(x: f64) -> i64 {
    x as i64
}

/// `calculateScaleUpLimitWithScalingRules`.
pub(super) fn scale_up_limit_with_rules(
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
                formula: RateFormula::Disabled {
                    direction: Direction::ScaleUp,
                },
            }
        }
        SelectPolicy::Min => (i64::MAX, i64::min),
        SelectPolicy::Max => (i64::MIN, i64::max),
    };
    let mut policies = Vec::with_capacity(rules.policies.len());
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
        policies.push(policy_limit(policy, period_start, proposed));
        result = pick(result, proposed);
    }
    RateLimit {
        limit: result,
        formula: RateFormula::Policies {
            direction: Direction::ScaleUp,
            select: rules.select_policy,
            policies,
        },
    }
}

/// `calculateScaleDownLimitWithBehaviors`.
pub(super) fn scale_down_limit_with_rules(
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
                formula: RateFormula::Disabled {
                    direction: Direction::ScaleDown,
                },
            }
        }
        // For scaling down the smallest change is the highest count.
        SelectPolicy::Min => (i64::MIN, i64::max),
        SelectPolicy::Max => (i64::MAX, i64::min),
    };
    let mut policies = Vec::with_capacity(rules.policies.len());
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
        policies.push(policy_limit(policy, period_start, proposed));
        result = pick(result, proposed);
    }
    RateLimit {
        limit: result,
        formula: RateFormula::Policies {
            direction: Direction::ScaleDown,
            select: rules.select_policy,
            policies,
        },
    }
}

fn policy_limit(p: &super::ScalingPolicy, period_start: i64, proposed: i64) -> PolicyLimit {
    PolicyLimit {
        kind: p.kind,
        value: p.value,
        period_s: p.period_s,
        period_start,
        proposed,
    }
}

/// What the limits made of a recommendation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Limited {
    pub(super) replicas: i64,
    pub(super) reason: LimitReason,
    /// The rate limit consulted, if any, and its derivation.
    pub(super) rate: Option<RateLimit>,
}

impl Limited {
    /// The explanation's step: `desired` (after stabilization) became `self.replicas`.
    pub(super) fn step(self, current: i64, desired: i64, min: i64, max: i64) -> Step {
        Step::Limit {
            condition: self.reason,
            current,
            desired,
            replicas: self.replicas,
            min,
            max,
            rate: self.rate,
        }
    }
}

/// `convertDesiredReplicasWithRules` (path without `behavior`).
pub(super) fn convert_with_rules(current: i64, desired: i64, min: i64, max: i64) -> Limited {
    let scale_up_limit =
        trunc_i64((SCALE_UP_LIMIT_FACTOR * current as f64).max(SCALE_UP_LIMIT_MINIMUM));
    let rate = Some(RateLimit {
        limit: scale_up_limit,
        formula: RateFormula::Legacy {
            factor: SCALE_UP_LIMIT_FACTOR,
            minimum: SCALE_UP_LIMIT_MINIMUM,
            current,
        },
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
pub(super) fn convert_with_behavior_rate(
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
pub(super) fn store_scale_event_in(
    events: &mut Vec<ScaleEvent>,
    rules: &ScalingRules,
    now: f64,
    change: i64,
) {
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

#[cfg(test)]
mod tests {
    use super::super::ScalingPolicy;
    use super::*;

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
}

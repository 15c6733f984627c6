//! The replica calculator: what replica count one CPU-utilization metric asks for, before
//! stabilization, rate limits and min/max.
//!
//! It ports upstream `pkg/controller/podautoscaler/replica_calculator.go`:
//! `GetResourceReplicas` (here `calc_resource`, which also reports the path it took), `groupPods`
//! and `removeMetricsForPods` (the pod grouping), `calculateRequests` (the missing-request
//! error), `Tolerances.isWithin`, and `metrics/utilization.go`'s
//! `GetResourceUtilizationRatio` (integer-percent utilization). The "pessimistic" recompute
//! follows upstream exactly: on scale-down, ready pods without a sample count at
//! `max(100, target)`% of their request; on scale-up at 0%, and unready pods at 0% too; the
//! recompute may not reverse the direction or move the count against the ratio.
//!
//! The tests next to it are upstream's `TestReplicaCalc*` (replica_calculator_test.go).

use serde::Serialize;

use super::explain::Step;
use super::{PodMetric, PodState, Recommendation, Tolerance, INT32_MAX};
use crate::error::Error;

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
    calc_resource(current_replicas, pods, target_utilization_pct, tolerance)
        .map(|o| o.rec)
        .map_err(Error::from)
}

/// The calculator's own precondition on a tolerance (upstream's calculator takes any
/// non-negative one; the spec limits are checked by `Hpa::new`).
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

impl Tolerance {
    /// `Tolerances.isWithin`.
    pub(super) fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// Why the calculator could not give a count (the controller's `FailedGetResourceMetric`).
/// Serialized with its name under `"cause"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum CalcError {
    /// A target utilization of 0%.
    ZeroTarget,
    /// "no pods returned by selector while calculating replica count".
    NoPods,
    /// "did not receive metrics for targeted pods (pods might be unready)": no ready pod has a
    /// sample.
    NoMetrics,
    /// `calculateRequests`: pod `pod` (index in the list) has no CPU request.
    MissingRequest { pod: usize },
    /// "no metrics returned matched known pods": the requests total 0.
    NoMatch,
}

impl From<CalcError> for Error {
    fn from(e: CalcError) -> Error {
        match e {
            CalcError::ZeroTarget => {
                Error::out_of_range("target_utilization_pct", 0, 1, i32::MAX)
            }
            CalcError::NoPods => Error::new(
                "pods",
                "no pods returned by selector while calculating replica count",
            ),
            CalcError::NoMetrics => Error::new(
                "pods",
                "did not receive metrics for targeted pods (pods might be unready)",
            ),
            CalcError::MissingRequest { pod } => Error::new(
                format!("pods[{pod}].request_milli"),
                "missing request for cpu: utilization is usage ÷ request, so the request must be > 0",
            ),
            CalcError::NoMatch => Error::new("pods", "no metrics returned matched known pods"),
        }
    }
}

/// How the calculator reached its answer, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum CalcPath {
    /// No missing pods and no scale-up with unready pods; the ratio is inside the band.
    WithinTolerance,
    /// `ceil(ratio × readyPodCount)`.
    Simple { ready: usize },
    /// The recompute with missing / unready pods assumed at the pessimistic value.
    Recomputed(Recompute),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Recompute {
    pub(super) new_ratio: f64,
    /// `len(metrics)` after the fill-in.
    pub(super) counted: usize,
    pub(super) missing: usize,
    /// Percent of request assumed for missing pods (0 on scale-up, `max(100, target)` on
    /// scale-down); `None` when the ratio is exactly 1 and they were not filled in.
    pub(super) missing_pct: Option<u32>,
    /// Unready pods counted as 0% (only on scale-up).
    pub(super) unready_zeroed: usize,
    pub(super) outcome: RecomputeOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecomputeOutcome {
    Replicas,
    InsideTolerance,
    DirectionFlip,
    CountWouldReverse(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CalcOutcome {
    pub(super) rec: Recommendation,
    pub(super) ratio: f64,
    pub(super) path: CalcPath,
}

impl CalcOutcome {
    /// The explanation's steps for this outcome: the ratio, then how it became a count.
    pub(super) fn steps(&self, target_pct: u32, current: u32, tol: Tolerance) -> Vec<Step> {
        let (low, high) = (1.0 - tol.scale_down, 1.0 + tol.scale_up);
        let mut steps = vec![Step::Calc {
            utilization_pct: self.rec.utilization_pct,
            target_pct,
            ratio: self.ratio,
        }];
        match self.path {
            CalcPath::WithinTolerance => steps.push(Step::WithinTolerance {
                low,
                high,
                keep: current,
            }),
            CalcPath::Simple { ready } => steps.push(Step::Proportional {
                pods: ready,
                ready_only: true,
                replicas: self.rec.replicas,
            }),
            CalcPath::Recomputed(r) => {
                steps.push(Step::Recomputed {
                    missing: r.missing,
                    missing_pct: r.missing_pct,
                    unready_zeroed: r.unready_zeroed,
                    new_ratio: r.new_ratio,
                });
                steps.push(match r.outcome {
                    RecomputeOutcome::Replicas => Step::Proportional {
                        pods: r.counted,
                        ready_only: false,
                        replicas: self.rec.replicas,
                    },
                    RecomputeOutcome::InsideTolerance => Step::WithinTolerance {
                        low,
                        high,
                        keep: current,
                    },
                    RecomputeOutcome::DirectionFlip => Step::DirectionFlip { keep: current },
                    RecomputeOutcome::CountWouldReverse(n) => Step::AgainstRatio {
                        pods: r.counted,
                        replicas: n,
                        keep: current,
                    },
                });
            }
        }
        steps
    }
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

/// `GetResourceReplicas` with the path it took.
pub(super) fn calc_resource(
    current_replicas: u32,
    pods: &[PodMetric],
    target_pct: u32,
    tolerance: Tolerance,
) -> Result<CalcOutcome, CalcError> {
    if target_pct == 0 {
        return Err(CalcError::ZeroTarget);
    }
    if pods.is_empty() {
        return Err(CalcError::NoPods);
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
        return Err(CalcError::NoMetrics);
    }
    // calculateRequests: every listed pod needs a request for the resource.
    if let Some(pod) = pods.iter().position(|p| p.request_milli == 0) {
        return Err(CalcError::MissingRequest { pod });
    }
    let (usage_ratio, utilization) =
        utilization_ratio(&samples, target_pct).ok_or(CalcError::NoMatch)?;
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
    let (new_ratio, _) = utilization_ratio(&samples, target_pct).ok_or(CalcError::NoMatch)?;
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::DEFAULT_TOLERANCE;
    use super::*;

    fn rc(current: u32, pods: &[PodMetric], target: u32) -> Recommendation {
        resource_replicas(current, pods, target, Tolerance::default()).unwrap()
    }
    fn rec(replicas: u32, utilization_pct: u32) -> Recommendation {
        Recommendation {
            replicas,
            utilization_pct,
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
}

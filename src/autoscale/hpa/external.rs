//! The replica calculator for an `External` metric with an `AverageValue` target — the metric
//! KEDA's generated HPA reads. Upstream `pkg/controller/podautoscaler/replica_calculator.go`
//! `GetExternalPerPodMetricReplicas` (the current form, with `Tolerances.isWithin`): the sum of
//! the metric's values over the replicas that exist gives `ratio = usage / (target ×
//! statusReplicas)`; inside the tolerance band the count stays, otherwise it is
//! `ceil(usage / target)` — not `ceil(ratio × current)`. Values are milli-units, as the
//! metrics API's quantities are. `horizontal.go` takes the largest proposal over the metrics.

use serde::Serialize;

use super::explain::Step;
use super::Tolerance;

/// One External metric read at a sync: the sum of its values and the per-replica target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExternalMetric {
    /// The metric's name (e.g. `vllm:num_requests_waiting`).
    pub name: &'static str,
    /// Σ of the values, milli-units (saturating, as upstream caps at MaxInt64).
    pub usage_milli: i64,
    /// `target.averageValue.MilliValue()`, > 0.
    pub target_milli: i64,
}

/// `GetExternalPerPodMetricReplicas`, and how it decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExternalCalc {
    pub metric: &'static str,
    /// The sum and the target in the metric's units.
    pub usage: f64,
    pub target: f64,
    /// The replicas that exist (`statusReplicas`).
    pub replicas: u32,
    /// `usage / (target × replicas)`.
    pub ratio: f64,
    pub within_tolerance: bool,
    /// The proposal: `replicas` inside the band, else `ceil(usage / target)`.
    pub proposal: u32,
}

/// `GetExternalPerPodMetricReplicas` for one metric.
pub fn external_per_pod_replicas(
    status_replicas: u32,
    metric: &ExternalMetric,
    tolerance: Tolerance,
) -> ExternalCalc {
    let usage = metric.usage_milli.max(0) as f64;
    let target = metric.target_milli.max(1) as f64;
    let ratio = usage / (target * f64::from(status_replicas));
    let within = tolerance.is_within(ratio);
    let proposal = if within {
        status_replicas
    } else {
        let c = (usage / target).ceil();
        if c >= f64::from(i32::MAX) {
            i32::MAX as u32
        } else {
            c.max(0.0) as u32
        }
    };
    ExternalCalc {
        metric: metric.name,
        usage: usage / 1000.0,
        target: target / 1000.0,
        replicas: status_replicas,
        ratio,
        within_tolerance: within,
        proposal,
    }
}

impl ExternalCalc {
    pub(super) fn step(self) -> Step {
        Step::External(self)
    }
}

impl std::fmt::Display for ExternalCalc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |x: f64| crate::error::plain((x * 1000.0).round() / 1000.0);
        write!(
            f,
            "; {} = {} vs {} × {} replicas → ratio {:.2}",
            self.metric,
            n(self.usage),
            n(self.target),
            self.replicas,
            self.ratio
        )?;
        if self.within_tolerance {
            write!(f, ", within tolerance → {}", self.proposal)
        } else {
            write!(
                f,
                " → ceil({} / {}) = {}",
                n(self.usage),
                n(self.target),
                self.proposal
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(usage_milli: i64, target_milli: i64) -> ExternalMetric {
        ExternalMetric {
            name: "vllm:num_requests_waiting",
            usage_milli,
            target_milli,
        }
    }

    #[test]
    fn ceil_of_total_over_target_outside_the_band() {
        // 23 waiting, threshold 5: ceil(23 / 5) = 5 replicas, whatever the current count
        // (2 replicas: ratio 2.3; 7 replicas: ratio 0.66), as long as it is outside the band.
        let tol = Tolerance::default();
        assert_eq!(
            external_per_pod_replicas(2, &m(23_000, 5000), tol).proposal,
            5
        );
        assert_eq!(
            external_per_pod_replicas(7, &m(23_000, 5000), tol).proposal,
            5
        );
        // Milli precision: 1 waiting request and a 0.3 threshold → ceil(1000 / 300) = 4.
        assert_eq!(external_per_pod_replicas(1, &m(1000, 300), tol).proposal, 4);
        // Zero usage scales toward zero (the HPA's min then applies).
        assert_eq!(external_per_pod_replicas(4, &m(0, 5000), tol).proposal, 0);
    }

    #[test]
    fn tolerance_band_keeps_the_count() {
        // The notes' boundary: usage 11000 m, target 5000 m, 2 replicas → ratio 1.1 exactly in
        // f64 terms of the division (11000 / 10000). isWithin: 1.1 ≤ 1 + 0.1 → hold.
        let tol = Tolerance::default();
        let c = external_per_pod_replicas(2, &m(11_000, 5000), tol);
        assert_eq!(c.ratio, 1.1);
        assert!(c.within_tolerance);
        assert_eq!(c.proposal, 2);
        // 12 waiting: ratio 1.2 → ceil(12 / 5) = 3.
        let c = external_per_pod_replicas(2, &m(12_000, 5000), tol);
        assert!(!c.within_tolerance);
        assert_eq!(c.proposal, 3);
        // 9 waiting: ratio 0.9 → within (1 − 0.1 ≤ 0.9) → 2.
        assert_eq!(
            external_per_pod_replicas(2, &m(9000, 5000), tol).proposal,
            2
        );
    }
}

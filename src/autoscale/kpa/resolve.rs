//! From a revision's settings to the decider's numbers, as Knative's reconciler resolves them
//! (knative/serving @98e5ef90): `pkg/reconciler/autoscaling/resources/target.go`
//! `ResolveMetricTarget` — the per-pod target `max(0.01, total × target utilization)`, where
//! total is the container concurrency (100 when unlimited) or 200 req/s, and a `target`
//! annotation replaces the total (capped at the container concurrency) — and `metric.go`
//! `MakeMetric` — the panic window, a percentage of the stable window rounded to whole seconds,
//! at least 1 s. The tests are upstream's `TestResolveMetricTarget` and `TestMakeMetric`.

use super::KpaMetric;

/// `autoscaling.TargetMin`.
pub const TARGET_MIN: f64 = 0.01;

/// The cluster-wide settings `ResolveMetricTarget` reads (`config-autoscaler`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetConfig {
    /// `container-concurrency-target-percentage` as a fraction (0.7).
    pub cc_target_fraction: f64,
    /// `container-concurrency-target-default` (100).
    pub cc_target_default: f64,
    /// `requests-per-second-target-default` (200).
    pub rps_target_default: f64,
    /// `TargetUtilization` for RPS (0.7).
    pub target_utilization: f64,
}

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            cc_target_fraction: 0.7,
            cc_target_default: 100.0,
            rps_target_default: 200.0,
            target_utilization: 0.7,
        }
    }
}

/// `ResolveMetricTarget`: (target, total) per pod. `container_concurrency` 0 is unlimited;
/// `target` is the `autoscaling.knative.dev/target` annotation, `utilization` the
/// `target-utilization-percentage` annotation as a fraction.
pub fn metric_target(
    metric: KpaMetric,
    container_concurrency: u32,
    target: Option<f64>,
    utilization: Option<f64>,
    cfg: &TargetConfig,
) -> (f64, f64) {
    let (mut total, mut tu) = match metric {
        KpaMetric::Rps => (cfg.rps_target_default, cfg.target_utilization),
        KpaMetric::Concurrency => {
            let cc = f64::from(container_concurrency);
            (
                if cc == 0.0 { cfg.cc_target_default } else { cc },
                cfg.cc_target_fraction,
            )
        }
    };
    if let Some(t) = target {
        total = t;
        if metric == KpaMetric::Concurrency && container_concurrency != 0 {
            total = t.min(f64::from(container_concurrency));
        }
    }
    if let Some(u) = utilization {
        tu = u;
    }
    (TARGET_MIN.max(total * tu), total)
}

/// `MakeMetric`'s panic window: `Duration(stable × pct / 100).Round(1s)`, at least 1 s.
pub fn panic_window_s(stable_window_s: f64, panic_window_pct: f64) -> f64 {
    // Go converts the float nanoseconds to a Duration (truncating), then rounds half away
    // from zero to whole seconds.
    let ns = (stable_window_s * 1e9 * panic_window_pct / 100.0).trunc();
    let s = (ns / 1e9).round();
    s.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (label, metric, container concurrency, target, utilization, config, target, total).
    type Case = (
        &'static str,
        KpaMetric,
        u32,
        Option<f64>,
        Option<f64>,
        TargetConfig,
        f64,
        f64,
    );

    #[test]
    fn resolve_metric_target() {
        // TestResolveMetricTarget: its config has a container-concurrency fraction of 1.0.
        let base = TargetConfig {
            cc_target_fraction: 1.0,
            ..TargetConfig::default()
        };
        let frac = |x: f64| TargetConfig {
            cc_target_fraction: x,
            ..base
        };
        use KpaMetric::{Concurrency as C, Rps as R};
        let cases: &[Case] = &[
            ("defaults", C, 0, None, None, base, 100.0, 100.0),
            ("fraction 0.8", C, 0, None, None, frac(0.8), 80.0, 100.0),
            (
                "fraction 0.3, default 2",
                C,
                0,
                None,
                None,
                TargetConfig {
                    cc_target_default: 2.0,
                    ..frac(0.3)
                },
                0.6,
                2.0,
            ),
            (
                "CC 12, TU 75 %",
                C,
                12,
                None,
                Some(0.75),
                frac(0.8),
                9.0,
                12.0,
            ),
            (
                "CC 10, fraction 0.8",
                C,
                10,
                None,
                None,
                frac(0.8),
                8.0,
                10.0,
            ),
            ("CC 1, fraction 0.8", C, 1, None, None, frac(0.8), 0.8, 1.0),
            ("CC 1", C, 1, None, None, base, 1.0, 1.0),
            ("CC 10", C, 10, None, None, base, 10.0, 10.0),
            ("target 1", C, 0, Some(1.0), None, base, 1.0, 1.0),
            (
                "target 1, fraction 0.001",
                C,
                0,
                Some(1.0),
                None,
                frac(0.001),
                0.01,
                1.0,
            ),
            (
                "target 1, fraction 0.75",
                C,
                0,
                Some(1.0),
                None,
                frac(0.75),
                0.75,
                1.0,
            ),
            (
                "target 10, fraction 0.75",
                C,
                0,
                Some(10.0),
                None,
                frac(0.75),
                7.5,
                10.0,
            ),
            ("CC 10, target 1", C, 10, Some(1.0), None, base, 1.0, 1.0),
            ("target 500", C, 0, Some(500.0), None, base, 500.0, 500.0),
            ("CC 1, target 10", C, 1, Some(10.0), None, base, 1.0, 1.0),
            ("RPS, CC 1", R, 1, None, None, base, 140.0, 200.0),
            ("RPS, target 1", R, 0, Some(1.0), None, base, 0.7, 1.0),
            ("RPS, TU 75 %", R, 0, None, Some(0.75), base, 150.0, 200.0),
            (
                "RPS, target 300",
                R,
                0,
                Some(300.0),
                None,
                base,
                210.0,
                300.0,
            ),
        ];
        for &(label, metric, cc, target, tu, cfg, want_target, want_total) in cases {
            let (t, total) = metric_target(metric, cc, target, tu, &cfg);
            // Upstream compares with cmp.Equal: exact.
            assert_eq!((t, total), (want_target, want_total), "{label}");
        }
        // The cluster defaults: 70 in flight per pod of 100, or 140 of 200 req/s.
        let d = TargetConfig::default();
        assert_eq!(metric_target(C, 0, None, None, &d), (70.0, 100.0));
        assert_eq!(metric_target(R, 0, None, None, &d), (140.0, 200.0));
    }

    #[test]
    fn make_metric_panic_window() {
        // TestMakeMetric: stable window 60 s by default, panic 10 %.
        assert_eq!(panic_window_s(60.0, 10.0), 6.0);
        assert_eq!(panic_window_s(10.0, 10.0), 1.0); // the minimum
        assert_eq!(panic_window_s(600.0, 10.0), 60.0);
        assert_eq!(panic_window_s(60.0, 50.0), 30.0);
        assert_eq!(panic_window_s(60.0, 51.0), 31.0); // 30.6 rounded
    }
}

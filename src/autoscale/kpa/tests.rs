//! Upstream's `pkg/autoscaler/scaling/autoscaler_test.go` (knative/serving @98e5ef90), every
//! case that needs no Kubernetes object, with upstream's expected values. Upstream's tests pass
//! `time.Now()` several times; they only ever depend on differences of whole seconds, so the
//! times here are those differences. `F(target, tbc)` is upstream's `newTestAutoscaler`:
//! total = target / 0.75, panic threshold 2, rates 10, stable window 60 s, reachable, no delay,
//! created with one ready pod. The expected burst capacities are upstream's `expectedEBC`
//! evaluated (exactly: no ±1 tolerance is needed).

use super::*;

const STABLE_WINDOW_S: f64 = 60.0;
const TARGET_UTILIZATION: f64 = 0.75;

fn f(target: f64, tbc: f64) -> KpaSpec {
    KpaSpec {
        target_value: target,
        total_value: target / TARGET_UTILIZATION,
        target_burst_capacity: tbc,
        panic_threshold: 2.0,
        max_scale_up_rate: 10.0,
        max_scale_down_rate: 10.0,
        stable_window_s: STABLE_WINDOW_S,
        scale_down_delay_s: 0.0,
        activation_scale: 0,
        reachable: true,
    }
}

fn new(spec: KpaSpec) -> Kpa {
    Kpa::new(spec, 0.0, 1).unwrap()
}

/// `expectScale`: (desired, EBC); every one of these results is valid.
#[track_caller]
fn expect(a: &mut Kpa, now: f64, ready: u32, stable: f64, panic: f64, want: (u32, i64)) {
    let d = a.scale(now, ready, stable, panic);
    assert_eq!(
        (d.desired_pods, d.excess_burst_capacity),
        want,
        "t={now} ready={ready} stable={stable} panic={panic}"
    );
}

fn delay_spec(reachable: bool, delay_s: f64) -> KpaSpec {
    KpaSpec {
        target_value: 10.0,
        total_value: 0.0,
        target_burst_capacity: 0.0,
        panic_threshold: 100.0,
        max_scale_up_rate: 10.0,
        max_scale_down_rate: 10.0,
        stable_window_s: 0.0,
        scale_down_delay_s: delay_s,
        activation_scale: 0,
        reachable,
    }
}

#[test]
fn scale_down_delay() {
    // TestAutoscalerScaleDownDelay: 5 min delay, no ready pods, from Go's zero time.
    let mut a = Kpa::new(delay_spec(true, 300.0), 0.0, 0).unwrap();
    // "simple"
    expect(&mut a, 2.0, 0, 40.0, 40.0, (4, 0));
    expect(&mut a, 300.0, 0, 0.0, 0.0, (4, 0)); // less than the delay: no scale-down
    expect(&mut a, 302.0, 0, 0.0, 0.0, (0, 0));
    // "gradual", the same autoscaler
    expect(&mut a, 540.0, 0, 40.0, 40.0, (4, 0));
    expect(&mut a, 600.0, 0, 30.0, 30.0, (4, 0)); // 4 still dominates
    expect(&mut a, 660.0, 0, 0.0, 0.0, (4, 0));
    expect(&mut a, 840.0, 0, 0.0, 0.0, (3, 0)); // 4 scrolls out
    expect(&mut a, 900.0, 0, 0.0, 0.0, (0, 0)); // everything scrolled out
}

#[test]
fn scale_down_delay_not_reachable() {
    // TestAutoscalerScaleDownDelayNotReachable.
    let mut a = Kpa::new(delay_spec(true, 300.0), 0.0, 0).unwrap();
    expect(&mut a, 2.0, 0, 40.0, 40.0, (4, 0));
    expect(&mut a, 60.0, 0, 0.0, 0.0, (4, 0));
    a.update(delay_spec(false, 300.0)).unwrap();
    expect(&mut a, 2.0, 0, 0.0, 0.0, (0, 0)); // the delay window is bypassed
}

#[test]
fn scale_down_delay_zero() {
    // TestAutoscalerScaleDownDelayZero: no window at all, so the later value wins.
    let mut a = Kpa::new(delay_spec(false, 0.0), 0.0, 0).unwrap();
    expect(&mut a, 0.0, 0, 40.0, 40.0, (4, 0));
    expect(&mut a, 0.5, 0, 20.0, 20.0, (2, 0));
}

#[test]
fn start_in_panic_with_more_than_one_ready_pod() {
    // TestAutoscalerStartMetrics (panic gauge 1 when created with 2 ready pods),
    // TestStartInPanicMode and TestNewFail (a pod counter error counts as 0 ready).
    assert!(Kpa::new(f(10.0, 100.0), 0.0, 2).unwrap().panicking());
    let spec = KpaSpec {
        target_value: 100.0,
        total_value: 120.0,
        target_burst_capacity: 11.0,
        panic_threshold: 220.0,
        max_scale_up_rate: 10.0,
        max_scale_down_rate: 10.0,
        stable_window_s: STABLE_WINDOW_S,
        scale_down_delay_s: 0.0,
        activation_scale: 0,
        reachable: false,
    };
    for ready in 0..2 {
        let a = Kpa::new(spec.clone(), 0.0, ready).unwrap();
        assert!(!a.panicking(), "ready {ready}");
        assert_eq!(a.max_panic_pods(), i64::from(ready));
    }
    let a = Kpa::new(spec, 0.0, 2).unwrap();
    assert!(a.panicking());
    assert_eq!(a.max_panic_pods(), 2);
}

#[test]
fn metrics_concurrency_and_rps() {
    // TestAutoscalerMetrics.
    let mut a = new(f(10.0, 100.0));
    let d = a.scale(0.0, 1, 50.0, 50.0);
    assert_eq!(
        (d.desired_pods, d.excess_burst_capacity, d.panic),
        (5, -137, true)
    );
    // TestAutoscalerMetricsWithRPS: stable 100, panic 99 req/s at now + 61 s.
    let mut a = new(f(10.0, 100.0));
    let d = a.scale(61.0, 1, 100.0, 99.0);
    assert_eq!(
        (d.desired_pods, d.excess_burst_capacity, d.panic),
        (10, -186, true)
    );
}

#[test]
fn stable_mode_increase() {
    // TestAutoscalerStableModeIncreaseWithConcurrencyDefault.
    let mut a = new(f(10.0, 101.0));
    expect(&mut a, 0.0, 1, 50.0, 10.0, (5, -98));
    expect(&mut a, 0.0, 1, 100.0, 10.0, (10, -98));
    // TestAutoscalerStableModeIncreaseWithRPS.
    let mut a = new(f(10.0, 101.0));
    expect(&mut a, 0.0, 1, 50.0, 50.0, (5, -138));
    expect(&mut a, 0.0, 1, 100.0, 99.0, (10, -187));
}

#[test]
fn unpanic_after_slow_increase() {
    // TestAutoscalerUnpanicAfterSlowIncrease.
    let mut a = new(f(1.0, 98.0));
    expect(&mut a, 0.0, 10, 11.0, 25.0, (25, -110));
    assert_eq!(a.panic_time, Some(0.0));
    // Half a stable window later, one pod per tick added: 40 ready.
    expect(&mut a, 30.0, 40, 30.0, 41.0, (41, -86));
    assert_eq!(a.panic_time, Some(0.0), "panic time should not have moved");
    // A stable window and a tick after it started: panic ends.
    expect(&mut a, 62.0, 55, 50.0, 56.0, (50, -81));
    assert_eq!(a.panic_time, None);
}

#[test]
fn extend_panic_window() {
    // TestAutoscalerExtendPanicWindow.
    let mut a = new(f(1.0, 98.0));
    expect(&mut a, 0.0, 10, 11.0, 25.0, (25, -110));
    assert_eq!(a.panic_time, Some(0.0));
    expect(&mut a, 30.0, 40, 30.0, 80.0, (80, -125));
    assert_eq!(a.panic_time, Some(30.0));
}

#[test]
fn stable_mode_decrease() {
    // TestAutoscalerStableModeDecrease.
    let mut a = new(f(10.0, 98.0));
    expect(&mut a, 0.0, 8, 100.0, 100.0, (10, -92));
    expect(&mut a, 0.0, 8, 50.0, 50.0, (5, -42));
}

#[test]
fn no_traffic_scale_to_zero_and_activation_scale() {
    // TestAutoscalerStableModeNoTrafficScaleToZero.
    let mut a = new(f(10.0, 75.0));
    expect(&mut a, 0.0, 1, 1.0, 0.0, (1, -62));
    expect(&mut a, 0.0, 1, 0.0, 0.0, (0, -62));
    // TestAutoscalerActivationScale.
    let mut a = new(KpaSpec {
        activation_scale: 2,
        ..f(10.0, 75.0)
    });
    expect(&mut a, 0.0, 1, 0.0, 0.0, (0, -62));
    expect(&mut a, 0.0, 1, 1.0, 0.0, (2, -62));
}

#[test]
fn panic_mode_exponential_track_and_stabilize() {
    // TestAutoscalerPanicModeExponentialTrackAndStabilize.
    let mut a = new(f(1.0, 101.0));
    expect(&mut a, 0.0, 1, 6.0, 6.0, (6, -106));
    expect(&mut a, 0.0, 6, 36.0, 36.0, (36, -129));
    assert_eq!(a.panic_time, Some(0.0));
    expect(&mut a, 1.0, 36, 216.0, 216.0, (216, -269));
    assert_eq!(a.panic_time, Some(1.0));
    expect(&mut a, 1.0, 216, 1296.0, 1296.0, (1296, -1109));
    assert_eq!(a.panic_time, Some(1.0));
    expect(&mut a, 2.0, 1296, 1296.0, 1296.0, (1296, 331));
}

#[test]
fn panic_then_unpanic_scale_down() {
    // TestAutoscalerPanicThenUnPanicScaleDown.
    let mut a = new(f(10.0, 93.0));
    expect(&mut a, 0.0, 1, 100.0, 100.0, (10, -180));
    expect(&mut a, 0.0, 10, 100.0, 1000.0, (100, -960));
    // Traffic dropped, still in panic: the count stays.
    expect(&mut a, 30.0, 10, 1.0, 1.0, (100, 39));
    // After the stable window.
    expect(&mut a, 61.0, 10, 1.0, 1.0, (1, 39));
    assert!(!a.panicking());
}

#[test]
fn rate_limits() {
    // TestAutoscalerRateLimitScaleUp: needs 100 pods but may only go ×10.
    let mut a = new(f(10.0, 61.0));
    expect(&mut a, 0.0, 1, 1000.0, 1001.0, (10, -1049));
    expect(&mut a, 0.0, 10, 1000.0, 1001.0, (100, -929));
    // TestAutoscalerRateLimitScaleDown: may only go ÷10.
    let mut a = new(f(10.0, 61.0));
    expect(&mut a, 0.0, 100, 1.0, 1.0, (10, 1271));
    expect(&mut a, 0.0, 10, 1.0, 1.0, (1, 71));
}

#[test]
fn one_pod_as_minimum_if_endpoints_not_found() {
    // TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound: the rate limit uses 1 pod, the
    // burst capacity 0.
    let mut a = new(f(10.0, 81.0));
    expect(&mut a, 0.0, 0, 1000.0, 888.0, (10, -969));
}

#[test]
fn update_target() {
    // TestAutoscalerUpdateTarget: the new spec leaves Reachable false (Go's zero value).
    let mut a = new(f(10.0, 77.0));
    expect(&mut a, 0.0, 1, 100.0, 101.0, (10, -165));
    a.update(KpaSpec {
        target_value: 1.0,
        total_value: 1.0 / TARGET_UTILIZATION,
        target_burst_capacity: 71.0,
        panic_threshold: 2.0,
        max_scale_down_rate: 10.0,
        max_scale_up_rate: 10.0,
        stable_window_s: STABLE_WINDOW_S,
        scale_down_delay_s: 0.0,
        activation_scale: 0,
        reachable: false,
    })
    .unwrap();
    expect(&mut a, 0.0, 10, 100.0, 101.0, (100, -159));
}

#[test]
fn autoscaler_scale_table() {
    // TestAutoscalerScale: a fresh F(target, tbc) per row, ready set to the base scale.
    struct Row {
        label: &'static str,
        spec: KpaSpec,
        /// prepFunc: panicking since 5 s ago, holding 5 pods.
        panicking: bool,
        stable: f64,
        panic: f64,
        base: u32,
        want: (u32, i64),
    }
    let row = |label, spec, stable, panic, base, want| Row {
        label,
        spec,
        panicking: false,
        stable,
        panic,
        base,
        want,
    };
    let rows = [
        row(
            "AutoscalerNoDataAtZeroNoAutoscale",
            f(10.0, 100.0),
            0.0,
            0.0,
            1,
            (0, -87),
        ),
        row(
            "AutoscalerNoDataAtZeroNoAutoscaleWithExplicitEPs",
            f(10.0, 100.0),
            0.0,
            0.0,
            1,
            (0, -87),
        ),
        row(
            "AutoscalerStableModeUnlimitedTBC",
            f(181.0, -1.0),
            21.0,
            26.0,
            1,
            (1, -1),
        ),
        row("Autoscaler0TBC", f(10.0, 0.0), 50.0, 49.0, 1, (5, 0)),
        row(
            "AutoscalerStableModeNoChange",
            f(10.0, 100.0),
            50.0,
            50.0,
            1,
            (5, -137),
        ),
        Row {
            panicking: true,
            ..row(
                "AutoscalerPanicStableLargerThanPanic",
                f(1.0, 100.0),
                50.0,
                30.0,
                5,
                (50, -124),
            )
        },
        Row {
            panicking: true,
            ..row(
                "AutoscalerPanicStableLessThanPanic",
                f(1.0, 100.0),
                20.0,
                30.0,
                5,
                (30, -124),
            )
        },
        row(
            "AutoscalerStableModeNoChangeAlreadyScaled",
            f(10.0, 100.0),
            50.0,
            50.0,
            5,
            (5, -84),
        ),
        row(
            "AutoscalerStableModeIncreaseWithSmallScaleUpRate",
            KpaSpec {
                max_scale_up_rate: 1.1,
                ..f(1.0, 1982.0)
            },
            3.0,
            3.1,
            2,
            (3, -1983),
        ),
        row(
            "AutoscalerStableModeDecreaseWithSmallScaleDownRate",
            KpaSpec {
                max_scale_down_rate: 1.1,
                ..f(10.0, 1982.0)
            },
            1.0,
            1.0,
            100,
            (90, -650),
        ),
        row(
            "AutoscalerStableModeDecreaseNonReachable",
            KpaSpec {
                max_scale_down_rate: 1.1,
                reachable: false,
                ..f(10.0, 1982.0)
            },
            1.0,
            1.0,
            100,
            (1, -650),
        ),
        row(
            "AutoscalerPanicModeDoublePodCount",
            f(10.0, 84.0),
            50.0,
            100.0,
            1,
            (10, -171),
        ),
    ];
    for r in rows {
        let now = 100.0;
        let mut a = if r.panicking {
            // panicTime = now − 5 s, maxPanicPods = 5 (what `New` does with 5 ready pods).
            Kpa::new(r.spec, now - 5.0, 5).unwrap()
        } else {
            Kpa::new(r.spec, now, 1).unwrap()
        };
        let d = a.scale(now, r.base, r.stable, r.panic);
        assert_eq!(
            (d.desired_pods, d.excess_burst_capacity),
            r.want,
            "{}",
            r.label
        );
    }
}

#[test]
fn new_validates_the_spec() {
    for bad in [
        KpaSpec {
            target_value: 0.0,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            target_value: f64::NAN,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            target_burst_capacity: -0.5,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            max_scale_up_rate: 1.0,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            max_scale_down_rate: 0.5,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            panic_threshold: 0.0,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            stable_window_s: -1.0,
            ..f(1.0, 0.0)
        },
        KpaSpec {
            scale_down_delay_s: 3601.0,
            ..f(1.0, 0.0)
        },
    ] {
        assert!(Kpa::new(bad.clone(), 0.0, 1).is_err(), "{bad:?}");
    }
    assert!(Kpa::new(f(1.0, -1.0), 0.0, 1).is_ok());
}

#[test]
fn never_panics_on_odd_observations() {
    let mut a = new(f(0.01, 211.0));
    for x in [f64::NAN, f64::INFINITY, -5.0, 1e300, f64::MAX] {
        let d = a.scale(x, u32::MAX, x, x);
        assert!(d.desired_pods <= i32::MAX as u32);
    }
}

//! The serving autoscalers end to end: Knative's KPA (panic mode, scale to zero behind the
//! activator, the activator's timeout), KEDA's queue-depth scaling through the HPA, and the
//! race of autoscalers on one request stream.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::autoscale::hpa::Step;
use fleetlab::autoscale::kpa::PanicChange;
use fleetlab::race;
use fleetlab::scenario::{
    Arrivals, AutoscalerConfig, HpaConfig, KpaConfig, QueueConfig, RateChange, Scenario,
};
use fleetlab::sim::{LogEvent, Simulation};

/// (time, from, to, steps) of every autoscaler decision that changed the count.
fn scalings(sim: &Simulation) -> Vec<(f64, u32, u32, Vec<Step>)> {
    sim.log_since(0)
        .into_iter()
        .filter_map(|e| match e.event {
            LogEvent::Scaled {
                from,
                to,
                explanation: Some(x),
                ..
            } => Some((e.t_s, from, to, x.steps)),
            _ => None,
        })
        .collect()
}

fn rate(at_s: f64, rate_rps: f64) -> RateChange {
    RateChange { at_s, rate_rps }
}

/// 4 pods of 10 slots at 1 req/s each, 20 req/s, then ×10 at t = 300.
fn step_scenario(panic_threshold_pct: f64) -> Scenario {
    let mut s = Scenario {
        seed: 1,
        duration_s: 320.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = 20.0;
    s.traffic.changes = vec![rate(300.0, 200.0)];
    s.instances.count = 4;
    s.instances.capacity_rps = 1.0;
    s.instances.concurrency = 10;
    s.instances.startup_s = 10.0;
    s.autoscaler = AutoscalerConfig::Kpa(KpaConfig {
        container_concurrency: 10,
        panic_threshold_pct,
        ..KpaConfig::default()
    });
    s
}

fn pods_step(steps: &[Step]) -> (i64, i64) {
    steps
        .iter()
        .find_map(|s| match s {
            Step::KpaPods(p) => Some((p.desired_stable, p.desired_panic)),
            _ => None,
        })
        .expect("a KPA decision has its pod counts")
}

#[test]
fn panic_mode_scales_within_one_panic_window_of_a_10x_step() {
    // Target 0.7 × 10 = 7 in flight per pod; the panic window is 10 % of 60 s = 6 s.
    let mut sim = Simulation::new(step_scenario(200.0)).unwrap();
    sim.run_to_end();
    let after: Vec<_> = scalings(&sim)
        .into_iter()
        .filter(|(t, ..)| *t > 300.0)
        .collect();
    let (t, from, to, steps) = &after[0];
    assert!(*t <= 300.0 + 6.0, "first scale-up only at {t}");
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::KpaPanic(p) if p.change == PanicChange::Start)),
        "{steps:?}"
    );
    let (stable, panic) = pods_step(steps);
    // The panic window asks for at least twice the ready pods (the threshold, 200 %)…
    assert!(panic >= 2 * i64::from(*from), "{panic} vs {from}");
    assert_eq!(i64::from(*to), panic);
    // …while the stable window, still mostly the old load, asks for fewer: at the first tick
    // after the jump (t ≤ 306) it averages at least 54 s of the old 20 in flight (Little: 20
    // req/s × 1 s) with at most 6 s of the ramp (+170 in flight per s at most), under 20 +
    // 6 × 6 × 170 / 2 / 60 ≈ 71 in flight: 71 / 7 → at most 11 pods, and ceil(20 / 7) = 3 at
    // least. The panic window (6 s, all ramp) asks for more than that.
    assert!(
        (3..=11).contains(&stable) && stable < panic,
        "stable {stable}, panic {panic}"
    );

    // The same step with panic out of reach for now (1000 %): at that decision the KPA follows
    // the stable window only, and scales to that smaller count.
    let mut calm = Simulation::new(step_scenario(1000.0)).unwrap();
    calm.run_to_end();
    let (t2, _, to2, steps2) = scalings(&calm)
        .into_iter()
        .find(|(t2, ..)| *t2 > 300.0)
        .unwrap();
    assert_eq!(t2, *t, "the same arrivals give the same decision time");
    assert_eq!(i64::from(to2), stable);
    assert_eq!(pods_step(&steps2).0, stable);
}

/// One pod, requests every second until t = 20, then none until a single request at t = 300;
/// a large model's 120 s start-up.
fn idle_then_one_request() -> Scenario {
    let mut s = Scenario {
        seed: 5,
        duration_s: 500.0,
        ..Scenario::default()
    };
    s.traffic.arrivals = Arrivals::Uniform;
    s.traffic.rate_rps = 1.0;
    // Uniform arrivals: the next one comes 1/L after a change, so 0.01 req/s from t = 200
    // brings exactly one request at t = 300, and the rate is 0 again from t = 301.
    s.traffic.changes = vec![rate(20.0, 0.0), rate(200.0, 0.01), rate(301.0, 0.0)];
    s.instances.count = 1;
    s.instances.capacity_rps = 10.0;
    s.instances.service = fleetlab::scenario::ServiceTime::Constant;
    s.instances.startup_s = 120.0;
    s.autoscaler = AutoscalerConfig::Kpa(KpaConfig::default());
    s
}

#[test]
fn scale_to_zero_after_grace_and_the_first_request_back_waits_instead_of_failing() {
    let mut sim = Simulation::new(idle_then_one_request()).unwrap();
    sim.run_to_end();
    let summary = sim.summary();
    // Every request was served; none failed or was dropped.
    assert_eq!(summary.requests.failed, 0);
    assert_eq!(summary.requests.dropped, 0);
    assert_eq!(summary.requests.completed, summary.requests.arrived);
    assert_eq!(summary.instances.min, 0);
    let s = scalings(&sim);
    // To zero: the last request arrived just before t = 20; the stable window (60 s) must
    // empty before the PA goes inactive, then the activator (in the path since the start: the
    // burst capacity 100 × 1 − 211 < 0) has been there for the 30 s grace period: the fast
    // path scales to zero on the next decider tick (every 2 s).
    let (t_zero, _, _, steps) = s.iter().find(|(_, _, to, _)| *to == 0).unwrap();
    assert!(
        (20.0 + 60.0..=20.0 + 60.0 + 4.0).contains(t_zero),
        "to zero at {t_zero}"
    );
    assert!(steps.iter().any(|x| matches!(x, Step::KpaToZero(_))));
    // Back from zero at once: the activator pokes the decider with the first request.
    let (t_back, from, to, _) = s.iter().find(|(t, ..)| *t >= 300.0).unwrap();
    assert_eq!((*t_back, *from, *to), (300.0, 0, 1));
    // The first user waited the whole cold start in the activator, then was served.
    assert_eq!(summary.cold_start.waited, 1);
    assert_eq!(summary.cold_start.failed, 0);
    assert_eq!(summary.cold_start.max_wait_s, 120.0);
    // 120 s held + 0.1 s of service.
    assert!(
        (summary.latency_s.max - 120.1).abs() < 1e-6,
        "{}",
        summary.latency_s.max
    );
    let released = sim
        .log_since(0)
        .into_iter()
        .any(|e| matches!(e.event, LogEvent::ActivatorReleased { requests: 1, .. }));
    assert!(released);
}

#[test]
fn the_activator_times_out_after_the_revision_timeout_and_says_so() {
    // A 400 s start-up is longer than the revision's 300 s request timeout: the first request
    // back fails at t = 600, and the log says why.
    let mut s = idle_then_one_request();
    s.instances.startup_s = 400.0;
    s.duration_s = 800.0;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance(599.0);
    assert_eq!(sim.activator_held(), 1);
    assert_eq!(sim.count_in_system(), sim.requests().in_flight);
    sim.run_to_end();
    let summary = sim.summary();
    assert_eq!(summary.requests.failed, 1);
    assert_eq!(summary.cold_start.failed, 1);
    let timed_out: Vec<_> = sim
        .log_since(0)
        .into_iter()
        .filter(|e| matches!(e.event, LogEvent::ActivatorTimedOut { .. }))
        .collect();
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].t_s, 600.0);
}

#[test]
fn conservation_holds_with_the_activator_holding_requests() {
    let mut s = idle_then_one_request();
    s.traffic.arrivals = Arrivals::Poisson;
    s.traffic.changes = vec![rate(20.0, 0.0), rate(200.0, 5.0), rate(260.0, 50.0)];
    if let AutoscalerConfig::Kpa(k) = &mut s.autoscaler {
        k.activator_queue_limit = 100;
        k.container_concurrency = 4;
    }
    s.instances.queue_limit = 40;
    let mut sim = Simulation::new(s).unwrap();
    for _ in 0..100 {
        sim.advance(5.0);
        let r = sim.requests();
        assert_eq!(r.arrived, r.completed + r.dropped + r.failed + r.in_flight);
        assert_eq!(sim.count_in_system(), r.in_flight);
    }
    // The activator held at most 100; the rest were refused while no pod was ready.
    assert!(sim.summary().cold_start.failed > 0);
}

#[test]
fn the_queue_autoscaler_follows_the_keda_hpa_arithmetic() {
    let mut s = Scenario {
        duration_s: 600.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = 20.0;
    s.traffic.changes = vec![rate(100.0, 200.0), rate(400.0, 20.0)];
    s.instances.count = 2;
    s.instances.capacity_rps = 15.0;
    s.instances.startup_s = 20.0;
    s.autoscaler = AutoscalerConfig::Queue(QueueConfig {
        min_replicas: 1,
        ..QueueConfig::default()
    });
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    let decisions: Vec<_> = sim
        .log_since(0)
        .into_iter()
        .filter_map(|e| match e.event {
            LogEvent::Scaled { explanation, .. } => explanation.map(|x| x.steps),
            LogEvent::Kept { explanation, .. } => Some(explanation.steps),
            _ => None,
        })
        .collect();
    assert!(decisions.len() >= 30);
    let mut checked = 0;
    for steps in &decisions {
        for step in steps {
            let Step::External(c) = step else { continue };
            // GetExternalPerPodMetricReplicas, recomputed here from the step's own inputs:
            // ratio = usage / (target × replicas); inside [0.9, 1.1] keep, else
            // ceil(usage / target).
            let ratio = c.usage / (c.target * f64::from(c.replicas));
            assert_eq!(c.ratio, ratio);
            let within = (0.9..=1.1).contains(&ratio);
            assert_eq!(c.within_tolerance, within);
            let want = if within {
                c.replicas
            } else {
                (c.usage / c.target).ceil() as u32
            };
            assert_eq!(c.proposal, want, "{c:?}");
            if c.metric == fleetlab::autoscale::queue::WAITING_METRIC {
                assert_eq!(c.target, 5.0);
                checked += 1;
            }
        }
    }
    assert!(checked >= 30);
    // The spike made requests wait, and the HPA scaled on them.
    assert!(sim.summary().instances.max > 2);
}

fn spike(autoscaler: AutoscalerConfig) -> Scenario {
    let mut s = Scenario {
        seed: 11,
        duration_s: 400.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = 10.0;
    s.traffic.changes = vec![rate(100.0, 100.0), rate(250.0, 10.0)];
    s.instances.count = 2;
    s.instances.capacity_rps = 2.0;
    s.instances.concurrency = 4;
    s.instances.queue_limit = 40;
    s.instances.startup_s = 30.0;
    s.autoscaler = autoscaler;
    s
}

#[test]
fn the_race_variants_see_identical_arrivals() {
    let variants = vec![
        (
            "hpa".to_string(),
            spike(AutoscalerConfig::Hpa(HpaConfig::default())),
        ),
        (
            "kpa".to_string(),
            spike(AutoscalerConfig::Kpa(KpaConfig {
                container_concurrency: 4,
                ..KpaConfig::default()
            })),
        ),
        (
            "queue".to_string(),
            spike(AutoscalerConfig::Queue(QueueConfig::default())),
        ),
        ("none".to_string(), spike(AutoscalerConfig::None)),
    ];
    let r = race::run(&variants, 10.0).unwrap();
    let first = &r.lanes[0];
    for lane in &r.lanes {
        assert_eq!(
            lane.arrival_digest, first.arrival_digest,
            "{}",
            lane.contender.name
        );
        assert_eq!(lane.contender.arrived, first.contender.arrived);
    }
    // The arrivals per second, too, are identical in every lane.
    let per_second = |s: &Scenario| {
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.run_to_end();
        sim.timeline()
            .samples()
            .map(|x| x.arrived_rps)
            .collect::<Vec<_>>()
    };
    let reference = per_second(&variants[0].1);
    for (_, s) in &variants[1..] {
        assert_eq!(per_second(s), reference);
    }
    // The lanes really differ in how they scaled.
    assert_ne!(r.lanes[0].replicas, r.lanes[1].replicas);
    assert_eq!(r.verdict.standings.len(), 4);
    // A variant with other traffic is refused, naming the field.
    let mut other = variants.clone();
    other[2].1.traffic.rate_rps = 11.0;
    let e = race::run(&other, 10.0).unwrap_err();
    assert_eq!(e.field, "variants[2].traffic");
}

#[test]
fn a_fleet_at_zero_is_handled_everywhere() {
    // Start at zero with each scaler that can; read everything the page reads.
    for autoscaler in [
        AutoscalerConfig::Kpa(KpaConfig::default()),
        AutoscalerConfig::Queue(QueueConfig::default()),
    ] {
        let mut s = Scenario {
            duration_s: 60.0,
            autoscaler,
            ..Scenario::default()
        };
        s.instances.count = 0;
        s.traffic.rate_rps = 0.0;
        let mut sim = Simulation::new(s).unwrap();
        let _ = sim.explain();
        let _ = sim.details();
        let mut reader = fleetlab::sim::ViewReader::default();
        let mut rows = Vec::new();
        reader.fill(&sim, &mut rows, 1.0);
        assert!(rows.is_empty());
        sim.run_to_end();
        let x = sim.explain();
        assert_eq!(x.ready, 0);
        assert!(x.rho_ready.is_none());
        assert_eq!(sim.summary().instances.r#final, 0);
        assert_eq!(sim.summary().instance_seconds, 0.0);
        // A hand edit to zero is allowed here, and back.
        sim.edit("instances.count", serde_json::json!(2)).unwrap();
        sim.advance(1.0);
        sim.edit("instances.count", serde_json::json!(0)).unwrap();
        sim.advance(1.0);
    }
    // Without such an autoscaler, zero instances are refused, naming the field.
    let mut s = Scenario::default();
    s.instances.count = 0;
    let e = Simulation::new(s).err().unwrap();
    assert_eq!(e.field, "instances.count");
}

#[test]
fn every_serving_autoscaler_field_has_a_label_in_both_languages() {
    let root = env!("CARGO_MANIFEST_DIR");
    for lang in ["en", "zh-CN"] {
        let text = std::fs::read_to_string(format!("{root}/www/i18n/fields.{lang}.json")).unwrap();
        let catalog: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for f in fleetlab::scenario::schema::fields() {
            let serving = f.kinds.iter().any(|k| *k == "kpa" || *k == "queue");
            if !serving || f.path.contains("behavior") || f.path.contains("tolerance") {
                continue;
            }
            let entry = &catalog[f.path.as_str()];
            for key in ["label", "help"] {
                assert!(
                    entry[key].as_str().is_some_and(|s| !s.is_empty()),
                    "{lang}: {} has no {key}",
                    f.path
                );
            }
            checked += 1;
        }
        assert!(checked >= 25, "{lang}: {checked}");
    }
}

#[test]
fn the_activator_keeps_each_pod_within_its_container_concurrency() {
    // Pods with 2 slots and no queue of their own: anything sent beyond 2 would be dropped at
    // the pod. Through the activator (in the path: 2 per pod can never cover 211 of burst
    // capacity), requests wait in the activator instead, from a fleet at zero whose first pod
    // starts at once.
    let mut s = Scenario {
        seed: 4,
        duration_s: 120.0,
        autoscaler: AutoscalerConfig::Kpa(KpaConfig {
            container_concurrency: 2,
            max_scale: 3,
            ..KpaConfig::default()
        }),
        ..Scenario::default()
    };
    s.instances.count = 0;
    s.instances.startup_s = 0.0;
    s.instances.concurrency = 2;
    s.instances.queue_limit = 0;
    s.instances.capacity_rps = 5.0;
    s.traffic.rate_rps = 40.0;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    let summary = sim.summary();
    assert_eq!(summary.requests.dropped, 0);
    assert_eq!(summary.requests.failed, 0);
    // Three pods of 10 req/s against 40 req/s: the activator holds the rest.
    assert!(sim.activator_held() > 1000, "{}", sim.activator_held());
    assert_eq!(summary.instances.max, 3);
}

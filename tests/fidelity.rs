//! The mechanisms of issue 11 inside the simulation, each against a number from its upstream
//! (or from arithmetic a reader can redo): timeouts and abandoned work, Envoy's outlier
//! detection (percent rule, back-off cap and decay, interval timer), active health checks
//! holding a new host out, nginx passive health in the crash lesson, the preStop race, the
//! HPA with a CPU request below the full CPU, Eureka's eviction timeline, and the event queue
//! staying O(N).
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::balance;
use fleetlab::registry;
use fleetlab::scenario::{
    Arrivals, AutoscalerConfig, Fault, FaultKind, HealthCheckConfig, HpaConfig, OutlierConfig,
    RetryOn, Scenario, ServiceTime,
};
use fleetlab::sim::{LogEvent, Simulation};

fn base(rate_rps: f64, count: u32) -> Scenario {
    let mut s = Scenario::default();
    s.traffic.rate_rps = rate_rps;
    s.instances.count = count;
    s
}

fn fault(at_s: f64, kind: FaultKind, instance: u32, factor: f64) -> Fault {
    Fault {
        at_s,
        kind,
        instance,
        factor,
    }
}

/// Every log entry of the run, as (t_s, instance, event).
fn run_logged(s: Scenario) -> (Simulation, Vec<(f64, Option<u32>, LogEvent)>) {
    let end = s.duration_s;
    let mut sim = Simulation::new(s).unwrap();
    let mut log = Vec::new();
    let mut seen = 0;
    while sim.now_s() < end {
        sim.advance(1.0);
        for e in sim.log_since(seen) {
            seen = e.seq + 1;
            log.push((e.t_s, e.instance, e.event));
        }
    }
    (sim, log)
}

fn ejections(log: &[(f64, Option<u32>, LogEvent)]) -> Vec<(f64, f64)> {
    log.iter()
        .filter_map(|(t, _, e)| match e {
            LogEvent::Ejected { duration_s, .. } => Some((*t, *duration_s)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_timeout_fails_at_its_deadline_and_the_abandoned_work_still_runs() {
    // One instance serving exactly 0.1 s per request, 20 req/s arriving exactly every 0.05 s:
    // request i (i ≥ 1) arrives at 0.05 i and, the server never idle, completes at
    // 0.05 + 0.1 i — its response time is 0.05 (i + 1), *if* the requests whose clients gave up
    // are still served. With a 1.025 s timeout, requests 1..=19 complete in time; from 20 on
    // every one times out, at arrival + 1.025. By t = 10: 200 arrivals, 19 completed,
    // requests 20..=179 timed out (a_i ≤ 8.975), 21 still waited for. (Were abandoned work
    // skipped, the server would catch up and complete many more.)
    let mut s = base(20.0, 1);
    s.duration_s = 10.0;
    s.traffic.arrivals = Arrivals::Uniform;
    s.instances.capacity_rps = 10.0;
    s.instances.service = ServiceTime::Constant;
    s.instances.queue_limit = 1_000_000;
    s.balancer.timeout_s = 1.025;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    let r = sim.requests();
    assert_eq!(
        (r.arrived, r.completed, r.timed_out, r.failed, r.in_flight),
        (200, 19, 160, 160, 21)
    );
    assert_eq!(sim.count_in_system(), 21);
    // Mean response time of the 19: 0.05 × mean(2..=20) = 0.55 s.
    assert!((sim.summary().latency_s.mean - 0.55).abs() < 1e-6);
}

#[test]
fn a_timed_out_attempt_is_retried_on_another_instance_when_retry_on_says_so() {
    // Two instances, one nearly stopped (1 % speed): round robin sends it every other request;
    // each times out after 0.5 s and, with nginx's `error timeout`, is served by the other.
    let run = |retry_on| {
        let mut s = base(10.0, 2);
        s.duration_s = 60.0;
        s.traffic.arrivals = Arrivals::Uniform;
        s.balancer.timeout_s = 0.5;
        s.balancer.retries = 1;
        s.balancer.retry_on = retry_on;
        s.faults = vec![fault(0.0, FaultKind::Slow, 0, 0.01)];
        let mut sim = Simulation::new(s).unwrap();
        sim.run_to_end();
        (sim.requests(), sim.details().retries)
    };
    // Round robin hands instance 0 about half of the 600 requests (a retry's own pick moves
    // the rotation too), and at 1 req/s it answers few of them within 0.5 s.
    let (r, retries) = run(RetryOn::ErrorTimeout);
    assert_eq!(r.failed, 0, "{r:?}");
    assert!(retries > 250, "{retries}");
    let (r, retries) = run(RetryOn::ConnectFailure);
    assert_eq!(retries, 0);
    assert_eq!(r.failed, r.timed_out);
    assert!(r.timed_out > 250, "{r:?}");
}

/// Five instances at 400 req/s; instance 2 slowed to 10 % at t = 10 (it gets 80 req/s and
/// serves 10): its queue of 100 fills within 1.5 s and it answers 503s.
fn slowed(configure: impl Fn(&mut OutlierConfig)) -> Vec<(f64, f64)> {
    let mut s = base(400.0, 5);
    s.duration_s = 200.0;
    s.instances.queue_limit = 100;
    s.faults = vec![fault(10.0, FaultKind::Slow, 2, 0.1)];
    let mut od = OutlierConfig::default();
    configure(&mut od);
    s.balancer.outlier_detection = Some(od);
    ejections(&run_logged(s).1)
}

#[test]
fn outlier_detection_counts_503s_and_obeys_the_ejection_percent() {
    // Envoy's defaults: max_ejection_percent 10 % of 5 hosts: 100 × 1 / 5 = 20 % > 10 %.
    assert!(
        slowed(|_| {}).is_empty(),
        "fewer than 10 hosts: no ejection"
    );
    // always_eject_one_host lets the first one go. The ejection lasts 30 s but ends only on
    // the interval timer (ticks every 10 s from t = 0): ejected at ≈ 11.6 s, back at 50 s.
    let e = slowed(|o| o.always_eject_one_host = true);
    assert!(!e.is_empty());
    let (t0, d0) = e[0];
    assert!((11.0..13.0).contains(&t0), "{t0}");
    assert_eq!(d0, 30.0);
    // The next ejection doubles (the host went straight back to 503s).
    assert_eq!(e[1].1, 60.0);
    assert!(e[1].0 > 50.0 && e[1].0 < 70.0, "{:?}", e[1]);
}

#[test]
fn a_dead_host_is_ejected_for_at_most_max_ejection_time() {
    // The fidelity review's E4: a crashed host that stays in discovery. Envoy's k-th ejection
    // in a row lasts min(30 k, 300) s: 30, 60, …, 300, then 300 again (fleetlab once showed
    // 330, 360, …).
    let mut s = base(400.0, 5);
    s.duration_s = 2400.0;
    s.registry.ttl_s = 36_000.0;
    s.faults = vec![fault(10.0, FaultKind::Crash, 2, 0.25)];
    s.balancer.outlier_detection = Some(OutlierConfig {
        always_eject_one_host: true,
        ..OutlierConfig::default()
    });
    let durations: Vec<f64> = ejections(&run_logged(s).1).iter().map(|e| e.1).collect();
    let expected: Vec<f64> = (1..=10)
        .map(|k| 30.0 * f64::from(k))
        .chain([300.0, 300.0])
        .collect();
    assert!(durations.len() >= expected.len(), "{durations:?}");
    assert_eq!(durations[..expected.len()], expected[..]);
}

#[test]
fn the_ejection_multiplier_decays_while_the_host_behaves() {
    // The review's E5: crash at 100 — the requests inside are reset, five failures at once,
    // ejected for 30 s — and recover at 105. Un-ejected on the tick at 130; the multiplier
    // first decays on the tick at 140 (one interval after). Crash again at 135 and the
    // ejection lasts 60 s; crash again 25 minutes later and it is back to 30 s.
    let run = |second_crash: f64| {
        let mut s = base(400.0, 5);
        s.duration_s = second_crash + 20.0;
        s.registry.ttl_s = 36_000.0;
        s.faults = vec![
            fault(100.0, FaultKind::Crash, 2, 0.25),
            fault(105.0, FaultKind::Recover, 2, 0.25),
            fault(second_crash, FaultKind::Crash, 2, 0.25),
        ];
        s.balancer.outlier_detection = Some(OutlierConfig {
            always_eject_one_host: true,
            ..OutlierConfig::default()
        });
        ejections(&run_logged(s).1)
            .iter()
            .map(|e| e.1)
            .collect::<Vec<f64>>()
    };
    assert_eq!(run(135.0), [30.0, 60.0]);
    assert_eq!(run(1600.0), [30.0, 30.0]);
}

#[test]
fn health_checks_hold_a_new_host_out_until_a_probe_passes() {
    // Instance 5 starts at t = 2 and crashes at 3; the balancers' cache refreshes every 10 s,
    // so it appears in their set at 10, dead. Without health checks its connections are
    // refused until it recovers at 12.5 s; with them, its session starts FAILED_ACTIVE_HC and
    // the first probe fails, so it is out of the view. Having failed its first probe it needs
    // healthy_threshold (2) passes in a row: the probes just after 13 s and 14 s (one a second
    // from the session's start just after 10 s), so it takes traffic only from ≈ 14 s.
    let run = |hc: bool| {
        let mut s = base(400.0, 5);
        s.duration_s = 20.0;
        s.registry.refresh_s = 10.0;
        s.edits = vec![fleetlab::scenario::Edit {
            at_s: 2.0,
            path: "instances.count".into(),
            value: 6.into(),
        }];
        s.faults = vec![
            fault(3.0, FaultKind::Crash, 5, 0.25),
            fault(12.5, FaultKind::Recover, 5, 0.25),
        ];
        if hc {
            s.balancer.health_check = Some(HealthCheckConfig {
                interval_s: 1.0,
                unhealthy_threshold: 2,
                healthy_threshold: 2,
            });
        }
        let mut sim = Simulation::new(s).unwrap();
        sim.advance(13.9);
        let completed_early = sim.summary().per_instance[5].completed;
        let failed = sim.requests().failed;
        sim.advance(6.1);
        let completed_late = sim.summary().per_instance[5].completed;
        (failed, completed_early, completed_late)
    };
    let (failed, _, _) = run(false);
    // Refused for 2.5 s, 1/6 of 400 req/s: ≈ 167.
    assert!((120..=220).contains(&failed), "{failed}");
    let (failed, early, late) = run(true);
    assert_eq!(failed, 0);
    assert_eq!(early, 0, "held out until its probes pass");
    assert!(late > 100, "in the view after: {late}");
}

#[test]
fn with_nginx_defaults_a_crash_costs_the_clients_nothing() {
    // The crash lesson (instance 2 of 5 dies at 100 s, lease 15 s) behind nginx's defaults:
    // the requests in it are reset — `error` sends each to the next server — and the first
    // failure (`max_fails=1`) makes it unavailable for 10 s, longer than the lease it has left
    // (evicted at 110 s), so nothing is ever sent to it again: one retry per reset request and
    // no failure. Envoy's defaults (no retry policy, no outlier detection) fail every request
    // round robin sends it until eviction, ≈ 80 req/s × 10 s.
    let run = |preset: &str| {
        let mut s = base(400.0, 5);
        s.duration_s = 150.0;
        s.balancer = balance::presets()
            .into_iter()
            .find(|(n, _)| *n == preset)
            .unwrap()
            .1;
        s.faults = vec![fault(100.0, FaultKind::Crash, 2, 0.25)];
        let (sim, log) = run_logged(s);
        let lost = log
            .iter()
            .find_map(|(_, _, e)| match e {
                LogEvent::Crashed { lost } => Some(*lost),
                _ => None,
            })
            .unwrap();
        (sim.requests().failed, sim.details().retries, lost)
    };
    let (failed, retries, lost) = run("nginx");
    assert_eq!(failed, 0);
    assert_eq!(retries, lost);
    let (failed, retries, _) = run("envoy");
    assert_eq!(retries, 0);
    assert!((700..=1_000).contains(&failed), "{failed}");
}

#[test]
fn a_prestop_hook_covers_the_endpoint_removal_race() {
    // Scale 5 → 4 at t = 11 while the balancers' cache refreshes every 5 s (next at 15):
    // without preStop the removed instance refuses what round robin still sends it, 1/5 of
    // 400 req/s for 4 s ≈ 320 (± 5 sd of the arrival count: 280..360); with a 5 s preStop it
    // serves them all.
    let run = |prestop_s: f64| {
        let mut s = base(400.0, 5);
        s.duration_s = 30.0;
        s.registry.refresh_s = 5.0;
        s.instances.prestop_s = prestop_s;
        let mut sim = Simulation::new(s).unwrap();
        sim.advance(11.0);
        sim.set_instances(4.0).unwrap();
        sim.run_to_end();
        sim.requests().failed
    };
    let raced = run(0.0);
    assert!((280..=360).contains(&raced), "{raced}");
    assert_eq!(run(5.0), 0);
}

#[test]
fn hpa_with_cpu_request_at_half_reaches_four_replicas_in_one_step() {
    // One pod of C = 100 under L = 1000, target 50 %: busy 100 % of a request of half the CPU
    // is 200 % utilization (usage / request, GetResourceUtilizationRatio), ratio 200/50 = 4,
    // ceil(4 × 1) = 4 — within the scale-up limit max(2 × 1, 4). With the request at the
    // whole CPU, utilization saturates at 100 %: ratio 2, 2 replicas (at most 1/target).
    let run = |fraction: f64| {
        let mut s = base(1000.0, 1);
        s.duration_s = 16.0;
        s.instances.cpu_request_fraction = fraction;
        s.autoscaler = AutoscalerConfig::Hpa(HpaConfig {
            target_utilization_pct: 50,
            min_replicas: 1,
            max_replicas: 100,
            ..HpaConfig::default()
        });
        let mut sim = Simulation::new(s).unwrap();
        sim.run_to_end();
        let events = sim.summary().scale_events;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].t_s, 15.0);
        events[0].to
    };
    assert_eq!(run(0.5), 4);
    assert_eq!(run(1.0), 2);
}

#[test]
fn eureka_evicts_at_the_first_sweep_after_twice_the_lease() {
    // Eureka's defaults (30 s renewals, 90 s lease, 60 s sweeps, self-preservation 0.85).
    // Instance 3 crashes at 100 s; its last renewal was at 90 s, so its lease expires after
    // 90 + 2 × 90 = 270 s and the sweep at 300 s evicts it — with 20 instances: the previous
    // minute counted 19 × 2 = 38 renewals > (int)(20 × 2 × 0.85) = 34. With 5 instances,
    // 4 × 2 = 8 is not above (int)(5 × 2 × 0.85) = 8: self-preservation keeps it forever.
    let run = |n: u32| {
        let mut s = base(10.0 * f64::from(n), n);
        s.duration_s = 700.0;
        s.registry = registry::presets()
            .into_iter()
            .find(|(name, _)| *name == "eureka")
            .unwrap()
            .1;
        s.faults = vec![fault(100.0, FaultKind::Crash, 3, 0.25)];
        let (_, log) = run_logged(s);
        let evicted: Vec<f64> = log
            .iter()
            .filter(|(_, i, e)| *i == Some(3) && matches!(e, LogEvent::Evicted { .. }))
            .map(|(t, _, _)| *t)
            .collect();
        let preserved = log
            .iter()
            .any(|(_, i, e)| *i == Some(3) && *e == LogEvent::Preserved);
        (evicted, preserved)
    };
    assert_eq!(run(20), (vec![300.0], false));
    let (evicted, preserved) = run(5);
    assert!(evicted.is_empty() && preserved);
}

#[test]
fn pending_events_stay_proportional_to_the_fleet() {
    // A heartbeat storm: 1,000 instances renewing every 10 ms against a 15 s TTL. One expiry
    // event per heartbeat would leave 1,500 pending per instance once the run passes 15 s;
    // one re-armed timer per lease keeps it to a few per instance.
    let mut s = base(0.0, 1000);
    s.duration_s = 20.0;
    s.registry.heartbeat_s = 0.01;
    let mut sim = Simulation::new(s).unwrap();
    for _ in 0..20 {
        sim.advance(1.0);
        assert!(
            sim.pending_events() <= 3 * 1000 + 10,
            "{}",
            sim.pending_events()
        );
    }
    // 20× overload with a 60 s timeout: 100,000 requests waiting, yet one timeout timer per
    // instance, not one per request.
    let mut s = base(20_000.0, 10);
    s.duration_s = 6.0;
    s.instances.queue_limit = 1_000_000;
    s.balancer.timeout_s = 60.0;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    assert!(sim.requests().in_flight > 100_000);
    assert!(
        sim.pending_events() <= 5 * 10 + 10,
        "{}",
        sim.pending_events()
    );
}

#[test]
fn envoy_retries_wait_a_jittered_back_off() {
    // Instance 0 is dead but stays listed; every attempt sent to it is refused and retried
    // on instance 1 after Envoy's first back-off, random() % 25 ms: whole milliseconds 0..=24,
    // mean 12 ms. Service is ~1 µs, so a retried request's latency is its back-off. Over
    // n ≈ 300 retried requests the mean has sd 7.2 / √300 ≈ 0.42 ms: ±2 ms is ≈ 5 sd.
    let run = |backoff_s: f64| {
        let mut s = base(10.0, 2);
        s.duration_s = 60.0;
        s.traffic.arrivals = Arrivals::Uniform;
        s.instances.capacity_rps = 1e6;
        s.instances.service = ServiceTime::Constant;
        s.registry.ttl_s = 36_000.0;
        s.balancer.retries = 1;
        s.balancer.retry_backoff_s = backoff_s;
        s.faults = vec![fault(0.0, FaultKind::Crash, 0, 0.25)];
        let mut sim = Simulation::new(s).unwrap();
        sim.run_to_end();
        let summary = sim.summary();
        let retried = sim.details().retries as f64;
        let share = retried / summary.requests.completed as f64;
        (summary.latency_s, share, sim.requests().failed)
    };
    let (latency, share, failed) = run(0.025);
    assert_eq!(failed, 0);
    assert!(share > 0.4, "{share}");
    assert!(latency.max < 0.0241, "{}", latency.max);
    let per_retry = latency.mean / share;
    assert!((per_retry - 0.012).abs() < 0.002, "{per_retry}");
    let (latency, _, _) = run(0.0);
    assert!(latency.max < 1e-5, "nginx retries at once: {}", latency.max);
}

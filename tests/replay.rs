//! Rewinding gives back exactly what was: a run restored from its copies and simulated
//! forward again equals the same run simulated straight through, and a change made after a
//! rewind starts a new future that a fresh run of the description reproduces.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::{FaultKind, Scenario};
use fleetlab::sim::{Breakpoints, Replay, Simulation, Stop};

fn scenario() -> Scenario {
    let mut s = Scenario::default();
    s.traffic.rate_rps = 450.0;
    s.faults = vec![fleetlab::scenario::Fault {
        at_s: 100.0,
        kind: FaultKind::Crash,
        instance: 2,
        factor: 0.25,
    }];
    s
}

fn summary(sim: &Simulation) -> String {
    serde_json::to_string(&sim.summary()).unwrap()
}

fn straight(s: Scenario, t: f64) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.advance(t);
    sim
}

#[test]
fn a_rewind_replays_the_same_run() {
    let mut replay = Replay::new(Simulation::new(scenario()).unwrap());
    // Long enough for several copies (one per million events, or sooner when the events since
    // the last copy pay for it).
    replay.advance_until(4_000_000_000_000, u64::MAX, Breakpoints::NONE);
    assert!(
        replay.checkpoints() > 5,
        "copies on the way: {}",
        replay.checkpoints()
    );
    for t in [0.5, 99.9, 100.0, 1250.25, 3999.0] {
        assert!(replay.seek((t * 1e9) as u64, u64::MAX));
        let expected = straight(scenario(), t);
        assert_eq!(summary(replay.sim()), summary(&expected), "at {t} s");
        assert_eq!(
            replay.sim().log_since(0),
            expected.log_since(0),
            "log at {t} s"
        );
        assert_eq!(
            replay.sim().timeline().to_csv(),
            expected.timeline().to_csv(),
            "charts at {t} s"
        );
    }
    // Back and forth again, in pieces (the page spreads a long seek over frames).
    assert!(!replay.seek(3_100_000_000_000, 1000));
    while !replay.seek(3_100_000_000_000, 50_000) {}
    assert_eq!(
        summary(replay.sim()),
        summary(&straight(scenario(), 3100.0))
    );
    assert_eq!(replay.horizon_ns(), 4_000_000_000_000);
}

#[test]
fn a_change_after_a_rewind_starts_a_new_future() {
    let mut replay = Replay::new(Simulation::new(scenario()).unwrap());
    replay.advance_until(200_000_000_000, u64::MAX, Breakpoints::NONE);
    replay.fault(4.0, FaultKind::Slow, 0.5).unwrap(); // at 200 s, in the old future
    replay.advance_until(300_000_000_000, u64::MAX, Breakpoints::NONE);
    assert!(replay.seek(50_000_000_000, u64::MAX));
    replay
        .edit("traffic.rate_rps", serde_json::json!(300))
        .unwrap();
    assert_eq!(replay.horizon_ns(), replay.sim().now_ns());
    replay.advance_until(250_000_000_000, u64::MAX, Breakpoints::NONE);
    // The run now has L = 300 from 50 s, and still the slow fault at 200 s.
    let description = replay.sim().current_scenario();
    assert_eq!(description.faults.len(), 2);
    assert_eq!(description.edits.len(), 1);
    let fresh = straight(Scenario::from_json(&description.to_json()).unwrap(), 250.0);
    assert_eq!(fresh.now_ns(), replay.sim().now_ns());
    assert_eq!(summary(replay.sim()), summary(&fresh));
    // And rewinding within the new future still replays it.
    assert!(replay.seek(120_000_000_000, u64::MAX));
    let fresh = straight(Scenario::from_json(&description.to_json()).unwrap(), 120.0);
    assert_eq!(summary(replay.sim()), summary(&fresh));
}

#[test]
fn breakpoints_stop_the_clock_at_the_event() {
    // Crash at 100 s; last renewal at 95 s; TTL 15 s: the lease expires at 110 s.
    let mut sim = Simulation::new(scenario()).unwrap();
    let bp = Breakpoints::from_names(&["evicted"]).unwrap();
    let stop = sim.advance_until(600_000_000_000, u64::MAX, bp);
    assert!(matches!(stop, Stop::Breakpoint { .. }), "{stop:?}");
    assert_eq!(sim.now_ns(), 110_000_000_000);
    let Stop::Breakpoint { seq } = stop else {
        unreachable!()
    };
    let entry = &sim.log_since(seq)[0];
    assert_eq!((entry.instance, entry.event.name()), (Some(2), "evicted"));
    // Going on from there runs to the next one (none: the run ends).
    assert_eq!(
        sim.advance_until(600_000_000_000, u64::MAX, bp),
        Stop::Reached
    );
}

#[test]
fn switching_the_autoscaler_kind_replays() {
    let mut sim = Simulation::new(scenario()).unwrap();
    sim.advance(20.0);
    sim.edit("autoscaler.kind", serde_json::json!("hpa"))
        .unwrap();
    sim.advance(40.0);
    let description = sim.current_scenario();
    assert_eq!(description.edits[0].path, "autoscaler");
    let replay = straight(
        Scenario::from_json(&description.to_json()).unwrap(),
        sim.now_s(),
    );
    assert_eq!(summary(&replay), summary(&sim));
}

#[test]
fn a_rewind_gives_back_the_picks_and_replica_histories_of_that_moment() {
    // "Why this replica?" after a rewind reads the kept picks of the rewound time, and the
    // replica chart its samples: exactly those of a run simulated straight to that time.
    let s = Scenario::from_json(
        r#"{"seed": 3, "duration_s": 120, "traffic": {"rate_rps": 20, "prefix": {"share": 0.8}},
            "instances": {"count": 3, "model": "llm"}, "balancer": {"algorithm": "endpoint_picker"}}"#,
    )
    .unwrap();
    let mut replay = Replay::new(Simulation::new(s.clone()).unwrap());
    replay.advance_until(120_000_000_000, u64::MAX, Breakpoints::NONE);
    for t in [7.25, 61.5, 33.0] {
        assert!(replay.seek((t * 1e9) as u64, u64::MAX));
        let expected = straight(s.clone(), t);
        assert_eq!(
            replay.sim().pick_history(),
            expected.pick_history(),
            "picks at {t} s"
        );
        assert_eq!(replay.sim().pick_history().len(), 16);
        for id in 0..3 {
            assert_eq!(
                replay.sim().replica_history(id),
                expected.replica_history(id),
                "replica {id} at {t} s"
            );
        }
    }
}

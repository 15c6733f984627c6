//! Load balancers inside the simulation: latency ordering on the reference fleet, keys moved
//! when the fleet changes, and round robin failing on uneven servers.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::{Algorithm, InstanceOverride, RingKind, Scenario};
use fleetlab::sim::Simulation;

fn reference(algorithm: Algorithm) -> fleetlab::sim::Summary {
    // N = 5, L = 450, C = 100: ρ = 0.9. 5,000 s ≈ 2.25 M requests per algorithm.
    let mut s = Scenario {
        seed: 3,
        duration_s: 5_000.0,
        warmup_s: 100.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = 450.0;
    s.traffic.keys = 100_000;
    s.instances.queue_limit = 1_000_000;
    s.balancer.algorithm = algorithm;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    sim.summary()
}

#[test]
fn latency_ordering_on_the_reference_fleet() {
    let mean = |a| reference(a).latency_s.mean;
    let (shared, lc, p2c, rr, random) = (
        mean(Algorithm::SharedQueue),
        mean(Algorithm::LeastConnections),
        mean(Algorithm::PowerOfTwo),
        mean(Algorithm::RoundRobin),
        mean(Algorithm::Random),
    );
    // Random splitting makes each instance an M/M/1 at ρ = 0.9: W = 1/(100 − 90) = 100 ms.
    // Round robin smooths arrivals (Erlang-5 gaps) and does better; join-the-shortest-queue
    // and two choices are far better still; the central queue (M/M/5) is the lower bound.
    assert!(shared < lc, "shared {shared} < least_connections {lc}");
    assert!(
        lc < 0.6 * rr,
        "least_connections {lc} well below round robin {rr}"
    );
    assert!(
        p2c < 0.75 * rr,
        "power_of_two {p2c} well below round robin {rr}"
    );
    assert!(rr < 0.8 * random, "round robin {rr} below random {random}");
    // Round robin is E5/M/1 per instance: 61.4 ms, 39 % below M/M/1's 100 ms — "well below",
    // not "a little" (the review measured 60.8–61.7 ms over four seeds).
    let e5m1 = fleetlab::theory::ekm1_mean_response_s(5, 90.0, 100.0).unwrap();
    assert!(
        (rr / e5m1 - 1.0).abs() < 0.03,
        "round robin {rr} vs E5/M/1 {e5m1}"
    );
    assert!(
        (random - 0.1).abs() < 0.015,
        "random is M/M/1 at ρ = 0.9: {random}"
    );
}

/// Fraction of keys that move when a sixth instance joins five, measured by the simulation.
fn moved_when_one_joins(algorithm: Algorithm, ring: RingKind) -> f64 {
    let mut s = Scenario::default();
    s.traffic.keys = 10_000;
    s.traffic.rate_rps = 100.0;
    s.balancer.algorithm = algorithm;
    s.balancer.ring = ring;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance(1.0);
    sim.set_instances(6.0).unwrap();
    sim.advance(1.0);
    sim.details()
        .moved_fraction
        .expect("hash balancers report moved keys")
}

#[test]
fn consistent_hashes_move_about_one_key_in_n() {
    // Ideal: 1/6 of keys move to the newcomer. Ketama's ring with 160 points per instance has
    // a load spread of a few percent; Maglev and jump hash are within sampling error.
    for (algorithm, tolerance) in [
        (Algorithm::RingHash, 0.06),
        (Algorithm::Maglev, 0.03),
        (Algorithm::JumpHash, 0.03),
    ] {
        let moved = moved_when_one_joins(algorithm, RingKind::Ketama);
        assert!(
            (moved - 1.0 / 6.0).abs() < tolerance,
            "{algorithm:?} moved {moved}"
        );
    }
    // Envoy's ring is rebuilt at the new size: 5 hosts have ceil(1024/5) = 205 points each,
    // 6 have 171, so every old host also loses its points 171..=204 (170 of 1025) and the keys
    // on them go to the next point, another host's 4 times in 5. Expected:
    // 1/6 (to the newcomer) + 5/6 × 170/1025 × 4/5 ≈ 0.277, not 1/6. The newcomer's share has
    // sd ≈ 0.012 (171 of 1026 points), the sampled keys add ≈ 0.007: ±0.05 is about 4 sd.
    let expected = 1.0 / 6.0 + 5.0 / 6.0 * (170.0 / 1025.0) * 0.8;
    let moved = moved_when_one_joins(Algorithm::RingHash, RingKind::Envoy);
    assert!((moved - expected).abs() < 0.05, "Envoy ring moved {moved}");
    // Mod-N hashing for comparison: a key with hash h stays only if h mod 5 = h mod 6, that is
    // when h mod 30 is 0..=4: 5 in 30, so 5/6 of the keys move.
    let keys: Vec<u64> = (1..=10_000).collect();
    let moved = keys
        .iter()
        .filter(|&&k| fleetlab::balance::mod_n(k, 5) != fleetlab::balance::mod_n(k, 6))
        .count();
    assert!((moved as f64 / 10_000.0 - 5.0 / 6.0).abs() < 0.02);
}

#[test]
fn round_robin_overloads_a_slow_server_and_weights_fix_it() {
    // Five instances, one at half speed: round robin still sends it 1/5 of 400 req/s = 80,
    // above its 50 req/s; its queue grows without bound. Weighted round robin with weights
    // proportional to speed (2,2,2,2,1 of 9) sends it 44.4 req/s (ρ = 0.89).
    let run = |algorithm, weights: bool| {
        let mut s = Scenario {
            duration_s: 600.0,
            ..Scenario::default()
        };
        s.traffic.rate_rps = 400.0;
        s.instances.queue_limit = 100_000;
        s.balancer.algorithm = algorithm;
        s.instances.overrides = (0..5)
            .map(|i| InstanceOverride {
                instance: i,
                weight: if weights && i != 4 { 2 } else { 1 },
                speed: if i == 4 { 0.5 } else { 1.0 },
            })
            .collect();
        let mut sim = Simulation::new(s).unwrap();
        sim.run_to_end();
        sim.summary()
    };
    let rr = run(Algorithm::RoundRobin, false);
    let wrr = run(Algorithm::WeightedRoundRobin, true);
    assert!(
        rr.requests.in_flight > 5_000,
        "backlog at the slow server: {}",
        rr.requests.in_flight
    );
    assert!(wrr.requests.in_flight < 200, "{}", wrr.requests.in_flight);
    assert!(wrr.latency_s.mean < rr.latency_s.mean / 10.0);
}

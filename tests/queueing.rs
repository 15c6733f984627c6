//! The engine checked against queueing theory. Each tolerance is justified by the run length:
//! for an M/M/1 queue at utilization ρ the sojourn times are correlated over a relaxation time
//! of about 1/(μ(1−√ρ)²), so a run of T seconds holds roughly T·μ(1−√ρ)²/2 independent
//! observations; the tolerances below are at least 4 standard errors of that estimate, and
//! they are tight enough that a wrong service rate, a LIFO queue or a lost request fails them.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::{Algorithm, Scenario, ServiceTime};
use fleetlab::sim::Simulation;
use fleetlab::theory;

fn scenario(seed: u64, duration_s: f64, rate_rps: f64, count: u32, capacity_rps: f64) -> Scenario {
    let mut s = Scenario {
        seed,
        duration_s,
        warmup_s: 100.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = rate_rps;
    s.instances.count = count;
    s.instances.capacity_rps = capacity_rps;
    s.instances.queue_limit = 1_000_000;
    s
}

fn run(s: Scenario) -> (Simulation, fleetlab::sim::Summary) {
    let mut sim = Simulation::new(s).expect("valid scenario");
    sim.run_to_end();
    let summary = sim.summary();
    (sim, summary)
}

fn assert_close(what: &str, measured: f64, expected: f64, relative: f64) {
    let error = (measured - expected).abs() / expected;
    assert!(
        error <= relative,
        "{what}: measured {measured}, theory {expected}, off by {:.2}% > {:.2}%",
        error * 100.0,
        relative * 100.0
    );
}

#[test]
fn mm1_mean_and_percentiles_of_time_in_system() {
    // λ = 70, μ = 100: W = 1/30 s. 30,000 s ≈ 2.1 M requests; relaxation time 0.37 s gives
    // ≈ 40,000 independent observations, a relative standard error of ≈ 0.5 % on the mean.
    let (lambda, mu) = (70.0, 100.0);
    let (_, s) = run(scenario(11, 30_000.0, lambda, 1, mu));
    assert_close(
        "M/M/1 mean",
        s.latency_s.mean,
        theory::mm1_mean_response_s(lambda, mu).unwrap(),
        0.03,
    );
    for (q, measured) in [
        (0.5, s.latency_s.p50),
        (0.95, s.latency_s.p95),
        (0.99, s.latency_s.p99),
    ] {
        let expected = theory::mm1_response_quantile_s(lambda, mu, q).unwrap();
        assert_close(&format!("M/M/1 p{}", q * 100.0), measured, expected, 0.04);
    }
    assert_eq!(s.requests.dropped + s.requests.failed, 0);
}

#[test]
fn md1_follows_pollaczek_khinchine() {
    // Constant service halves the queueing delay of M/M/1 at the same ρ.
    let (lambda, mu) = (70.0, 100.0);
    let mut sc = scenario(12, 30_000.0, lambda, 1, mu);
    sc.instances.service = ServiceTime::Constant;
    let (_, s) = run(sc);
    assert_close(
        "M/D/1 mean",
        s.latency_s.mean,
        theory::md1_mean_response_s(lambda, mu).unwrap(),
        0.03,
    );
    // No request can finish faster than its fixed service time of 10 ms.
    assert!(s.latency_s.p50 >= 0.01 * 0.999, "{}", s.latency_s.p50);
}

#[test]
fn shared_queue_is_mmc_erlang_c() {
    // c = 10 servers at ρ = 0.85; relaxation is faster with 10 servers than for one.
    let (lambda, mu, c) = (850.0, 100.0, 10);
    let mut sc = scenario(13, 10_000.0, lambda, c, mu);
    sc.balancer.algorithm = Algorithm::SharedQueue;
    let (_, s) = run(sc);
    assert_close(
        "M/M/10 mean",
        s.latency_s.mean,
        theory::mmc_mean_response_s(lambda, mu, c).unwrap(),
        0.03,
    );
}

#[test]
fn one_instance_with_concurrency_c_is_also_mmc() {
    let (lambda, mu, c) = (850.0, 100.0, 10);
    let mut sc = scenario(14, 10_000.0, lambda, 1, mu);
    sc.instances.concurrency = c;
    let (_, s) = run(sc);
    assert_close(
        "M/M/10 (one instance, 10 workers) mean",
        s.latency_s.mean,
        theory::mmc_mean_response_s(lambda, mu, c).unwrap(),
        0.03,
    );
}

#[test]
fn mm1k_drop_fraction() {
    // queue_limit 4 → K = 5 places in the system. P_K = 0.1·0.9⁵/(1 − 0.9⁶) ≈ 0.126.
    // 20,000 s ≈ 1.8 M arrivals; drops come in bursts of a busy period, a few thousand
    // independent ones per run at least, so 4 % relative is > 4 standard errors.
    let (lambda, mu) = (90.0, 100.0);
    let mut sc = scenario(15, 20_000.0, lambda, 1, mu);
    sc.instances.queue_limit = 4;
    let (_, s) = run(sc);
    let fraction = s.requests.dropped as f64 / s.requests.arrived as f64;
    assert_close(
        "M/M/1/5 drop fraction",
        fraction,
        theory::mm1k_block_probability(lambda, mu, 5).unwrap(),
        0.04,
    );
}

#[test]
fn random_split_of_poisson_traffic_is_independent_mm1_queues() {
    // Splitting a Poisson stream at random gives each of N instances a Poisson stream of
    // L/N: each is an M/M/1 at λ = 70.
    let (lambda, mu, n) = (280.0, 100.0, 4);
    let mut sc = scenario(16, 20_000.0, lambda, n, mu);
    sc.balancer.algorithm = Algorithm::Random;
    let (_, s) = run(sc);
    assert_close(
        "random split mean",
        s.latency_s.mean,
        theory::mm1_mean_response_s(lambda / f64::from(n), mu).unwrap(),
        0.03,
    );
    for inst in &s.per_instance {
        // Utilization of each instance is λ/μ = 0.7 (binomial split of ~5.6 M arrivals).
        assert!(
            (inst.utilization - 0.7).abs() < 0.01,
            "instance {} utilization {}",
            inst.id,
            inst.utilization
        );
    }
}

#[test]
fn littles_law_holds_in_every_window() {
    // L = λW over windows of 2,000 s: in-flight sampled once a second (≈ 2,000 samples per
    // window, correlated over ≈ 0.4 s) against arrivals × mean time in system.
    let mut sc = scenario(17, 20_001.0, 70.0, 1, 100.0);
    sc.warmup_s = 0.0;
    let mut sim = Simulation::new(sc).unwrap();
    sim.run_to_end();
    let samples: Vec<_> = sim.timeline().samples().copied().collect();
    assert!(samples.len() >= 20_000);
    for window in samples.chunks(2000).filter(|w| w.len() == 2000) {
        let mean_in_system = window.iter().map(|s| s.in_flight as f64).sum::<f64>() / 2000.0;
        let arrival_rate = window.iter().map(|s| s.arrived_rps).sum::<f64>() / 2000.0;
        let completions: f64 = window.iter().map(|s| s.throughput_rps).sum();
        let mean_time = window
            .iter()
            .map(|s| s.mean_s * s.throughput_rps)
            .sum::<f64>()
            / completions;
        assert_close(
            &format!("Little's law at t = {}", window[0].t_s),
            mean_in_system,
            arrival_rate * mean_time,
            0.12,
        );
    }
}

#[test]
fn utilization_is_the_offered_load() {
    let (_, s) = run(scenario(18, 5_000.0, 450.0, 5, 100.0));
    for inst in &s.per_instance {
        assert!(
            (inst.utilization - 0.9).abs() < 0.02,
            "instance {} utilization {}",
            inst.id,
            inst.utilization
        );
    }
}

#[test]
fn uniform_arrivals_are_evenly_spaced() {
    let mut sc = scenario(19, 100.0, 250.0, 5, 100.0);
    sc.warmup_s = 0.0;
    sc.traffic.arrivals = fleetlab::scenario::Arrivals::Uniform;
    let (_, s) = run(sc);
    // One arrival every 4 ms: 25,000 in 100 s (the first at 4 ms).
    assert_eq!(s.requests.arrived, 25_000);
}

#[test]
fn rate_changes_take_effect_when_scheduled() {
    let mut sc = scenario(20, 200.0, 100.0, 5, 100.0);
    sc.warmup_s = 0.0;
    sc.traffic.changes = vec![fleetlab::scenario::RateChange {
        at_s: 100.0,
        rate_rps: 400.0,
    }];
    let mut sim = Simulation::new(sc).unwrap();
    sim.run_to_end();
    let samples: Vec<_> = sim.timeline().samples().copied().collect();
    let before: f64 = samples
        .iter()
        .filter(|s| s.t_s <= 100.0)
        .map(|s| s.arrived_rps)
        .sum();
    let after: f64 = samples
        .iter()
        .filter(|s| s.t_s > 100.0)
        .map(|s| s.arrived_rps)
        .sum();
    // Poisson counts: 10,000 ± 100 and 40,000 ± 200 (1 σ); allow 5 σ.
    assert!((before - 10_000.0).abs() < 500.0, "{before}");
    assert!((after - 40_000.0).abs() < 1_000.0, "{after}");
    assert_eq!(samples.last().unwrap().offered_rps, 400.0);
}

#[test]
fn overload_grows_the_queue_without_bound() {
    // ρ = 1.2: the backlog grows by about (λ − Nμ) = 100 requests per second.
    let mut sc = scenario(21, 100.0, 600.0, 5, 100.0);
    sc.warmup_s = 0.0;
    let (_, s) = run(sc);
    assert!(
        s.requests.in_flight > 8_000 && s.requests.in_flight < 12_000,
        "{}",
        s.requests.in_flight
    );
}

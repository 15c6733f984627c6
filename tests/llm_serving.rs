//! Model-server replicas (`instances.model: llm`) checked against what theory predicts: one replica serving one request
//! at a time with fixed sizes is an M/D/1 queue; a full batch raises one replica's throughput
//! exactly as the step formula says; a KV cache too small for the load makes requests wait,
//! never vanish; and prefix-aware routing saves, against round robin, the prefill time of the
//! prefix cache misses it avoids, which a counting argument predicts. Expected values come
//! from `fleetlab::theory`, never from a run.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::{Algorithm, Arrivals, Lengths, Model, RateChange, Scenario};
use fleetlab::sim::{LogEvent, Simulation, Summary};
use fleetlab::theory;

/// A model-server fleet with fixed sizes and the default step coefficients.
fn llm(seed: u64, duration_s: f64, rate_rps: f64, replicas: u32) -> Scenario {
    let mut s = Scenario {
        seed,
        duration_s,
        ..Scenario::default()
    };
    s.traffic.rate_rps = rate_rps;
    s.traffic.tokens.lengths = Lengths::Fixed;
    s.instances.count = replicas;
    s.instances.model = Model::Llm;
    s.instances.queue_limit = 1_000_000;
    s
}

fn run(s: Scenario) -> (Simulation, Summary) {
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
fn a_replica_at_batch_one_with_fixed_sizes_is_an_md1_queue() {
    // Prompt 256, output 16, the default coefficients (a = 16441.5 µs, b = 47.84, c = 18.21):
    // S = (a + 256 b) + 15 (a + c) = 275,584.19 µs, deterministic. At ρ = 0.7 the M/D/1 mean
    // time in system is S + ρS/(2(1 − ρ)); 30,000 s hold about 76,000 requests (relaxation
    // ≈ 1/(μ(1−√ρ)²) = 7.7 s, so ≈ 2,000 independent observations of the queue: a relative
    // standard error ≈ 1.5 % on the waiting part, under 1 % on the total).
    let mut s = llm(21, 30_000.0, 0.0, 1);
    s.warmup_s = 200.0;
    s.instances.llm.max_batch = 1;
    s.traffic.tokens.prompt_tokens = 256;
    s.traffic.tokens.output_tokens = 16;
    let m = &s.instances.llm;
    let (first, service) = theory::llm_alone_s(
        m.step_base_us,
        m.step_prefill_token_us,
        m.step_decode_seq_us,
        256,
        16,
        m.max_batched_tokens,
    );
    assert!((service - 0.275_584_19).abs() < 1e-9, "{service}");
    let mu = 1.0 / service;
    let lambda = 0.7 * mu;
    s.traffic.rate_rps = lambda;
    let (_, sum) = run(s);
    let w = theory::md1_mean_response_s(lambda, mu).unwrap();
    assert_close("M/D/1 mean time in system", sum.latency_s.mean, w, 0.03);
    // TTFT = waiting + the prefill step; the wait is W − S.
    let ttft = sum.ttft_s.expect("model servers report TTFT");
    assert_close("M/D/1 mean TTFT", ttft.mean, w - service + first, 0.05);
    // Alone, every output token after the first takes one decode step of a + c.
    let tpot = sum.tpot_s.expect("and TPOT");
    assert!(
        (tpot.mean - (16_441.5 + 18.21) / 1e6).abs() < 1e-6,
        "{}",
        tpot.mean
    );
    // No request finishes faster than its fixed service time.
    assert!(sum.latency_s.p50 >= service * 0.999);
    assert_eq!(sum.requests.dropped + sum.requests.failed, 0);
}

#[test]
fn a_full_batch_raises_throughput_as_the_step_formula_predicts() {
    // Prompt 128, output 32, far more requests than one replica serves: the batch stays
    // full, and each request costs a·32/B + 128 b + 31 c µs of steps. B = 1: 1.8768 req/s;
    // B = 8: 13.802 req/s (8 × 128 tokens fit the 2048-token budget, so no chunking).
    let mut results = Vec::new();
    for batch in [1u32, 8] {
        let mut s = llm(5, 600.0, 40.0, 1);
        s.traffic.arrivals = Arrivals::Uniform;
        s.instances.queue_limit = 500;
        s.instances.llm.max_batch = batch;
        s.traffic.tokens.prompt_tokens = 128;
        s.traffic.tokens.output_tokens = 32;
        let m = &s.instances.llm;
        let predicted = theory::llm_full_batch_rps(
            m.step_base_us,
            m.step_prefill_token_us,
            m.step_decode_seq_us,
            128,
            32,
            batch,
        );
        let (_, sum) = run(s);
        let measured = sum.requests.completed as f64 / sum.simulated_s;
        // The first and last cycles are partial: at most one cycle (< 0.6 s of 600) off.
        assert_close(
            &format!("throughput at batch {batch}"),
            measured,
            predicted,
            0.002,
        );
        results.push((predicted, sum));
    }
    let (p1, p8) = (results[0].0, results[1].0);
    assert!(
        (p1 - 1.876_8).abs() < 1e-3 && (p8 - 13.802).abs() < 1e-3,
        "{p1} {p8}"
    );
    // The batch's mean is its limit while full.
    let mean_batch = results[1].1.serving.as_ref().unwrap().mean_batch;
    assert!(mean_batch > 7.9, "{mean_batch}");
}

#[test]
fn an_exhausted_kv_cache_makes_requests_wait_and_none_vanish() {
    // 40 blocks hold five sequences of 64 + 64 tokens (8 blocks each at their end) but the
    // batch may hold 32: admission stops at the blocks, running sequences get preempted,
    // and every request is still accounted for at every event.
    let mut s = llm(9, 600.0, 8.0, 2);
    s.instances.llm.kv_blocks = 40;
    s.instances.llm.max_batch = 32;
    s.traffic.tokens.prompt_tokens = 64;
    s.traffic.tokens.output_tokens = 64;
    // Stop the traffic before the end so that everything left drains.
    s.traffic.changes = vec![RateChange {
        at_s: 300.0,
        rate_rps: 0.0,
    }];
    let mut sim = Simulation::new(s).unwrap();
    let mut kv_waited = false;
    let mut events = 0u64;
    while sim.now_s() < 600.0 {
        // One event at a time.
        sim.advance_to(600_000_000_000, 1);
        events += 1;
        let r = sim.requests();
        assert_eq!(
            r.arrived,
            r.completed + r.dropped + r.failed + r.in_flight,
            "conservation at event {events}"
        );
        assert_eq!(sim.count_in_system(), r.in_flight, "at event {events}");
        let serving = sim.serving().unwrap();
        for replica in &serving.replicas {
            assert!(replica.kv_blocks_used <= replica.kv_blocks);
            assert!(replica.running <= replica.max_batch);
            kv_waited |= replica.kv_full && replica.waiting > 0 && replica.running < 32;
        }
    }
    assert!(
        kv_waited,
        "some requests waited for KV blocks with batch slots free"
    );
    let sum = sim.summary();
    assert_eq!(sum.requests.dropped + sum.requests.failed, 0);
    assert_eq!(sum.requests.in_flight, 0, "everything drained");
    assert_eq!(sum.requests.completed, sum.requests.arrived);
    let serving = sum.serving.unwrap();
    assert!(serving.kv_waits > 0 || serving.preemptions > 0);
    assert!(sim
        .log_since(0)
        .iter()
        .any(|e| matches!(e.event, LogEvent::KvFull { .. })));
}

/// The prefix-heavy workload of the TTFT comparison: 200 system prompts of 1024 tokens, each
/// request adds 16 tokens of its own and asks for 8; 4 replicas at low load (1 request/s in
/// all) with caches that never need to evict (26,312 blocks hold every prefix: 200 × 64).
fn prefix_heavy(algorithm: Algorithm) -> Scenario {
    let mut s = llm(31, 4000.0, 1.0, 4);
    s.traffic.tokens.prompt_tokens = 16;
    s.traffic.tokens.output_tokens = 8;
    s.traffic.prefix.share = 1.0;
    s.traffic.prefix.tokens = 1024;
    s.traffic.prefix.groups = 200;
    s.traffic.changes = vec![RateChange {
        at_s: 3990.0,
        rate_rps: 0.0,
    }];
    s.balancer.algorithm = algorithm;
    s
}

#[test]
fn prefix_aware_routing_saves_the_prefill_of_the_misses_it_avoids() {
    // Round robin sends a group's requests to every replica in turn, so each replica computes
    // each prefix once: E[misses] = N·G·(1 − (1 − 1/G)^(M/N)) (theory::prefix_misses), about
    // 795 of 4,000 requests here. The endpoint picker and the cache-aware router keep a group
    // on the replica that has it (its prefix score, or its tree's match of 1024/1040 > 0.3),
    // so they miss once per group: 200. Alone on a replica, a request's TTFT is one prefill
    // step, a + b·(uncached tokens): 1040 tokens on a miss, 16 on a hit (a = 16441.5 µs,
    // b = 47.84 µs). At this load (ρ ≈ 0.04 per replica) waiting for a step under way adds
    // under 2 %, so the means are those of the hit/miss mix, and the saving is
    // b·1024·(misses_rr − misses_aware)/M ≈ 7.3 ms.
    let (_, rr) = run(prefix_heavy(Algorithm::RoundRobin));
    assert_eq!(rr.requests.completed, rr.requests.arrived);
    let m = rr.requests.completed as f64;
    let (a_s, b_s) = (16_441.5e-6, 47.84e-6);
    let alone_mean = |misses: f64| a_s + b_s * 16.0 + b_s * 1024.0 * misses / m;
    let rr_misses = theory::prefix_misses(4, 200, 1.0, m);
    // Round robin's misses, counted: every hit reuses 1024 cached tokens.
    let rr_hits = rr.serving.as_ref().unwrap().cached_prompt_tokens as f64 / 1024.0;
    assert_close("round robin's misses", m - rr_hits, rr_misses, 0.02);
    let rr_ttft = rr.ttft_s.unwrap().mean;
    assert_close(
        "round robin's mean TTFT",
        rr_ttft,
        alone_mean(rr_misses),
        0.02,
    );
    for algorithm in [Algorithm::EndpointPicker, Algorithm::CacheAware] {
        let (_, aware) = run(prefix_heavy(algorithm));
        assert_eq!(
            aware.requests.arrived, rr.requests.arrived,
            "the same traffic"
        );
        let aware_misses = theory::prefix_misses(1, 200, 1.0, m);
        let hits = aware.serving.as_ref().unwrap().cached_prompt_tokens as f64 / 1024.0;
        assert_close(
            &format!("{algorithm:?}'s misses"),
            m - hits,
            aware_misses,
            0.02,
        );
        let aware_ttft = aware.ttft_s.unwrap().mean;
        assert_close(
            &format!("{algorithm:?}'s mean TTFT"),
            aware_ttft,
            alone_mean(aware_misses),
            0.03,
        );
        let predicted = alone_mean(rr_misses) - alone_mean(aware_misses);
        assert_close(
            &format!("{algorithm:?}: mean TTFT saved against round robin"),
            rr_ttft - aware_ttft,
            predicted,
            0.06,
        );
    }
}

#[test]
fn llm_runs_are_deterministic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/llm-endpoint-picker.json"
    ))
    .unwrap();
    let once = || {
        let mut sim = Simulation::new(Scenario::from_json(&text).unwrap()).unwrap();
        sim.run_to_end();
        serde_json::to_string(&sim.summary()).unwrap()
    };
    assert_eq!(once(), once());
}

#[test]
fn the_scores_behind_a_pick_are_the_pickers_own_formula() {
    // The "why this replica?" data: every endpoint's totals are the default profile's
    // 2·queue + 2·kv + 3·prefix on the readings shown, and the winner has the highest.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/llm-endpoint-picker.json"
    ))
    .unwrap();
    let mut sim = Simulation::new(Scenario::from_json(&text).unwrap()).unwrap();
    sim.advance(60.0);
    let history = sim.pick_history();
    assert_eq!(history.len(), fleetlab::sim::PICKS_KEPT);
    let last = sim.last_pick_scores().unwrap();
    assert_eq!(last, *history.last().unwrap());
    assert_eq!(last.request, sim.requests().arrived);
    assert_eq!(sim.pick_scores(last.request), Some(last.clone()));
    // The list the page offers: the same picks in brief, one per request.
    let brief: Vec<(u64, f64, Option<u32>)> = sim
        .pick_list()
        .iter()
        .map(|b| (b.request, b.t_s, b.winner))
        .collect();
    let full: Vec<(u64, f64, Option<u32>)> = history
        .iter()
        .map(|p| (p.request, p.t_s, p.winner))
        .collect();
    assert_eq!(brief, full);
    for pick in &history {
        let waiting: Vec<u32> = pick.endpoints.iter().map(|e| e.waiting).collect();
        let kv: Vec<f64> = pick.endpoints.iter().map(|e| e.kv_use).collect();
        let prefix: Vec<f64> = pick
            .endpoints
            .iter()
            .map(|e| e.prefix_score.unwrap())
            .collect();
        let totals = fleetlab::balance::endpoint_picker::scores(&waiting, &kv, &prefix);
        let best = totals.iter().copied().fold(f64::MIN, f64::max);
        for (e, t) in pick.endpoints.iter().zip(&totals) {
            assert_eq!(e.total, Some(*t));
            if e.prefix_blocks_total.unwrap() > 0 {
                let p = f64::from(e.prefix_blocks_matched.unwrap())
                    / f64::from(e.prefix_blocks_total.unwrap());
                assert_eq!(e.prefix_score, Some(p));
            }
        }
        let winner = pick
            .endpoints
            .iter()
            .find(|e| Some(e.instance) == pick.winner);
        assert_eq!(winner.unwrap().total, Some(best));
    }
    // Saturation as the detector defines it, per replica and for the pool.
    let serving = sim.serving().unwrap();
    for r in &serving.replicas {
        let s = (f64::from(r.waiting) / 5.0).max(r.kv_use / 0.8);
        assert_eq!(r.saturation, s);
        assert_eq!(r.saturated, r.waiting >= 5 || r.kv_use >= 0.8);
    }
}

#[test]
fn a_web_fleet_reports_nothing_of_model_serving() {
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.advance(5.0);
    let sum = sim.summary();
    assert!(sum.ttft_s.is_none() && sum.tpot_s.is_none() && sum.serving.is_none());
    assert!(sim.serving().is_none() && sim.last_pick_scores().is_none());
    let json = serde_json::to_string(&sum).unwrap();
    assert!(!json.contains("ttft") && !json.contains("output_tokens"));
}

#[test]
fn what_a_model_server_cannot_do_is_refused_by_name() {
    // The shared queue is an ideal web queue, not a router for batching replicas.
    let e = Scenario::from_json(
        r#"{"instances": {"model": "llm"}, "balancer": {"algorithm": "shared_queue"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.field, "balancer.algorithm");
    assert!(matches!(
        e.kind,
        fleetlab::error::ErrorKind::NeedsModel { .. }
    ));
    // Nor can it be switched to while running.
    let mut sim =
        Simulation::new(Scenario::from_json(r#"{"instances": {"model": "llm"}}"#).unwrap())
            .unwrap();
    sim.advance(1.0);
    let e = sim
        .edit("balancer.algorithm", serde_json::json!("shared_queue"))
        .unwrap_err();
    assert_eq!(e.field, "balancer.algorithm");
    // The KV cache must hold the longest sequence: the conversation trace's longest prompt
    // (14050) plus its longest output (1000) less one is 15049 tokens, 941 blocks.
    let e = Scenario::from_json(r#"{"instances": {"model": "llm", "llm": {"kv_blocks": 940}}}"#)
        .unwrap_err();
    assert_eq!(e.field, "instances.llm.kv_blocks");
    assert!(e.to_string().contains("941"), "{e}");
    assert!(
        Scenario::from_json(r#"{"instances": {"model": "llm", "llm": {"kv_blocks": 941}}}"#)
            .is_ok()
    );
}

#[test]
fn each_replica_keeps_its_recent_history_of_kv_use_and_batch() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/llm-cache-aware.json"
    ))
    .unwrap();
    let mut sim = Simulation::new(Scenario::from_json(&text).unwrap()).unwrap();
    sim.advance(20.0);
    let h = sim.replica_history(2).unwrap();
    // One sample per simulated second, at whole seconds.
    assert_eq!(h.t_s, (1..=20).map(f64::from).collect::<Vec<_>>());
    // The last sample is the state now (no event since the sample at t = 20 s changed it).
    let now = sim.serving().unwrap();
    let r = now.replicas.iter().find(|r| r.instance == 2).unwrap();
    let last = h.t_s.len() - 1;
    assert_eq!(h.batch[last], f64::from(r.running));
    assert_eq!(h.waiting[last], f64::from(r.waiting));
    assert!((h.kv_use[last] - r.kv_use).abs() < 1e-6);
    assert!(h.kv_use.iter().all(|&k| (0.0..=1.0).contains(&k)));
    // At most HISTORY_S seconds are kept.
    sim.advance(fleetlab::sim::HISTORY_S as f64 + 30.0);
    assert_eq!(
        sim.replica_history(2).unwrap().t_s.len(),
        fleetlab::sim::HISTORY_S
    );
    assert!(sim.replica_history(99).is_none());
}

#[test]
fn the_queue_autoscaler_reads_the_requests_not_yet_in_a_batch() {
    // KEDA's trigger on vLLM reads num_requests_waiting: requests not admitted to a batch. A
    // replica of 4 batch slots (64 + 64 tokens, about 3.7 requests/s when full) receives 10
    // requests/s: requests wait, and at every sync the metric the HPA sees is exactly the
    // fleet's waiting requests at that instant.
    let mut s = llm(3, 300.0, 10.0, 1);
    s.instances.llm.max_batch = 4;
    s.traffic.tokens.prompt_tokens = 64;
    s.traffic.tokens.output_tokens = 64;
    s.autoscaler = fleetlab::scenario::AutoscalerConfig::Queue(fleetlab::scenario::QueueConfig {
        min_replicas: 1,
        max_replicas: 10,
        ..Default::default()
    });
    let mut sim = Simulation::new(s).unwrap();
    let decisions = fleetlab::sim::Breakpoints::from_names(&["scaled", "kept"]).unwrap();
    let (mut checked, mut seen_waiting) = (0, 0.0f64);
    loop {
        let stop = sim.advance_until(300_000_000_000, u64::MAX, decisions);
        let fleetlab::sim::Stop::Breakpoint { seq } = stop else {
            break;
        };
        let entry = sim.log_since(seq).into_iter().next().unwrap();
        let steps = match entry.event {
            LogEvent::Scaled { explanation, .. } => explanation.map(|x| x.steps),
            LogEvent::Kept { explanation, .. } => Some(explanation.steps),
            _ => None,
        };
        let waiting: u32 = sim
            .serving()
            .unwrap()
            .replicas
            .iter()
            .map(|r| r.waiting)
            .sum();
        for step in steps.unwrap_or_default() {
            if let fleetlab::autoscale::hpa::Step::External(c) = step {
                if c.metric == fleetlab::autoscale::queue::WAITING_METRIC {
                    assert_eq!(c.usage, f64::from(waiting), "at t = {}", entry.t_s);
                    seen_waiting = seen_waiting.max(c.usage);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10, "{checked} decisions");
    assert!(seen_waiting >= 5.0, "requests waited: {seen_waiting}");
    assert!(sim.summary().instances.max > 1, "and the fleet grew");
}

#[test]
fn a_model_server_fleet_at_zero_holds_the_first_request_in_the_activator() {
    // Knative's scale to zero with model servers: after the traffic stops the fleet goes to
    // zero; the request that comes back waits the whole cold start in the activator (a large
    // model's 120 s) and is then served, prompt and all.
    let mut s = llm(5, 500.0, 1.0, 1);
    s.traffic.arrivals = Arrivals::Uniform;
    s.traffic.changes = vec![
        RateChange {
            at_s: 20.0,
            rate_rps: 0.0,
        },
        RateChange {
            at_s: 200.0,
            rate_rps: 0.01,
        },
        RateChange {
            at_s: 301.0,
            rate_rps: 0.0,
        },
    ];
    s.traffic.tokens.prompt_tokens = 256;
    s.traffic.tokens.output_tokens = 16;
    s.instances.startup_s = 120.0;
    s.autoscaler = fleetlab::scenario::AutoscalerConfig::Kpa(Default::default());
    let (_, sum) = run(s);
    assert_eq!(sum.requests.failed + sum.requests.dropped, 0);
    assert_eq!(sum.requests.completed, sum.requests.arrived);
    assert_eq!(sum.instances.min, 0);
    assert_eq!(sum.cold_start.waited, 1);
    assert_eq!(sum.cold_start.max_wait_s, 120.0);
    // Its time to first token: the 120 s cold start plus one prefill step alone,
    // a + 256·b = 28.68854 ms.
    assert!(
        (sum.ttft_s.unwrap().max - (120.0 + 0.028_688_54)).abs() < 1e-6,
        "{}",
        sum.ttft_s.unwrap().max
    );
}

//! `balancer.timeout_s` for model-server requests, checked against what follows from the step
//! formula: the route timeout spans the whole streamed response, so a timeout shorter than a
//! request's service time fails every request and gives back every KV block; a timeout longer
//! than the worst case changes nothing; a retried timeout sends the request again; and the
//! timers stay bounded by the fleet. Expected values come from `fleetlab::theory`.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::{Arrivals, Lengths, Model, RateChange, RetryOn, Scenario};
use fleetlab::sim::{Simulation, Summary};
use fleetlab::theory;

const PROMPT: u32 = 256;
const OUTPUT: u32 = 16;

/// Fixed sizes on `replicas` replicas with the default step coefficients; arrivals stop at
/// `stop_s` so that every request has ended by `duration_s`.
fn fixed(
    rate_rps: f64,
    arrivals: Arrivals,
    replicas: u32,
    stop_s: f64,
    duration_s: f64,
) -> Scenario {
    let mut s = Scenario {
        seed: 5,
        duration_s,
        ..Scenario::default()
    };
    s.traffic.rate_rps = rate_rps;
    s.traffic.arrivals = arrivals;
    s.traffic.changes = vec![RateChange {
        at_s: stop_s,
        rate_rps: 0.0,
    }];
    s.traffic.tokens.lengths = Lengths::Fixed;
    s.traffic.tokens.prompt_tokens = PROMPT;
    s.traffic.tokens.output_tokens = OUTPUT;
    s.instances.count = replicas;
    s.instances.model = Model::Llm;
    s.instances.queue_limit = 1_000_000;
    s
}

/// A request alone on a replica: (time to its first token, its service time), seconds.
fn alone(s: &Scenario) -> (f64, f64) {
    let m = &s.instances.llm;
    theory::llm_alone_s(
        m.step_base_us,
        m.step_prefill_token_us,
        m.step_decode_seq_us,
        PROMPT,
        OUTPUT,
        m.max_batched_tokens,
    )
}

fn run(s: Scenario) -> (Simulation, Summary) {
    let mut sim = Simulation::new(s).expect("valid scenario");
    sim.run_to_end();
    let summary = sim.summary();
    (sim, summary)
}

fn kv_blocks_used(sim: &Simulation) -> u32 {
    sim.serving()
        .expect("model servers")
        .replicas
        .iter()
        .map(|r| r.kv_blocks_used + r.waiting + r.running)
        .sum()
}

#[test]
fn a_timeout_inside_the_stream_fails_every_request_and_frees_its_blocks() {
    // Alone, a request's first token comes after the prefill step a + 256 b = 28.69 ms and each
    // later one after a decode step a + c = 16.46 ms; its service is 275.6 ms. Batching only
    // lengthens steps, so with a timeout of 100 ms every request times out, even though each
    // has had its first tokens (Envoy's route timeout covers the whole streamed response).
    // Evenly spaced arrivals 2 s apart keep each request alone: by 100 ms it has sampled
    // 1 + ⌊(100 − 28.69) / 16.46⌋ = 5 tokens; the step under way at the timeout is thrown away
    // with it, and its blocks are freed.
    let mut s = fixed(0.5, Arrivals::Uniform, 1, 300.0, 320.0);
    let (first, service) = alone(&s);
    let timeout = 0.1;
    assert!(first < timeout && timeout < service, "{first} {service}");
    s.balancer.timeout_s = timeout;
    let m = s.instances.llm.clone();
    let decode_s = (m.step_base_us + m.step_decode_seq_us) / 1e6;
    let tokens_each = 1 + ((timeout - first) / decode_s).floor() as u64;
    assert_eq!(tokens_each, 5);
    let (sim, sum) = run(s);
    let r = &sum.requests;
    assert_eq!(r.arrived, 149, "one every 2 s from t = 2 s, before 300 s");
    assert_eq!((r.completed, r.in_flight, r.dropped), (0, 0, 0));
    assert_eq!(r.failed, r.arrived);
    assert_eq!(r.timed_out, r.arrived);
    assert_eq!(kv_blocks_used(&sim), 0, "every block back");
    let serving = sum.serving.expect("serving totals");
    assert_eq!(serving.output_tokens, tokens_each * r.arrived);
    assert_eq!(serving.prefill_tokens, u64::from(PROMPT) * r.arrived);
    // Each had its first token after the prefill step, alone; none finished, so no TPOT.
    let ttft = sum.ttft_s.expect("ttft");
    assert!(
        (ttft.mean - first).abs() < 1e-6 * first.max(1.0),
        "{} vs {first}",
        ttft.mean
    );
    assert_eq!(
        sum.tpot_s.map_or(0.0, |t| t.max),
        0.0,
        "no request finished"
    );
}

#[test]
fn under_load_every_request_times_out_and_conservation_holds_at_every_instant() {
    // Poisson arrivals at twice one replica's batch-1 capacity with a batch of 4: the steps
    // are longer still, so a timeout under the lone service time fails them all; at every
    // moment arrived = completed + dropped + failed + in flight, and the KV cache ends empty.
    let mut s = fixed(6.0, Arrivals::Poisson, 2, 200.0, 260.0);
    s.instances.llm.max_batch = 4;
    let (_, service) = alone(&s);
    s.balancer.timeout_s = service * 0.9;
    let mut sim = Simulation::new(s).unwrap();
    for _ in 0..260 {
        sim.advance(1.0);
        let r = sim.summary().requests;
        assert_eq!(r.arrived, r.completed + r.dropped + r.failed + r.in_flight);
        assert!(
            sim.pending_events() <= 64,
            "{} pending",
            sim.pending_events()
        );
    }
    let r = sim.summary().requests;
    assert!(r.arrived > 1000, "{}", r.arrived);
    assert_eq!((r.completed, r.in_flight), (0, 0));
    assert_eq!(r.timed_out, r.arrived);
    assert_eq!(kv_blocks_used(&sim), 0);
}

#[test]
fn a_timeout_longer_than_the_worst_case_changes_nothing() {
    // Evenly spaced and alone, every request takes exactly the lone service time: a timeout
    // 1 ms longer never fires on a request. Under Poisson load the worst case is the longest
    // time in system of the run without a timeout; twice that changes nothing either. Only the
    // timer events themselves are extra (`events_processed`).
    let even = fixed(0.5, Arrivals::Uniform, 1, 300.0, 320.0);
    let (_, service) = alone(&even);
    let poisson = {
        let mut s = fixed(6.0, Arrivals::Poisson, 2, 200.0, 260.0);
        s.instances.llm.max_batch = 8;
        s
    };
    let (_, base_poisson) = run(poisson.clone());
    for (s, timeout) in [
        (even, service + 0.001),
        (poisson, 2.0 * base_poisson.latency_s.max),
    ] {
        let (_, base) = run(s.clone());
        assert_eq!(base.requests.completed, base.requests.arrived);
        let mut t = s;
        t.balancer.timeout_s = timeout;
        let (_, with) = run(t);
        assert_eq!(with.requests.timed_out, 0);
        let strip = |x: &Summary| {
            let mut v = serde_json::to_value(x).unwrap();
            v.as_object_mut().unwrap().remove("events_processed");
            v
        };
        assert_eq!(strip(&with), strip(&base));
    }
}

#[test]
fn a_timed_out_request_is_retried_once_when_retry_on_covers_timeouts() {
    // Two replicas, one retry on timeouts: each request times out on one replica, is sent to
    // the other (a retry avoids the last instance), times out again and fails: every request
    // is prefilled twice and counted once.
    let mut s = fixed(0.5, Arrivals::Uniform, 2, 300.0, 320.0);
    let (_, service) = alone(&s);
    s.balancer.timeout_s = service / 2.0;
    s.balancer.retries = 1;
    s.balancer.retry_on = RetryOn::ErrorTimeout;
    let (sim, sum) = run(s);
    let r = &sum.requests;
    assert_eq!(r.arrived, 149, "one every 2 s from t = 2 s, before 300 s");
    assert_eq!((r.completed, r.in_flight), (0, 0));
    assert_eq!(r.timed_out, r.arrived);
    assert_eq!(sim.details().retries, r.arrived);
    let serving = sum.serving.unwrap();
    assert_eq!(serving.prefill_tokens, 2 * u64::from(PROMPT) * r.arrived);
    for p in &sum.per_instance {
        assert_eq!(p.completed, 0);
    }
    assert_eq!(kv_blocks_used(&sim), 0);
}

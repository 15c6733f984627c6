//! `make bench`, native half: requests simulated per wall-clock second for the two reference
//! workloads of the engine issue. Each is run several times and the median reported; the
//! figures are written to target/bench/native.json for the browser half (tests/e2e/bench.mjs)
//! to print the wasm/native ratio.

use std::time::Instant;

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;

struct Workload {
    name: &'static str,
    json: &'static str,
}

const WORKLOADS: [Workload; 2] = [
    Workload {
        name: "a: N=5 L=450 C=100 round_robin 20000 s",
        json: r#"{"duration_s": 20000, "traffic": {"rate_rps": 450}, "instances": {"count": 5, "capacity_rps": 100}}"#,
    },
    Workload {
        name: "b: N=10000 L=1000000 C=110 round_robin 10 s",
        json: r#"{"duration_s": 10, "traffic": {"rate_rps": 1000000}, "instances": {"count": 10000, "capacity_rps": 110}}"#,
    },
];

fn main() {
    let runs = 5;
    let mut results = Vec::new();
    for w in &WORKLOADS {
        let mut rates = Vec::new();
        let mut events_rates = Vec::new();
        for _ in 0..runs {
            let scenario = Scenario::from_json(w.json).expect("valid bench scenario");
            let start = Instant::now();
            let mut sim = Simulation::new(scenario).expect("valid");
            sim.run_to_end();
            let secs = start.elapsed().as_secs_f64();
            let s = sim.summary();
            rates.push(s.requests.arrived as f64 / secs);
            events_rates.push(s.events_processed as f64 / secs);
        }
        rates.sort_by(f64::total_cmp);
        events_rates.sort_by(f64::total_cmp);
        let median = rates[runs / 2];
        let events = events_rates[runs / 2];
        println!(
            "native {:<48} {:>6.2} M requests/s  {:>6.2} M events/s  (median of {runs})",
            w.name,
            median / 1e6,
            events / 1e6
        );
        results.push(format!(
            r#"{{"name": "{}", "requests_per_s": {median}, "events_per_s": {events}}}"#,
            w.name
        ));
    }
    std::fs::create_dir_all("target/bench").expect("target/bench");
    std::fs::write(
        "target/bench/native.json",
        format!("[{}]\n", results.join(",\n")),
    )
    .expect("write native.json");
}

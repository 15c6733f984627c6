//! A short simulation of whatever scenario the bytes parse to: at most 5 simulated seconds and
//! 200,000 events (the fuzzer looks for panics, hangs and memory blow-ups, not long runs). The
//! summary must conserve requests (arrived = completed + dropped + failed + in_flight), count
//! what is in the system exactly, and serialize.
#![no_main]

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;
use libfuzzer_sys::fuzz_target;

const MAX_EVENTS: u64 = 200_000;
const MAX_SIMULATED_NS: u64 = 5_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let Ok(mut sim) = Simulation::new(scenario) else {
        return;
    };
    sim.advance_to(MAX_SIMULATED_NS, MAX_EVENTS);
    let summary = sim.summary();
    let r = summary.requests;
    assert_eq!(r.arrived, r.completed + r.dropped + r.failed + r.in_flight);
    assert_eq!(sim.count_in_system(), r.in_flight);
    let json = serde_json::to_string(&summary).expect("a summary serializes");
    assert!(!json.is_empty());
    let _ = sim.explain();
    let _ = sim.details();
});

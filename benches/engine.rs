//! `make bench`, native half: fleetlab's speed as a fraction of the floor's (benches/floor.rs),
//! the goal of the issue "Fast at every size". For each cell of N × balancer, with L = 0.9·N·C
//! and C = 100, fleetlab (`Scenario::from_json`, `Simulation::new`, `run_to_end`, `summary`) and
//! the floor run alternately on the same model, and the table gives each one's completed requests
//! per CPU-second of this thread (median of the repetitions), their ratio and the goal: ≥ 0.8 up
//! to N = 10,000, ≥ 0.6 at 100,000. CPU time, not wall time, because the machines running this
//! are shared. Then two figures at N = 100,000: least_connections against round_robin in
//! fleetlab (goal ≥ 0.67, i.e. within 1.5×), and the CPU time of the summary JSON (goal < 0.1 s).
//!
//! `FLEETLAB_BENCH_QUICK=1` runs one repetition of a reduced set with shorter runs: a smoke check.

mod floor;

use std::time::Instant;

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;
use floor::Algorithm;

const CAPACITY_RPS: f64 = 100.0;
const SEED: u64 = 1;

/// Simulated seconds per N: about 3 million completed requests (0.3–1 CPU-second for fleetlab)
/// up to N = 1,000, fewer above, where each run pays a start-up proportional to N.
const CELLS: [(u32, f64); 4] = [(5, 6000.0), (1_000, 30.0), (10_000, 1.5), (100_000, 0.05)];
const ALGORITHMS: [Algorithm; 3] = [
    Algorithm::RoundRobin,
    Algorithm::Random,
    Algorithm::PowerOfTwo,
];

/// CPU seconds used so far by this thread, or with `process` by the whole process.
#[cfg(not(target_arch = "wasm32"))]
fn cpu_s(process: bool) -> f64 {
    let clock = if process {
        libc::CLOCK_PROCESS_CPUTIME_ID
    } else {
        libc::CLOCK_THREAD_CPUTIME_ID
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and both clocks exist on Linux.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// The bench runs natively only; this keeps `cargo clippy --all-targets --target wasm32-…` building.
#[cfg(target_arch = "wasm32")]
fn cpu_s(_process: bool) -> f64 {
    unreachable!("benches run natively")
}

/// Runs `f` and returns its result with the CPU seconds this thread spent in it.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = cpu_s(false);
    let out = f();
    (out, cpu_s(false) - start)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn scenario(n: u32, algorithm: Algorithm, duration_s: f64) -> Scenario {
    let json = format!(
        r#"{{"seed": {SEED}, "duration_s": {duration_s}, "traffic": {{"rate_rps": {}}},
            "instances": {{"count": {n}, "capacity_rps": {CAPACITY_RPS}}},
            "balancer": {{"algorithm": "{}"}}}}"#,
        0.9 * f64::from(n) * CAPACITY_RPS,
        algorithm.name()
    );
    Scenario::from_json(&json).expect("valid bench scenario")
}

/// One fleetlab run as the CLI does it: parse, build, run, summarize. Returns completed requests.
fn fleetlab_run(n: u32, algorithm: Algorithm, duration_s: f64) -> u64 {
    let mut sim = Simulation::new(scenario(n, algorithm, duration_s)).expect("valid");
    sim.run_to_end();
    sim.summary().requests.completed
}

fn floor_run(n: u32, algorithm: Algorithm, duration_s: f64) -> u64 {
    let rate = 0.9 * f64::from(n) * CAPACITY_RPS;
    floor::run(n, rate, CAPACITY_RPS, duration_s, SEED, algorithm).completed
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// The table: fleetlab and the floor alternately, `reps` times per cell. The ratio is of the
/// medians; "pairs" is the range of the ratios of each run to its neighbour, a gauge of noise.
fn cells(quick: bool, reps: usize) {
    println!(
        "{:<28} {:>7} {:>12} {:>10} {:>6} {:>11} {:>12}  completed: fleetlab / floor (diff)",
        "cell (L = 0.9 N C, C = 100)",
        "sim s",
        "fleetlab M/s",
        "floor M/s",
        "ratio",
        "pairs",
        "goal"
    );
    for (n, duration_s) in CELLS {
        let algorithms: &[Algorithm] = if quick { &ALGORITHMS[..1] } else { &ALGORITHMS };
        let duration_s = if quick { duration_s / 10.0 } else { duration_s };
        for &algorithm in algorithms {
            let (mut fl_rates, mut fl_done) = (Vec::new(), 0);
            let (mut floor_rates, mut floor_done) = (Vec::new(), 0);
            let mut pairs = Vec::new();
            for _ in 0..reps {
                let (done, secs) = timed(|| fleetlab_run(n, algorithm, duration_s));
                fl_rates.push(done as f64 / secs);
                fl_done = done;
                let (done, secs) = timed(|| floor_run(n, algorithm, duration_s));
                floor_rates.push(done as f64 / secs);
                floor_done = done;
                pairs.push(fl_rates[fl_rates.len() - 1] / floor_rates[floor_rates.len() - 1]);
            }
            let (fl, fm) = (median(fl_rates), median(floor_rates));
            let ratio = fl / fm;
            let goal = if n < 100_000 { 0.8 } else { 0.6 };
            let diff = (fl_done as f64 / floor_done as f64 - 1.0) * 100.0;
            let (lo, hi) = pairs
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), &p| (lo.min(p), hi.max(p)));
            println!(
                "{:<28} {:>7} {:>12.3} {:>10.3} {:>6.2} {:>11} {:>12}  {fl_done} / {floor_done} ({diff:+.2} %{})",
                format!("N={n} {}", algorithm.name()),
                duration_s,
                fl / 1e6,
                fm / 1e6,
                ratio,
                format!("{lo:.2}–{hi:.2}"),
                format!("≥ {goal} {}", verdict(ratio >= goal)),
                if diff.abs() > 1.0 { ", OVER 1 %" } else { "" },
            );
        }
    }
}

/// least_connections against round_robin at N = 100,000, in fleetlab: requests routed per
/// CPU-second over the same simulated span. Start-up is excluded from both: `Simulation::new`
/// and the first microsecond, whose first pick builds the discovery view. The span is what
/// least_connections covers in about `budget_s` of CPU, in slices of 10 µs (at most 0.05 s):
/// long enough that its per-pick cost decides the figure, short while each pick scans the fleet.
fn least_connections_vs_round_robin(reps: usize, budget_s: f64) {
    const N: u32 = 100_000;
    const WARM_S: f64 = 1e-6;
    const MAX_SPAN_S: f64 = 0.05;
    let warmed = |algorithm| {
        let mut sim = Simulation::new(scenario(N, algorithm, 1.0)).expect("valid");
        sim.advance(WARM_S);
        sim
    };
    let mut sim = warmed(Algorithm::LeastConnections);
    let start = cpu_s(false);
    while cpu_s(false) - start < budget_s && sim.now_s() < WARM_S + MAX_SPAN_S {
        sim.advance(1e-5);
    }
    let span_s = sim.now_s() - WARM_S;
    let routed_per_cpu_s = |algorithm| {
        let mut sim = warmed(algorithm);
        let before = sim.summary().requests.arrived;
        let ((), secs) = timed(|| sim.advance(span_s));
        (sim.summary().requests.arrived - before) as f64 / secs
    };
    let (mut lc, mut rr) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        lc.push(routed_per_cpu_s(Algorithm::LeastConnections));
        rr.push(routed_per_cpu_s(Algorithm::RoundRobin));
    }
    let (lc, rr) = (median(lc), median(rr));
    println!(
        "N={N} least_connections / round_robin in fleetlab over {span_s:.5} simulated s: \
         {lc:.0} / {rr:.0} requests routed per CPU-s = {:.4} (goal ≥ 0.67: {})",
        lc / rr,
        verdict(lc / rr >= 0.67)
    );
}

/// CPU time of `serde_json::to_string(&summary())` at N = 100,000 after a short run.
fn summary_json(reps: usize) {
    let mut sim = Simulation::new(scenario(100_000, Algorithm::RoundRobin, 0.01)).unwrap();
    sim.run_to_end();
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..reps {
        let (json, secs) = timed(|| serde_json::to_string(&sim.summary()).unwrap());
        bytes = json.len();
        times.push(secs);
    }
    let secs = median(times);
    println!(
        "N=100000 summary JSON (summary() + serde_json::to_string, {bytes} bytes): {secs:.4} CPU-s (goal < 0.1 s: {})",
        verdict(secs < 0.1)
    );
}

fn main() {
    let quick = std::env::var("FLEETLAB_BENCH_QUICK").is_ok_and(|v| v == "1");
    let reps = if quick { 1 } else { 3 };
    let wall = Instant::now();
    println!(
        "fleetlab against its floor (benches/floor.rs): completed requests per CPU-second of this \
         thread, median of {reps}{}",
        if quick {
            " (FLEETLAB_BENCH_QUICK: reduced set)"
        } else {
            ""
        }
    );
    cells(quick, reps);
    least_connections_vs_round_robin(reps, if quick { 0.05 } else { 0.3 });
    summary_json(if quick { 1 } else { 5 });
    println!(
        "A goal marked MISSED: docs/performance.md gives its profile and what stands in the way."
    );
    println!(
        "native bench took {:.1} s wall, {:.1} CPU-s",
        wall.elapsed().as_secs_f64(),
        cpu_s(true)
    );
}

//! The native command line: run a scenario and print its summary as JSON, check that a
//! scenario file is valid, or race two to four autoscalers on the same requests. Any bad input
//! (missing file, invalid JSON, a field out of range, variants with different traffic, an
//! output file that cannot be created) is one line on stderr naming the problem, and exit
//! status 2, before anything runs; never a panic.
//!
//! A run works in slices of about a tenth of a second, so that a long one shows where it is:
//! on a terminal, a progress bar on stderr (simulated time, events per second, time left);
//! `--timeline` rows are written as the simulated seconds pass (memory stays bounded however
//! long the run); and Ctrl-C stops the run between two slices and still prints the summary so
//! far, marked `"partial": true`, with exit status 130 (128 + SIGINT, as shells report it). A
//! second Ctrl-C ends the program at once.

#[cfg(not(target_arch = "wasm32"))]
#[path = "fleetlab/progress.rs"]
mod progress;

/// The CLI is native; built for wasm32 (clippy --all-targets), it has no terminal to draw on.
#[cfg(target_arch = "wasm32")]
mod progress {
    pub struct Progress;
    impl Progress {
        pub fn new(_show: bool, _duration_s: f64) -> Progress {
            Progress
        }
        pub fn update(&mut self, _now_s: f64, _events: u64, _wall_s: f64) {}
        pub fn finish(&mut self) {}
    }
}

/// Calls `f` on every Ctrl-C. Without a handler (some sandboxes refuse one) Ctrl-C simply
/// ends the program.
fn on_interrupt(f: impl Fn() + Send + 'static) {
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ctrlc::set_handler(f);
    #[cfg(target_arch = "wasm32")]
    drop(f);
}

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;

/// Exit status of a run stopped by Ctrl-C (its summary is printed, marked partial).
const EXIT_INTERRUPTED: u8 = 130;
/// Samples the timeline ring keeps between two writes to the file (a slice covers at most
/// `SLICE_MAX_SIMULATED_NS`, i.e. 1000 samples).
const TIMELINE_RING: usize = 4096;
const SLICE_MAX_SIMULATED_NS: u64 = 1_000 * 1_000_000_000;
/// Wall time one slice aims at: Ctrl-C and the progress bar answer within about this.
const SLICE_WALL_S: f64 = 0.1;

const USAGE: &str = "usage: fleetlab run SCENARIO.json [--timeline OUT.csv]
       fleetlab validate SCENARIO.json
       fleetlab compare A.json B.json [C.json [D.json]] [--every SECONDS] [--json]
                                   (a race: the same requests, two to four autoscalers)
       fleetlab compare A.json --balancers B1,B2[,B3[,B4]] [--every SECONDS] [--json]
                                   (the same scenario under two to four balancers)
       fleetlab example            (prints the default scenario)
       fleetlab schema [--markdown] (every scenario field: type, range, default)
       fleetlab presets            (named settings: nginx and Envoy defaults, Consul, Eureka, …)

SCENARIO.json may be - for standard input.";

/// How a command ended, when it did not fail.
enum Done {
    Complete,
    Interrupted,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(Done::Complete) => ExitCode::SUCCESS,
        Ok(Done::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
        Err(message) => {
            eprintln!("fleetlab: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<Done, String> {
    match args.first().map(String::as_str) {
        Some("run") => {
            let (path, timeline) = parse_run_args(&args[1..])?;
            let scenario = load(path)?;
            // Refused before the run starts, not after it.
            let timeline = match timeline {
                Some(out) => Some(TimelineFile::create(
                    out,
                    scenario.instances.model == fleetlab::scenario::Model::Llm,
                )?),
                None => None,
            };
            simulate(scenario, timeline)
        }
        Some("validate") => {
            let [path] = &args[1..] else {
                return Err(format!("validate takes one file\n{USAGE}"));
            };
            load(path)?;
            print_out(&format!("{path}: valid"))?;
            Ok(Done::Complete)
        }
        Some("compare") => compare(&args[1..]).map(|()| Done::Complete),
        Some("example") => print_out(&Scenario::default().to_json()).map(|()| Done::Complete),
        Some("schema") => match &args[1..] {
            [] => print_out(&fleetlab::scenario::schema::to_json()),
            [flag] if flag == "--markdown" => {
                print_out(fleetlab::scenario::schema::markdown_table().trim_end())
            }
            _ => Err(format!("schema takes only --markdown\n{USAGE}")),
        }
        .map(|()| Done::Complete),
        Some("presets") => print_out(
            &serde_json::to_string_pretty(&fleetlab::scenario::presets::presets())
                .map_err(|e| e.to_string())?,
        )
        .map(|()| Done::Complete),
        Some("-h" | "--help" | "help") => print_out(USAGE).map(|()| Done::Complete),
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}")),
        None => Err(USAGE.to_string()),
    }
}

/// Runs to the scenario's end, or until Ctrl-C; prints the summary.
fn simulate(scenario: Scenario, mut timeline: Option<TimelineFile>) -> Result<Done, String> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    on_interrupt(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    let mut bar = progress::Progress::new(
        std::io::stderr().is_terminal() && std::env::var_os("FLEETLAB_NO_PROGRESS").is_none(),
        scenario.duration_s,
    );
    let capacity = if timeline.is_some() { TIMELINE_RING } else { 1 };
    let mut sim =
        Simulation::with_timeline_capacity(scenario, capacity).map_err(|e| e.to_string())?;
    let end_ns = fleetlab::sim::clock::to_ns(sim.scenario().duration_s);
    let mut slice_events: u64 = 1_000;
    let mut stopped_early = false;
    // Until every event up to and at the end has run (a slice's budget can stop in the middle
    // of an instant, even the last one): exactly `run_to_end`, whatever the slices.
    let mut done_to_end = sim.now_ns() >= end_ns;
    while !done_to_end {
        if interrupted.load(Ordering::SeqCst) {
            stopped_early = true;
            break;
        }
        let started = Instant::now();
        let before = sim.events_processed();
        let target = end_ns.min(sim.now_ns().saturating_add(SLICE_MAX_SIMULATED_NS));
        done_to_end = sim.advance_to(target, slice_events) && target == end_ns;
        if let Some(file) = &mut timeline {
            file.write_new(sim.timeline())?;
        }
        let done = sim.events_processed() - before;
        let took = started.elapsed().as_secs_f64();
        bar.update(sim.now_s(), done, took);
        // Aim each slice at SLICE_WALL_S of work, whatever one event costs here.
        if done == slice_events {
            let per_event = took.max(1e-9) / done.max(1) as f64;
            slice_events = ((SLICE_WALL_S / per_event) as u64).clamp(100, 10_000_000);
        }
    }
    bar.finish();
    if let Some(file) = &mut timeline {
        file.write_new(sim.timeline())?;
        file.flush()?;
    }
    let mut summary = sim.summary();
    summary.partial = stopped_early;
    let json = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    print_out(&json)?;
    if stopped_early {
        eprintln!(
            "fleetlab: interrupted at t = {} s of {} s: the summary is partial",
            sim.now_s(),
            sim.scenario().duration_s
        );
        return Ok(Done::Interrupted);
    }
    Ok(Done::Complete)
}

/// The `--timeline` CSV, written as the run goes: each slice appends the samples taken since
/// the last one.
struct TimelineFile {
    path: String,
    out: std::io::BufWriter<std::fs::File>,
    written: u64,
}

impl TimelineFile {
    /// `llm`: a model-server run, whose rows carry the serving columns too.
    fn create(path: &str, llm: bool) -> Result<TimelineFile, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("--timeline {path}: {e}"))?;
        let mut t = TimelineFile {
            path: path.to_string(),
            out: std::io::BufWriter::new(file),
            written: 0,
        };
        t.put(fleetlab::metrics::Timeline::CSV_HEADER)?;
        if llm {
            t.put(fleetlab::metrics::Timeline::CSV_LLM_HEADER)?;
        }
        t.put("\n")?;
        Ok(t)
    }

    fn put(&mut self, text: &str) -> Result<(), String> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|e| format!("--timeline {}: {e}", self.path))
    }

    fn write_new(&mut self, timeline: &fleetlab::metrics::Timeline) -> Result<(), String> {
        let new = timeline.total() - self.written;
        let kept = timeline.len() as u64;
        if new > kept {
            return Err(format!(
                "--timeline {}: {} samples were lost",
                self.path,
                new - kept
            ));
        }
        for sample in timeline.samples().skip((kept - new) as usize) {
            self.put(&sample.csv_row())?;
        }
        self.written = timeline.total();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("--timeline {}: {e}", self.path))
    }
}

/// `fleetlab compare`: runs the variants and prints each one's numbers, its replicas over
/// time, and the verdict (or the whole race as JSON).
fn compare(args: &[String]) -> Result<(), String> {
    let mut files = Vec::new();
    let mut every = None;
    let mut json = false;
    let mut balancers: Option<Vec<String>> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--every" => {
                let v = args.get(i + 1).ok_or("--every needs a number of seconds")?;
                let x: f64 = v
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite() && *x >= 1.0 && *x <= 1e6)
                    .ok_or_else(|| {
                        format!("--every must be a number of seconds from 1 to 1000000, got {v}")
                    })?;
                every = Some(x);
                i += 2;
            }
            "--json" => {
                json = true;
                i += 1;
            }
            "--balancers" => {
                let v = args
                    .get(i + 1)
                    .ok_or("--balancers needs a comma-separated list of balancer names")?;
                balancers = Some(v.split(',').map(|b| b.trim().to_string()).collect());
                i += 2;
            }
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            file => {
                files.push(file);
                i += 1;
            }
        }
    }
    let mut variants = Vec::new();
    if let Some(names) = &balancers {
        // One scenario, each balancer in turn: only `balancer.algorithm` differs.
        let [file] = files[..] else {
            return Err(format!(
                "compare --balancers takes one scenario file, got {}\n{USAGE}",
                files.len()
            ));
        };
        if names.len() < 2 || names.len() > fleetlab::race::MAX_VARIANTS {
            return Err(format!(
                "--balancers takes 2 to {} names, got {}",
                fleetlab::race::MAX_VARIANTS,
                names.len()
            ));
        }
        let base = load(file)?;
        for name in names {
            let mut doc = serde_json::to_value(&base).map_err(|e| e.to_string())?;
            doc["balancer"]["algorithm"] = serde_json::Value::String(name.clone());
            let scenario = Scenario::from_json(&doc.to_string())
                .map_err(|e| format!("{file} with balancer {name}: {e}"))?;
            variants.push((name.clone(), scenario));
        }
        files = names.iter().map(|_| file).collect();
    } else {
        if files.len() < 2 || files.len() > fleetlab::race::MAX_VARIANTS {
            return Err(format!(
                "compare takes 2 to {} scenario files, got {}\n{USAGE}",
                fleetlab::race::MAX_VARIANTS,
                files.len()
            ));
        }
        for f in &files {
            variants.push((f.to_string(), load(f)?));
        }
    }
    let duration = variants[0].1.duration_s;
    // About twenty rows by default, on whole seconds.
    let every = every.unwrap_or_else(|| (duration / 20.0).ceil().max(1.0));
    let race = fleetlab::race::run(&variants, every).map_err(|e| {
        let i: usize = e
            .field
            .strip_prefix("variants[")
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        format!("{}: {e}", files.get(i).unwrap_or(&files[0]))
    })?;
    if json {
        let text = serde_json::to_string_pretty(&race).map_err(|e| e.to_string())?;
        return print_out(&text);
    }
    print_out(&race_table(&race))
}

fn race_table(race: &fleetlab::race::Race) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let lanes = &race.lanes;
    let width = lanes
        .iter()
        .map(|l| l.contender.name.len())
        .max()
        .unwrap_or(0)
        .max(12);
    let first = &lanes[0];
    let _ = writeln!(
        out,
        "race: {} variants on the same {} requests (arrival digest {})",
        lanes.len(),
        first.contender.arrived,
        first.arrival_digest
    );
    let row = |out: &mut String, label: &str, cells: Vec<String>| {
        let _ = write!(out, "{label:<26}");
        for c in cells {
            let _ = write!(out, " {c:>width$}");
        }
        out.push('\n');
    };
    row(
        &mut out,
        "",
        lanes.iter().map(|l| l.contender.name.clone()).collect(),
    );
    row(
        &mut out,
        "autoscaler",
        lanes.iter().map(|l| l.autoscaler.to_string()).collect(),
    );
    row(
        &mut out,
        "balancer",
        lanes.iter().map(|l| l.balancer.to_string()).collect(),
    );
    row(
        &mut out,
        "p99 latency (s)",
        lanes
            .iter()
            .map(|l| format!("{:.3}", l.contender.p99_s))
            .collect(),
    );
    row(
        &mut out,
        "completed",
        lanes
            .iter()
            .map(|l| l.contender.completed.to_string())
            .collect(),
    );
    row(
        &mut out,
        "dropped",
        lanes
            .iter()
            .map(|l| l.contender.dropped.to_string())
            .collect(),
    );
    row(
        &mut out,
        "failed",
        lanes
            .iter()
            .map(|l| l.contender.failed.to_string())
            .collect(),
    );
    row(
        &mut out,
        "instance-seconds",
        lanes
            .iter()
            .map(|l| format!("{:.0}", l.contender.instance_seconds))
            .collect(),
    );
    row(
        &mut out,
        "cold start: waited",
        lanes
            .iter()
            .map(|l| l.contender.cold_start.waited.to_string())
            .collect(),
    );
    row(
        &mut out,
        "cold start: failed",
        lanes
            .iter()
            .map(|l| l.contender.cold_start.failed.to_string())
            .collect(),
    );
    row(
        &mut out,
        "cold start: longest wait (s)",
        lanes
            .iter()
            .map(|l| format!("{:.1}", l.contender.cold_start.max_wait_s))
            .collect(),
    );
    if lanes.iter().all(|l| l.serving.is_some()) {
        let serving = |f: &dyn Fn(&fleetlab::race::LaneServing) -> String| -> Vec<String> {
            lanes
                .iter()
                .map(|l| l.serving.as_ref().map_or(String::new(), f))
                .collect()
        };
        let ms = |x: f64| format!("{:.1}", x * 1000.0);
        row(&mut out, "TTFT mean (ms)", serving(&|s| ms(s.ttft_s.mean)));
        row(&mut out, "TTFT p50 (ms)", serving(&|s| ms(s.ttft_s.p50)));
        row(&mut out, "TTFT p99 (ms)", serving(&|s| ms(s.ttft_s.p99)));
        row(&mut out, "TPOT mean (ms)", serving(&|s| ms(s.tpot_s.mean)));
        row(&mut out, "TPOT p99 (ms)", serving(&|s| ms(s.tpot_s.p99)));
        row(
            &mut out,
            "output tokens/s",
            serving(&|s| format!("{:.0}", s.output_tokens_per_s)),
        );
        row(
            &mut out,
            "prompt tokens cached",
            serving(&|s| format!("{:.1} %", 100.0 * s.cached_prompt_share)),
        );
    }
    if lanes
        .iter()
        .any(|l| l.arrival_digest != first.arrival_digest)
    {
        let _ = writeln!(out, "WARNING: the variants saw different requests");
    }
    let _ = writeln!(out, "\nready replicas (desired) over time:");
    let _ = write!(out, "{:>8}", "t (s)");
    for l in lanes {
        let _ = write!(out, " {:>width$}", l.contender.name);
    }
    out.push('\n');
    let rows = lanes.iter().map(|l| l.replicas.len()).max().unwrap_or(0);
    for r in 0..rows {
        let t = lanes
            .iter()
            .find_map(|l| l.replicas.get(r))
            .map_or(0.0, |s| s.t_s);
        let _ = write!(out, "{t:>8.0}");
        for l in lanes {
            let cell = l
                .replicas
                .get(r)
                .map_or(String::new(), |s| format!("{} ({})", s.ready, s.desired));
            let _ = write!(out, " {cell:>width$}");
        }
        out.push('\n');
    }
    // The race's rule ends on cost (instance-seconds); when every variant used the same (a fixed
    // fleet, as with --balancers) that step names nobody, and the comparison below decides.
    let same_cost = lanes
        .windows(2)
        .all(|w| w[0].contender.instance_seconds == w[1].contender.instance_seconds);
    if same_cost {
        out.push('\n');
    } else {
        let _ = writeln!(out, "\nverdict: {}", race.verdict);
    }
    let names: Vec<&str> = lanes.iter().map(|l| l.contender.name.as_str()).collect();
    let _ = write!(
        out,
        "comparison (loss, latency{}): {}",
        if race.ranking.measures.len() > 3 {
            ", time to first token"
        } else {
            ""
        },
        race.ranking.describe(&names)
    );
    out
}

fn parse_run_args(args: &[String]) -> Result<(&str, Option<&str>), String> {
    let mut path = None;
    let mut timeline = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--timeline" => {
                timeline = Some(
                    args.get(i + 1)
                        .ok_or("--timeline needs a file name")?
                        .as_str(),
                );
                i += 2;
            }
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            file if path.is_none() => {
                path = Some(file);
                i += 1;
            }
            extra => return Err(format!("unexpected argument {extra:?}\n{USAGE}")),
        }
    }
    Ok((
        path.ok_or_else(|| format!("run needs a scenario file\n{USAGE}"))?,
        timeline,
    ))
}

fn load(path: &str) -> Result<Scenario, String> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("standard input: {e}"))?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?
    };
    Scenario::from_json(&text).map_err(|e| format!("{path}: {e}"))
}

/// Writes a line to stdout; a reader that went away (`fleetlab run x | head`) is not an error.
fn print_out(text: &str) -> Result<(), String> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("standard output: {e}"))
        }
        _ => Ok(()),
    }
}

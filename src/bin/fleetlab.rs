//! The native command line: run a scenario and print its summary as JSON, check that a
//! scenario file is valid, or race two to four autoscalers on the same requests. Any bad input
//! (missing file, invalid JSON, a field out of range, variants with different traffic) is one
//! line on stderr naming the problem, and exit status 2; never a panic.

use std::process::ExitCode;

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;

const USAGE: &str = "usage: fleetlab run SCENARIO.json [--timeline OUT.csv]
       fleetlab validate SCENARIO.json
       fleetlab compare A.json B.json [C.json [D.json]] [--every SECONDS] [--json]
                                   (a race: the same requests, two to four autoscalers)
       fleetlab example            (prints the default scenario)
       fleetlab schema [--markdown] (every scenario field: type, range, default)

SCENARIO.json may be - for standard input.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fleetlab: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("run") => {
            let (path, timeline) = parse_run_args(&args[1..])?;
            let scenario = load(path)?;
            let capacity = if timeline.is_some() {
                scenario.duration_s.ceil() as usize + 1
            } else {
                1
            };
            let mut sim = Simulation::with_timeline_capacity(scenario, capacity)
                .map_err(|e| e.to_string())?;
            sim.run_to_end();
            if let Some(out) = timeline {
                std::fs::write(out, sim.timeline().to_csv())
                    .map_err(|e| format!("--timeline {out}: {e}"))?;
            }
            let json = serde_json::to_string_pretty(&sim.summary()).map_err(|e| e.to_string())?;
            print_out(&json)
        }
        Some("validate") => {
            let [path] = &args[1..] else {
                return Err(format!("validate takes one file\n{USAGE}"));
            };
            load(path)?;
            print_out(&format!("{path}: valid"))
        }
        Some("compare") => compare(&args[1..]),
        Some("example") => print_out(&Scenario::default().to_json()),
        Some("schema") => match &args[1..] {
            [] => print_out(&fleetlab::scenario::schema::to_json()),
            [flag] if flag == "--markdown" => {
                print_out(fleetlab::scenario::schema::markdown_table().trim_end())
            }
            _ => Err(format!("schema takes only --markdown\n{USAGE}")),
        },
        Some("-h" | "--help" | "help") => print_out(USAGE),
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}")),
        None => Err(USAGE.to_string()),
    }
}

/// `fleetlab compare`: runs the variants and prints each one's numbers, its replicas over
/// time, and the verdict (or the whole race as JSON).
fn compare(args: &[String]) -> Result<(), String> {
    let mut files = Vec::new();
    let mut every = None;
    let mut json = false;
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
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            file => {
                files.push(file);
                i += 1;
            }
        }
    }
    if files.len() < 2 || files.len() > fleetlab::race::MAX_VARIANTS {
        return Err(format!(
            "compare takes 2 to {} scenario files, got {}\n{USAGE}",
            fleetlab::race::MAX_VARIANTS,
            files.len()
        ));
    }
    let mut variants = Vec::new();
    for f in &files {
        variants.push((f.to_string(), load(f)?));
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
        "race: {} autoscalers on the same {} requests (arrival digest {})",
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
    let _ = write!(out, "\nverdict: {}", race.verdict);
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

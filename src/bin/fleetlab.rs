//! The native command line: run a scenario and print its summary as JSON, or check that a
//! scenario file is valid. Any bad input (missing file, invalid JSON, a field out of range)
//! is one line on stderr naming the problem, and exit status 2; never a panic.

use std::process::ExitCode;

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;

const USAGE: &str = "usage: fleetlab run SCENARIO.json [--timeline OUT.csv]
       fleetlab validate SCENARIO.json
       fleetlab example            (prints the default scenario)
       fleetlab schema [--markdown] (every scenario field: type, range, default)
       fleetlab presets            (named balancer and registry settings: nginx, envoy, …)

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
        Some("example") => print_out(&Scenario::default().to_json()),
        Some("schema") => match &args[1..] {
            [] => print_out(&fleetlab::scenario::schema::to_json()),
            [flag] if flag == "--markdown" => {
                print_out(fleetlab::scenario::schema::markdown_table().trim_end())
            }
            _ => Err(format!("schema takes only --markdown\n{USAGE}")),
        },
        Some("presets") => print_out(&fleetlab::scenario::presets_json()),
        Some("-h" | "--help" | "help") => print_out(USAGE),
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}")),
        None => Err(USAGE.to_string()),
    }
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

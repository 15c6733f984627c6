//! The CLI as a user runs it: a summary on stdout for good input; for bad input one line on
//! stderr naming the field, exit status 2, and never a panic.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn fleetlab(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetlab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The process may exit before reading its input (bad arguments): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn rejects(json: &str, field: &str) {
    let out = fleetlab(&["run", "-"], json);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{json}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line for {json}: {stderr}"
    );
    assert!(
        stderr.contains(field),
        "{json}: expected {field:?} in {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn run_prints_the_contract_summary() {
    let out = fleetlab(
        &["run", "-"],
        r#"{"duration_s": 10, "traffic": {"rate_rps": 450}}"#,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "seed",
        "simulated_s",
        "events_processed",
        "requests",
        "latency_s",
        "instances",
        "per_instance",
        "scale_events",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    for k in ["arrived", "completed", "dropped", "failed", "in_flight"] {
        assert!(v["requests"][k].is_u64(), "requests.{k}");
    }
    for k in ["mean", "p50", "p95", "p99", "max"] {
        assert!(v["latency_s"][k].is_number(), "latency_s.{k}");
    }
    assert_eq!(v["instances"]["final"], 5);
    assert_eq!(v["per_instance"].as_array().unwrap().len(), 5);
    assert_eq!(v["simulated_s"], 10.0);
    let r = &v["requests"];
    let sum = r["completed"].as_u64().unwrap()
        + r["dropped"].as_u64().unwrap()
        + r["failed"].as_u64().unwrap()
        + r["in_flight"].as_u64().unwrap();
    assert_eq!(r["arrived"].as_u64().unwrap(), sum);
}

#[test]
fn same_scenario_gives_byte_identical_output() {
    let s = r#"{"seed": 42, "duration_s": 300, "traffic": {"rate_rps": 470, "keys": 1000},
               "balancer": {"algorithm": "power_of_two"},
               "autoscaler": {"kind": "hpa", "target_utilization_pct": 60, "max_replicas": 20},
               "faults": [{"at_s": 50, "kind": "crash", "instance": 1}]}"#;
    let a = fleetlab(&["run", "-"], s);
    let b = fleetlab(&["run", "-"], s);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    let other_seed = fleetlab(&["run", "-"], &s.replace("42", "43"));
    assert_ne!(a.stdout, other_seed.stdout);
}

#[test]
fn bad_input_names_the_field() {
    rejects("", "not valid JSON");
    rejects("[1", "not valid JSON");
    rejects("[42, 10]", "must be a JSON object");
    rejects(
        r#"{"autoscaler": {"kind": "hpa", "min_replicas": 1, "min_replicas": 2}}"#,
        "autoscaler.min_replicas: appears twice",
    );
    rejects(
        r#"{"instances": {"count": 0}}"#,
        "instances.count: can be 0 only with an autoscaler that scales from zero (autoscaler.kind kpa or queue), got 0",
    );
    rejects(r#"{"instances": {"count": -3}}"#, "instances.count");
    rejects(r#"{"instances": {"count": 1e9}}"#, "instances.count");
    rejects(
        r#"{"instances": {"capacity_rps": 0}}"#,
        "instances.capacity_rps",
    );
    rejects(r#"{"traffic": {"rate_rps": 1e300}}"#, "traffic.rate_rps");
    rejects(r#"{"traffic": {"rate_rps": "fast"}}"#, "traffic.rate_rps");
    rejects(r#"{"traffic": {"rate": 5}}"#, "traffic.rate");
    rejects(r#"{"duration_s": 1e12}"#, "duration_s");
    rejects(r#"{"warmup_s": 700}"#, "warmup_s");
    rejects(r#"{"seed": 9007199254740993}"#, "seed");
    rejects(
        r#"{"balancer": {"algorithm": "fastest"}}"#,
        "balancer.algorithm",
    );
    rejects(r#"{"balancer": {"algorithm": "maglev"}}"#, "traffic.keys");
    rejects(
        r#"{"balancer": {"table_size": 65536}}"#,
        "balancer.table_size",
    );
    rejects(
        r#"{"autoscaler": {"kind": "hpa", "min_replicas": 5, "max_replicas": 2}}"#,
        "autoscaler.max_replicas",
    );
    rejects(
        r#"{"autoscaler": {"kind": "hpa", "behavior": {"scale_down": {"policies": [{"kind": "pods", "value": 4, "period_s": 0}]}}}}"#,
        "autoscaler.behavior.scale_down.policies[0].period_s",
    );
    rejects(r#"{"autoscaler": {"kind": "magic"}}"#, "autoscaler.kind");
    rejects(r#"{"registry": {"ttl_s": -1}}"#, "registry.ttl_s");
    rejects(
        r#"{"faults": [{"at_s": 10, "kind": "explode", "instance": 0}]}"#,
        "faults[0].kind",
    );
    rejects(
        r#"{"traffic": {"changes": [{"at_s": 20, "rate_rps": 1}, {"at_s": 10, "rate_rps": 2}]}}"#,
        "traffic.changes[1].at_s",
    );
    rejects(r#"{"surprise": true}"#, "surprise");
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let out = fleetlab(&["run", "/nonexistent/scenario.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/scenario.json"));
    assert_eq!(fleetlab(&[], "").status.code(), Some(2));
    assert_eq!(fleetlab(&["frobnicate"], "").status.code(), Some(2));
    assert_eq!(
        fleetlab(&["run", "-", "--timeline"], "{}").status.code(),
        Some(2)
    );
}

#[test]
fn validate_and_timeline() {
    let out = fleetlab(&["validate", "-"], "{}");
    assert_eq!(out.status.code(), Some(0));
    let dir = std::env::temp_dir().join(format!("fleetlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("timeline.csv");
    let out = fleetlab(
        &["run", "-", "--timeline", csv.to_str().unwrap()],
        r#"{"duration_s": 30}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("t_s,offered_rps,"));
    assert_eq!(lines.len(), 31, "a header and one row per simulated second");
    assert!(lines[30].starts_with("30,500,"));
    std::fs::remove_dir_all(dir).ok();
}

/// A run that would take hours: a million requests per second for a million seconds.
const ENDLESS: &str = r#"{"duration_s": 1000000, "traffic": {"rate_rps": 1000000},
                          "instances": {"count": 100, "capacity_rps": 20000}}"#;

#[test]
fn ctrl_c_stops_the_run_and_prints_the_partial_summary() {
    let dir = std::env::temp_dir().join(format!("fleetlab-sigint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("endless.json");
    std::fs::write(&scenario, ENDLESS).unwrap();
    let csv = dir.join("timeline.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_fleetlab"))
        .args(["run", scenario.to_str().unwrap(), "--timeline"])
        .arg(&csv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it get well into the run, then press Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed().as_secs() < 10,
        "stops within a slice or so"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("interrupted at t = "), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["partial"], true);
    let t = v["simulated_s"].as_f64().unwrap();
    assert!(t > 0.0 && t < 1e6, "{t}");
    let r = &v["requests"];
    let n = |k: &str| r[k].as_u64().unwrap();
    assert!(n("arrived") > 0);
    assert_eq!(
        n("arrived"),
        n("completed") + n("dropped") + n("failed") + n("in_flight")
    );
    // The timeline was written as the run went: one row per simulated second so far.
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count() - 1;
    assert_eq!(rows as f64, t.floor(), "{rows} rows at t = {t}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_complete_run_is_not_marked_partial() {
    let out = fleetlab(&["run", "-"], r#"{"duration_s": 2}"#);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("partial").is_none());
    assert!(out.stderr.is_empty(), "no progress bar off a terminal");
}

#[test]
fn a_bad_timeline_path_is_refused_before_the_run() {
    for path in ["/nonexistent-dir/t.csv", "/"] {
        let started = std::time::Instant::now();
        let out = fleetlab(&["run", "-", "--timeline", path], ENDLESS);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("--timeline {path}")), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(started.elapsed().as_secs() < 5, "refused before running");
    }
}

#[test]
fn compare_races_autoscalers_on_the_same_requests() {
    let dir = std::env::temp_dir().join(format!("fleetlab-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, autoscaler: &str, rate: f64| {
        let path = dir.join(name);
        let json = format!(
            r#"{{"duration_s": 60, "traffic": {{"rate_rps": {rate}}}, "instances": {{"count": 2, "capacity_rps": 10}}, "autoscaler": {autoscaler}}}"#
        );
        std::fs::write(&path, json).unwrap();
        path.to_string_lossy().into_owned()
    };
    let a = write("a.json", r#"{"kind": "hpa"}"#, 15.0);
    let b = write(
        "b.json",
        r#"{"kind": "kpa", "container_concurrency": 1}"#,
        15.0,
    );
    let out = fleetlab(&["compare", &a, &b, "--every", "20"], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "p99 latency",
        "instance-seconds",
        "cold start",
        "verdict:",
        "hpa",
        "kpa",
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
    let out = fleetlab(&["compare", &a, &b, "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lanes = v["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 2);
    assert_eq!(lanes[0]["arrival_digest"], lanes[1]["arrival_digest"]);
    assert!(v["verdict"]["winner"].is_number());
    // Other traffic: refused, naming the file and the field.
    let c = write("c.json", r#"{"kind": "queue"}"#, 16.0);
    let out = fleetlab(&["compare", &a, &c], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("c.json") && stderr.contains("traffic"),
        "{stderr}"
    );
    // One file, or five: refused.
    assert_eq!(fleetlab(&["compare", &a], "").status.code(), Some(2));
    let five = [a.as_str(), &b, &a, &b, &a];
    let mut args = vec!["compare"];
    args.extend(five);
    assert_eq!(fleetlab(&args, "").status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's race (`examples/race/spike-*.json`) is the serving lesson's spike: the same
/// scenario as lesson 9's first step but for the autoscaler, and the CLI accepts it as a race.
#[test]
fn the_readme_race_is_the_serving_lessons_spike() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/{p}")).unwrap()).unwrap()
    };
    let lesson = read("www/lessons/09-scaling-a-model-server.json");
    let mut spike = lesson["steps"][0]["scenario"].clone();
    spike.as_object_mut().unwrap().remove("autoscaler");
    let mut files = Vec::new();
    for kind in ["hpa", "kpa", "queue"] {
        let path = format!("examples/race/spike-{kind}.json");
        let mut v = read(&path);
        assert_eq!(v["autoscaler"]["kind"], kind, "{path}");
        v.as_object_mut().unwrap().remove("autoscaler");
        assert_eq!(
            v, spike,
            "{path} differs from lesson 9's spike outside `autoscaler`"
        );
        files.push(format!("{root}/{path}"));
    }
    let args: Vec<&str> = std::iter::once("compare")
        .chain(files.iter().map(String::as_str))
        .chain(["--json"])
        .collect();
    let out = fleetlab(&args, "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compare_runs_one_scenario_under_several_balancers() {
    let dir = std::env::temp_dir().join(format!("fleetlab-balancers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("llm.json");
    std::fs::write(
        &path,
        r#"{"duration_s": 120, "traffic": {"rate_rps": 4, "tokens": {"lengths": "fixed", "prompt_tokens": 64, "output_tokens": 16}, "prefix": {"share": 1, "tokens": 1024, "groups": 100}}, "instances": {"count": 4, "model": "llm"}}"#,
    )
    .unwrap();
    let file = path.to_string_lossy().into_owned();
    let list = "round_robin,least_connections,endpoint_picker,cache_aware";
    let out = fleetlab(&["compare", &file, "--balancers", list], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "balancer",
        "TTFT mean",
        "TTFT p99",
        "TPOT mean",
        "output tokens/s",
        "comparison (loss, latency, time to first token):",
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
    // A fixed fleet costs the same under every balancer: the race's cost rule decides nothing,
    // so only the comparison is printed.
    assert!(!stdout.contains("verdict:"), "{stdout}");
    let out = fleetlab(&["compare", &file, "--balancers", list, "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lanes = v["lanes"].as_array().unwrap();
    let names: Vec<&str> = lanes
        .iter()
        .map(|l| l["balancer"].as_str().unwrap())
        .collect();
    assert_eq!(names, list.split(',').collect::<Vec<_>>());
    for l in lanes {
        assert_eq!(
            l["arrival_digest"], lanes[0]["arrival_digest"],
            "the same requests"
        );
        assert!(l["serving"]["ttft_s"]["mean"].as_f64().unwrap() > 0.0);
    }
    // 100 prefixes over 4 replicas: round robin computes each on every replica, the
    // prefix-aware balancers on one, so they find more of the prompt tokens cached.
    let cached = |i: usize| {
        lanes[i]["serving"]["cached_prompt_tokens"]
            .as_u64()
            .unwrap()
    };
    assert!(cached(2) > cached(0) && cached(3) > cached(0), "{v}");
    // The share the table prints, and the comparison's ranking with the TTFT measures.
    for l in lanes {
        let s = &l["serving"];
        let all =
            s["prefill_tokens"].as_f64().unwrap() + s["cached_prompt_tokens"].as_f64().unwrap();
        let share = s["cached_prompt_tokens"].as_f64().unwrap() / all;
        assert!((s["cached_prompt_share"].as_f64().unwrap() - share).abs() < 1e-12);
        assert!(l["latency_s"]["p99"].as_f64().unwrap() > 0.0);
    }
    let measures: Vec<&str> = v["ranking"]["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["measure"].as_str().unwrap())
        .collect();
    assert_eq!(measures, ["lost", "p99", "mean", "ttft_mean", "ttft_p99"]);
    // Two files with --balancers, one name, or an unknown name: refused.
    let two = fleetlab(&["compare", &file, &file, "--balancers", list], "");
    assert_eq!(two.status.code(), Some(2));
    let one = fleetlab(&["compare", &file, "--balancers", "round_robin"], "");
    assert_eq!(one.status.code(), Some(2));
    let bad = fleetlab(&["compare", &file, "--balancers", "round_robin,nope"], "");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("balancer.algorithm"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! The guided lessons (`www/lessons/*.json`, in the order `www/lessons/index.json` lists them)
//! checked against the native core, the way the page's lesson player runs them
//! (notes/lessons-format.md is the format): each step builds its scenario (or continues the
//! previous step's simulation), runs to its pause (an absolute `until_s`, or the first log entry
//! of kind `until` before `max_s`), and at the pause
//! - every claim holds (`equals` with `tolerance`, or `min`/`max`);
//! - every placeholder of every text resolves, in both languages, and both languages use the
//!   same placeholders;
//! - every number a text states (a digit sequence, or a number word such as "five" or "五")
//!   is inside a placeholder or is a claim: a `literal` with a `why`, or a `path` claim whose
//!   value formats to that number. A lesson cannot say what the simulation does not do.
//!
//! The structure is checked too: 3–6 steps, a question with exactly one correct choice, known
//! views and log kinds, runs short enough for a page at the step's speed.
//!
//! `LESSONS_TRACE=1 cargo test --test lessons -- --nocapture` prints what each pause looks like
//! (for writing a lesson; the expected values still come from theory, see each claim's `why`).
//! `LESSONS_SEED=7` runs every lesson with seed 7 instead of its own: a range derived right
//! holds for nearly every seed (lessons 1–8 were checked over seeds 1–20 or 1–30).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fleetlab::scenario::Scenario;
use fleetlab::sim::{Breakpoints, LogEvent, Simulation, Stop};
use serde_json::{json, Map, Value};

const LANGS: [&str; 2] = ["en", "zh-CN"];
const STEPS: std::ops::RangeInclusive<usize> = 3..=6;
const CHOICES: std::ops::RangeInclusive<usize> = 2..=5;
const TABS: [&str; 4] = ["balancer", "registry", "autoscaler", "serving"];
/// What a step may ask the page to show (notes/lessons-format.md lists them).
const SHOW: [&str; 19] = [
    "fleet",
    "keys",
    "theory",
    "registry",
    "decisions",
    "compare",
    "chart:load",
    "chart:instances",
    "chart:latency",
    "chart:drops",
    "chart:utilization",
    "chart:in_flight",
    "chart:autoscaler",
    "log",
    "log:registry",
    "log:fault",
    "log:health",
    "log:scaling",
    "log:traffic",
];
const FORMATS: [&str; 5] = ["num", "int", "pct", "ms", "s"];
/// The page's speeds: a step runs at `view.speed` × real time.
const SPEEDS: (f64, f64) = (1.0, 100.0);
/// Longest wait for one step's run at its speed (wall-clock seconds).
const MAX_STEP_WAIT_S: f64 = 60.0;
/// Lesson 1 must be finishable in under three minutes by someone new: at most one of them
/// waiting for runs, the rest for reading and answering.
const MAX_FIRST_LESSON_WAIT_S: f64 = 60.0;

/// Number words a text may not use (a number is stated as a placeholder or a claimed digit).
const EN_NUMBER_WORDS: [&str; 29] = [
    "zero",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "fifty",
    "hundred",
    "thousand",
    "million",
    "half",
    "twice",
    "double",
    "triple",
    "dozen",
    "percent",
    "hundreds",
    "thousands",
    "tens",
    "dozens",
    "quarter",
];
/// Where the lesson's own claims are numbered among a step's.
const LESSON_CLAIM: usize = 1_000_000;
/// Names that contain a number word but state no number.
const NAMES_WITH_NUMBER_WORDS: [&str; 7] = [
    "power of two choices",
    "scale to zero",
    "scales to zero",
    "scaled to zero",
    "scaling to zero",
    "缩容到零",
    "缩到零",
];
/// Where a placeholder stood in a text's plain form.
const PLACEHOLDER: char = '\u{fffc}';
const ZH_NUMBER_CHARS: &str = "零两二三四五六七八九十百千万亿半倍";

/// Terms the Chinese text must use where the English one does (the source article's terms),
/// and names kept as they are.
const GLOSSARY: [(&str, &str); 12] = [
    ("weighted round robin", "加权轮询"),
    ("round robin", "轮询"),
    ("least connections", "最少连接"),
    ("consistent hash", "一致性哈希"),
    ("lease", "租约"),
    ("heartbeat", "心跳"),
    ("evict", "剔除"),
    ("self-preservation", "自我保护"),
    ("load balanc", "负载均衡"),
    ("envoy", "Envoy"),
    ("nginx", "nginx"),
    ("maglev", "Maglev"),
];
const KEPT_NAMES: [&str; 2] = ["HPA", "Kubernetes"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/lessons")
}

/// `LESSONS_TRACE=1` traces every lesson, `LESSONS_TRACE=04` the lessons whose file starts so.
fn tracing(file: &str) -> bool {
    std::env::var("LESSONS_TRACE").is_ok_and(|t| t == "1" || file.starts_with(&t))
}

// ---- the lessons on disk --------------------------------------------------------------------

#[test]
fn every_lesson_holds_in_the_native_core() {
    let index = std::fs::read_to_string(root().join("index.json")).expect("www/lessons/index.json");
    let files: Vec<String> = serde_json::from_str(&index).expect("index.json: a list of names");
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let text = match std::fs::read_to_string(root().join(file)) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{file}: listed in index.json but unreadable: {e}"));
                continue;
            }
        };
        let lesson = match fleetlab::scenario::strict_json(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{file}: not valid JSON: {e}"));
                continue;
            }
        };
        let report = check_lesson(file, &lesson);
        if i == 0 && report.wait_s > MAX_FIRST_LESSON_WAIT_S {
            failures.push(format!(
                "{file}: the first lesson's runs take {:.0} s at their speeds, more than {MAX_FIRST_LESSON_WAIT_S} s \
                 (it must be finishable in under three minutes)",
                report.wait_s
            ));
        }
        failures.extend(report.failures);
    }
    assert!(
        failures.is_empty(),
        "{} lesson problem(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn the_index_lists_every_lesson_file_in_order_once() {
    let index = std::fs::read_to_string(root().join("index.json")).unwrap();
    let files: Vec<String> = serde_json::from_str(&index).unwrap();
    assert!(files.len() >= 8, "at least eight lessons: {files:?}");
    let mut sorted = files.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(files, sorted, "index.json: in NN order, each once");
    let on_disk: BTreeSet<String> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "index.json")
        .collect();
    let listed: BTreeSet<String> = files.iter().cloned().collect();
    assert_eq!(listed, on_disk, "index.json and the lesson files differ");
    let mut ids = BTreeSet::new();
    for f in &files {
        assert!(
            f.len() > 3 && f.as_bytes()[..2].iter().all(u8::is_ascii_digit) && &f[2..3] == "-",
            "{f}: named NN-slug.json"
        );
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(root().join(f)).unwrap()).unwrap();
        assert!(
            ids.insert(v["id"].to_string()),
            "{f}: id {} used twice",
            v["id"]
        );
    }
}

// ---- the runner -----------------------------------------------------------------------------

/// What checking one lesson found.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    /// Wall-clock seconds the lesson's runs take at their speeds.
    wait_s: f64,
}

/// A claim as written in the file.
#[derive(Debug, Clone)]
struct Claim {
    index: usize,
    raw: Value,
    path: Option<String>,
    literal: Option<String>,
    format: Option<String>,
}

/// One `{path}` or `{path|format}` in a text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Placeholder {
    path: String,
    format: Option<String>,
}

/// A number written in a text (outside placeholders), as written.
#[derive(Debug, Clone)]
struct Number {
    text: String,
}

/// A text split into its placeholders, its numbers and any number words.
#[derive(Debug, Default)]
struct Scan {
    placeholders: Vec<Placeholder>,
    numbers: Vec<Number>,
    words: Vec<String>,
    /// The text without placeholders (for the glossary).
    plain: String,
}

/// Which texts are shown when: before the run (question, choices) only the scenario and the
/// state at the step's start exist; the explanation is shown at the pause.
#[derive(Clone, Copy, PartialEq)]
enum When {
    Lesson,
    Before,
    Pause,
}

fn check_lesson(file: &str, lesson: &Value) -> Report {
    let mut report = Report::default();
    let mut fail = |m: String| report.failures.push(format!("{file}: {m}"));
    let Some(obj) = lesson.as_object() else {
        fail("a lesson is an object".into());
        return report;
    };
    for key in obj.keys() {
        if !["id", "title", "goal", "steps", "claims"].contains(&key.as_str()) {
            fail(format!(
                "unknown field {key:?} (id, title, goal, steps, claims)"
            ));
        }
    }
    if !obj.get("id").and_then(Value::as_str).is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
    }) {
        fail("id: a lowercase slug".into());
    }
    // Title and goal are shown before anything runs: their numbers can only be literal claims.
    let lesson_claims = parse_claims(obj.get("claims"), &mut fail, "lesson");
    for c in &lesson_claims {
        if c.path.is_some() {
            fail(format!(
                "lesson claims[{}]: only literal claims here (the title and goal are shown before any run)",
                c.index
            ));
        }
    }
    let mut used_literals = BTreeSet::new();
    for field in ["title", "goal"] {
        let ctx = json!({});
        check_text(
            obj.get(field),
            field,
            When::Lesson,
            &ctx,
            &lesson_claims,
            &BTreeMap::new(),
            &mut used_literals,
            &mut fail,
        );
    }
    let Some(steps) = obj.get("steps").and_then(Value::as_array) else {
        fail("steps: a list".into());
        return report;
    };
    if !STEPS.contains(&steps.len()) {
        fail(format!("{} steps; a lesson has 3–6", steps.len()));
    }
    let mut sim: Option<(Simulation, Value)> = None;
    for (i, step) in steps.iter().enumerate() {
        let label = format!("step {}", i + 1);
        let mut step_fail = |m: String| report.failures.push(format!("{file} {label}: {m}"));
        match check_step(
            file,
            i,
            step,
            &mut sim,
            &lesson_claims,
            &mut used_literals,
            &mut step_fail,
        ) {
            Some(wait) => report.wait_s += wait,
            None => {
                // Without this step's simulation the next ones cannot continue.
                sim = None;
            }
        }
    }
    for c in &lesson_claims {
        if let Some(l) = &c.literal {
            if !used_literals.contains(&c.index) {
                report.failures.push(format!(
                    "{file}: lesson claims[{}]: literal {l:?} appears in no text",
                    c.index
                ));
            }
        }
    }
    report
}

/// Checks one step; returns the wall-clock seconds its run takes at its speed (None when the
/// step could not run).
fn check_step(
    file: &str,
    i: usize,
    step: &Value,
    sim: &mut Option<(Simulation, Value)>,
    lesson_claims: &[Claim],
    lesson_used: &mut BTreeSet<usize>,
    fail: &mut dyn FnMut(String),
) -> Option<f64> {
    let obj = step.as_object().or_else(|| {
        fail("a step is an object".into());
        None
    })?;
    const FIELDS: [&str; 9] = [
        "scenario", "continue", "view", "question", "choices", "run", "explain", "claims", "theory",
    ];
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            fail(format!("unknown field {key:?} ({})", FIELDS.join(", ")));
        }
    }
    // The simulation: a fresh one from the step's own scenario, or the previous step's.
    let continues = match obj.get("continue") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            fail(format!("continue: true or false, got {other}"));
            false
        }
    };
    if continues {
        if obj.contains_key("scenario") {
            fail("a step that continues has no scenario of its own".into());
        }
        if i == 0 {
            fail("the first step cannot continue".into());
            return None;
        }
        if sim.is_none() {
            fail("continues a step that did not run".into());
            return None;
        }
    } else {
        let Some(raw) = obj.get("scenario") else {
            fail("no scenario (a step starts from its own scenario, or continues)".into());
            return None;
        };
        if !raw.is_object() {
            fail("scenario: an object".into());
            return None;
        }
        let scenario = match Scenario::from_json(&raw.to_string()) {
            Ok(mut s) => {
                // `LESSONS_SEED=n` reruns every lesson with another seed: a claim whose range
                // is right holds for (nearly) every seed, not just the lesson's own.
                if let Some(seed) = std::env::var("LESSONS_SEED")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    s.seed = seed;
                }
                s
            }
            Err(e) => {
                fail(format!("scenario: {e}"));
                return None;
            }
        };
        let value = serde_json::to_value(&scenario).expect("a scenario serializes");
        match Simulation::new(scenario) {
            Ok(s) => *sim = Some((s, value)),
            Err(e) => {
                fail(format!("scenario: {e}"));
                return None;
            }
        }
    }
    let (sim, scenario) = sim.as_mut().expect("set above");
    let own = parse_claims(obj.get("claims"), fail, "");
    // The lesson's literal claims (notation such as M/M/1) hold in every text of the lesson.
    let claims: Vec<Claim> = own
        .iter()
        .cloned()
        .chain(lesson_claims.iter().map(|c| Claim {
            index: LESSON_CLAIM + c.index,
            ..c.clone()
        }))
        .collect();

    // The run: to an absolute time, or to the first log entry of a kind before max_s.
    let run = obj.get("run").and_then(Value::as_object).or_else(|| {
        fail("run: an object with until_s, or until and max_s".into());
        None
    })?;
    for key in run.keys() {
        if !["until_s", "until", "max_s"].contains(&key.as_str()) {
            fail(format!(
                "run: unknown field {key:?} (until_s, until, max_s)"
            ));
        }
    }
    let duration = scenario["duration_s"].as_f64().unwrap_or(0.0);
    let t0 = sim.now_s();
    let start = json!({
        "t": t0,
        "summary": serde_json::to_value(sim.summary()).unwrap(),
        "details": serde_json::to_value(sim.details()).unwrap(),
        "explain": serde_json::to_value(sim.explain()).unwrap(),
    });
    let mut event = None;
    match (run.get("until_s"), run.get("until"), run.get("max_s")) {
        (Some(until_s), None, None) => {
            let until_s = until_s.as_f64().unwrap_or(f64::NAN);
            if until_s.is_nan() || until_s <= t0 {
                fail(format!(
                    "run.until_s {until_s} must be after the step's start, t = {t0}"
                ));
                return None;
            }
            if until_s > duration {
                fail(format!(
                    "run.until_s {until_s} is past the scenario's duration_s {duration} (the CLI would stop earlier)"
                ));
            }
            let stop = sim.advance_until(seconds_ns(until_s), u64::MAX, Breakpoints::NONE);
            assert_eq!(stop, Stop::Reached);
        }
        (None, Some(kind), Some(max_s)) => {
            let kind = kind.as_str().unwrap_or("");
            let max_s = max_s.as_f64().unwrap_or(f64::NAN);
            let breakpoints = match Breakpoints::from_names(&[kind]) {
                Ok(b) => b,
                Err(_) => {
                    fail(format!(
                        "run.until {kind:?} is not a log kind ({})",
                        LogEvent::NAMES.join(", ")
                    ));
                    return None;
                }
            };
            if max_s.is_nan() || max_s <= t0 || max_s > duration {
                fail(format!(
                    "run.max_s {max_s} must be after the step's start ({t0}) and within duration_s ({duration})"
                ));
                return None;
            }
            match sim.advance_until(seconds_ns(max_s), u64::MAX, breakpoints) {
                Stop::Breakpoint { seq } => {
                    let entry = sim.log_since(seq).into_iter().find(|e| e.seq == seq);
                    event = entry.map(|e| serde_json::to_value(e).unwrap());
                }
                _ => {
                    fail(format!(
                        "run: no {kind:?} log entry between t = {t0} and max_s = {max_s}"
                    ));
                    return None;
                }
            }
        }
        _ => {
            fail("run: either until_s alone, or until with max_s".into());
            return None;
        }
    }
    let t = sim.now_s();
    let mut ctx = json!({
        "t": t,
        "summary": serde_json::to_value(sim.summary()).unwrap(),
        "details": serde_json::to_value(sim.details()).unwrap(),
        "explain": serde_json::to_value(sim.explain()).unwrap(),
        "scenario": scenario.clone(),
        "start": start,
    });
    if let Some(e) = &event {
        ctx["event"] = e.clone();
    }
    // The most recent log entry of each kind (of those the log still keeps).
    let mut last = Map::new();
    for entry in sim.log_since(0) {
        last.insert(
            entry.event.name().to_string(),
            serde_json::to_value(&entry).unwrap(),
        );
    }
    ctx["last"] = Value::Object(last);
    // Closed forms the step asks for (the page calls the same wasm functions).
    let mut before_ctx = json!({ "scenario": scenario.clone(), "start": ctx["start"].clone() });
    if let Some(theory) = obj.get("theory") {
        let Some(map) = theory.as_object() else {
            fail("theory: an object of named closed forms".into());
            return None;
        };
        let mut at_pause = Map::new();
        let mut at_start = Map::new();
        for (name, spec) in map {
            match eval_theory(spec, &ctx) {
                Ok(v) => {
                    at_pause.insert(name.clone(), v);
                }
                Err(e) => fail(format!("theory.{name}: {e}")),
            }
            if let Ok(v) = eval_theory(spec, &before_ctx) {
                at_start.insert(name.clone(), v);
            }
        }
        ctx["theory"] = Value::Object(at_pause);
        before_ctx["theory"] = Value::Object(at_start);
    }
    if tracing(file) {
        trace(file, i, &ctx);
    }

    // Claims.
    for c in &claims {
        if let Some(path) = &c.path {
            if let Err(m) = check_claim(c, path, &ctx) {
                fail(m);
            }
        }
    }
    // Texts.
    let mut used = BTreeSet::new();
    let pause_claims: BTreeMap<usize, Value> = claims
        .iter()
        .filter_map(|c| Some((c.index, resolve(&ctx, c.path.as_ref()?)?.clone())))
        .collect();
    check_text(
        obj.get("question"),
        "question",
        When::Before,
        &before_ctx,
        &claims,
        &pause_claims,
        &mut used,
        fail,
    );
    match obj.get("choices").and_then(Value::as_array) {
        Some(choices) if CHOICES.contains(&choices.len()) => {
            let mut correct = 0;
            for (k, choice) in choices.iter().enumerate() {
                let Some(c) = choice.as_object() else {
                    fail(format!("choices[{k}]: an object"));
                    continue;
                };
                for key in c.keys() {
                    if !["text", "correct"].contains(&key.as_str()) {
                        fail(format!(
                            "choices[{k}]: unknown field {key:?} (text, correct)"
                        ));
                    }
                }
                match c.get("correct") {
                    None | Some(Value::Bool(false)) => {}
                    Some(Value::Bool(true)) => correct += 1,
                    Some(other) => {
                        fail(format!("choices[{k}].correct: true or false, got {other}"))
                    }
                }
                check_text(
                    c.get("text"),
                    &format!("choices[{k}]"),
                    When::Before,
                    &before_ctx,
                    &claims,
                    &pause_claims,
                    &mut used,
                    fail,
                );
            }
            if correct != 1 {
                fail(format!(
                    "{correct} choices are marked correct; exactly one must be"
                ));
            }
        }
        _ => fail("choices: a list of 2–5 choices (the prediction before the run)".into()),
    }
    check_text(
        obj.get("explain"),
        "explain",
        When::Pause,
        &ctx,
        &claims,
        &pause_claims,
        &mut used,
        fail,
    );
    lesson_used.extend(used.iter().filter_map(|&k| k.checked_sub(LESSON_CLAIM)));
    for c in &own {
        if let Some(l) = &c.literal {
            if !used.contains(&c.index) {
                fail(format!(
                    "claims[{}]: literal {l:?} appears in no text of this step",
                    c.index
                ));
            }
        }
    }

    // What the page shows at the pause.
    let speed = check_view(obj.get("view"), &ctx, event.is_some(), fail);
    let wait = (t - t0) / speed.unwrap_or(1.0);
    if wait > MAX_STEP_WAIT_S {
        fail(format!(
            "the run takes {wait:.0} s at speed {} ({} simulated s): keep it under {MAX_STEP_WAIT_S} s",
            speed.unwrap_or(1.0),
            t - t0
        ));
    }
    Some(wait)
}

fn seconds_ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

fn trace(file: &str, i: usize, ctx: &Value) {
    let line = |v: &Value| serde_json::to_string(v).unwrap();
    let mut explain = ctx["explain"].clone();
    if let Some(m) = explain.as_object_mut() {
        m.remove("ready_theory");
    }
    let mut details = ctx["details"].clone();
    if let Some(m) = details.as_object_mut() {
        m.remove("requests");
        m.remove("latency_s");
    }
    let per: Vec<String> = ctx["summary"]["per_instance"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "#{} {}/{} u{:.3}",
                r["id"],
                r["completed"],
                r["dropped"],
                r["utilization"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    eprintln!(
        "--- {file} step {} at t = {}\nrequests {}\nlatency  {}\nexplain  {}\ndetails  {}\nper      {}",
        i + 1,
        ctx["t"],
        line(&ctx["summary"]["requests"]),
        line(&ctx["summary"]["latency_s"]),
        line(&explain),
        line(&details),
        per.join(", ")
    );
    for key in ["event", "theory", "last"] {
        if let Some(v) = ctx.get(key) {
            eprintln!("{key:<8} {}", line(v));
        }
    }
}

fn check_view(
    view: Option<&Value>,
    ctx: &Value,
    has_event: bool,
    fail: &mut dyn FnMut(String),
) -> Option<f64> {
    let Some(view) = view.and_then(Value::as_object) else {
        fail("view: an object (tab, speed, show, highlight)".into());
        return None;
    };
    for key in view.keys() {
        if !["tab", "speed", "show", "highlight"].contains(&key.as_str()) {
            fail(format!(
                "view: unknown field {key:?} (tab, speed, show, highlight)"
            ));
        }
    }
    match view.get("tab").and_then(Value::as_str) {
        Some(t) if TABS.contains(&t) => {}
        other => fail(format!("view.tab: one of {TABS:?}, got {other:?}")),
    }
    let speed = view.get("speed").and_then(Value::as_f64);
    if !speed.is_some_and(|s| (SPEEDS.0..=SPEEDS.1).contains(&s)) {
        fail(format!(
            "view.speed: {} to {} (× real time), got {speed:?}",
            SPEEDS.0, SPEEDS.1
        ));
    }
    let mut shown = BTreeSet::new();
    match view.get("show").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for s in list {
                match s.as_str() {
                    Some(name) if SHOW.contains(&name) => {
                        shown.insert(name.to_string());
                    }
                    _ => fail(format!("view.show: {s} is not one of {SHOW:?}")),
                }
            }
        }
        _ => fail("view.show: a non-empty list of what to look at".into()),
    }
    if let Some(h) = view.get("highlight") {
        let Some(h) = h.as_object() else {
            fail("view.highlight: an object".into());
            return speed;
        };
        for (key, v) in h {
            match key.as_str() {
                "instance" => {
                    let exists = v.as_u64().is_some_and(|id| {
                        ctx["summary"]["per_instance"]
                            .as_array()
                            .is_some_and(|p| p.iter().any(|r| r["id"].as_u64() == Some(id)))
                    });
                    if !exists {
                        fail(format!(
                            "view.highlight.instance {v}: no such instance at the pause"
                        ));
                    }
                }
                "chart" => {
                    if !v
                        .as_str()
                        .is_some_and(|c| c.starts_with("chart:") && shown.contains(c))
                    {
                        fail(format!("view.highlight.chart {v}: a chart the step shows"));
                    }
                }
                "value" => match v.as_str().map(|p| resolve(ctx, p)) {
                    Some(Some(x)) if x.is_number() => {}
                    _ => fail(format!(
                        "view.highlight.value {v}: a path to a number at the pause"
                    )),
                },
                "log" => {
                    if v != &Value::Bool(true) || !has_event {
                        fail(
                            "view.highlight.log: true, on a step that runs until a log kind".into(),
                        );
                    }
                }
                _ => fail(format!(
                    "view.highlight: unknown field {key:?} (instance, chart, value, log)"
                )),
            }
        }
    }
    speed
}

fn parse_claims(v: Option<&Value>, fail: &mut dyn FnMut(String), label: &str) -> Vec<Claim> {
    let prefix = if label.is_empty() {
        String::new()
    } else {
        format!("{label} ")
    };
    let Some(v) = v else { return Vec::new() };
    let Some(list) = v.as_array() else {
        fail(format!("{prefix}claims: a list"));
        return Vec::new();
    };
    let mut claims = Vec::new();
    for (index, raw) in list.iter().enumerate() {
        let Some(c) = raw.as_object() else {
            fail(format!("{prefix}claims[{index}]: an object"));
            continue;
        };
        for key in c.keys() {
            if ![
                "path",
                "equals",
                "equals_path",
                "tolerance",
                "min",
                "max",
                "literal",
                "why",
                "format",
            ]
            .contains(&key.as_str())
            {
                fail(format!("{prefix}claims[{index}]: unknown field {key:?}"));
            }
        }
        let path = c.get("path").and_then(Value::as_str).map(str::to_string);
        let literal = c.get("literal").and_then(Value::as_str).map(str::to_string);
        let why = c.get("why").and_then(Value::as_str).unwrap_or("");
        let format = c.get("format").and_then(Value::as_str).map(str::to_string);
        if let Some(f) = &format {
            if !FORMATS.contains(&f.as_str()) {
                fail(format!(
                    "{prefix}claims[{index}].format {f:?}: one of {FORMATS:?}"
                ));
            }
        }
        match (&path, &literal) {
            (Some(p), None) => {
                let has_equals = c.contains_key("equals") || c.contains_key("equals_path");
                let has_range = c.contains_key("min") || c.contains_key("max");
                if has_equals == has_range
                    || (c.contains_key("equals") && c.contains_key("equals_path"))
                {
                    fail(format!(
                        "{prefix}claims[{index}] ({p}): one of equals or equals_path (with tolerance), or min/max"
                    ));
                }
                if c.contains_key("tolerance")
                    && !c
                        .get("tolerance")
                        .and_then(Value::as_f64)
                        .is_some_and(|t| t >= 0.0)
                {
                    fail(format!(
                        "{prefix}claims[{index}] ({p}): tolerance is a number ≥ 0"
                    ));
                }
                for k in ["min", "max"] {
                    if c.get(k).is_some_and(|x| !x.is_number()) {
                        fail(format!("{prefix}claims[{index}] ({p}): {k} is a number"));
                    }
                }
                // Inputs explain themselves; everything computed or measured says why.
                if !p.starts_with("scenario.") && why.trim().len() < 8 {
                    fail(format!("{prefix}claims[{index}] ({p}): say why the expected value is right (theory or arithmetic, and the range's source)"));
                }
            }
            (None, Some(l)) => {
                if why.trim().len() < 8 {
                    fail(format!(
                        "{prefix}claims[{index}]: literal {l:?} needs a why"
                    ));
                }
                if !is_number_token(l) {
                    fail(format!("{prefix}claims[{index}]: literal {l:?} is not a number as a text writes it"));
                }
            }
            _ => {
                fail(format!(
                    "{prefix}claims[{index}]: either a path or a literal"
                ));
                continue;
            }
        }
        claims.push(Claim {
            index,
            raw: raw.clone(),
            path,
            literal,
            format,
        });
    }
    claims
}

fn check_claim(c: &Claim, path: &str, ctx: &Value) -> Result<(), String> {
    let why = c
        .raw
        .get("why")
        .and_then(Value::as_str)
        .map(|w| format!(" (why: {w})"))
        .unwrap_or_default();
    let Some(got) = resolve(ctx, path) else {
        return Err(format!(
            "claims[{}]: {path} does not exist at the pause",
            c.index
        ));
    };
    // The value of another path at the same pause (e.g. the step's start: "no more failures").
    let other = match c
        .raw
        .get("equals_path")
        .map(|p| (p, p.as_str().and_then(|p| resolve(ctx, p))))
    {
        Some((p, None)) => {
            return Err(format!(
                "claims[{}]: equals_path {p} does not exist at the pause",
                c.index
            ))
        }
        Some((_, Some(v))) => Some(v),
        None => None,
    };
    if let Some(expected) = c.raw.get("equals").or(other) {
        let tolerance = c
            .raw
            .get("tolerance")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let ok = match (got.as_f64(), expected.as_f64()) {
            (Some(g), Some(e)) => (g - e).abs() <= tolerance,
            _ => got == expected,
        };
        if !ok {
            let tol = if tolerance > 0.0 {
                format!(" ± {tolerance}")
            } else {
                String::new()
            };
            let source = c
                .raw
                .get("equals_path")
                .and_then(Value::as_str)
                .map(|p| format!(" (the value of {p})"))
                .unwrap_or_default();
            return Err(format!(
                "claims[{}]: {path}: got {got}, expected {expected}{tol}{source}{why}",
                c.index
            ));
        }
    } else {
        let Some(g) = got.as_f64() else {
            return Err(format!(
                "claims[{}]: {path}: got {got}, expected a number{why}",
                c.index
            ));
        };
        let min = c
            .raw
            .get("min")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NEG_INFINITY);
        let max = c
            .raw
            .get("max")
            .and_then(Value::as_f64)
            .unwrap_or(f64::INFINITY);
        if !(min..=max).contains(&g) {
            return Err(format!(
                "claims[{}]: {path}: got {g}, expected {min} to {max}{why}",
                c.index
            ));
        }
    }
    Ok(())
}

/// `a.b.0.c`: object keys and list indices (a claim may also write `b[0]`; placeholders use
/// dots only, as the page resolves them).
fn resolve<'a>(ctx: &'a Value, path: &str) -> Option<&'a Value> {
    let dotted = path.replace('[', ".").replace(']', "");
    let mut v = ctx;
    for part in dotted.split('.') {
        v = match v {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The closed forms a step may ask for, computed as the page's wasm exports compute them:
/// `{"readout": [L, N, C]}` (`theory_readout`) or `{"moved_fractions": [a, b]}`; each argument a
/// number or a path.
fn eval_theory(spec: &Value, ctx: &Value) -> Result<Value, String> {
    let Some((name, args)) = spec
        .as_object()
        .and_then(|m| (m.len() == 1).then(|| m.iter().next().unwrap()))
    else {
        return Err("one of {\"readout\": [L, N, C]} or {\"moved_fractions\": [a, b]}".into());
    };
    let args: Vec<f64> = args
        .as_array()
        .ok_or("arguments: a list")?
        .iter()
        .map(|a| match a {
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("{a}")),
            Value::String(p) => resolve(ctx, p)
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("{p} is not a number here")),
            _ => Err(format!("{a}: a number or a path")),
        })
        .collect::<Result<_, _>>()?;
    match (name.as_str(), args.as_slice()) {
        ("readout", [l, n, c]) => {
            let n = if (1.0..=100_000.0).contains(n) && n.fract() == 0.0 {
                *n as u32
            } else {
                0
            };
            Ok(serde_json::to_value(fleetlab::theory::readout(*l, n, *c)).unwrap())
        }
        ("moved_fractions", [a, b]) => {
            let count = |x: f64| {
                if (0.0..=1e9).contains(&x) {
                    x as u32
                } else {
                    0
                }
            };
            Ok(json!({
                "mod_n": fleetlab::theory::mod_n_moved_fraction(count(*a), count(*b)),
                "consistent": fleetlab::theory::consistent_moved_fraction(count(*a), count(*b)),
            }))
        }
        _ => Err(format!(
            "{name} with {} arguments: readout takes [L, N, C], moved_fractions [a, b]",
            args.len()
        )),
    }
}

/// Checks one language object: both languages present, placeholders resolvable in `ctx` and
/// the same in both, every number a placeholder or a claim, no number words, the glossary.
#[allow(clippy::too_many_arguments)]
fn check_text(
    v: Option<&Value>,
    field: &str,
    when: When,
    ctx: &Value,
    claims: &[Claim],
    pause_values: &BTreeMap<usize, Value>,
    used: &mut BTreeSet<usize>,
    fail: &mut dyn FnMut(String),
) {
    let Some(obj) = v.and_then(Value::as_object) else {
        fail(format!("{field}: an object with \"en\" and \"zh-CN\""));
        return;
    };
    for key in obj.keys() {
        if !LANGS.contains(&key.as_str()) {
            fail(format!("{field}: unknown language {key:?}"));
        }
    }
    let mut scans = Vec::new();
    for lang in LANGS {
        let Some(text) = obj
            .get(lang)
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
        else {
            fail(format!("{field}.{lang}: missing or empty"));
            return;
        };
        let scan = match scan_text(text) {
            Ok(s) => s,
            Err(e) => {
                fail(format!("{field}.{lang}: {e}"));
                return;
            }
        };
        for p in &scan.placeholders {
            if let Some(f) = &p.format {
                if !FORMATS.contains(&f.as_str()) {
                    fail(format!(
                        "{field}.{lang}: {{{}|{f}}}: format is one of {FORMATS:?}",
                        p.path
                    ));
                }
            }
            let root = p.path.split('.').next().unwrap_or("");
            if when == When::Before && !["scenario", "start", "theory"].contains(&root) {
                fail(format!(
                    "{field}.{lang}: {{{}}} is not known before the run (a question and its choices use scenario.*, start.* or theory.*)",
                    p.path
                ));
                continue;
            }
            match resolve(ctx, &p.path) {
                Some(Value::Number(_)) => {}
                Some(Value::String(_)) if p.format.is_none() => {}
                Some(other) => fail(format!(
                    "{field}.{lang}: {{{}}} is {other}, not a number{}",
                    p.path,
                    if p.format.is_some() {
                        ""
                    } else {
                        " or a string"
                    }
                )),
                None => fail(format!(
                    "{field}.{lang}: {{{}}} does not resolve{}",
                    p.path,
                    if when == When::Before {
                        " before the run"
                    } else {
                        " at the pause"
                    }
                )),
            }
        }
        for number in &scan.numbers {
            let stating: Vec<usize> = claims
                .iter()
                .filter(|c| claim_states(c, number, when, pause_values))
                .map(|c| c.index)
                .collect();
            match stating.is_empty() {
                false => used.extend(stating),
                true => fail(format!(
                    "{field}.{lang}: the number {:?} is neither a placeholder nor a claim (add a literal claim with why, or a path claim whose value it is)",
                    number.text
                )),
            }
        }
        for w in &scan.words {
            fail(format!("{field}.{lang}: the number word {w:?}: state numbers as placeholders or claimed digits"));
        }
        scans.push((lang, text, scan));
    }
    let (en, zh) = (&scans[0], &scans[1]);
    let mut a = en.2.placeholders.clone();
    let mut b = zh.2.placeholders.clone();
    a.sort();
    b.sort();
    if a != b {
        let show = |v: &[Placeholder]| {
            v.iter()
                .map(|p| {
                    format!(
                        "{{{}{}}}",
                        p.path,
                        p.format
                            .as_ref()
                            .map(|f| format!("|{f}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        fail(format!(
            "{field}: the languages use different placeholders: en {} / zh-CN {}",
            show(&a),
            show(&b)
        ));
    }
    let mut na: Vec<String> = en.2.numbers.iter().map(|n| normalize(&n.text)).collect();
    let mut nb: Vec<String> = zh.2.numbers.iter().map(|n| normalize(&n.text)).collect();
    na.sort();
    nb.sort();
    if na != nb {
        fail(format!(
            "{field}: the languages state different numbers: en {na:?} / zh-CN {nb:?}"
        ));
    }
    let en_lower = en.2.plain.to_lowercase();
    if en_lower.chars().filter(char::is_ascii_alphabetic).count() > 3
        && !zh.2.plain.chars().any(is_cjk)
    {
        fail(format!("{field}.zh-CN: not translated"));
    }
    for (term, zh_term) in GLOSSARY {
        if contains_word_start(&en_lower, term) && !zh.2.plain.contains(zh_term) {
            fail(format!(
                "{field}.zh-CN: the English says {term:?}; the Chinese must use {zh_term:?}"
            ));
        }
    }
    for name in KEPT_NAMES {
        if en.2.plain.contains(name) && !zh.2.plain.contains(name) {
            fail(format!("{field}.zh-CN: keep {name:?} as it is"));
        }
    }
}

/// Whether `term` occurs in `text` at the start of a word ("lease" in "leases", not "release").
fn contains_word_start(text: &str, term: &str) -> bool {
    text.match_indices(term).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Whether claim `c` states `number`: a literal written the same way, or a path claim whose
/// value (scaled by its format) rounds to it at the number's precision. Before the run only
/// literals and claims on the scenario or the step's start count.
fn claim_states(
    c: &Claim,
    number: &Number,
    when: When,
    pause_values: &BTreeMap<usize, Value>,
) -> bool {
    let written = normalize(&number.text);
    if let Some(l) = &c.literal {
        return normalize(l) == written;
    }
    let Some(path) = &c.path else { return false };
    if when != When::Pause && !(path.starts_with("scenario.") || path.starts_with("start.")) {
        return false;
    }
    let Some(v) = pause_values.get(&c.index).and_then(Value::as_f64) else {
        return false;
    };
    let v = match c.format.as_deref() {
        Some("pct") => v * 100.0,
        Some("ms") => v * 1000.0,
        _ => v,
    };
    let decimals = written.split('.').nth(1).map_or(0, str::len);
    let shown = format!("{:.*}", decimals, v.abs());
    shown == written
}

fn normalize(s: &str) -> String {
    s.replace(',', "")
}

fn is_number_token(s: &str) -> bool {
    matches!(scan_text(s), Ok(scan) if scan.numbers.len() == 1 && scan.numbers[0].text == s)
}

/// Splits a text into placeholders, numbers (maximal runs of ASCII digits with `,ddd` groups and
/// a `.d` fraction) and number words.
fn scan_text(text: &str) -> Result<Scan, String> {
    let mut scan = Scan::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            let close = chars[i..]
                .iter()
                .position(|&x| x == '}')
                .ok_or("an unclosed {")?;
            let inner: String = chars[i + 1..i + close].iter().collect();
            let (path, format) = match inner.split_once('|') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (inner.clone(), None),
            };
            if path.is_empty()
                || !path
                    .chars()
                    .all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '.')
            {
                return Err(format!(
                    "{{{inner}}}: a placeholder is {{path}} or {{path|format}}"
                ));
            }
            scan.placeholders.push(Placeholder { path, format });
            scan.plain.push(PLACEHOLDER);
            i += close + 1;
            continue;
        }
        if c == '}' {
            return Err("a } without {".into());
        }
        if ('\u{ff10}'..='\u{ff19}').contains(&c) {
            return Err(format!("full-width digit {c:?}: write digits as 0–9"));
        }
        if c.is_ascii_digit() {
            let begin = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            // ,ddd groups (a comma followed by exactly three digits).
            while i + 3 < chars.len()
                && chars[i] == ','
                && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
                && chars.get(i + 4).is_none_or(|x| !x.is_ascii_digit())
            {
                i += 4;
            }
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let token: String = chars[begin..i].iter().collect();
            scan.plain.push_str(&token);
            scan.numbers.push(Number { text: token });
            continue;
        }
        scan.plain.push(c);
        i += 1;
    }
    // Number words (names that contain one are not numbers).
    let mut lower = scan.plain.to_lowercase();
    for name in NAMES_WITH_NUMBER_WORDS {
        lower = lower.replace(name, " ");
    }
    // Chinese number characters; 倍 right after a number ("1.25 倍") is a unit, not a number.
    let chars: Vec<char> = lower.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if ZH_NUMBER_CHARS.contains(c) {
            let before = chars[..k].iter().rev().find(|x| !x.is_whitespace());
            let after_number = before.is_some_and(|&b| b.is_ascii_digit() || b == PLACEHOLDER);
            if !(c == '倍' && after_number) {
                scan.words.push(c.to_string());
            }
        }
    }
    // English number words, as whole words.
    for word in lower.split(|c: char| !c.is_ascii_alphabetic() && c != '-' && c != '_') {
        let word = word.trim_matches('-');
        if EN_NUMBER_WORDS.contains(&word) {
            scan.words.push(word.to_string());
        }
    }
    Ok(scan)
}

// ---- the runner's own rules -----------------------------------------------------------------

/// A small lesson on a small scenario, with one step's texts and claims replaced.
fn tiny_lesson(explain_en: &str, explain_zh: &str, claims: Value) -> Value {
    let step = |claims: Value| {
        json!({
            "scenario": { "duration_s": 20, "traffic": { "rate_rps": 50 }, "instances": { "count": 2 } },
            "view": { "tab": "balancer", "speed": 2, "show": ["fleet"] },
            "question": { "en": "Predict: does the queue grow?", "zh-CN": "预测：队列会增长吗？" },
            "choices": [
                { "text": { "en": "No", "zh-CN": "不会" }, "correct": true },
                { "text": { "en": "Yes", "zh-CN": "会" } }
            ],
            "run": { "until_s": 10 },
            "explain": { "en": "Nothing to see.", "zh-CN": "没什么可看的。" },
            "claims": claims
        })
    };
    let mut first = step(claims);
    first["explain"] = json!({ "en": explain_en, "zh-CN": explain_zh });
    json!({
        "id": "tiny",
        "title": { "en": "A tiny lesson", "zh-CN": "小课" },
        "goal": { "en": "Test the runner.", "zh-CN": "测试。" },
        "steps": [first, step(json!([])), step(json!([]))]
    })
}

fn failures_of(lesson: &Value) -> Vec<String> {
    check_lesson("tiny.json", lesson).failures
}

#[test]
fn a_clean_tiny_lesson_passes() {
    let lesson = tiny_lesson(
        "L = {scenario.traffic.rate_rps} req/s on {explain.ready} instances: ρ = {explain.rho_ready}.",
        "L = {scenario.traffic.rate_rps} req/s，{explain.ready} 个实例：ρ = {explain.rho_ready}。",
        json!([{ "path": "explain.rho_ready", "equals": 0.25, "tolerance": 1e-12, "why": "50 / (2 × 100)" }]),
    );
    assert_eq!(failures_of(&lesson), Vec::<String>::new());
}

#[test]
fn an_unclaimed_number_fails() {
    let lesson = tiny_lesson(
        "Each instance gets 25 req/s.",
        "每个实例得到 25 req/s。",
        json!([]),
    );
    let f = failures_of(&lesson);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f[0].contains("tiny.json step 1: explain.en: the number \"25\" is neither"),
        "{f:#?}"
    );
    assert!(f[1].contains("explain.zh-CN: the number \"25\""), "{f:#?}");
    // Claimed as a literal, or as a path whose value it is, it passes; a wrong value does not.
    let literal = json!([{ "literal": "25", "why": "L/N = 50/2, the article's first rule" }]);
    assert_eq!(
        failures_of(&tiny_lesson(
            "Each instance gets 25 req/s.",
            "每个实例得到 25 req/s。",
            literal
        )),
        Vec::<String>::new()
    );
    let path =
        json!([{ "path": "explain.nominal.per_instance_load", "equals": 25, "why": "L/N = 50/2" }]);
    assert_eq!(
        failures_of(&tiny_lesson(
            "Each instance gets 25 req/s.",
            "每个实例得到 25 req/s。",
            path
        )),
        Vec::<String>::new()
    );
    let wrong =
        json!([{ "path": "explain.nominal.per_instance_load", "equals": 25, "why": "L/N = 50/2" }]);
    let f = failures_of(&tiny_lesson(
        "Each instance gets 26 req/s.",
        "每个实例得到 26 req/s。",
        wrong,
    ));
    assert!(f.iter().any(|m| m.contains("\"26\" is neither")), "{f:#?}");
    // A percentage claimed through its format; a number with decimals at its precision.
    let pct = json!([{ "path": "explain.rho_ready", "equals": 0.25, "tolerance": 1e-12, "format": "pct", "why": "50 / (2 × 100)" }]);
    assert_eq!(
        failures_of(&tiny_lesson(
            "Busy 25% of the time.",
            "25% 的时间在忙。",
            pct.clone()
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        failures_of(&tiny_lesson(
            "ρ = 0.25 here.",
            "这里 ρ = 0.25。",
            json!([{ "path": "explain.rho_ready", "equals": 0.25, "why": "50 / (2 × 100)" }])
        )),
        Vec::<String>::new()
    );
    // Digits inside words count too, and so do number words in either language.
    let f = failures_of(&tiny_lesson("Watch the p99.", "看 p99。", json!([])));
    assert!(f.iter().any(|m| m.contains("\"99\"")), "{f:#?}");
    // 倍 after a number is a unit; names that contain a number word are names.
    let times = json!([{ "literal": "1.25", "why": "100 % / 80 %" }]);
    assert_eq!(
        failures_of(&tiny_lesson(
            "At most 1.25 times, or scale to zero.",
            "最多 1.25 倍，或者缩容到零。",
            times
        )),
        Vec::<String>::new()
    );
    let f = failures_of(&tiny_lesson("Twice as many.", "两倍。", json!([])));
    assert!(
        f.iter().any(|m| m.contains("the number word \"twice\"")),
        "{f:#?}"
    );
    assert!(
        f.iter().any(|m| m.contains("the number word \"倍\"")),
        "{f:#?}"
    );
    let f = failures_of(&tiny_lesson("Two instances.", "两个实例。", json!([])));
    assert!(
        f.iter()
            .any(|m| m.contains("explain.en: the number word \"two\"")),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|m| m.contains("explain.zh-CN: the number word \"两\"")),
        "{f:#?}"
    );
}

#[test]
fn claims_and_placeholders_are_checked_precisely() {
    // A claim that does not hold names the lesson, the step, the path, what it got and expected.
    let lesson = tiny_lesson(
        "ok",
        "好的",
        json!([{ "path": "explain.rho_ready", "equals": 0.3, "tolerance": 0.01, "why": "deliberately wrong" }]),
    );
    let f = failures_of(&lesson);
    assert_eq!(f, vec!["tiny.json step 1: claims[0]: explain.rho_ready: got 0.25, expected 0.3 ± 0.01 (why: deliberately wrong)".to_string()]);
    let lesson = tiny_lesson(
        "ok",
        "好的",
        json!([{ "path": "summary.requests.arrived", "min": 0, "max": 10, "why": "deliberately wrong" }]),
    );
    let f = failures_of(&lesson);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("tiny.json step 1: claims[0]: summary.requests.arrived: got "),
        "{f:#?}"
    );
    assert!(
        f[0].ends_with("expected 0 to 10 (why: deliberately wrong)"),
        "{f:#?}"
    );
    // Placeholders must resolve and be the same in both languages.
    let f = failures_of(&tiny_lesson("{explain.nope}", "{explain.nope}", json!([])));
    assert!(
        f.iter()
            .any(|m| m.contains("{explain.nope} does not resolve at the pause")),
        "{f:#?}"
    );
    let f = failures_of(&tiny_lesson("ρ = {explain.rho_ready}", "负载", json!([])));
    assert!(
        f.iter()
            .any(|m| m.contains("the languages use different placeholders")),
        "{f:#?}"
    );
    // A question cannot use what only the run produces.
    let mut lesson = tiny_lesson("ok", "好的", json!([]));
    lesson["steps"][0]["question"] = json!({ "en": "Will {summary.requests.dropped} drop?", "zh-CN": "会丢弃 {summary.requests.dropped} 个吗？" });
    let f = failures_of(&lesson);
    assert!(
        f.iter()
            .any(|m| m
                .contains("question.en: {summary.requests.dropped} is not known before the run")),
        "{f:#?}"
    );
}

#[test]
fn structure_is_checked() {
    // A breakpoint that never comes before max_s fails.
    let mut lesson = tiny_lesson("ok", "好的", json!([]));
    lesson["steps"][0]["run"] = json!({ "until": "evicted", "max_s": 15 });
    let f = failures_of(&lesson);
    assert!(
        f.iter()
            .any(|m| m
                == "tiny.json step 1: run: no \"evicted\" log entry between t = 0 and max_s = 15"),
        "{f:#?}"
    );
    // Exactly one correct choice.
    let mut lesson = tiny_lesson("ok", "好的", json!([]));
    lesson["steps"][1]["choices"][1]["correct"] = json!(true);
    assert!(failures_of(&lesson)
        .iter()
        .any(|m| m.contains("step 2: 2 choices are marked correct")));
    // Too few steps; an unknown view; a run too long for a page.
    let mut lesson = tiny_lesson("ok", "好的", json!([]));
    lesson["steps"].as_array_mut().unwrap().pop();
    lesson["steps"][1]["view"]["show"] = json!(["fleet", "chart:nope"]);
    lesson["steps"][0]["view"]["speed"] = json!(1);
    lesson["steps"][0]["scenario"]["duration_s"] = json!(100);
    lesson["steps"][0]["run"] = json!({ "until_s": 90 });
    let f = failures_of(&lesson);
    assert!(
        f.iter().any(|m| m.contains("2 steps; a lesson has 3–6")),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|m| m.contains("step 2: view.show: \"chart:nope\"")),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|m| m.contains("step 1: the run takes 90 s at speed 1")),
        "{f:#?}"
    );
    // A missing translation and a glossary term.
    let f = failures_of(&tiny_lesson(
        "Round robin sends every fifth request here.",
        "Round robin sends every fifth request here.",
        json!([]),
    ));
    assert!(
        f.iter()
            .any(|m| m.contains("explain.zh-CN: not translated")),
        "{f:#?}"
    );
    assert!(f.iter().any(|m| m.contains("must use \"轮询\"")), "{f:#?}");
}

#[test]
fn scanning_numbers() {
    let s = scan_text("a 1,000 b 0.25 c p99, d 1, 2. e {x.y|pct} f 3.").unwrap();
    let n: Vec<&str> = s.numbers.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(n, ["1,000", "0.25", "99", "1", "2", "3"]);
    assert_eq!(
        s.placeholders,
        vec![Placeholder {
            path: "x.y".into(),
            format: Some("pct".into())
        }]
    );
    assert!(scan_text("a {b").is_err());
    assert!(scan_text("a b}").is_err());
    assert!(scan_text("５").is_err());
    assert!(is_number_token("1,000") && is_number_token("0.5") && !is_number_token("M/M/1"));
}

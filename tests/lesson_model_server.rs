//! A quick check of www/lessons/09-scaling-a-model-server.json, in the format of the lessons
//! (notes/lessons-format.md), until the shared lesson runner (tests/lessons.rs) checks every
//! lesson: each step runs natively from its scenario to its pause; every claim holds there;
//! every placeholder names a value that exists; every digit in the step's texts (both
//! languages) is inside a placeholder or is a claim.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::Scenario;
use fleetlab::sim::{LogEvent, Simulation};
use serde_json::{json, Value};

const LESSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/www/lessons/09-scaling-a-model-server.json"
));

/// `a.b[2].c` in a JSON value.
fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = root;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        node = match (node.as_array(), name.parse::<usize>()) {
            // `a.b.0.c`, the dotted form the page's placeholders use
            (Some(list), Ok(i)) => list.get(i)?,
            _ => node.get(name)?,
        };
        if let Some(i) = index {
            node = node.get(i)?;
        }
    }
    Some(node)
}

/// The texts of a step (question, choices, explain) in every language.
fn texts(step: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: &Value| {
        if let Some(o) = v.as_object() {
            out.extend(o.values().filter_map(|s| s.as_str().map(String::from)));
        }
    };
    add(&step["question"]);
    add(&step["explain"]);
    for c in step["choices"].as_array().into_iter().flatten() {
        add(&c["text"]);
    }
    out
}

/// The placeholders `{path|format}` of a text, and the text without them.
fn split_placeholders(text: &str) -> (Vec<String>, String) {
    let mut paths = Vec::new();
    let mut rest = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '{' {
            let inner: String = chars.by_ref().take_while(|&c| c != '}').collect();
            paths.push(inner.split('|').next().unwrap_or_default().to_string());
            rest.push(' ');
        } else {
            rest.push(c);
        }
    }
    (paths, rest)
}

/// Number tokens (`120`, `2.8`) in a text.
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point =
            c == '.' && !cur.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_ascii_digit() || decimal_point {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn plain(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => fleetlab::error::plain(x),
        None => v.to_string(),
    }
}

#[test]
fn the_model_server_lesson_holds() {
    let lesson: Value = serde_json::from_str(LESSON).unwrap();
    for key in ["title", "goal"] {
        for lang in ["en", "zh-CN"] {
            assert!(lesson[key][lang].is_string(), "{key}.{lang}");
        }
    }
    let mut sim: Option<Simulation> = None;
    for (i, step) in lesson["steps"].as_array().unwrap().iter().enumerate() {
        if step["continue"].as_bool() != Some(true) {
            let scenario = Scenario::from_json(&step["scenario"].to_string())
                .unwrap_or_else(|e| panic!("step {i}: {e}"));
            sim = Some(Simulation::new(scenario).unwrap());
        }
        let sim = sim.as_mut().unwrap();
        let mut event = Value::Null;
        if let Some(until) = step["run"]["until_s"].as_f64() {
            sim.advance(until - sim.now_s());
        } else {
            let kind = step["run"]["until"].as_str().unwrap();
            let max = step["run"]["max_s"].as_f64().unwrap();
            let seen = sim.log_since(0).len();
            while sim.now_s() < max {
                sim.advance(0.5);
                let found = sim
                    .log_since(0)
                    .into_iter()
                    .skip(seen)
                    .find(|e| e.event.name() == kind);
                if let Some(e) = found {
                    event = serde_json::to_value(&e).unwrap();
                    break;
                }
            }
            assert!(!event.is_null(), "step {i}: no {kind} before {max} s");
        }
        let _ = LogEvent::NAMES;
        let state = json!({
            "t": sim.now_s(),
            "summary": sim.summary(),
            "details": sim.details(),
            "explain": sim.explain(),
            "scenario": sim.scenario(),
            "event": event,
        });
        let claims = step["claims"].as_array().cloned().unwrap_or_default();
        let mut allowed: Vec<String> = Vec::new();
        for c in &claims {
            if let Some(lit) = c["literal"].as_str() {
                assert!(c["why"].is_string(), "step {i}: literal {lit} needs a why");
                allowed.push(lit.to_string());
                continue;
            }
            let path = c["path"].as_str().unwrap();
            let v = lookup(&state, path)
                .and_then(Value::as_f64)
                .unwrap_or_else(|| panic!("step {i}: {path} is not a number"));
            if let Some(eq) = c.get("equals") {
                let tol = c["tolerance"].as_f64().unwrap_or(0.0);
                let want = eq.as_f64().unwrap();
                assert!(
                    (v - want).abs() <= tol,
                    "step {i}: {path} = {v}, claimed {want}"
                );
                allowed.push(plain(eq));
            }
            if let Some(min) = c["min"].as_f64() {
                assert!(v >= min, "step {i}: {path} = {v} < {min}");
            }
            if let Some(max) = c["max"].as_f64() {
                assert!(v <= max, "step {i}: {path} = {v} > {max}");
            }
        }
        for text in texts(step) {
            let (paths, rest) = split_placeholders(&text);
            for p in paths {
                assert!(
                    lookup(&state, &p).is_some_and(|v| !v.is_null()),
                    "step {i}: placeholder {{{p}}} has no value"
                );
            }
            for n in numbers(&rest) {
                assert!(
                    allowed.contains(&n),
                    "step {i}: \"{n}\" in {text:?} is neither a placeholder nor a claim"
                );
            }
        }
        let choices = step["choices"].as_array().cloned().unwrap_or_default();
        if !choices.is_empty() {
            let correct = choices.iter().filter(|c| c["correct"] == true).count();
            assert_eq!(correct, 1, "step {i}: one correct choice");
        }
    }
}

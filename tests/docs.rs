//! docs/scenario.md is a contract: every numeric range in its table is accepted at both ends
//! and refused just outside, with a message naming the field. A range changed in the validator
//! and not in the documentation (or the other way round) fails here.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::Scenario;
use serde_json::{json, Value};

/// A scenario in which the field at `path` exists and every other constraint holds.
fn base(path: &str) -> Value {
    let policies = json!([{"kind": "pods", "value": 4, "period_s": 15}]);
    match path.split(['.', '[']).next().unwrap() {
        "autoscaler" => json!({"autoscaler": {"kind": "hpa", "max_replicas": 100000,
            "behavior": {"scale_up": {"policies": policies}, "scale_down": {"policies": policies}}}}),
        "balancer" => json!({"balancer": {"health_check": {}, "outlier_detection": {}}}),
        "traffic" => json!({"traffic": {"changes": [{"at_s": 1, "rate_rps": 1}]}}),
        "instances" => json!({"instances": {"overrides": [{"instance": 0}]}}),
        "faults" => json!({"faults": [{"at_s": 1, "kind": "slow", "instance": 0}]}),
        _ => json!({}),
    }
}

fn set(root: &mut Value, path: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (
                name,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (*part, None),
        };
        let last = i + 1 == parts.len();
        let obj = node
            .as_object_mut()
            .unwrap_or_else(|| panic!("{path}: {name} is not in an object"));
        if last && index.is_none() {
            obj.insert(name.to_string(), value);
            return;
        }
        let child = obj.entry(name.to_string()).or_insert_with(|| {
            if index.is_some() {
                json!([{}])
            } else {
                json!({})
            }
        });
        node = match index {
            Some(i) => {
                let item = &mut child.as_array_mut().unwrap()[i];
                if last {
                    *item = value;
                    return;
                }
                item
            }
            None => child,
        };
    }
}

fn check(path: &str, value: Value) -> Result<(), String> {
    let mut scenario = base(path);
    set(&mut scenario, path, value);
    Scenario::from_json(&scenario.to_string())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn documented_ranges_are_the_validated_ranges() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario.md")).unwrap();
    let mut checked = 0;
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let path = cells[1].trim_matches('`');
        let Some((lo, hi)) = cells[3].split_once(" – ") else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (lo.parse::<f64>(), hi.parse::<f64>()) else {
            continue;
        };
        let number = |x: f64| {
            if x.fract() == 0.0 && x.abs() < 9.1e15 {
                json!(x as i64)
            } else {
                json!(x)
            }
        };
        for ok in [lo, hi] {
            check(path, number(ok)).unwrap_or_else(|e| {
                panic!("{path} = {ok} is documented as allowed but refused: {e}")
            });
        }
        let below = if lo == 0.0 { -1.0 } else { lo / 2.0 };
        for bad in [below, hi + 1.0] {
            let err = check(path, number(bad)).err().unwrap_or_else(|| {
                panic!("{path} = {bad} is outside the documented range but accepted")
            });
            assert!(
                err.starts_with(&format!("{path}:")),
                "{path} = {bad}: the message should name the field: {err}"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 45,
        "only {checked} ranges found in docs/scenario.md"
    );
}

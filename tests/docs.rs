//! docs/scenario.md is a contract: its table is the validator's own field table, and every
//! numeric range in that table is accepted at both ends and refused just outside, with a
//! message naming the field. A range changed in one place and not the other fails here.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::scenario::schema::{self, Ty};
use fleetlab::scenario::Scenario;
use serde_json::{json, Value};

#[test]
fn the_documented_table_is_the_validators_table() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario.md")).unwrap();
    let documented: Vec<&str> = doc.lines().filter(|l| l.starts_with('|')).collect();
    let generated = schema::markdown_table();
    let generated: Vec<&str> = generated.lines().collect();
    for (i, (d, g)) in documented.iter().zip(&generated).enumerate() {
        assert_eq!(
            d, g,
            "docs/scenario.md table row {i} differs from `fleetlab schema --markdown`: regenerate the table"
        );
    }
    assert_eq!(
        documented.len(),
        generated.len(),
        "table length differs: regenerate it"
    );
}

/// A scenario in which the field at `path` exists and every other constraint holds.
fn base(path: &str, kinds: &[&str]) -> Value {
    let policies = json!([{"kind": "pods", "value": 4, "period_s": 15}]);
    let kind = kinds.last().copied().unwrap_or("hpa");
    match path.split(['.', '[']).next().unwrap() {
        "autoscaler" => {
            let mut a = json!({"kind": kind});
            // The largest max, so every min is allowed; the KPA's is max_scale (0: no limit).
            if kind != "kpa" {
                a["max_replicas"] = json!(100000);
            }
            if kind == "hpa" || kind == "queue" {
                a["behavior"] = json!({"scale_up": {"policies": policies}, "scale_down": {"policies": policies}});
            }
            json!({ "autoscaler": a })
        }
        // Zero instances need an autoscaler that starts from zero.
        "instances" if path == "instances.count" => json!({"autoscaler": {"kind": "kpa"}}),
        // Relations on a range's end: min_ring_size ≤ max_ring_size, and base_ejection_s ≤
        // max_ejection_time_s: the other side at its own least.
        "balancer" => json!({"balancer": {"health_check": {}, "passive_health": {},
            "min_ring_size": if path == "balancer.max_ring_size" { 1 } else { 1024 },
            "outlier_detection": if path.ends_with("max_ejection_time_s") { json!({"base_ejection_s": 0.001}) } else { json!({}) }},
            "traffic": {"keys": 10}}),
        "traffic" => json!({"traffic": {"changes": [{"at_s": 1, "rate_rps": 1}]}}),
        "instances" => json!({"instances": {"overrides": [{"instance": 0}]}}),
        "faults" => json!({"faults": [{"at_s": 1, "kind": "slow", "instance": 0}]}),
        "edits" => json!({"edits": [{"at_s": 1, "path": "traffic.rate_rps", "value": 10}]}),
        // warmup_s must also stay below duration_s: give it the longest run.
        "warmup_s" => json!({"duration_s": 1e6}),
        _ => json!({}),
    }
}

fn set(root: &mut Value, path: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (name, list) = match part.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (*part, false),
        };
        let last = i + 1 == parts.len();
        let obj = node
            .as_object_mut()
            .unwrap_or_else(|| panic!("{path}: {name} is not in an object"));
        if last && !list {
            obj.insert(name.to_string(), value);
            return;
        }
        let child =
            obj.entry(name.to_string())
                .or_insert_with(|| if list { json!([{}]) } else { json!({}) });
        node = if list {
            &mut child.as_array_mut().unwrap()[0]
        } else {
            child
        };
    }
}

fn check(path: &str, kinds: &[&str], value: Value) -> Result<(), String> {
    let mut scenario = base(path, kinds);
    set(&mut scenario, path, value);
    Scenario::from_json(&scenario.to_string())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn every_range_is_accepted_at_both_ends_and_refused_outside() {
    let mut checked = 0;
    for f in schema::fields() {
        let (range, integer) = match f.ty {
            Ty::Int { range } => (range, true),
            Ty::Float { range } => (range, false),
            _ => continue,
        };
        let number = |x: f64| {
            if x.fract() == 0.0 && x.abs() < 9.1e15 {
                json!(x as i64)
            } else {
                json!(x)
            }
        };
        let path = f.path.replace("[]", "[0]");
        // The one relation on a range's end: warmup_s < duration_s ≤ its maximum.
        let top = if f.path == "warmup_s" {
            range.max - 0.001
        } else {
            range.max
        };
        for ok in [range.min, top] {
            check(&f.path, &f.kinds, number(ok)).unwrap_or_else(|e| {
                panic!("{path} = {ok} is documented as allowed but refused: {e}")
            });
        }
        let below = if range.min == 0.0 {
            -1.0
        } else {
            range.min / 2.0
        };
        let mut bad = vec![below, range.max + 1.0];
        if integer {
            bad.push(range.min + 0.5);
        }
        for bad in bad {
            let err = check(&f.path, &f.kinds, number(bad))
                .err()
                .unwrap_or_else(|| {
                    panic!("{path} = {bad} is outside the documented range but accepted")
                });
            assert!(
                err.starts_with(&format!("{path}:")),
                "{path} = {bad}: the message should name the field: {err}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 45, "only {checked} ranges in the table");
}

#[test]
fn every_documented_name_is_understood() {
    for f in schema::fields() {
        let Ty::Name { names } = &f.ty else { continue };
        for name in names {
            if f.path == "autoscaler.kind" {
                continue; // its fields depend on it: checked by the scenarios elsewhere
            }
            check(&f.path, &f.kinds, json!(name))
                .unwrap_or_else(|e| panic!("{} = {name} is documented but refused: {e}", f.path));
        }
        let err = check(&f.path, &f.kinds, json!("no_such_name")).unwrap_err();
        assert!(err.contains("must be one of"), "{}: {err}", f.path);
    }
}

/// The page's field catalogs (www/i18n/fields.*.json): every entry names a schema field, has a
/// label and a one-line help in both languages, and names exactly the schema's values; the
/// fields issue 11 added or changed are all there.
#[test]
fn field_catalogs_follow_the_schema() {
    let read = |lang: &str| -> serde_json::Map<String, Value> {
        let path = format!("{}/www/i18n/fields.{lang}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let (en, zh) = (read("en"), read("zh-CN"));
    let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&en), keys(&zh), "both languages have the same entries");
    for (path, entry) in en.iter().chain(zh.iter()) {
        let field = schema::fields()
            .iter()
            .find(|f| f.path == *path)
            .unwrap_or_else(|| panic!("{path} is not a schema field"));
        for part in ["label", "help"] {
            let text = entry[part].as_str().unwrap_or_default();
            assert!(!text.is_empty() && !text.contains('\n'), "{path}.{part}");
        }
        if let Ty::Name { names } = &field.ty {
            if let Some(given) = entry.get("names") {
                let mut given: Vec<&str> = given
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                let mut wanted = names.clone();
                given.sort_unstable();
                wanted.sort_unstable();
                assert_eq!(given, wanted, "{path} names");
            }
        }
    }
    for path in [
        "instances.prestop_s",
        "instances.cpu_request_fraction",
        "balancer.algorithm",
        "balancer.ring",
        "balancer.points_per_instance",
        "balancer.min_ring_size",
        "balancer.max_ring_size",
        "balancer.timeout_s",
        "balancer.retries",
        "balancer.retry_on",
        "balancer.retry_backoff_s",
        "balancer.health_check",
        "balancer.outlier_detection.base_ejection_s",
        "balancer.outlier_detection.max_ejection_pct",
        "balancer.outlier_detection.interval_s",
        "balancer.outlier_detection.max_ejection_time_s",
        "balancer.outlier_detection.always_eject_one_host",
        "balancer.passive_health",
        "balancer.passive_health.max_fails",
        "balancer.passive_health.fail_timeout_s",
        "registry.flavor",
        "registry.ttl_s",
        "registry.self_preservation_threshold",
    ] {
        assert!(en.contains_key(path), "{path} has no label and help");
    }
    // What the review found false stays out: no "at least one" ejection, no weighted Envoy
    // RANDOM.
    let all = serde_json::to_string(&en).unwrap();
    assert!(!all.contains("at least one"));
    assert!(!all.contains("random (weighted)"));
}

//! The core and the wasm facade in real browsers (`wasm-pack test --headless --chrome
//! --firefox`). The determinism tests compare, byte for byte, the summary computed here with
//! the one the native CLI printed for the same scenario earlier in the same `make test` run
//! (target/determinism/, written by the Makefile before these tests are compiled).
#![cfg(target_arch = "wasm32")]

use fleetlab::scenario::Scenario;
use fleetlab::sim::Simulation;
use fleetlab::wasm;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! same_as_native {
    ($name:ident, $file:literal) => {
        #[wasm_bindgen_test]
        fn $name() {
            let scenario = include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/scenarios/",
                $file
            ));
            let native = include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/determinism/",
                $file
            ));
            let mut sim = Simulation::new(Scenario::from_json(scenario).unwrap()).unwrap();
            sim.run_to_end();
            let here = serde_json::to_string_pretty(&sim.summary()).unwrap();
            assert_eq!(
                here.trim_end(),
                native.trim_end(),
                "{} differs from the native run",
                $file
            );
        }
    };
}

same_as_native!(seed_example_matches_native, "seed-example.json");
same_as_native!(reference_fleet_matches_native, "reference-fleet.json");
same_as_native!(shared_queue_matches_native, "shared-queue.json");
same_as_native!(spike_hpa_crash_matches_native, "spike-hpa-crash.json");
same_as_native!(zipf_maglev_matches_native, "zipf-maglev.json");
same_as_native!(kpa_scale_to_zero_matches_native, "kpa-scale-to-zero.json");
same_as_native!(queue_spike_matches_native, "queue-spike.json");
same_as_native!(
    llm_endpoint_picker_matches_native,
    "llm-endpoint-picker.json"
);
same_as_native!(llm_cache_aware_matches_native, "llm-cache-aware.json");

fn js_scenario(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

#[wasm_bindgen_test]
fn facade_summary_equals_the_core_summary() {
    let json = r#"{"seed": 9, "duration_s": 30, "traffic": {"rate_rps": 420}}"#;
    let mut facade = wasm::Simulation::new(js_scenario(json)).unwrap();
    facade.run_to_end();
    let from_js: serde_json::Value = serde_json::from_str(&String::from(
        js_sys::JSON::stringify(&facade.summary()).unwrap(),
    ))
    .unwrap();
    let mut core = Simulation::new(Scenario::from_json(json).unwrap()).unwrap();
    core.run_to_end();
    let direct: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&core.summary()).unwrap()).unwrap();
    // JSON.stringify writes 30.0 as 30: compare the numbers as numbers.
    assert_eq!(numbers_as_f64(from_js), numbers_as_f64(direct));
}

fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
        }
        other => other,
    }
}

#[wasm_bindgen_test]
fn bad_scenarios_throw_errors_naming_the_field() {
    for (json, field) in [
        (r#"{"instances": {"count": 0}}"#, "instances.count"),
        (
            r#"{"instances": {"capacity_rps": -5}}"#,
            "instances.capacity_rps",
        ),
        (r#"{"traffic": {"rate_rps": "lots"}}"#, "traffic.rate_rps"),
        (r#"{"bogus": 1}"#, "bogus"),
        (
            r#"{"autoscaler": {"kind": "hpa", "min_replicas": 0}}"#,
            "autoscaler.min_replicas",
        ),
    ] {
        match wasm::Simulation::new(js_scenario(json)) {
            Ok(_) => panic!("accepted {json}"),
            Err(err) => {
                let message = String::from(js_sys::Error::from(err).message());
                assert!(message.starts_with(field), "{json}: {message}");
            }
        }
    }
}

#[wasm_bindgen_test]
fn live_setters_refuse_bad_values_and_keep_state() {
    let n = |x: f64| JsValue::from(x);
    let mut sim = wasm::Simulation::new(JsValue::UNDEFINED).unwrap();
    sim.advance(n(1.0));
    assert!(sim.set_instances(n(0.0)).is_err());
    assert!(sim.set_instances(n(f64::NAN)).is_err());
    assert!(sim.set_capacity(n(0.0)).is_err());
    assert!(sim.set_load(n(1e12)).is_err());
    sim.set_instances(n(12.0)).unwrap();
    let rows = sim.refresh_view(0.0);
    assert_eq!(rows, 12);
    assert_eq!(sim.view_len(), 12 * wasm::Simulation::view_fields().len());
}

/// The property of a thrown error, as the page reads it.
fn prop(err: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(err, &JsValue::from_str(name)).unwrap()
}

#[wasm_bindgen_test]
fn every_facade_method_takes_any_value_and_throws_a_named_error() {
    // What JavaScript can pass where a string or a number is meant: never a trap, never a
    // silent coercion (NaN, 2^32 and 'abc' used to change instance 0).
    let mut sim = wasm::Simulation::new(JsValue::UNDEFINED).unwrap();
    sim.advance(JsValue::from(1.0));
    let odd = [
        JsValue::from(f64::NAN),
        JsValue::from(4294967296.0),
        JsValue::from_str("abc"),
        JsValue::from(true),
        JsValue::NULL,
        JsValue::UNDEFINED,
        js_sys::Object::new().into(),
        js_sys::Array::new().into(),
        JsValue::from(-1.0),
        JsValue::from(0.5),
    ];
    for v in &odd {
        let err = sim
            .set_instance(v.clone(), JsValue::from(2.0), JsValue::from(1.0))
            .unwrap_err();
        assert_eq!(prop(&err, "field"), JsValue::from_str("instance"), "{v:?}");
        let err = sim
            .fault(v.clone(), JsValue::from_str("crash"), JsValue::from(1.0))
            .unwrap_err();
        assert_eq!(prop(&err, "field"), JsValue::from_str("instance"), "{v:?}");
        if v.as_string().is_none() {
            assert!(sim
                .fault(JsValue::from(0.0), v.clone(), JsValue::from(1.0))
                .is_err());
            assert!(sim
                .set_keys(JsValue::from(10.0), v.clone(), JsValue::from(1.0))
                .is_err());
            assert!(wasm::hpa_yaml(js_scenario(r#"{"kind": "hpa"}"#), v.clone()).is_err());
        }
        let _ = sim.edit(v.clone(), JsValue::from(3.0));
    }
    // Nothing happened to instance 0, and the simulation still runs.
    let settings: serde_json::Value = serde_wasm_bindgen::from_value(sim.scenario()).unwrap();
    assert_eq!(settings["instances"]["overrides"], serde_json::json!([]));
    let before = sim.now_s();
    sim.advance(JsValue::from(1.0));
    assert!(sim.now_s() > before);

    // The error carries its data: field, kind and the allowed range.
    let err = sim
        .edit(
            JsValue::from_str("instances.count"),
            JsValue::from_str("abc"),
        )
        .unwrap_err();
    assert_eq!(prop(&err, "field"), JsValue::from_str("instances.count"));
    assert_eq!(prop(&err, "kind"), JsValue::from_str("not_a_number"));
    let range = prop(&err, "range");
    assert_eq!(prop(&range, "max"), JsValue::from(100000.0));
    assert_eq!(prop(&range, "integer"), JsValue::from(true));
    let err = sim
        .edit(JsValue::from_str("instances.count"), JsValue::from_str(""))
        .unwrap_err();
    assert_eq!(prop(&err, "kind"), JsValue::from_str("empty"));
    // An HPA spec is checked before it is exported.
    let bad = js_scenario(r#"{"kind": "hpa", "min_replicas": 5, "max_replicas": 1}"#);
    let err = wasm::hpa_yaml(bad, JsValue::from_str("web")).unwrap_err();
    assert_eq!(
        prop(&err, "field"),
        JsValue::from_str("autoscaler.max_replicas")
    );
    assert!(wasm::hpa_yaml(
        js_scenario(r#"{"kind": "hpa"}"#),
        JsValue::from_str("../evil")
    )
    .is_err());
    assert!(wasm::hpa_yaml(js_scenario(r#"{"kind": "hpa"}"#), JsValue::from_str("web")).is_ok());
}

#[wasm_bindgen_test]
fn mm1_in_the_browser_agrees_with_theory() {
    // 3,000 s at λ = 70, μ = 100: ≈ 4,000 independent observations, relative standard error
    // ≈ 1.6 %; 8 % is 5 standard errors.
    let mut s = Scenario {
        duration_s: 3000.0,
        warmup_s: 50.0,
        ..Scenario::default()
    };
    s.traffic.rate_rps = 70.0;
    s.instances.count = 1;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    let mean = sim.summary().latency_s.mean;
    let expected = fleetlab::theory::mm1_mean_response_s(70.0, 100.0).unwrap();
    assert!(
        (mean - expected).abs() / expected < 0.08,
        "{mean} vs {expected}"
    );
}

#[wasm_bindgen_test]
fn facade_gives_the_model_serving_readouts() {
    let json = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/llm-endpoint-picker.json"
    ));
    let mut facade = wasm::Simulation::new(js_scenario(json)).unwrap();
    facade.advance(JsValue::from(30.0));
    let as_json = |v: JsValue| -> serde_json::Value {
        serde_json::from_str(&String::from(js_sys::JSON::stringify(&v).unwrap())).unwrap()
    };
    let serving = as_json(facade.serving());
    assert_eq!(serving["replicas"].as_array().unwrap().len(), 4);
    let pick = as_json(facade.last_pick());
    assert_eq!(pick["balancer"], "endpoint_picker");
    assert_eq!(pick["rule"], "highest_score");
    let best = pick["best"].as_f64().unwrap();
    let winner = pick["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["instance"] == pick["winner"])
        .unwrap();
    assert_eq!(winner["total"].as_f64(), Some(best));
    assert_eq!(as_json(facade.pick_history()).as_array().unwrap().len(), 16);
    // The list the page offers, in brief: the last one is the last pick.
    let list = as_json(facade.pick_list());
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 16);
    assert_eq!(list[15]["request"], pick["request"]);
    assert_eq!(list[15]["winner"], pick["winner"]);
    assert!(facade.pick_scores(0.5).is_null());
    // The default lengths: the Azure conversation trace's table, mean 1190.11 prompt tokens.
    let lengths = as_json(wasm::token_lengths(JsValue::UNDEFINED).unwrap());
    assert!((lengths["prompt"]["mean"].as_f64().unwrap() - 1190.11).abs() < 1e-9);
    assert_eq!(
        wasm::endpoint_picker_scores(vec![0, 4, 8], vec![0.2, 0.5, 0.9], vec![0.0, 1.0, 0.5]).len(),
        3
    );
    let web = wasm::Simulation::new(js_scenario("{}")).unwrap();
    assert!(web.serving().is_null() && web.last_pick().is_null());
}

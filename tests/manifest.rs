//! The HPA export parsed back: the YAML is read into structs that mirror the autoscaling/v2
//! API schema (field names in camelCase, int32 counts, enum strings from the API reference),
//! with unknown fields refused, and every value is checked against the settings it came from.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::autoscale::manifest::hpa_yaml;
use fleetlab::scenario::{
    BehaviorConfig, HpaConfig, PolicyKindConfig, ScalingPolicyConfig, ScalingRulesConfig,
    SelectPolicyConfig, ToleranceConfig,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HorizontalPodAutoscaler {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Spec {
    scale_target_ref: CrossVersionObjectReference,
    min_replicas: i32,
    max_replicas: i32,
    metrics: Vec<MetricSpec>,
    behavior: Option<Behavior>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CrossVersionObjectReference {
    api_version: String,
    kind: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricSpec {
    #[serde(rename = "type")]
    kind: String,
    resource: ResourceMetricSource,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceMetricSource {
    name: String,
    target: MetricTarget,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricTarget {
    #[serde(rename = "type")]
    kind: String,
    average_utilization: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Behavior {
    scale_up: Rules,
    scale_down: Rules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Rules {
    stabilization_window_seconds: i32,
    select_policy: String,
    policies: Vec<Policy>,
    /// resource.Quantity, written as a string.
    tolerance: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Policy {
    #[serde(rename = "type")]
    kind: String,
    value: i32,
    period_seconds: i32,
}

/// A direction's policies as (type, value, periodSeconds).
fn policies(rules: &Rules) -> Vec<(&str, i32, i32)> {
    rules
        .policies
        .iter()
        .map(|p| (p.kind.as_str(), p.value, p.period_seconds))
        .collect()
}

fn parse(config: &HpaConfig) -> HorizontalPodAutoscaler {
    let yaml = hpa_yaml(config, "checkout");
    serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn check_common(h: &HorizontalPodAutoscaler, c: &HpaConfig) {
    assert_eq!(h.api_version, "autoscaling/v2");
    assert_eq!(h.kind, "HorizontalPodAutoscaler");
    assert_eq!(h.metadata.name, "checkout");
    assert_eq!(h.spec.scale_target_ref.api_version, "apps/v1");
    assert_eq!(h.spec.scale_target_ref.kind, "Deployment");
    assert_eq!(h.spec.scale_target_ref.name, "checkout");
    assert_eq!(h.spec.min_replicas, c.min_replicas as i32);
    assert_eq!(h.spec.max_replicas, c.max_replicas as i32);
    assert_eq!(h.spec.metrics.len(), 1);
    let m = &h.spec.metrics[0];
    assert_eq!(
        (
            m.kind.as_str(),
            m.resource.name.as_str(),
            m.resource.target.kind.as_str()
        ),
        ("Resource", "cpu", "Utilization")
    );
    assert_eq!(
        m.resource.target.average_utilization,
        c.target_utilization_pct as i32
    );
}

#[test]
fn defaults_export_without_behavior() {
    let c = HpaConfig {
        min_replicas: 2,
        max_replicas: 12,
        target_utilization_pct: 60,
        ..HpaConfig::default()
    };
    let h = parse(&c);
    check_common(&h, &c);
    assert!(
        h.spec.behavior.is_none(),
        "no behavior: the controller's own defaults apply"
    );
}

#[test]
fn behavior_round_trips_every_field() {
    let rules = |window, select, policies: Vec<(PolicyKindConfig, u32, u32)>| ScalingRulesConfig {
        stabilization_window_s: window,
        select_policy: select,
        policies: policies
            .into_iter()
            .map(|(kind, value, period_s)| ScalingPolicyConfig {
                kind,
                value,
                period_s,
            })
            .collect(),
    };
    let c = HpaConfig {
        min_replicas: 1,
        max_replicas: 80,
        target_utilization_pct: 50,
        behavior: Some(BehaviorConfig {
            scale_up: Some(rules(
                Some(30),
                SelectPolicyConfig::Min,
                vec![(PolicyKindConfig::Percent, 50, 60)],
            )),
            scale_down: Some(rules(
                Some(0),
                SelectPolicyConfig::Max,
                vec![
                    (PolicyKindConfig::Pods, 4, 60),
                    (PolicyKindConfig::Percent, 10, 60),
                ],
            )),
        }),
        tolerance: ToleranceConfig {
            scale_up: 0.1,
            scale_down: 0.05,
        },
        sync_s: 15.0,
    };
    let h = parse(&c);
    check_common(&h, &c);
    let b = h.spec.behavior.expect("behavior");
    assert_eq!(b.scale_up.stabilization_window_seconds, 30);
    assert_eq!(b.scale_up.select_policy, "Min");
    assert_eq!(policies(&b.scale_up), vec![("Percent", 50, 60)]);
    assert_eq!(b.scale_up.tolerance, None);
    assert_eq!(b.scale_down.stabilization_window_seconds, 0);
    assert_eq!(b.scale_down.select_policy, "Max");
    let down = policies(&b.scale_down);
    assert_eq!(down, vec![("Pods", 4, 60), ("Percent", 10, 60)]);
    assert_eq!(b.scale_down.tolerance.as_deref(), Some("0.05"));
}

#[test]
fn a_direction_left_out_gets_kubernetes_defaults() {
    let c = HpaConfig {
        behavior: Some(BehaviorConfig {
            scale_up: None,
            scale_down: Some(ScalingRulesConfig {
                stabilization_window_s: None,
                select_policy: SelectPolicyConfig::Disabled,
                policies: vec![],
            }),
        }),
        ..HpaConfig::default()
    };
    let b = parse(&c).spec.behavior.expect("behavior");
    // Kubernetes' defaults (pkg/apis/autoscaling/v2/defaults.go): scale up 0 s window,
    // Max of 100 % and 4 pods per 15 s; scale down 300 s window, 100 % per 15 s.
    assert_eq!(b.scale_up.stabilization_window_seconds, 0);
    assert_eq!(b.scale_up.select_policy, "Max");
    let up = policies(&b.scale_up);
    assert_eq!(up, vec![("Percent", 100, 15), ("Pods", 4, 15)]);
    assert_eq!(b.scale_down.stabilization_window_seconds, 300);
    assert_eq!(b.scale_down.select_policy, "Disabled");
    let down = policies(&b.scale_down);
    assert_eq!(down, vec![("Percent", 100, 15)]);
}

//! Export of the HPA settings as a Kubernetes `autoscaling/v2` HorizontalPodAutoscaler
//! manifest, so what a learner tunes here can be applied to a cluster. Field names and types
//! follow the autoscaling/v2 API (`minReplicas` int32, `metrics[].resource.target`
//! `averageUtilization` int32, `behavior.scaleUp|scaleDown` with `stabilizationWindowSeconds`,
//! `selectPolicy`, `policies[].type|value|periodSeconds`). Two settings are not part of the
//! object: the sync period is the controller's `--horizontal-pod-autoscaler-sync-period` flag,
//! and a tolerance other than the default 0.1 is the per-rule `tolerance` quantity that exists
//! only behind the HPAConfigurableTolerance feature gate (Kubernetes 1.33+); both are written as
//! comments or fields accordingly.

use std::fmt::Write;

use crate::scenario::{HpaConfig, PolicyKindConfig, ScalingRulesConfig, SelectPolicyConfig};

use super::hpa;

/// The manifest for an HPA named `name` scaling the Deployment `name`.
pub fn hpa_yaml(config: &HpaConfig, name: &str) -> String {
    let name = sanitize(name);
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Exported from fleetlab. The sync period ({} s) is the controller flag",
        fmt_num(config.sync_s)
    );
    let _ = writeln!(
        y,
        "# --horizontal-pod-autoscaler-sync-period, not a field of this object."
    );
    y.push_str("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n");
    let _ = writeln!(y, "metadata:\n  name: {name}");
    y.push_str("spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n");
    let _ = writeln!(y, "    name: {name}");
    let _ = writeln!(
        y,
        "  minReplicas: {}\n  maxReplicas: {}",
        config.min_replicas, config.max_replicas
    );
    y.push_str("  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n");
    let _ = writeln!(
        y,
        "          averageUtilization: {}",
        config.target_utilization_pct
    );
    let custom_tolerance = config.tolerance.scale_up != 0.1 || config.tolerance.scale_down != 0.1;
    if config.behavior.is_none() && !custom_tolerance {
        return y;
    }
    let defaults = hpa::Behavior::default();
    let behavior = config.behavior.clone().unwrap_or_default();
    y.push_str("  behavior:\n");
    for (key, rules, default, tolerance) in [
        (
            "scaleUp",
            behavior.scale_up.as_ref(),
            &defaults.scale_up,
            config.tolerance.scale_up,
        ),
        (
            "scaleDown",
            behavior.scale_down.as_ref(),
            &defaults.scale_down,
            config.tolerance.scale_down,
        ),
    ] {
        let _ = writeln!(y, "    {key}:");
        let (window, select, policies) = match rules {
            Some(r) if !r.policies.is_empty() => (
                r.stabilization_window_s,
                select_name(r),
                r.policies
                    .iter()
                    .map(|p| (policy_name(p.kind), p.value, p.period_s))
                    .collect::<Vec<_>>(),
            ),
            Some(r) => (
                r.stabilization_window_s,
                select_name(r),
                default_policies(default),
            ),
            None => (
                default.stabilization_window_s,
                "Max",
                default_policies(default),
            ),
        };
        let window = window.unwrap_or(if key == "scaleUp" {
            0
        } else {
            hpa::DOWNSCALE_STABILISATION_WINDOW_S
        });
        let _ = writeln!(y, "      stabilizationWindowSeconds: {window}");
        let _ = writeln!(y, "      selectPolicy: {select}");
        y.push_str("      policies:\n");
        for (kind, value, period) in policies {
            let _ = writeln!(y, "        - type: {kind}\n          value: {value}\n          periodSeconds: {period}");
        }
        if tolerance != 0.1 {
            let _ = writeln!(
                y,
                "      # Needs the HPAConfigurableTolerance feature gate (Kubernetes 1.33+)."
            );
            let _ = writeln!(y, "      tolerance: \"{}\"", fmt_num(tolerance));
        }
    }
    y
}

fn default_policies(rules: &hpa::ScalingRules) -> Vec<(&'static str, u32, u32)> {
    rules
        .policies
        .iter()
        .map(|p| {
            let kind = match p.kind {
                hpa::PolicyKind::Pods => "Pods",
                hpa::PolicyKind::Percent => "Percent",
            };
            (kind, p.value, p.period_s)
        })
        .collect()
}

fn select_name(r: &ScalingRulesConfig) -> &'static str {
    match r.select_policy {
        SelectPolicyConfig::Max => "Max",
        SelectPolicyConfig::Min => "Min",
        SelectPolicyConfig::Disabled => "Disabled",
    }
}

fn policy_name(kind: PolicyKindConfig) -> &'static str {
    match kind {
        PolicyKindConfig::Pods => "Pods",
        PolicyKindConfig::Percent => "Percent",
    }
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

/// Checks a Deployment name as Kubernetes does for a DNS-1123 label: 1 to 63 characters,
/// lowercase letters, digits and '-', starting and ending with a letter or digit.
pub fn check_name(name: &str) -> Result<(), crate::error::Error> {
    let ok = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(crate::error::Error::new(
            "name",
            "must be a DNS label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
        ))
    }
}

/// A DNS-1123 name: lowercase alphanumerics and '-', at most 63 characters.
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let mut out: String = trimmed.chars().take(63).collect();
    if out.is_empty() {
        out.push_str("fleetlab");
    }
    out.trim_end_matches('-').to_string()
}

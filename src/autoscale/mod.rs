//! Elastic scaling: every `sync_s` an autoscaler reads what the fleet observes and sets the
//! desired instance count. `formula` is the seed's rule N = ceil(L / (C × target)); `hpa`
//! follows Kubernetes' HorizontalPodAutoscaler (see `hpa/`). The simulation turns the fleet
//! into the pod list the HPA would read: an instance's usage is its busy fraction × its
//! capacity and its request is its capacity, so utilization is the busy fraction.

pub mod formula;
pub mod hpa;
pub mod manifest;

use crate::error::Error;
use crate::scenario::{
    AutoscalerConfig, HpaConfig, PolicyKindConfig, ScalingRulesConfig, SelectPolicyConfig,
};

pub use hpa::{Decision, PodMetric, PodState};

/// What an autoscaler can read at a sync.
pub struct Observation<'a> {
    pub now_s: f64,
    /// Replicas of the fleet (starting, ready or crashed; draining ones no longer count).
    pub current_replicas: u32,
    /// Configured arrival rate L.
    pub offered_rps: f64,
    /// Arrival rate measured over the last sync period.
    pub measured_rps: f64,
    /// Capacity C of one (standard-speed) instance.
    pub capacity_rps: f64,
    pub pods: &'a [PodMetric],
}

pub trait Autoscaler: AutoscalerClone {
    fn sync_s(&self) -> f64;
    fn reconcile(&mut self, observation: &Observation) -> Decision;
}

/// Copying a boxed autoscaler (the page's rewind keeps copies of the whole simulation).
pub trait AutoscalerClone {
    fn clone_box(&self) -> Box<dyn Autoscaler>;
}

impl<T: Autoscaler + Clone + 'static> AutoscalerClone for T {
    fn clone_box(&self) -> Box<dyn Autoscaler> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Autoscaler> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Builds the configured autoscaler; None for `kind: none`.
pub fn build(config: &AutoscalerConfig) -> Result<Option<Box<dyn Autoscaler>>, Error> {
    Ok(match config {
        AutoscalerConfig::None => None,
        AutoscalerConfig::Formula(f) => Some(Box::new(formula::Formula::new(f.clone()))),
        AutoscalerConfig::Hpa(h) => Some(Box::new(HpaAutoscaler {
            hpa: hpa::Hpa::new(hpa_spec(h))?,
            sync_s: h.sync_s,
        })),
    })
}

#[derive(Clone)]
struct HpaAutoscaler {
    hpa: hpa::Hpa,
    sync_s: f64,
}

impl Autoscaler for HpaAutoscaler {
    fn sync_s(&self) -> f64 {
        self.sync_s
    }

    fn reconcile(&mut self, o: &Observation) -> Decision {
        self.hpa.reconcile(o.now_s, o.current_replicas, o.pods)
    }
}

/// The scenario's snake_case HPA settings as the controller's spec. A behavior with one
/// direction left out gets Kubernetes' default rules for that direction.
pub fn hpa_spec(c: &HpaConfig) -> hpa::HpaSpec {
    let behavior = c.behavior.as_ref().map(|b| {
        let defaults = hpa::Behavior::default();
        hpa::Behavior {
            scale_up: b.scale_up.as_ref().map(rules).unwrap_or(defaults.scale_up),
            scale_down: b
                .scale_down
                .as_ref()
                .map(rules)
                .unwrap_or(defaults.scale_down),
        }
    });
    hpa::HpaSpec {
        min_replicas: c.min_replicas,
        max_replicas: c.max_replicas,
        target_utilization_pct: c.target_utilization_pct,
        tolerance: hpa::Tolerance {
            scale_down: c.tolerance.scale_down,
            scale_up: c.tolerance.scale_up,
        },
        behavior,
    }
}

fn rules(r: &ScalingRulesConfig) -> hpa::ScalingRules {
    hpa::ScalingRules {
        stabilization_window_s: r.stabilization_window_s,
        select_policy: match r.select_policy {
            SelectPolicyConfig::Max => hpa::SelectPolicy::Max,
            SelectPolicyConfig::Min => hpa::SelectPolicy::Min,
            SelectPolicyConfig::Disabled => hpa::SelectPolicy::Disabled,
        },
        policies: r
            .policies
            .iter()
            .map(|p| hpa::ScalingPolicy {
                kind: match p.kind {
                    PolicyKindConfig::Pods => hpa::PolicyKind::Pods,
                    PolicyKindConfig::Percent => hpa::PolicyKind::Percent,
                },
                value: p.value,
                period_s: p.period_s,
            })
            .collect(),
    }
}

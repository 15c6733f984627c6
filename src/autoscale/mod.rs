//! Elastic scaling: every `sync_s` an autoscaler reads what the fleet observes and sets the
//! desired instance count. `formula` is the seed's rule N = ceil(L / (C × target)); `hpa`
//! follows Kubernetes' HorizontalPodAutoscaler (see `hpa/`); `kpa` follows Knative's Pod
//! Autoscaler (see `kpa/`: requests in flight, panic mode, scale to zero behind an activator);
//! `queue` is KEDA's queue-depth scaling through the same HPA (see `queue.rs`). The simulation
//! turns the fleet into what each reads: for the HPA, the pod list with each instance's usage
//! (its busy fraction × its capacity) and request (its capacity); for the KPA, the revision's
//! requests in flight and arrivals, one value per second; for KEDA, the requests waiting.

pub mod formula;
pub mod hpa;
pub mod kpa;
pub mod manifest;
pub mod queue;

use crate::error::Error;
use crate::scenario::{
    AutoscalerConfig, BehaviorConfig, HpaConfig, PolicyKindConfig, ScalingRulesConfig,
    SelectPolicyConfig,
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
    /// Replicas that are ready (Knative's ready pod count).
    pub ready_replicas: u32,
    /// Requests waiting in the replicas' queues (and the shared queue): `num_requests_waiting`.
    pub waiting_requests: u64,
    /// When the last request arrived, if any did.
    pub last_arrival_s: Option<f64>,
}

/// What the revision did during one second, as Knative's metric pipeline reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondStat {
    /// The second's end (the collector's record time).
    pub t_s: f64,
    /// Time-averaged requests in flight over the second, summed over the revision (queued or
    /// in service at the pods, or held by the activator).
    pub concurrency: f64,
    /// Requests that arrived during the second.
    pub requests: f64,
    /// Ready pods (the scraper reads only those).
    pub ready: u32,
}

/// The activator's own limits (Knative's defaults: the revision's 300 s request timeout and
/// the breaker's queue depth of 10,000).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivatorSettings {
    pub timeout_s: f64,
    pub queue_limit: u32,
    /// Requests one pod may have from the activator at once (0: unlimited).
    pub container_concurrency: u32,
}

pub trait Autoscaler: AutoscalerClone {
    /// Time between decisions.
    fn sync_s(&self) -> f64;
    fn reconcile(&mut self, observation: &Observation) -> Decision;

    /// Called once when the autoscaler takes over a fleet of `replicas`, `ready` of them ready.
    fn init(&mut self, _now_s: f64, _replicas: u32, _ready: u32) {}

    /// Whether it reads `record_second` (the simulation then integrates requests in flight).
    fn wants_seconds(&self) -> bool {
        false
    }

    /// One second of the revision's metrics. True: decide now (Knative's poke, at zero).
    fn record_second(&mut self, _stat: &SecondStat) -> bool {
        false
    }

    /// An activator in front of the fleet, if this autoscaler has one.
    fn activator(&self) -> Option<ActivatorSettings> {
        None
    }

    /// Whether the activator is in the request path by the autoscaler's choice (with no
    /// instance ready, requests go through it anyway).
    fn activator_in_path(&self) -> bool {
        false
    }

    /// A request reached the activator at `now_s`. True: decide now (Knative's poke, at zero).
    fn activator_request(&mut self, _now_s: f64) -> bool {
        false
    }
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
        AutoscalerConfig::Kpa(k) => Some(Box::new(kpa::Knative::new(k.clone())?)),
        AutoscalerConfig::Queue(q) => Some(Box::new(queue::Queue::new(q.clone())?)),
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
    let behavior = c.behavior.as_ref().map(behavior);
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

/// The scenario's `behavior` as the controller's (a direction left out gets the defaults).
pub fn behavior(b: &BehaviorConfig) -> hpa::Behavior {
    let defaults = hpa::Behavior::default();
    hpa::Behavior {
        scale_up: b.scale_up.as_ref().map(rules).unwrap_or(defaults.scale_up),
        scale_down: b
            .scale_down
            .as_ref()
            .map(rules)
            .unwrap_or(defaults.scale_down),
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

//! Pod and spec builders shared by the HPA's test modules (upstream's test helpers).

use super::{Behavior, HpaSpec, PodMetric, PodState, Tolerance};

/// replica_calculator_test.go gives every pod two containers (`numContainersPerPod = 2`),
/// each with the listed request and usage level; a pod's totals are twice the level.
pub(super) const CONTAINERS: u64 = 2;

pub(super) fn ready(level: u64, request: u64) -> PodMetric {
    PodMetric {
        state: PodState::Ready,
        usage_milli: Some(CONTAINERS * level),
        request_milli: CONTAINERS * request,
    }
}
pub(super) fn unready(level: u64, request: u64) -> PodMetric {
    PodMetric {
        state: PodState::Unready,
        usage_milli: Some(CONTAINERS * level),
        request_milli: CONTAINERS * request,
    }
}
/// Ready but no sample from the metrics API.
pub(super) fn no_sample(request: u64) -> PodMetric {
    PodMetric {
        state: PodState::Ready,
        usage_milli: None,
        request_milli: CONTAINERS * request,
    }
}
pub(super) fn pending(request: u64) -> PodMetric {
    PodMetric {
        state: PodState::Unready,
        usage_milli: None,
        request_milli: CONTAINERS * request,
    }
}
pub(super) fn failed(request: u64) -> PodMetric {
    PodMetric {
        state: PodState::Ignored,
        usage_milli: None,
        request_milli: CONTAINERS * request,
    }
}
pub(super) fn tol(scale_down: f64, scale_up: f64) -> Tolerance {
    Tolerance {
        scale_down,
        scale_up,
    }
}
/// `n` ready pods sharing `total_usage` millicores, each requesting `request`.
pub(super) fn spread(n: u32, total_usage: u64, request: u64) -> Vec<PodMetric> {
    let n64 = u64::from(n);
    (0..n64)
        .map(|i| PodMetric {
            state: PodState::Ready,
            usage_milli: Some(total_usage / n64 + u64::from(i < total_usage % n64)),
            request_milli: request,
        })
        .collect()
}

pub(super) fn spec(min: u32, max: u32, target: u32, behavior: Option<Behavior>) -> HpaSpec {
    HpaSpec {
        min_replicas: min,
        max_replicas: max,
        target_utilization_pct: target,
        tolerance: Tolerance::default(),
        behavior,
    }
}

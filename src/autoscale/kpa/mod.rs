//! Knative's Pod Autoscaler (KPA), faithful to knative/serving @98e5ef90
//! (`git describe`: knative-v1.23.0-5).
//!
//! * this file: the decider, `pkg/autoscaler/scaling/autoscaler.go` — `New` / `newAutoscaler`
//!   (an autoscaler created with more than one ready pod starts in panic mode, holding that
//!   count) and `Scale`: desired pods `ceil(observed / target)` for the stable and the panic
//!   window, each clamped to `[floor(ready / max_scale_down_rate), ceil(max_scale_up_rate ×
//!   ready)]` with `ready = max(1, ready pods)`; the activation scale; panic mode (starts when
//!   the *unclamped* panic count / ready ≥ the threshold, is extended on every tick that is
//!   over it, ends a stable window after it last was, and never lets the count go down); the
//!   scale-down delay (`max/`, see `delay.rs`); the excess burst capacity
//!   `floor(ready × total − target_burst_capacity − panic)` on the *raw* ready count.
//!   `observed` values are revision totals (the sum over pods), not per-pod averages.
//! * `buckets.rs`: `aggregation/bucketing.go`, the window averages the decider reads;
//! * `resolve.rs`: `reconciler/autoscaling/resources/target.go` (`ResolveMetricTarget`) and
//!   `metric.go` (`MakeMetric`: the panic window);
//! * `pa.rs`: the PodAutoscaler reconciler (`kpa/kpa.go`, `kpa/scaler.go`): min/max/initial
//!   scale, scale to zero after the grace period, the activator in or out of the path;
//! * `knative.rs`: the three wired together as the simulation's autoscaler, with the metric
//!   collector (one bucket per second) and the 2 s tick of `multiscaler.go`.
//!
//! The tests next to the decider are every case of upstream's `autoscaler_test.go` that needs
//! no Kubernetes object, with upstream's expected values, compared exactly (upstream allows
//! ±1 on the burst capacity; these values need no tolerance).

mod buckets;
mod delay;
pub mod explain;
mod knative;
pub mod pa;
pub mod resolve;

use serde::Serialize;

use crate::autoscale::hpa::Step;
use crate::error::Error;

pub use buckets::{round_to_n_digits, Buckets};
pub use delay::MaxWindow;
pub use explain::{
    ActivatorPath, ActivatorReason, Bounds, Burst, Delay, KpaMetric, NoData, Observed, Panic,
    PanicChange, PodCounts, ToZero,
};
pub use knative::Knative;

/// `tickInterval` in multiscaler.go: the decider runs every 2 s (and on a poke).
pub const TICK_S: f64 = 2.0;

/// The decider's spec: Knative's `DeciderSpec` without what only the reconciler reads.
#[derive(Debug, Clone, PartialEq)]
pub struct KpaSpec {
    /// Per pod, after target utilization (`ResolveMetricTarget`'s target).
    pub target_value: f64,
    /// Per pod: container concurrency, or the RPS total (`ResolveMetricTarget`'s total).
    pub total_value: f64,
    /// −1: unlimited (the activator always in the path); 0: none.
    pub target_burst_capacity: f64,
    /// A ratio: 2.0 is 200 %.
    pub panic_threshold: f64,
    pub max_scale_up_rate: f64,
    pub max_scale_down_rate: f64,
    pub stable_window_s: f64,
    pub scale_down_delay_s: f64,
    /// 0 or 1: none.
    pub activation_scale: u32,
    /// False while another revision takes the traffic: no scale-down rate limit, no delay.
    pub reachable: bool,
}

/// `ScaleResult` of a valid decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KpaDecision {
    pub desired_pods: u32,
    pub excess_burst_capacity: i64,
    /// In panic mode after this decision.
    pub panic: bool,
}

/// The decider for one revision, with its panic state and scale-down delay window.
#[derive(Debug, Clone)]
pub struct Kpa {
    spec: KpaSpec,
    /// `panicTime`; `None` is Go's zero time (not panicking).
    panic_time: Option<f64>,
    max_panic_pods: i64,
    /// Created by `New` when the spec has a scale-down delay (kept across `update`).
    delay: Option<MaxWindow>,
}

/// The largest scale-down delay (Knative's annotation limit, 1 h).
pub const MAX_SCALE_DOWN_DELAY_S: f64 = 3600.0;

fn check(field: &str, ok: bool, value: f64, what: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::new(field, format!("must be {what}, got {value}")))
    }
}

fn validate(spec: &KpaSpec) -> Result<(), Error> {
    let s = spec;
    check(
        "target_value",
        s.target_value.is_finite() && s.target_value >= 0.01,
        s.target_value,
        "a number ≥ 0.01 (Knative's TargetMin)",
    )?;
    check(
        "total_value",
        s.total_value.is_finite() && s.total_value >= 0.0,
        s.total_value,
        "a finite number ≥ 0",
    )?;
    check(
        "target_burst_capacity",
        s.target_burst_capacity.is_finite()
            && (s.target_burst_capacity >= 0.0 || s.target_burst_capacity == -1.0),
        s.target_burst_capacity,
        "≥ 0, or −1 for unlimited",
    )?;
    check(
        "panic_threshold",
        s.panic_threshold.is_finite() && s.panic_threshold > 0.0,
        s.panic_threshold,
        "a ratio > 0 (2.0 = 200 %)",
    )?;
    check(
        "max_scale_up_rate",
        s.max_scale_up_rate.is_finite() && s.max_scale_up_rate > 1.0,
        s.max_scale_up_rate,
        "a finite number > 1",
    )?;
    check(
        "max_scale_down_rate",
        s.max_scale_down_rate.is_finite() && s.max_scale_down_rate > 1.0,
        s.max_scale_down_rate,
        "a finite number > 1",
    )?;
    check(
        "stable_window_s",
        s.stable_window_s.is_finite() && s.stable_window_s >= 0.0,
        s.stable_window_s,
        "a finite number of seconds ≥ 0",
    )?;
    check(
        "scale_down_delay_s",
        s.scale_down_delay_s.is_finite()
            && (0.0..=MAX_SCALE_DOWN_DELAY_S).contains(&s.scale_down_delay_s),
        s.scale_down_delay_s,
        "between 0 and 3600 s",
    )
}

/// Go's `int32(x)` for the counts here (saturating; NaN never reaches it).
fn int32(x: f64) -> i64 {
    x.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64
}

/// An observed value as the decider takes it: a total ≥ 0 (anything else reads as 0).
fn sane(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

impl Kpa {
    /// `New`: validates the spec, creates the delay window when there is a delay, and starts in
    /// panic mode, holding `ready_pods`, when more than one pod is ready.
    pub fn new(spec: KpaSpec, now_s: f64, ready_pods: u32) -> Result<Kpa, Error> {
        validate(&spec)?;
        let delay = (spec.scale_down_delay_s > 0.0)
            .then(|| MaxWindow::new(spec.scale_down_delay_s, TICK_S as u32));
        Ok(Kpa {
            panic_time: (ready_pods > 1).then_some(now_s),
            max_panic_pods: i64::from(ready_pods),
            spec,
            delay,
        })
    }

    /// `Update`: a new spec from now on; panic state and delay window stay.
    pub fn update(&mut self, spec: KpaSpec) -> Result<(), Error> {
        validate(&spec)?;
        self.spec = spec;
        Ok(())
    }

    pub fn spec(&self) -> &KpaSpec {
        &self.spec
    }

    pub fn panicking(&self) -> bool {
        self.panic_time.is_some()
    }

    pub fn max_panic_pods(&self) -> i64 {
        self.max_panic_pods
    }

    /// `Scale` with the observed totals of the stable and panic windows.
    pub fn scale(
        &mut self,
        now_s: f64,
        ready_pods: u32,
        observed_stable: f64,
        observed_panic: f64,
    ) -> KpaDecision {
        self.scale_explained(now_s, ready_pods, observed_stable, observed_panic)
            .0
    }

    /// `Scale`, with the steps it took.
    pub fn scale_explained(
        &mut self,
        now_s: f64,
        ready_pods: u32,
        observed_stable: f64,
        observed_panic: f64,
    ) -> (KpaDecision, Vec<Step>) {
        let spec = &self.spec;
        let stable = sane(observed_stable);
        let panic = sane(observed_panic);
        let ready = f64::from(ready_pods).max(1.0);
        let max_scale_up = (spec.max_scale_up_rate * ready).ceil();
        let max_scale_down = if spec.reachable {
            (ready / spec.max_scale_down_rate).floor()
        } else {
            0.0
        };
        let dspc = (stable / spec.target_value).ceil();
        let dppc = (panic / spec.target_value).ceil();
        let mut desired_stable = int32(dspc.max(max_scale_down).min(max_scale_up));
        let mut desired_panic = int32(dppc.max(max_scale_down).min(max_scale_up));
        let activation = i64::from(spec.activation_scale);
        if activation > 1 {
            if dspc > 0.0 && activation > desired_stable {
                desired_stable = activation;
            }
            if dppc > 0.0 && activation > desired_panic {
                desired_panic = activation;
            }
        }
        let mut steps = vec![Step::KpaPods(PodCounts {
            stable,
            panic,
            target: spec.target_value,
            ready: ready_pods,
            stable_pods: dspc,
            panic_pods: dppc,
            max_scale_down,
            max_scale_up,
            desired_stable,
            desired_panic,
            activation_scale: spec.activation_scale,
        })];

        let ratio = dppc / ready;
        let over = ratio >= spec.panic_threshold;
        let change = match self.panic_time {
            None if over => {
                self.panic_time = Some(now_s);
                PanicChange::Start
            }
            Some(_) if over => {
                self.panic_time = Some(now_s);
                PanicChange::Extend
            }
            // Go's `panicTime.Add(StableWindow).Before(now)`: strictly later.
            Some(t) if t + spec.stable_window_s < now_s => {
                self.panic_time = None;
                self.max_panic_pods = 0;
                PanicChange::End
            }
            Some(_) => PanicChange::Hold,
            None => PanicChange::Off,
        };
        let mut desired = desired_stable;
        if self.panic_time.is_some() {
            desired = desired.max(desired_panic);
            if desired > self.max_panic_pods {
                self.max_panic_pods = desired;
            }
            desired = self.max_panic_pods;
        }
        steps.push(Step::KpaPanic(Panic {
            change,
            ratio,
            threshold: spec.panic_threshold,
            until_s: self.panic_time.map(|t| t + spec.stable_window_s),
            max_panic_pods: self.panic_time.map(|_| self.max_panic_pods),
            desired,
        }));

        if spec.reachable {
            if let Some(window) = self.delay.as_mut() {
                window.record(now_s, desired.clamp(0, i64::from(i32::MAX)) as i32);
                let delayed = i64::from(window.current());
                if delayed != desired {
                    steps.push(Step::KpaDelay(Delay {
                        window_s: window.span_s() as f64,
                        recommended: desired,
                        delayed,
                    }));
                    desired = delayed;
                }
            }
        }

        let tbc = spec.target_burst_capacity;
        let excess = if tbc == 0.0 {
            0
        } else if tbc > 0.0 {
            let total_capacity = f64::from(ready_pods) * spec.total_value;
            int32((total_capacity - tbc - panic).floor())
        } else {
            -1
        };
        steps.push(Step::KpaBurst(Burst {
            excess,
            ready: ready_pods,
            total: spec.total_value,
            target_burst_capacity: tbc,
            panic,
        }));
        let decision = KpaDecision {
            desired_pods: desired.clamp(0, i64::from(u32::MAX)) as u32,
            excess_burst_capacity: excess,
            panic: self.panic_time.is_some(),
        };
        (decision, steps)
    }
}

#[cfg(test)]
mod tests;

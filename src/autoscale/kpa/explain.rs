//! The KPA's decisions as data: the steps of the decider's `Scale()` (observed values, pod
//! counts and their clamp, panic mode, the scale-down delay, the excess burst capacity) and of
//! the PodAutoscaler reconciler (min/max/initial scale, scale to zero, the activator in or out
//! of the request path). Each step is a variant of the shared
//! [`Step`](crate::autoscale::hpa::Step) (serialized flat with its name under `"step"`), so the
//! log, the page and the CLI read KPA and HPA decisions alike; `Display` is the English text,
//! each step after the first starting with its own separator.

use std::fmt;

use serde::Serialize;

/// What the KPA scales on (`autoscaling.knative.dev/metric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KpaMetric {
    /// Requests in flight (queued or in service), summed over the revision.
    Concurrency,
    /// Requests per second arriving at the revision.
    Rps,
}

impl KpaMetric {
    fn unit(self) -> &'static str {
        match self {
            KpaMetric::Concurrency => "requests in flight",
            KpaMetric::Rps => "req/s",
        }
    }
}

/// The stable and panic window averages the decider read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub metric: KpaMetric,
    pub stable: f64,
    pub panic: f64,
    pub stable_window_s: f64,
    pub panic_window_s: f64,
}

/// No data for a whole stable window (`ErrNoData`): the decision is not valid and the last
/// desired scale stays (−1: none yet).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoData {
    pub keep: i64,
}

/// Pod counts from the observed values (repeated here): `ceil(observed / target)`, clamped to
/// `[floor(ready / max_scale_down_rate), ceil(max_scale_up_rate × ready)]` (ready at least 1),
/// then raised to the activation scale when traffic asks for any pod.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodCounts {
    pub stable: f64,
    pub panic: f64,
    pub target: f64,
    /// Ready pods (the rate limits and the panic test use at least 1).
    pub ready: u32,
    /// `ceil(stable / target)` and `ceil(panic / target)` before the clamp.
    pub stable_pods: f64,
    pub panic_pods: f64,
    pub max_scale_down: f64,
    pub max_scale_up: f64,
    pub desired_stable: i64,
    pub desired_panic: i64,
    /// `autoscaling.knative.dev/activation-scale` (0 or 1: none).
    pub activation_scale: u32,
}

/// How panic mode changed on this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PanicChange {
    /// Not panicking, and the panic window does not ask for it.
    Off,
    /// The panic window asks for at least threshold × ready pods: panic starts.
    Start,
    /// Still over the threshold: panic is extended from now.
    Extend,
    /// Under the threshold, but less than a stable window since it last held: still panicking.
    Hold,
    /// Under the threshold for more than a stable window: panic ends.
    End,
}

/// The panic test `panic_pods / ready ≥ threshold` and what it did. In panic the count never
/// goes down: it is the highest count asked for since panic started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Panic {
    pub change: PanicChange,
    /// `ceil(panic / target) / max(1, ready)`.
    pub ratio: f64,
    pub threshold: f64,
    /// When panic can end at the earliest (last time over the threshold + stable window).
    pub until_s: Option<f64>,
    /// The count held in panic (`maxPanicPods`), if panicking.
    pub max_panic_pods: Option<i64>,
    /// The decider's count after this step.
    pub desired: i64,
}

/// The scale-down delay: the highest count of the last `window_s` seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delay {
    pub window_s: f64,
    pub recommended: i64,
    pub delayed: i64,
}

/// Excess burst capacity: `floor(ready × total − target_burst_capacity − panic)` (0 when the
/// target burst capacity is 0, −1 when it is −1, "unlimited").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burst {
    pub excess: i64,
    pub ready: u32,
    pub total: f64,
    pub target_burst_capacity: f64,
    pub panic: f64,
}

/// The PodAutoscaler's `min-scale` / `max-scale` / `initial-scale` bounds changed the count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bounds {
    pub min: u32,
    /// 0: no maximum.
    pub max: u32,
    pub desired: i64,
    pub bounded: i64,
    /// Initial scale raised the minimum (before the revision first reached it).
    pub initial: bool,
}

/// Why the PodAutoscaler did or did not go to zero yet (`handleScaleToZero`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum ToZero {
    /// `enable-scale-to-zero` is off: hold one pod.
    Disabled,
    /// Active for less than a stable window: hold one pod until then.
    HoldOne {
        active_for_s: f64,
        stable_window_s: f64,
    },
    /// Active for a stable window: the PA becomes inactive (the activator takes the traffic);
    /// the pods stay for the grace period.
    Deactivate { active_for_s: f64 },
    /// Inactive, waiting for the grace period (and the pod retention period).
    Grace {
        inactive_for_s: f64,
        proxied_for_s: f64,
        grace_s: f64,
        retention_s: f64,
    },
    /// The activator is not yet in the path (probe failed): wait.
    NotProxied,
    /// Grace period over: scale to zero.
    Zero {
        inactive_for_s: f64,
        proxied_for_s: f64,
    },
    /// Activation took longer than the progress deadline + 30 s: give up, back to zero.
    ActivationTimedOut {
        activating_for_s: f64,
        timeout_s: f64,
    },
    /// Activating: keep the count until the pods are ready.
    Activating { activating_for_s: f64 },
}

/// Why the activator is or is not in the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivatorReason {
    /// Want > 0 and excess burst capacity ≥ 0: requests go straight to the pods.
    Serve,
    /// Nothing wanted (scaled or scaling to zero), or not known yet.
    NoScale,
    /// Negative excess burst capacity: the activator buffers bursts.
    NegativeBurst,
    /// No pod is ready: whatever the mode, the activator holds the requests.
    NoReadyPod,
}

/// Where requests go after this decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivatorPath {
    pub in_path: bool,
    pub reason: ActivatorReason,
}

fn n(x: f64) -> String {
    let r = (x * 1000.0).round() / 1000.0;
    crate::error::plain(r)
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} over {} s = {}, over the panic window {} s = {}",
            self.metric.unit(),
            n(self.stable_window_s),
            n(self.stable),
            n(self.panic_window_s),
            n(self.panic)
        )
    }
}

impl fmt::Display for NoData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.keep < 0 {
            write!(f, "no metrics for a stable window: no decision yet")
        } else {
            write!(
                f,
                "no metrics for a stable window: keep the last desired scale {}",
                self.keep
            )
        }
    }
}

impl fmt::Display for PodCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = n(self.target);
        write!(
            f,
            "; stable ceil({} / {t}) = {}, panic ceil({} / {t}) = {} pods, kept within [{}, {}] for {} ready → {} and {}",
            n(self.stable),
            n(self.stable_pods),
            n(self.panic),
            n(self.panic_pods),
            n(self.max_scale_down),
            n(self.max_scale_up),
            self.ready,
            self.desired_stable,
            self.desired_panic
        )?;
        if self.activation_scale > 1 {
            write!(f, " (activation scale {})", self.activation_scale)?;
        }
        Ok(())
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = n(self.ratio);
        let t = n(self.threshold);
        match self.change {
            PanicChange::Off => write!(f, "; panic pods / ready = {r} < {t}: stable mode → {}", self.desired),
            PanicChange::Start => write!(
                f,
                "; panic pods / ready = {r} ≥ {t}: panic mode starts, never scaling down in panic → {}",
                self.desired
            ),
            PanicChange::Extend => write!(
                f,
                "; panic pods / ready = {r} ≥ {t}: panic extended, never scaling down in panic → {}",
                self.desired
            ),
            PanicChange::Hold => write!(
                f,
                "; panic pods / ready = {r} < {t}, but panic holds until {} s → {}",
                n(self.until_s.unwrap_or(0.0)),
                self.desired
            ),
            PanicChange::End => write!(
                f,
                "; panic pods / ready = {r} < {t} for a stable window: panic ends → {}",
                self.desired
            ),
        }
    }
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "; scale-down delay: highest of the last {} s is {} (not {})",
            n(self.window_s),
            self.delayed,
            self.recommended
        )
    }
}

impl fmt::Display for Burst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.target_burst_capacity == 0.0 {
            write!(f, "; target burst capacity 0: excess burst capacity 0")
        } else if self.target_burst_capacity < 0.0 {
            write!(
                f,
                "; target burst capacity unlimited: excess burst capacity −1"
            )
        } else {
            write!(
                f,
                "; excess burst capacity floor({} × {} − {} − {}) = {}",
                self.ready,
                n(self.total),
                n(self.target_burst_capacity),
                n(self.panic),
                self.excess
            )
        }
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.max == 0 {
            "no max".to_string()
        } else {
            format!("max-scale {}", self.max)
        };
        let min = if self.initial {
            format!("initial scale {}", self.min)
        } else {
            format!("min-scale {}", self.min)
        };
        write!(
            f,
            "; {} within [{min}, {max}] → {}",
            self.desired, self.bounded
        )
    }
}

impl fmt::Display for ToZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ToZero::Disabled => write!(f, "; scale to zero is disabled: keep 1"),
            ToZero::HoldOne {
                active_for_s,
                stable_window_s,
            } => write!(
                f,
                "; active for {} s of a {} s stable window: hold 1 pod",
                n(active_for_s),
                n(stable_window_s)
            ),
            ToZero::Deactivate { active_for_s } => write!(
                f,
                "; no traffic and active for {} s: inactive, the activator takes the requests",
                n(active_for_s)
            ),
            ToZero::Grace {
                inactive_for_s,
                proxied_for_s,
                grace_s,
                retention_s,
            } => {
                write!(
                    f,
                    "; inactive for {} s, behind the activator for {} s: waiting for the {} s grace period",
                    n(inactive_for_s),
                    n(proxied_for_s),
                    n(grace_s)
                )?;
                if retention_s > 0.0 {
                    write!(f, " and the {} s pod retention", n(retention_s))?;
                }
                Ok(())
            }
            ToZero::NotProxied => write!(f, "; the activator is not in the path yet: wait"),
            ToZero::Zero {
                inactive_for_s,
                proxied_for_s,
            } => write!(
                f,
                "; inactive for {} s, behind the activator for {} s: scale to zero",
                n(inactive_for_s),
                n(proxied_for_s)
            ),
            ToZero::ActivationTimedOut {
                activating_for_s,
                timeout_s,
            } => write!(
                f,
                "; activating for {} s > {} s (progress deadline + 30 s): activation timed out, scale to zero",
                n(activating_for_s),
                n(timeout_s)
            ),
            ToZero::Activating { activating_for_s } => write!(
                f,
                "; activating for {} s: waiting for a ready pod",
                n(activating_for_s)
            ),
        }
    }
}

impl fmt::Display for ActivatorPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match (self.in_path, self.reason) {
            (false, _) => "activator out of the path",
            (true, ActivatorReason::NoScale) => "activator in the path (no pods wanted)",
            (true, ActivatorReason::NegativeBurst) => {
                "activator in the path (negative excess burst capacity)"
            }
            (true, ActivatorReason::NoReadyPod) => "activator in the path (no ready pod)",
            (true, ActivatorReason::Serve) => "activator in the path",
        };
        write!(f, "; {text}")
    }
}

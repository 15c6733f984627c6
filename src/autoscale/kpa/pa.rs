//! The PodAutoscaler reconciler of the KPA: what happens to the decider's desired scale before
//! the Deployment is patched, and whether the activator stays in the request path. Faithful to
//! knative/serving @98e5ef90:
//!
//! * `pkg/reconciler/autoscaling/kpa/scaler.go` `scale`: no-op while the decider has no
//!   decision (−1) unless activating; `min-scale` / `max-scale` (`applyBounds`), raised to
//!   `initial-scale` until the revision first reached it; `handleScaleToZero`: a PA active for
//!   less than a stable window holds one pod, then goes inactive (the activator takes the
//!   traffic) without patching; an inactive PA scales to zero once it has been inactive for
//!   `max(grace, pod retention)`, or (the fast path) the activator has been in the path for the
//!   grace period; an activation that takes longer than the progress deadline + 30 s gives up
//!   and goes back to zero;
//! * `kpa/kpa.go` `ReconcileKind`: the ServerlessService mode — Serve iff want > 0 and the
//!   excess burst capacity ≥ 0, Proxy otherwise (and Proxy while want is unknown and the PA is
//!   inactive) — and `computeActiveCondition` / `activeThreshold`;
//! * `serverlessservice.go` `reconcilePublicEndpoints`: with no ready pod the SKS is forced to
//!   Proxy whatever its mode, so the activator holds the requests.
//!
//! Modelling choices: the reconciler runs on every decider tick (2 s), so upstream's timed
//! re-enqueues (`enqueueCB(pa, d)`) land on the next tick after `d`; the activator probe
//! succeeds iff the activator is in the path; the revision is always reachable.

use serde::Serialize;

use super::explain::{ActivatorPath, ActivatorReason, Bounds, ToZero};
use crate::autoscale::hpa::Step;

/// What the reconciler reads from the revision and `config-autoscaler`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaSettings {
    pub min_scale: u32,
    /// 0: no maximum.
    pub max_scale: u32,
    pub initial_scale: u32,
    pub enable_scale_to_zero: bool,
    pub stable_window_s: f64,
    pub grace_s: f64,
    pub retention_s: f64,
    /// Progress deadline + 30 s (`activationTimeoutBuffer`).
    pub activation_timeout_s: f64,
    pub target_burst_capacity: f64,
}

/// The PA's `Active` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Unknown: pods wanted but not yet ready (requests are buffered).
    Activating,
    Active,
    Inactive,
}

/// The ServerlessService's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Requests go to the pods.
    Serve,
    /// Requests go through the activator.
    Proxy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodAutoscaler {
    settings: PaSettings,
    activity: Activity,
    /// Last transition of the `Active` condition.
    since_s: f64,
    initialized: bool,
    mode: Mode,
    /// Since when the activator has been in the path (`ProxyFor`), if it is.
    proxy_since_s: Option<f64>,
}

/// One reconcile: the wanted scale (−1: unknown), the patch to the Deployment if any.
#[derive(Debug, Clone, PartialEq)]
pub struct PaOutcome {
    pub want: i64,
    pub patch: Option<u32>,
    pub steps: Vec<Step>,
}

impl PodAutoscaler {
    /// A revision found at `replicas` pods, `ready` of them ready: active if it has pods,
    /// inactive at zero. The SKS starts in Proxy (before the decider's first decision).
    pub fn new(settings: PaSettings, now_s: f64, replicas: u32, ready: u32) -> PodAutoscaler {
        let initialized = ready >= settings.min_scale.max(settings.initial_scale).max(1);
        PodAutoscaler {
            settings,
            activity: if replicas > 0 {
                Activity::Active
            } else {
                Activity::Inactive
            },
            since_s: now_s,
            initialized,
            mode: Mode::Proxy,
            proxy_since_s: Some(now_s),
        }
    }

    pub fn activity(&self) -> Activity {
        self.activity
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether requests go through the activator: its mode is Proxy, or no pod is ready.
    pub fn proxied(&self, ready: u32) -> bool {
        self.mode == Mode::Proxy || ready == 0
    }

    fn set_activity(&mut self, a: Activity, now_s: f64) {
        if self.activity != a {
            self.activity = a;
            self.since_s = now_s;
        }
    }

    /// `ReconcileKind` with the decider's status (desired scale, −1 unknown; excess burst
    /// capacity), the Deployment's replicas and the ready pods.
    pub fn reconcile(
        &mut self,
        now_s: f64,
        desired_scale: i64,
        excess_burst_capacity: i64,
        current: u32,
        ready: u32,
    ) -> PaOutcome {
        let mut steps = Vec::new();
        let mut patch = None;
        let want = if desired_scale < 0 && self.activity != Activity::Activating {
            desired_scale
        } else {
            let s = self.settings;
            let mut min = s.min_scale;
            let initial = s.initial_scale > 1 && !self.initialized && min < s.initial_scale;
            if initial {
                min = s.initial_scale;
            }
            let bounded = if desired_scale < i64::from(min) {
                i64::from(min)
            } else if s.max_scale != 0 && desired_scale > i64::from(s.max_scale) {
                i64::from(s.max_scale)
            } else {
                desired_scale
            };
            if bounded != desired_scale && desired_scale >= 0 {
                steps.push(Step::KpaBounds(Bounds {
                    min,
                    max: s.max_scale,
                    desired: desired_scale,
                    bounded,
                    initial,
                }));
            }
            let (want, apply) = self.scale_to_zero(now_s, bounded, ready, &mut steps);
            if apply && want >= 0 && want != i64::from(current) {
                patch = Some(want.min(i64::from(u32::MAX)) as u32);
            }
            want
        };
        let inactive = self.activity == Activity::Inactive;
        self.mode = if want < 0 && inactive {
            Mode::Proxy
        } else if want > 0 && excess_burst_capacity >= 0 {
            Mode::Serve
        } else {
            Mode::Proxy
        };
        self.compute_active(now_s, want, ready);
        self.observe(now_s, ready);
        let in_path = self.proxied(ready);
        let reason = if !in_path {
            ActivatorReason::Serve
        } else if ready == 0 {
            ActivatorReason::NoReadyPod
        } else if want <= 0 {
            ActivatorReason::NoScale
        } else {
            ActivatorReason::NegativeBurst
        };
        steps.push(Step::Activator(ActivatorPath { in_path, reason }));
        PaOutcome { want, patch, steps }
    }

    /// Notes whether the activator is in the path now (for `ProxyFor`).
    pub fn observe(&mut self, now_s: f64, ready: u32) {
        if self.proxied(ready) {
            self.proxy_since_s.get_or_insert(now_s);
        } else {
            self.proxy_since_s = None;
        }
    }

    /// `handleScaleToZero`: (scale, whether to apply it).
    fn scale_to_zero(
        &mut self,
        now_s: f64,
        desired: i64,
        ready: u32,
        steps: &mut Vec<Step>,
    ) -> (i64, bool) {
        if desired != 0 {
            return (desired, true);
        }
        let s = self.settings;
        if !s.enable_scale_to_zero {
            steps.push(Step::KpaToZero(ToZero::Disabled));
            return (1, true);
        }
        let in_status_for = now_s - self.since_s;
        match self.activity {
            Activity::Activating => {
                if in_status_for > s.activation_timeout_s {
                    steps.push(Step::KpaToZero(ToZero::ActivationTimedOut {
                        activating_for_s: in_status_for,
                        timeout_s: s.activation_timeout_s,
                    }));
                    (0, true)
                } else {
                    steps.push(Step::KpaToZero(ToZero::Activating {
                        activating_for_s: in_status_for,
                    }));
                    (-1, false)
                }
            }
            Activity::Active => {
                if in_status_for >= s.stable_window_s {
                    steps.push(Step::KpaToZero(ToZero::Deactivate {
                        active_for_s: in_status_for,
                    }));
                    (0, false)
                } else {
                    steps.push(Step::KpaToZero(ToZero::HoldOne {
                        active_for_s: in_status_for,
                        stable_window_s: s.stable_window_s,
                    }));
                    (1, true)
                }
            }
            Activity::Inactive => {
                // The activator probe: it answers iff it is in the path (always with TBC −1).
                if s.target_burst_capacity != -1.0 && !self.proxied(ready) {
                    steps.push(Step::KpaToZero(ToZero::NotProxied));
                    return (0, false);
                }
                let proxied_for_s = self.proxy_since_s.map_or(0.0, |t| now_s - t);
                let zero = Step::KpaToZero(ToZero::Zero {
                    inactive_for_s: in_status_for,
                    proxied_for_s,
                });
                let wait = Step::KpaToZero(ToZero::Grace {
                    inactive_for_s: in_status_for,
                    proxied_for_s,
                    grace_s: s.grace_s,
                    retention_s: s.retention_s,
                });
                if in_status_for >= s.grace_s.max(s.retention_s) {
                    steps.push(zero);
                    return (0, true);
                }
                if s.retention_s > 0.0 && in_status_for < s.retention_s {
                    steps.push(wait);
                    return (0, false);
                }
                if s.grace_s - proxied_for_s <= 0.0 {
                    steps.push(zero);
                    (0, true)
                } else {
                    steps.push(wait);
                    (0, false)
                }
            }
        }
    }

    /// `computeActiveCondition` with `activeThreshold`.
    fn compute_active(&mut self, now_s: f64, want: i64, ready: u32) {
        let s = self.settings;
        let min_ready = if self.initialized {
            s.min_scale.max(1)
        } else {
            s.min_scale.max(s.initial_scale)
        };
        if ready >= min_ready {
            self.initialized = true;
        }
        let inactive = self.activity == Activity::Inactive;
        if want == 0 || min_ready == 0 {
            self.set_activity(Activity::Inactive, now_s);
        } else if ready < min_ready {
            if want > 0 || !inactive {
                self.set_activity(Activity::Activating, now_s);
            } else {
                self.set_activity(Activity::Inactive, now_s);
            }
        } else if want > 0 || !inactive {
            self.set_activity(Activity::Active, now_s);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Upstream's `kpa/scaler_test.go` `TestScaler` rows as a state machine (its config: grace
    //! 60 s, stable window 5 m, progress deadline 121 s so activation times out after 151 s,
    //! TBC 200; the PA's stable-window annotation 45 s), and `TestDisableScaleToZero`.
    use super::*;

    const GRACE: f64 = 60.0;
    const SW: f64 = 45.0;

    fn settings() -> PaSettings {
        PaSettings {
            min_scale: 0,
            max_scale: 0,
            initial_scale: 1,
            enable_scale_to_zero: true,
            stable_window_s: SW,
            grace_s: GRACE,
            retention_s: 0.0,
            activation_timeout_s: 121.0 + 30.0,
            target_burst_capacity: 200.0,
        }
    }

    /// A PA in `activity` since `for_s` seconds before t = 1000, with the SKS in `mode` for as
    /// long.
    fn pa(s: PaSettings, activity: Activity, for_s: f64, mode: Mode) -> PodAutoscaler {
        PodAutoscaler {
            settings: s,
            activity,
            since_s: 1000.0 - for_s,
            initialized: true,
            mode,
            proxy_since_s: (mode == Mode::Proxy).then_some(1000.0 - for_s),
        }
    }

    fn run(p: &mut PodAutoscaler, desired: i64, current: u32, ready: u32) -> (i64, Option<u32>) {
        let o = p.reconcile(1000.0, desired, -1, current, ready);
        (o.want, o.patch)
    }

    #[test]
    fn active_holds_one_pod_for_a_stable_window_then_goes_inactive() {
        // "waits to scale to zero (just before idle period)": start 1 → 1, not patched.
        let mut p = pa(settings(), Activity::Active, SW - 1.0, Mode::Serve);
        assert_eq!(run(&mut p, 0, 1, 1), (1, None));
        // "scale down to 1 waiting for idle period": from 10, patched to 1.
        let mut p = pa(settings(), Activity::Active, SW - 1.0, Mode::Serve);
        assert_eq!(run(&mut p, 0, 10, 10), (1, Some(1)));
        // "waits to scale to zero after idle period": 0, not patched; the PA goes inactive.
        let mut p = pa(settings(), Activity::Active, SW, Mode::Serve);
        assert_eq!(run(&mut p, 0, 1, 1), (0, None));
        assert_eq!(p.activity(), Activity::Inactive);
        assert_eq!(p.mode(), Mode::Proxy);
    }

    #[test]
    fn inactive_scales_to_zero_after_the_grace_period() {
        // "scale to zero after grace period": patched.
        let mut p = pa(settings(), Activity::Inactive, GRACE, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 1), (0, Some(0)));
        // "waits to scale to zero while activator is probed" / grace − 1 s: not yet…
        let mut p = pa(settings(), Activity::Inactive, GRACE - 1.0, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 1), (0, None));
        // …unless the SKS has been proxying for the grace period already ("fast path").
        let mut p = pa(settings(), Activity::Inactive, GRACE - 1.0, Mode::Proxy);
        p.proxy_since_s = Some(1000.0 - GRACE);
        assert_eq!(run(&mut p, 0, 1, 1), (0, Some(0)));
        // The activator not yet in the path: wait (the async probe).
        let mut p = pa(settings(), Activity::Inactive, GRACE, Mode::Serve);
        assert_eq!(run(&mut p, 0, 1, 1), (0, None));
        // TBC −1: no probe needed.
        let s = PaSettings {
            target_burst_capacity: -1.0,
            ..settings()
        };
        let mut p = pa(s, Activity::Inactive, GRACE, Mode::Serve);
        assert_eq!(run(&mut p, 0, 1, 1), (0, Some(0)));
    }

    #[test]
    fn pod_retention_holds_the_last_pod() {
        // Retention 2 × grace and inactive for the grace period: not patched.
        let s = PaSettings {
            retention_s: 2.0 * GRACE,
            ..settings()
        };
        let mut p = pa(s, Activity::Inactive, GRACE, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 1), (0, None));
        let mut p = pa(s, Activity::Inactive, 2.0 * GRACE, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 1), (0, Some(0)));
    }

    #[test]
    fn activation_times_out() {
        // Activating for half the timeout: −1 (unknown), not patched.
        let mut p = pa(settings(), Activity::Activating, 151.0 / 2.0, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 0), (-1, None));
        // Longer than the timeout: scaled to zero.
        let mut p = pa(settings(), Activity::Activating, 152.0, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 1, 0), (0, Some(0)));
    }

    #[test]
    fn min_max_and_initial_scale() {
        // min-scale 2, inactive: 2, patched from 10.
        let s = PaSettings {
            min_scale: 2,
            ..settings()
        };
        let mut p = pa(s, Activity::Inactive, GRACE, Mode::Proxy);
        assert_eq!(run(&mut p, 0, 10, 10), (2, Some(2)));
        // desired 10 → 10; with max-scale 8 → 8.
        let mut p = pa(settings(), Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, 10, 10, 10), (10, None));
        let s = PaSettings {
            max_scale: 8,
            ..settings()
        };
        let mut p = pa(s, Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, 10, 10, 10), (8, Some(8)));
        // desired −1 → −1, no patch.
        let mut p = pa(settings(), Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, -1, 10, 10), (-1, None));
        // initial-scale 2 before initialization, activating, desired 1 → 2.
        let s = PaSettings {
            initial_scale: 2,
            ..settings()
        };
        let mut p = pa(s, Activity::Activating, 1.0, Mode::Proxy);
        p.initialized = false;
        assert_eq!(run(&mut p, 1, 0, 0), (2, Some(2)));
        // initial-scale 5 at 5: not patched.
        let s = PaSettings {
            initial_scale: 5,
            ..settings()
        };
        let mut p = pa(s, Activity::Activating, 1.0, Mode::Proxy);
        p.initialized = false;
        assert_eq!(run(&mut p, 5, 5, 0), (5, None));
    }

    #[test]
    fn disable_scale_to_zero() {
        // TestDisableScaleToZero: desired 0 → 1; with min 2 → 2; −1 → −1.
        let s = PaSettings {
            enable_scale_to_zero: false,
            ..settings()
        };
        let mut p = pa(s, Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, 0, 1, 1).0, 1);
        let s2 = PaSettings { min_scale: 2, ..s };
        let mut p = pa(s2, Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, 0, 2, 2).0, 2);
        let mut p = pa(s, Activity::Active, 100.0, Mode::Serve);
        assert_eq!(run(&mut p, -1, 1, 1).0, -1);
    }

    #[test]
    fn mode_follows_want_and_burst_capacity() {
        let mut p = pa(settings(), Activity::Active, 100.0, Mode::Proxy);
        let o = p.reconcile(1000.0, 3, 5, 3, 3);
        assert_eq!((o.want, p.mode()), (3, Mode::Serve));
        assert!(!p.proxied(3));
        let o = p.reconcile(1002.0, 3, -1, 3, 3);
        assert_eq!((o.want, p.mode()), (3, Mode::Proxy));
        // Serve mode but no ready pod: the activator holds the requests.
        let _ = p.reconcile(1004.0, 3, 5, 3, 0);
        assert!(p.proxied(0));
    }
}

//! Queue-depth scaling as the vLLM production stack documents it with KEDA
//! (vllm-project/production-stack @a6c01db0, `docs/source/use_cases/autoscaling-keda.rst` and
//! `helm/templates/scaledobject-vllm.yaml`: a Prometheus trigger on
//! `vllm:num_requests_waiting`, threshold 5; for scale-to-zero a second trigger
//! `sum(rate(vllm:num_incoming_requests_total[1m]) > bool 0)`, threshold 1).
//!
//! Two controllers, as in a cluster (kedacore/keda @8b4f083c):
//! * KEDA's own loop, `pkg/scaling/executor/scale_scaledobjects.go` `RequestScale`, every
//!   `pollingInterval`: a trigger is active when its value is above its activation threshold
//!   (0); active at zero replicas → `minReplicaCount` (at least 1); inactive for longer than
//!   `cooldownPeriod` since the last activity (strictly) with `minReplicaCount` 0 → zero; below
//!   the minimum → the minimum. `initialCooldownPeriod` is 0.
//! * the HPA KEDA generates (`minReplicas = max(1, minReplicaCount)`, External metrics with an
//!   `AverageValue` target = the threshold), run by this crate's own HPA
//!   ([`Hpa::reconcile_external`](super::hpa::Hpa::reconcile_external)): desired =
//!   `ceil(total waiting / threshold)` outside the tolerance band, then stabilization (300 s
//!   down), rate limits (`max(2 × current, 4)` without `behavior`) and min/max. It does
//!   nothing at zero replicas: KEDA owns 0 ↔ 1.
//!
//! The metric is the sum over the replicas of the requests waiting in their queues (plus the
//! shared queue in shared-queue mode): what `sum(vllm:num_requests_waiting)` reads. There is no
//! activator: at zero replicas requests fail until a replica is ready. Modelling choice: the
//! HPA syncs on KEDA's polling ticks (both 15 s in the production stack's example).

use std::fmt;

use serde::Serialize;

use super::hpa::{self, ExternalMetric, Hpa, HpaSpec, Step};
use super::{Autoscaler, Decision, Observation};
use crate::error::Error;
use crate::scenario::QueueConfig;

/// The keepalive trigger's window: `rate(…[1m])`.
pub const KEEPALIVE_WINDOW_S: f64 = 60.0;
/// The metric names the triggers read.
pub const WAITING_METRIC: &str = "vllm:num_requests_waiting";
pub const INCOMING_METRIC: &str = "sum(rate(vllm:num_incoming_requests_total[1m]) > bool 0)";

/// KEDA's own decision at a poll.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "keda", rename_all = "snake_case")]
pub enum KedaStep {
    /// A trigger is active: requests are waiting, or (keepalive) arrived in the last minute.
    Active { waiting: u64, recent_requests: bool },
    /// Active at zero replicas: KEDA scales to `minReplicaCount` (at least 1).
    Activate {
        to: u32,
        waiting: u64,
        recent_requests: bool,
    },
    /// Inactive for longer than the cooldown: KEDA scales to zero.
    ToZero { idle_s: f64, cooldown_s: f64 },
    /// Inactive, still within the cooldown.
    Cooling { idle_s: f64, cooldown_s: f64 },
    /// Fewer replicas than `minReplicaCount`: KEDA sets the minimum.
    ToMin { min: u32 },
    /// Inactive with replicas that stay (the minimum is above zero) or already at zero.
    Inactive,
}

impl fmt::Display for KedaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: f64| crate::error::plain((x * 10.0).round() / 10.0);
        let why = |waiting: u64, recent: bool| {
            if waiting > 0 {
                format!("{waiting} waiting")
            } else if recent {
                "requests in the last minute".to_string()
            } else {
                "nothing".to_string()
            }
        };
        match *self {
            KedaStep::Active {
                waiting,
                recent_requests,
            } => write!(f, "KEDA: active ({})", why(waiting, recent_requests)),
            KedaStep::Activate {
                to,
                waiting,
                recent_requests,
            } => write!(
                f,
                "KEDA: active at zero replicas ({}) → activate to {to}",
                why(waiting, recent_requests)
            ),
            KedaStep::ToZero { idle_s, cooldown_s } => write!(
                f,
                "KEDA: inactive for {} s > cooldown {} s → scale to zero",
                n(idle_s),
                n(cooldown_s)
            ),
            KedaStep::Cooling { idle_s, cooldown_s } => write!(
                f,
                "KEDA: inactive for {} s of the {} s cooldown",
                n(idle_s),
                n(cooldown_s)
            ),
            KedaStep::ToMin { min } => write!(f, "KEDA: below minReplicaCount → {min}"),
            KedaStep::Inactive => write!(f, "KEDA: inactive"),
        }
    }
}

/// A ScaledObject with its generated HPA.
#[derive(Debug, Clone)]
pub struct Queue {
    config: QueueConfig,
    hpa: Hpa,
    /// `status.lastActiveTime`.
    last_active_s: Option<f64>,
    /// When the ScaledObject was created (for the initial cooldown, 0 s).
    created_s: f64,
}

impl Queue {
    pub fn new(config: QueueConfig) -> Result<Queue, Error> {
        let spec = HpaSpec {
            // GetHPAMinReplicas: KEDA's HPA never goes below 1; KEDA itself owns 0.
            min_replicas: config.min_replicas.max(1),
            max_replicas: config.max_replicas,
            // Not read by an External metric; any valid value.
            target_utilization_pct: 100,
            tolerance: hpa::Tolerance {
                scale_down: config.tolerance.scale_down,
                scale_up: config.tolerance.scale_up,
            },
            behavior: config.behavior.as_ref().map(super::behavior),
        };
        Ok(Queue {
            hpa: Hpa::new(spec)?,
            config,
            last_active_s: None,
            created_s: 0.0,
        })
    }

    /// The trigger target in milli-units (`AverageValue` = threshold), at least 1 m.
    fn target_milli(&self) -> i64 {
        ((self.config.threshold * 1000.0).round() as i64).max(1)
    }

    /// KEDA's poll and its HPA's sync, given the waiting requests and whether any request
    /// arrived in the last minute.
    pub fn decide(
        &mut self,
        now_s: f64,
        current: u32,
        waiting: u64,
        recent_requests: bool,
    ) -> Decision {
        let c = &self.config;
        let keepalive = c.keepalive && recent_requests;
        let active = waiting > 0 || keepalive;
        let min = c.min_replicas;
        let keda = if active {
            self.last_active_s = Some(now_s);
            if current == 0 {
                let to = min.max(1);
                return Decision::new(
                    to,
                    vec![
                        Step::Keda(KedaStep::Activate {
                            to,
                            waiting,
                            recent_requests: keepalive,
                        }),
                        Step::Scale {
                            from: 0,
                            to: i64::from(to),
                        },
                    ]
                    .into(),
                );
            }
            KedaStep::Active {
                waiting,
                recent_requests: keepalive,
            }
        } else if current > 0 && min == 0 {
            let since = self.last_active_s.unwrap_or(self.created_s);
            let idle_s = now_s - since;
            // lastActiveTime + cooldownPeriod < now (strictly); never active: created +
            // initialCooldownPeriod (0) < now.
            let expired = match self.last_active_s {
                Some(t) => t + c.cooldown_s < now_s,
                None => self.created_s < now_s,
            };
            if expired {
                return Decision::new(
                    0,
                    vec![
                        Step::Keda(KedaStep::ToZero {
                            idle_s,
                            cooldown_s: c.cooldown_s,
                        }),
                        Step::Scale {
                            from: i64::from(current),
                            to: 0,
                        },
                    ]
                    .into(),
                );
            }
            KedaStep::Cooling {
                idle_s,
                cooldown_s: c.cooldown_s,
            }
        } else if current < min {
            return Decision::new(
                min,
                vec![
                    Step::Keda(KedaStep::ToMin { min }),
                    Step::Scale {
                        from: i64::from(current),
                        to: i64::from(min),
                    },
                ]
                .into(),
            );
        } else {
            KedaStep::Inactive
        };
        if current == 0 {
            return Decision::new(
                0,
                vec![Step::Keda(keda), Step::NoChange { current: 0 }].into(),
            );
        }
        let mut metrics = vec![ExternalMetric {
            name: WAITING_METRIC,
            usage_milli: i64::try_from(waiting)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000),
            target_milli: self.target_milli(),
        }];
        if c.keepalive {
            metrics.push(ExternalMetric {
                name: INCOMING_METRIC,
                usage_milli: if recent_requests { 1000 } else { 0 },
                target_milli: 1000,
            });
        }
        let d = self.hpa.reconcile_external(now_s, current, &metrics);
        let mut steps = d.explanation.steps;
        steps.insert(0, Step::Keda(keda));
        Decision::new(d.desired_replicas, steps.into())
    }
}

impl Autoscaler for Queue {
    fn sync_s(&self) -> f64 {
        self.config.polling_s
    }

    fn init(&mut self, now_s: f64, _replicas: u32, _ready: u32) {
        self.created_s = now_s;
    }

    fn reconcile(&mut self, o: &Observation) -> Decision {
        let recent = o
            .last_arrival_s
            .is_some_and(|t| o.now_s - t <= KEEPALIVE_WINDOW_S);
        self.decide(o.now_s, o.current_replicas, o.waiting_requests, recent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(min: u32) -> Queue {
        Queue::new(QueueConfig {
            min_replicas: min,
            ..QueueConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn desired_is_ceil_of_waiting_over_threshold_through_the_hpa() {
        // KEDA/HPA arithmetic: External AverageValue target 5 (threshold '5'), 2 replicas and 23
        // waiting: ratio 23 / (5 × 2) = 2.3, outside the 0.1 band → ceil(23 / 5) = 5, within the
        // scale-up limit max(2 × 2, 4) = 4? No: 5 > 4, so the HPA without behavior caps at 4.
        let mut q = queue(1);
        let d = q.decide(15.0, 2, 23, true);
        assert_eq!(d.desired_replicas, 4, "{}", d.reason);
        assert!(d.reason.contains("ceil(23 / 5) = 5"), "{}", d.reason);
        assert!(d.reason.contains("[ScaleUpLimit]"), "{}", d.reason);
        // Next sync at 4 replicas, still 23 waiting: ratio 23 / 20 = 1.15 → 5.
        let d = q.decide(30.0, 4, 23, true);
        assert_eq!(d.desired_replicas, 5, "{}", d.reason);
        // 11 waiting on 2 replicas: ratio 1.1, inside the band → keep 2.
        let mut q = queue(1);
        let d = q.decide(15.0, 2, 11, true);
        assert_eq!(d.desired_replicas, 2, "{}", d.reason);
    }

    #[test]
    fn keda_owns_zero_to_one_and_the_cooldown() {
        let mut q = queue(0);
        q.init(0.0, 1, 1);
        // Active (a request in the last minute) at 1 replica: the HPA keeps 1 (keepalive 1/1).
        let d = q.decide(15.0, 1, 0, true);
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
        // Inactive from 30 s; last active 15 s: cooldown 300 s → still 1 at 315 s…
        let d = q.decide(315.0, 1, 0, false);
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
        assert!(d.reason.contains("cooldown"), "{}", d.reason);
        // …zero once lastActive + 300 < now.
        let d = q.decide(330.0, 1, 0, false);
        assert_eq!(d.desired_replicas, 0, "{}", d.reason);
        // At zero, a request wakes it: KEDA activates to 1 (min 0 → 1).
        let d = q.decide(345.0, 0, 0, true);
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
        // Without activity at zero: nothing.
        let mut q = queue(0);
        let d = q.decide(15.0, 0, 0, false);
        assert_eq!(d.desired_replicas, 0);
        // minReplicaCount 2 at zero and active: 2.
        let mut q = queue(2);
        assert_eq!(q.decide(15.0, 0, 3, false).desired_replicas, 2);
    }

    #[test]
    fn scale_down_waits_for_the_hpa_stabilization() {
        // 10 replicas, then nothing waiting but requests still arriving: the HPA's proposal is
        // 1 (keepalive), held at 10 for the 300 s downscale stabilization window.
        let mut q = queue(1);
        assert_eq!(q.decide(0.0, 10, 50, true).desired_replicas, 10);
        for t in [15.0, 150.0, 300.0] {
            let d = q.decide(t, 10, 0, true);
            assert_eq!(d.desired_replicas, 10, "t={t}: {}", d.reason);
        }
        let d = q.decide(315.0, 10, 0, true);
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
    }
}

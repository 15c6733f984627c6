//! The KPA as the simulation's autoscaler: Knative's metric collector, decider and
//! PodAutoscaler reconciler wired together (knative/serving @98e5ef90).
//!
//! * Metrics (`pkg/autoscaler/metrics/collector.go` `record`, `StableAndPanicConcurrency`):
//!   once a second the revision's total — the time-averaged requests in flight over the
//!   second (the queue-proxies' reports plus what the activator holds), or the requests that
//!   arrived — goes into a stable and a panic bucket set. Nothing is recorded while no pod is
//!   ready and the activator has no stat for the revision (the scraper skips a revision
//!   without pods). No record for a whole stable window is `ErrNoData`: the decision is not
//!   valid and the last desired scale stays, except with a target burst capacity of −1 (no
//!   scrape target).
//! * The activator's first request for a revision sends an immediate stat of 1
//!   (`concurrency_reporter.go` `getOrCreateStat`), subtracted from its next report; every stat
//!   pokes the decider, which decides at once when its last desired scale is 0
//!   (`multiscaler.go` `Poke`). The stat entry goes after a quiet second.
//! * The decider (`Scale`) runs every 2 s (`tickInterval`); the PodAutoscaler reconciler runs
//!   after each decision. The decider's initial status is −1 with an excess burst capacity of
//!   `int32(initial scale × total − target burst capacity)` (`createScaler`).

use super::explain::{KpaMetric, NoData, Observed};
use super::pa::{Activity, Mode, PaSettings, PodAutoscaler};
use super::resolve::{metric_target, panic_window_s, TargetConfig};
use super::{Buckets, Kpa, KpaSpec, TICK_S};
use crate::autoscale::hpa::Step;
use crate::autoscale::{ActivatorSettings, Autoscaler, Decision, Observation, SecondStat};
use crate::error::Error;
use crate::scenario::{KpaConfig, KpaMetricConfig};

/// `activationTimeoutBuffer` in scaler.go.
const ACTIVATION_TIMEOUT_BUFFER_S: f64 = 30.0;

#[derive(Debug, Clone)]
pub struct Knative {
    config: KpaConfig,
    metric: KpaMetric,
    spec: KpaSpec,
    panic_window_s: f64,
    kpa: Option<Kpa>,
    pa: Option<PodAutoscaler>,
    stable: Buckets,
    panic: Buckets,
    /// The decider's status: desired scale (−1: none yet) and excess burst capacity.
    desired_scale: i64,
    excess_burst_capacity: i64,
    /// The activator has a stat entry for the revision.
    activator_stat: bool,
    /// Its next report subtracts the immediate stat of 1.
    first_report_adjust: bool,
}

impl Knative {
    pub fn new(config: KpaConfig) -> Result<Knative, Error> {
        let metric = match config.metric {
            KpaMetricConfig::Concurrency => KpaMetric::Concurrency,
            KpaMetricConfig::Rps => KpaMetric::Rps,
        };
        let (target, total) = metric_target(
            metric,
            config.container_concurrency,
            config.target,
            Some(config.target_utilization_pct / 100.0),
            &TargetConfig::default(),
        );
        let stable_window_s = f64::from(config.stable_window_s);
        let spec = KpaSpec {
            target_value: target,
            total_value: total,
            target_burst_capacity: config.target_burst_capacity,
            panic_threshold: config.panic_threshold_pct / 100.0,
            max_scale_up_rate: config.max_scale_up_rate,
            max_scale_down_rate: config.max_scale_down_rate,
            stable_window_s,
            scale_down_delay_s: f64::from(config.scale_down_delay_s),
            activation_scale: config.activation_scale,
            reachable: true,
        };
        // Checks the spec now, so a scenario that validates always builds.
        Kpa::new(spec.clone(), 0.0, 0)
            .map_err(|e| Error::new(format!("autoscaler.{}", e.field), e.problem))?;
        let panic_window_s = panic_window_s(stable_window_s, config.panic_window_pct);
        let tbc = config.target_burst_capacity;
        let excess_burst_capacity = if tbc == 0.0 || tbc == -1.0 {
            tbc as i64
        } else {
            (f64::from(config.initial_scale) * total - tbc).trunc() as i64
        };
        Ok(Knative {
            stable: Buckets::new(stable_window_s),
            panic: Buckets::new(panic_window_s),
            metric,
            spec,
            panic_window_s,
            kpa: None,
            pa: None,
            desired_scale: -1,
            excess_burst_capacity,
            activator_stat: false,
            first_report_adjust: false,
            config,
        })
    }

    /// The decider's spec (target and total per pod after resolution).
    pub fn spec(&self) -> &KpaSpec {
        &self.spec
    }

    pub fn panic_window_s(&self) -> f64 {
        self.panic_window_s
    }

    /// The decider's last desired scale (−1: none yet).
    pub fn desired_scale(&self) -> i64 {
        self.desired_scale
    }

    pub fn panicking(&self) -> bool {
        self.kpa.as_ref().is_some_and(Kpa::panicking)
    }

    pub fn activity(&self) -> Option<Activity> {
        self.pa.as_ref().map(PodAutoscaler::activity)
    }

    pub fn mode(&self) -> Option<Mode> {
        self.pa.as_ref().map(PodAutoscaler::mode)
    }

    fn pa_settings(&self) -> PaSettings {
        let c = &self.config;
        PaSettings {
            min_scale: c.min_scale,
            max_scale: c.max_scale,
            initial_scale: c.initial_scale,
            enable_scale_to_zero: c.enable_scale_to_zero,
            stable_window_s: self.spec.stable_window_s,
            grace_s: c.scale_to_zero_grace_s,
            retention_s: c.scale_to_zero_retention_s,
            activation_timeout_s: c.progress_deadline_s + ACTIVATION_TIMEOUT_BUFFER_S,
            target_burst_capacity: c.target_burst_capacity,
        }
    }

    fn record(&mut self, t_s: f64, value: f64) {
        self.stable.record(t_s, value);
        self.panic.record(t_s, value);
    }
}

impl Autoscaler for Knative {
    fn sync_s(&self) -> f64 {
        TICK_S
    }

    fn init(&mut self, now_s: f64, replicas: u32, ready: u32) {
        self.kpa = Kpa::new(self.spec.clone(), now_s, ready).ok();
        self.pa = Some(PodAutoscaler::new(
            self.pa_settings(),
            now_s,
            replicas,
            ready,
        ));
    }

    fn reconcile(&mut self, o: &Observation) -> Decision {
        let now = o.now_s;
        let ready = o.ready_replicas;
        if self.kpa.is_none() || self.pa.is_none() {
            self.init(now, o.current_replicas, ready);
        }
        let mut steps = Vec::new();
        let no_data = self.stable.is_empty(now) && self.spec.target_burst_capacity != -1.0;
        if no_data {
            steps.push(Step::KpaNoData(NoData {
                keep: self.desired_scale,
            }));
        } else {
            let stable = self.stable.window_average(now);
            let panic = self.panic.window_average(now);
            steps.push(Step::KpaObserved(Observed {
                metric: self.metric,
                stable,
                panic,
                stable_window_s: self.spec.stable_window_s,
                panic_window_s: self.panic_window_s,
            }));
            if let Some(kpa) = self.kpa.as_mut() {
                let (d, s) = kpa.scale_explained(now, ready, stable, panic);
                steps.extend(s);
                self.desired_scale = i64::from(d.desired_pods);
                self.excess_burst_capacity = d.excess_burst_capacity;
            }
        }
        let current = o.current_replicas;
        let mut desired = current;
        if let Some(pa) = self.pa.as_mut() {
            let out = pa.reconcile(
                now,
                self.desired_scale,
                self.excess_burst_capacity,
                current,
                ready,
            );
            steps.extend(out.steps);
            desired = out.patch.unwrap_or(current);
        }
        if desired != current {
            steps.push(Step::Scale {
                from: i64::from(current),
                to: i64::from(desired),
            });
        } else {
            steps.push(Step::NoChange {
                current: i64::from(current),
            });
        }
        Decision::new(desired, steps.into())
    }

    fn wants_seconds(&self) -> bool {
        true
    }

    fn record_second(&mut self, stat: &SecondStat) -> bool {
        if stat.ready == 0 && !self.activator_stat {
            return false;
        }
        let (mut c, mut r) = (stat.concurrency, stat.requests);
        if self.first_report_adjust {
            c = (c - 1.0).max(0.0);
            r = (r - 1.0).max(0.0);
            self.first_report_adjust = false;
        }
        let v = match self.metric {
            KpaMetric::Concurrency => c,
            KpaMetric::Rps => r,
        };
        self.record(stat.t_s, v);
        if stat.concurrency == 0.0 && stat.requests == 0.0 {
            self.activator_stat = false;
        }
        self.desired_scale == 0 && c > 0.0
    }

    fn activator(&self) -> Option<ActivatorSettings> {
        Some(ActivatorSettings {
            timeout_s: self.config.activator_timeout_s,
            queue_limit: self.config.activator_queue_limit,
            container_concurrency: self.config.container_concurrency,
        })
    }

    fn activator_in_path(&self) -> bool {
        self.pa.as_ref().is_none_or(|pa| pa.mode() == Mode::Proxy)
    }

    fn activator_request(&mut self, now_s: f64) -> bool {
        if self.activator_stat {
            return false;
        }
        self.activator_stat = true;
        self.first_report_adjust = true;
        // The immediate stat: one request in flight, one request.
        self.record(now_s, 1.0);
        self.desired_scale == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(now_s: f64, current: u32, ready: u32) -> Observation<'static> {
        Observation {
            now_s,
            current_replicas: current,
            offered_rps: 0.0,
            measured_rps: 0.0,
            capacity_rps: 1.0,
            pods: &[],
            ready_replicas: ready,
            waiting_requests: 0,
            last_arrival_s: None,
        }
    }

    fn stat(t_s: f64, concurrency: f64, ready: u32) -> SecondStat {
        SecondStat {
            t_s,
            concurrency,
            requests: concurrency,
            ready,
        }
    }

    #[test]
    fn no_data_no_autoscale() {
        // TestAutoscalerNoDataNoAutoscale: without metrics the decision is not valid; the
        // desired scale stays unknown and nothing is patched.
        let mut k = Knative::new(KpaConfig::default()).unwrap();
        k.init(0.0, 3, 3);
        let d = k.reconcile(&obs(2.0, 3, 3));
        assert_eq!(d.desired_replicas, 3);
        assert_eq!(k.desired_scale(), -1);
        assert!(d.reason.starts_with("no metrics"), "{}", d.reason);
    }

    #[test]
    fn defaults_resolve_to_knatives_numbers() {
        let k = Knative::new(KpaConfig::default()).unwrap();
        assert_eq!(k.spec().target_value, 70.0);
        assert_eq!(k.spec().total_value, 100.0);
        assert_eq!(k.spec().panic_threshold, 2.0);
        assert_eq!(k.panic_window_s(), 6.0);
        // createScaler: int32(1 × 100 − 211) = −111: the activator starts in the path.
        assert_eq!(k.excess_burst_capacity, -111);
    }

    #[test]
    fn poke_decides_at_once_when_at_zero() {
        let mut k = Knative::new(KpaConfig::default()).unwrap();
        k.init(0.0, 0, 0);
        // Nothing recorded without pods or activator stat.
        assert!(!k.record_second(&stat(1.0, 0.0, 0)));
        // At zero the decider says 0 (valid, since the activator reported earlier).
        k.desired_scale = 0;
        assert!(k.activator_request(100.3));
        let d = k.reconcile(&obs(100.3, 0, 0));
        // ceil(1 / 70) = 1 pod, and the PA patches 1.
        assert_eq!(d.desired_replicas, 1, "{}", d.reason);
        // The activator's next report subtracts the immediate 1.
        k.record_second(&stat(101.0, 1.0, 0));
        assert_eq!(k.stable.window_average(101.0), 0.5);
    }

    #[test]
    fn explanation_serializes_flat_with_step_names() {
        use crate::autoscale::kpa::ToZero;
        let steps = vec![
            Step::KpaToZero(ToZero::Zero {
                inactive_for_s: 2.0,
                proxied_for_s: 40.0,
            }),
            Step::KpaToZero(ToZero::Disabled),
            Step::Keda(crate::autoscale::queue::KedaStep::Activate {
                to: 1,
                waiting: 0,
                recent_requests: true,
            }),
        ];
        let v = serde_json::to_value(crate::autoscale::hpa::Explanation::from(steps)).unwrap();
        assert_eq!(
            v["steps"][0],
            serde_json::json!({"step": "kpa_to_zero", "phase": "zero", "inactive_for_s": 2.0, "proxied_for_s": 40.0})
        );
        assert_eq!(
            v["steps"][1],
            serde_json::json!({"step": "kpa_to_zero", "phase": "disabled"})
        );
        assert_eq!(v["steps"][2]["step"], "keda");
        assert_eq!(v["steps"][2]["keda"], "activate");
        assert_eq!(v["steps"][2]["to"], 1);
    }
}

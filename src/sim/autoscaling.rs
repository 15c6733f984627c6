//! The autoscaler's sync loop: every `sync_s` the fleet is turned into what the autoscaler
//! reads — for the HPA, the pod list with each pod's CPU usage (its busy fraction over the
//! sync period × its request) — and its decision sets the desired replica count.

use crate::autoscale::{Observation, PodMetric, PodState};

use super::{Lifecycle, LogEvent, Scaler, Simulation, NS};

impl Simulation {
    pub(super) fn on_autoscale(&mut self) {
        let Some(mut autoscaler) = self.scaling.autoscaler.take() else {
            return;
        };
        let now = self.now_ns;
        let last_sync = self.scaling.last_sync_ns;
        let window_ns = now.saturating_sub(last_sync).max(1);
        let capacity = self.scenario.instances.capacity_rps;
        let mut pods = Vec::new();
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let Some(inst) = self.fleet.get_mut_quiet(id) else {
                continue;
            };
            let busy = inst.busy_area_ns(now);
            let delta = busy - inst.busy_at_sync.min(busy);
            inst.busy_at_sync = busy;
            let inst = &self.fleet[id];
            if !inst.state.is_member() {
                continue;
            }
            let request_milli = ((inst.rate_rps(capacity) / inst.slow_factor) * 1000.0)
                .round()
                .max(1.0) as u64;
            let busy_fraction = delta as f64 / (window_ns as f64 * f64::from(inst.concurrency));
            // As Kubernetes' groupPods does for CPU within a pod's initialization period: a
            // pod that became ready during the metric window has a sample that mixes start-up
            // time in, so it counts as unready and its sample is dropped.
            let fresh = inst.ready_ns > last_sync;
            let (state, usage) = match inst.state {
                Lifecycle::Ready if !fresh => (
                    PodState::Ready,
                    Some((busy_fraction * request_milli as f64).round() as u64),
                ),
                _ => (PodState::Unready, None),
            };
            pods.push(PodMetric {
                state,
                usage_milli: usage,
                request_milli,
            });
        }
        let arrivals = self.stats.requests.arrived - self.scaling.arrivals_at_sync;
        let observation = Observation {
            now_s: self.now_s(),
            current_replicas: self.members(),
            offered_rps: self.workload.rate_rps,
            measured_rps: arrivals as f64 / (window_ns as f64 / NS as f64),
            capacity_rps: capacity,
            pods: &pods,
        };
        let decision = autoscaler.reconcile(&observation);
        let current = observation.current_replicas;
        self.scaling.arrivals_at_sync = self.stats.requests.arrived;
        self.scaling.last_sync_ns = now;
        self.scaling.autoscaler = Some(autoscaler);
        let by = self.scaler();
        if decision.desired_replicas != current {
            self.scale_to(decision.desired_replicas, by, Some(decision.explanation));
        } else {
            self.push_log(
                None,
                LogEvent::Kept {
                    replicas: current,
                    by,
                    explanation: decision.explanation,
                    reason: decision.reason,
                },
            );
        }
    }

    /// Which autoscaler is in charge (for the log).
    fn scaler(&self) -> Scaler {
        match self.scenario.autoscaler {
            crate::scenario::AutoscalerConfig::Hpa(_) => Scaler::Hpa,
            _ => Scaler::Formula,
        }
    }

    /// A new autoscaler measures only from now on.
    pub(super) fn reset_autoscaler_baselines(&mut self) {
        let now = self.now_ns;
        self.scaling.last_sync_ns = now;
        self.scaling.arrivals_at_sync = self.stats.requests.arrived;
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            if let Some(inst) = self.fleet.get_mut_quiet(id) {
                inst.busy_at_sync = inst.busy_area_ns(now);
            }
        }
    }
}

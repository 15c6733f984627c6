//! The autoscaler's sync loop: every `sync_s` the fleet is turned into what the autoscaler
//! reads — for the HPA, the pod list with each pod's CPU usage (its busy fraction over the
//! sync period × the instance's full CPU, and its CPU request, `cpu_request_fraction` × the full
//! CPU); for KEDA, the requests waiting; for Knative, the ready pods — and its decision sets
//! the desired replica count. Knative's autoscaler also reads, once a second, the requests in
//! flight averaged over the second (integrated event by event) and the arrivals of the second.
//! With a CPU request below the full CPU (a pod whose limit is above its request), HPA
//! utilization can pass 100 % as in Kubernetes (kubernetes/kubernetes
//! pkg/controller/podautoscaler/metrics/utilization.go `GetResourceUtilizationRatio` at
//! 16bee65c: usage over requests, no clamp), so one sync can grow the fleet by up to
//! 100 / (target × fraction).

use crate::autoscale::{Observation, PodMetric, PodState, SecondStat};

use super::{Lifecycle, LogEvent, Routing, Scaler, Simulation, NS};

impl Simulation {
    pub(super) fn on_autoscale(&mut self) {
        let Some(mut autoscaler) = self.scaling.autoscaler.take() else {
            return;
        };
        let now = self.now_ns;
        let last_sync = self.scaling.last_sync_ns;
        let window_ns = now.saturating_sub(last_sync).max(1);
        let capacity = self.scenario.instances.capacity_rps;
        let fraction = self.scenario.instances.cpu_request_fraction;
        let mut pods = Vec::new();
        let mut ready = 0u32;
        let mut waiting = match &self.routing {
            Routing::Shared { queue, .. } => queue.len() as u64,
            Routing::Balanced(_) => 0,
        };
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let Some(inst) = self.fleet.get_mut_quiet(id) else {
                continue;
            };
            waiting += inst.queue.len() as u64;
            if inst.state == Lifecycle::Ready {
                ready += 1;
            }
            let busy = inst.busy_area_ns(now);
            let delta = busy - inst.busy_at_sync.min(busy);
            inst.busy_at_sync = busy;
            let inst = &self.fleet[id];
            if !inst.state.is_member() {
                continue;
            }
            // Usage is measured against the whole instance; the pod's CPU request is
            // `cpu_request_fraction` of it, so utilization (usage / request, Kubernetes'
            // GetResourceUtilizationRatio) reaches 100 / fraction % when it is saturated.
            let full_milli = ((inst.rate_rps(capacity) / inst.slow_factor) * 1000.0)
                .round()
                .max(1.0);
            let request_milli = (full_milli * fraction).round().max(1.0) as u64;
            let busy_fraction = delta as f64 / (window_ns as f64 * f64::from(inst.concurrency));
            // As Kubernetes' groupPods does for CPU within a pod's initialization period: a
            // pod that became ready during the metric window has a sample that mixes start-up
            // time in, so it counts as unready and its sample is dropped.
            let fresh = inst.ready_ns > last_sync;
            let (state, usage) = match inst.state {
                Lifecycle::Ready if !fresh => (
                    PodState::Ready,
                    Some((busy_fraction * full_milli).round() as u64),
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
            ready_replicas: ready,
            waiting_requests: waiting,
            last_arrival_s: self.stats.last_arrival_ns.map(|t| t as f64 / NS as f64),
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
        use crate::scenario::AutoscalerConfig;
        match self.scenario.autoscaler {
            AutoscalerConfig::Hpa(_) => Scaler::Hpa,
            AutoscalerConfig::Kpa(_) => Scaler::Kpa,
            AutoscalerConfig::Queue(_) => Scaler::Queue,
            _ => Scaler::Formula,
        }
    }

    /// The autoscaler (new, or just changed) takes over the fleet as it is now.
    pub(super) fn init_autoscaler(&mut self) {
        let members = self.members();
        let ready = self
            .fleet
            .alive
            .iter()
            .filter(|&&id| self.fleet[id].state == Lifecycle::Ready)
            .count() as u32;
        let now_s = self.now_s();
        let (metering, activator) = match self.scaling.autoscaler.as_mut() {
            Some(a) => {
                a.init(now_s, members, ready);
                (a.wants_seconds(), a.activator())
            }
            None => (false, None),
        };
        self.scaling.metering = metering;
        self.scaling.activator_settings = activator;
        self.scaling.in_flight_area = 0.0;
        self.scaling.in_flight_at_ns = self.now_ns;
        self.drop_activator_if_gone();
    }

    /// Adds the requests in flight since the last event to the running integral.
    pub(super) fn meter_in_flight(&mut self) {
        let now = self.now_ns;
        let dt = now.saturating_sub(self.scaling.in_flight_at_ns);
        if dt > 0 {
            let r = &self.stats.requests;
            let in_flight = r.arrived - r.completed - r.dropped - r.failed;
            self.scaling.in_flight_area += in_flight as f64 * dt as f64;
            self.scaling.in_flight_at_ns = now;
        }
    }

    /// The one-second report to an autoscaler that reads it (Knative), with `arrived`
    /// requests in the second and `ready` instances; it may decide at once (a poke).
    pub(super) fn report_second(&mut self, arrived: u64, ready: u32) {
        if !self.scaling.metering {
            return;
        }
        self.meter_in_flight();
        let stat = SecondStat {
            t_s: self.now_s(),
            concurrency: self.scaling.in_flight_area / NS as f64,
            requests: arrived as f64,
            ready,
        };
        self.scaling.in_flight_area = 0.0;
        let poke = self
            .scaling
            .autoscaler
            .as_mut()
            .is_some_and(|a| a.record_second(&stat));
        if poke {
            self.on_autoscale();
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

//! Reading the simulation out: the per-second samples of the time series, the event log, the
//! summary (the CLI's JSON, identical in wasm) and the flat per-instance view the page draws
//! from (one row of `VIEW_FIELDS` per instance, read as a typed array over wasm memory).

use serde::Serialize;

use crate::metrics::{LatencyStats, Requests, Sample};

use super::{Lifecycle, Simulation, LOG_CAPACITY, NS};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub simulated_s: f64,
    pub events_processed: u64,
    pub requests: Requests,
    pub latency_s: LatencyStats,
    pub instances: InstancesSummary,
    pub per_instance: Vec<InstanceSummary>,
    pub scale_events: Vec<ScaleEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InstancesSummary {
    pub r#final: u32,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InstanceSummary {
    pub id: u32,
    pub completed: u64,
    pub dropped: u64,
    pub utilization: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleEvent {
    pub t_s: f64,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// One line of the event log (registry, faults, health, scaling).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub t_s: f64,
    pub instance: Option<u32>,
    pub kind: &'static str,
    pub text: String,
}

/// Columns of the per-instance view, in order. Codes: lifecycle 0 starting, 1 ready,
/// 2 draining, 3 stopped, 4 crashed; registry 0 unregistered, 1 up, 2 suspect, 3 evicted,
/// 4 deregistered; in_view 1 when the balancer can currently pick it.
pub const VIEW_FIELDS: [&str; 16] = [
    "id",
    "lifecycle",
    "registry",
    "queue",
    "in_service",
    "concurrency",
    "utilization",
    "routed",
    "completed",
    "dropped",
    "failed",
    "weight",
    "speed",
    "lease_left_s",
    "in_view",
    "flags",
];

/// Bits of the `flags` column.
pub const FLAG_PARTITIONED: u32 = 1;
pub const FLAG_SLOW: u32 = 2;
pub const FLAG_EJECTED: u32 = 4;
pub const FLAG_UNHEALTHY: u32 = 8;

/// Extra measurements beyond the summary's contract, for the page and tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Details {
    pub now_s: f64,
    pub offered_rps: f64,
    pub capacity_rps: f64,
    pub desired: u32,
    pub members: u32,
    pub ready: u32,
    pub in_view: u32,
    pub retries: u64,
    pub moved_fraction: Option<f64>,
    pub self_preserving: bool,
    pub requests: Requests,
    pub latency_s: LatencyStats,
    /// Mean busy fraction of ready instances over the last sampled second.
    pub utilization: f64,
    pub throughput_rps: f64,
    pub log_total: u64,
}

impl Simulation {
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    pub fn requests(&self) -> Requests {
        let mut r = self.requests;
        r.in_flight = r.arrived - r.completed - r.dropped - r.failed;
        r
    }

    /// Requests actually inside the fleet (queued or in service), counted one by one: equals
    /// `requests().in_flight` at every instant (conservation).
    pub fn count_in_system(&self) -> u64 {
        let at_instances: u64 = self
            .alive
            .iter()
            .map(|&id| u64::from(self.instances[id as usize].active()))
            .sum();
        at_instances + self.shared_queue.len() as u64
    }

    pub fn summary(&self) -> Summary {
        let now = self.now_ns;
        Summary {
            seed: self.scenario.seed,
            simulated_s: self.now_s(),
            events_processed: self.events_processed,
            requests: self.requests(),
            latency_s: self.latency.stats(),
            instances: InstancesSummary {
                r#final: self.members(),
                min: self.min_members,
                max: self.max_members,
            },
            per_instance: self
                .instances
                .iter()
                .map(|i| InstanceSummary {
                    id: i.id,
                    completed: i.completed,
                    dropped: i.dropped,
                    utilization: i.lifetime_utilization(now),
                })
                .collect(),
            scale_events: self.scale_events.clone(),
        }
    }

    pub fn details(&self) -> Details {
        let last = self.timeline.samples().last().copied().unwrap_or_default();
        Details {
            now_s: self.now_s(),
            offered_rps: self.workload.rate_rps,
            capacity_rps: self.scenario.instances.capacity_rps,
            desired: self.desired,
            members: self.members(),
            ready: self
                .alive
                .iter()
                .filter(|&&id| self.instances[id as usize].state == Lifecycle::Ready)
                .count() as u32,
            in_view: self.view.len() as u32,
            retries: self.retries,
            moved_fraction: self.last_moved_fraction,
            self_preserving: self.registry.self_preserving(self.now_ns),
            requests: self.requests(),
            latency_s: self.latency.stats(),
            utilization: last.utilization,
            throughput_rps: last.throughput_rps,
            log_total: self.log_total,
        }
    }

    pub fn timeline(&self) -> &crate::metrics::Timeline {
        &self.timeline
    }

    /// Log entries with `seq >= since` that are still kept (the log keeps the last 1000).
    pub fn log_since(&self, since: u64) -> Vec<LogEntry> {
        self.log
            .iter()
            .filter(|e| e.seq >= since)
            .cloned()
            .collect()
    }

    pub(crate) fn push_log(&mut self, instance: Option<u32>, kind: &'static str, text: String) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            seq: self.log_total,
            t_s: self.now_s(),
            instance,
            kind,
            text,
        });
        self.log_total += 1;
    }

    pub(crate) fn on_sample(&mut self) {
        let now = self.now_ns;
        let (mut busy, mut servers, mut ready) = (0.0, 0.0, 0u32);
        for &id in &self.alive {
            let inst = &mut self.instances[id as usize];
            let area = inst.busy_area_ns(now);
            let delta = area - inst.busy_at_sample.min(area);
            inst.busy_at_sample = area;
            if matches!(inst.state, Lifecycle::Ready | Lifecycle::Draining) {
                busy += delta as f64;
                servers += f64::from(inst.concurrency);
            }
            if inst.state == Lifecycle::Ready {
                ready += 1;
            }
        }
        let w = &self.window;
        let sample = Sample {
            t_s: self.now_s(),
            offered_rps: self.workload.rate_rps,
            arrived_rps: w.arrived as f64,
            throughput_rps: w.completed as f64,
            dropped: w.dropped,
            failed: w.failed,
            ready,
            desired: self.desired,
            mean_s: w.latency.mean_s(),
            p50_s: w.latency.quantile_s(0.5),
            p99_s: w.latency.quantile_s(0.99),
            utilization: if servers > 0.0 {
                busy / (servers * NS as f64)
            } else {
                0.0
            },
            in_flight: self.requests().in_flight,
        };
        self.timeline.push(sample);
        self.window.arrived = 0;
        self.window.completed = 0;
        self.window.dropped = 0;
        self.window.failed = 0;
        self.window.latency.reset();
        self.queue.schedule(now + NS, super::Event::Sample);
    }

    /// Fills `out` with one row of `VIEW_FIELDS` per instance that has not stopped (and those
    /// stopped in the last `linger_s` seconds, so the page can fade them out). Utilization and
    /// routed are measured since the previous call.
    pub fn fill_view(&mut self, out: &mut Vec<f32>, linger_s: f64) {
        out.clear();
        let now = self.now_ns;
        let linger_ns = (linger_s.max(0.0) * 1e9) as u64;
        let shared = self.balancer.is_none();
        for idx in 0..self.instances.len() {
            let inst = &self.instances[idx];
            let recently_stopped = inst
                .stopped_ns
                .is_some_and(|s| s.saturating_add(linger_ns) >= now);
            if inst.state == Lifecycle::Stopped && !recently_stopped {
                continue;
            }
            let lease = self.registry.lease(inst.id);
            let lease_left = if lease.state.discoverable() {
                (lease.last_renewal_ns + self.registry.ttl_ns()).saturating_sub(now) as f64 / 1e9
            } else {
                0.0
            };
            let area = inst.busy_area_ns(now);
            let window = now.saturating_sub(self.view_time_ns).max(1);
            let util = (area - inst.busy_at_view.min(area)) as f64
                / (window as f64 * f64::from(inst.concurrency));
            let mut flags = 0;
            if inst.partitioned {
                flags |= FLAG_PARTITIONED;
            }
            if inst.slow_factor < 1.0 {
                flags |= FLAG_SLOW;
            }
            if inst.ejected {
                flags |= FLAG_EJECTED;
            }
            if !inst.hc_healthy {
                flags |= FLAG_UNHEALTHY;
            }
            out.extend_from_slice(&[
                inst.id as f32,
                inst.state as u8 as f32,
                lease.state as u8 as f32,
                inst.queue.len() as f32,
                inst.in_service as f32,
                inst.concurrency as f32,
                util.min(1.0) as f32,
                (inst.routed - inst.routed_at_view) as f32,
                inst.completed as f32,
                inst.dropped as f32,
                inst.failed as f32,
                inst.weight as f32,
                (inst.speed * inst.slow_factor) as f32,
                lease_left as f32,
                f32::from(u8::from(if shared {
                    inst.state == Lifecycle::Ready
                } else {
                    self.view.binary_search(&inst.id).is_ok()
                })),
                flags as f32,
            ]);
            let inst = &mut self.instances[idx];
            inst.busy_at_view = area;
            inst.routed_at_view = inst.routed;
        }
        self.view_time_ns = now;
    }
}

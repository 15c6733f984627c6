//! The live state in the terms a lesson uses: the article's arithmetic (L/N, ceil(L/C),
//! ρ = L/(N·C)) on the replica count, the same on what really serves (ready instances at their
//! real speeds), whether queueing theory's equal-server formulas apply, the faults and
//! overrides in force, and the latency measured since the last change with whether it is
//! still settling. The page words this; it computes nothing itself.

use serde::Serialize;

use crate::theory::{self, Readout};

use super::{Lifecycle, Simulation, FLAG_EJECTED, FLAG_PARTITIONED, FLAG_SLOW, FLAG_UNHEALTHY};

/// Below this many completions, or this many seconds, since the last change the measured mean
/// is still mostly transient.
const SETTLE_COMPLETIONS: u64 = 500;
const SETTLE_S: f64 = 5.0;

/// How loaded the ready fleet is (ρ on its real capacity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Load {
    /// No instance is ready: every request fails.
    NoCapacity,
    /// ρ < 1: instances are idle this fraction of the time on average.
    Stable { idle_fraction: f64 },
    /// ρ = 1 exactly: no slack, queues drift without bound.
    Critical,
    /// ρ > 1: this many more requests arrive per second than the fleet can serve.
    Overloaded { excess_rps: f64 },
}

/// Something that makes one instance differ from the others.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Condition {
    pub instance: u32,
    pub lifecycle: &'static str,
    /// Its capacity as a multiple of C (its speed × a slow fault's factor).
    pub speed: f64,
    pub weight: u32,
    /// Bits as in the view's `flags` column (partitioned, slow, ejected, unhealthy).
    pub flags: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    pub now_s: f64,
    pub load_rps: f64,
    pub capacity_rps: f64,
    /// N: the replica count wanted (by hand or by the autoscaler).
    pub desired: u32,
    /// Replicas counted (starting, ready, crashed).
    pub members: u32,
    pub ready: u32,
    /// The article's arithmetic on N equal instances of capacity C.
    pub nominal: Readout,
    /// What the ready instances can really serve: Σ C × speed.
    pub ready_capacity_rps: f64,
    /// L over that capacity (`None` with no ready instance).
    pub rho_ready: Option<f64>,
    pub load: Load,
    /// Every ready instance serves at exactly C: the equal-server formulas apply to them.
    pub equal_servers: bool,
    /// The formulas on the ready instances (meaningful when `equal_servers`).
    pub ready_theory: Readout,
    /// Instances that are not plain ready instances at C (crashed, slow, partitioned, ejected,
    /// unhealthy, starting, draining, or with a weight or speed set).
    pub conditions: Vec<Condition>,
    /// Seconds since the last change (an edit, a fault, a scale or rate change).
    pub since_change_s: f64,
    /// Mean latency of the requests completed since that change, and their number.
    pub measured_mean_s: Option<f64>,
    pub measured_completed: u64,
    /// Too soon after the change for the measurement to mean much yet.
    pub settling: bool,
}

/// Conditions listed at most (a 100,000-instance fleet with one override each stays small).
const MAX_CONDITIONS: usize = 50;

impl Simulation {
    /// Notes that the settings or the fleet just changed: measurements restart from here.
    pub(super) fn mark_change(&mut self) {
        self.stats.change_mark = ChangeMark {
            at_ns: self.now_ns,
            count: self.stats.latency.count(),
            sum_ns: self.stats.latency.sum_ns(),
        };
    }

    pub fn explain(&self) -> Explain {
        let c = self.scenario.instances.capacity_rps;
        let load_rps = self.workload.rate_rps;
        let mut ready = 0u32;
        let mut ready_capacity = 0.0;
        let mut equal = true;
        let mut conditions = Vec::new();
        for &id in &self.fleet.alive {
            let inst = &self.fleet[id];
            let speed = inst.speed * inst.slow_factor;
            if inst.state == Lifecycle::Ready {
                ready += 1;
                ready_capacity += c * speed;
                equal &= speed == 1.0;
            }
            let mut flags = 0;
            if inst.partitioned {
                flags |= FLAG_PARTITIONED;
            }
            if inst.slow_factor < 1.0 {
                flags |= FLAG_SLOW;
            }
            if self.is_ejected(inst.id) {
                flags |= FLAG_EJECTED;
            }
            if !self.hc_healthy(inst.id) {
                flags |= FLAG_UNHEALTHY;
            }
            if self.peer_down(inst.id) {
                flags |= super::FLAG_DOWN;
            }
            let plain =
                inst.state == Lifecycle::Ready && flags == 0 && speed == 1.0 && inst.weight == 1;
            if !plain && conditions.len() < MAX_CONDITIONS {
                conditions.push(Condition {
                    instance: id,
                    lifecycle: inst.state.name(),
                    speed,
                    weight: inst.weight,
                    flags,
                });
            }
        }
        let rho_ready = (ready_capacity > 0.0).then(|| load_rps / ready_capacity);
        let load = match rho_ready {
            None => Load::NoCapacity,
            Some(r) if (r - 1.0).abs() < 1e-12 => Load::Critical,
            Some(r) if r < 1.0 => Load::Stable {
                idle_fraction: 1.0 - r,
            },
            Some(_) => Load::Overloaded {
                excess_rps: load_rps - ready_capacity,
            },
        };
        let mark = self.stats.change_mark;
        let completed = self.stats.latency.count() - mark.count;
        let since_change_s = (self.now_ns - mark.at_ns) as f64 / 1e9;
        let measured_mean_s = (completed > 0)
            .then(|| (self.stats.latency.sum_ns() - mark.sum_ns) as f64 / completed as f64 / 1e9);
        Explain {
            now_s: self.now_s(),
            load_rps,
            capacity_rps: c,
            desired: self.fleet.desired,
            members: self.members(),
            ready,
            nominal: theory::readout(load_rps, self.fleet.desired, c),
            ready_capacity_rps: ready_capacity,
            rho_ready,
            load,
            equal_servers: equal,
            ready_theory: theory::readout(load_rps, ready, c),
            conditions,
            since_change_s,
            measured_mean_s,
            measured_completed: completed,
            settling: completed < SETTLE_COMPLETIONS || since_change_s < SETTLE_S,
        }
    }
}

/// Where the measurements since the last change start.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ChangeMark {
    pub at_ns: u64,
    pub count: u64,
    pub sum_ns: u128,
}

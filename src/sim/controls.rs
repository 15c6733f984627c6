//! Live changes from the page (or a test) while the simulation runs. Every change is an edit
//! of one scenario field, checked exactly as the scenario file is (`Scenario::apply_edit`),
//! refused with a structured error that names the field, and leaves the simulation untouched
//! on error. An accepted change takes effect at the current simulated time and is recorded in
//! the run's `edits` (or, before the first simulated instant, in its starting settings), so
//! the run's description — a link, or a file for the CLI — replays it exactly. Faults clicked
//! in the page are recorded the same way, as timed faults.

use serde_json::Value;

use crate::autoscale;
use crate::error::{check_range, check_whole, Error, ErrorKind};
use crate::scenario::{
    Algorithm, AutoscalerConfig, BalancerConfig, Change, Edit, Fault, FaultKind, KeyDistribution,
    RegistryConfig, Scenario,
};

use super::{Lifecycle, Routing, Scaler, Simulation, Timer};

/// Most edits or faults a run records (the scenario format's limit).
const MAX_RECORDED: usize = 10_000;

impl Simulation {
    /// Sets the scenario field `path` to `value` now. `value` may be text typed by a person
    /// into a number field: the core parses it, so every message is the core's.
    pub fn edit(&mut self, path: &str, value: Value) -> Result<(), Error> {
        if path.is_empty() {
            // Otherwise the error would name the empty field "".
            return Err(Error::of("path", ErrorKind::Empty { range: None }, None));
        }
        // Switching the autoscaler's kind replaces the whole object (at the new kind's
        // defaults): record it as that, so the description replays it.
        let (path, value) = if path == "autoscaler.kind" {
            ("autoscaler", serde_json::json!({ "kind": value }))
        } else {
            (path, value)
        };
        if self.now_ns > 0 && self.scenario.edits.len() >= MAX_RECORDED {
            return Err(Error::of(
                "edits",
                ErrorKind::TooMany {
                    max: MAX_RECORDED as u64,
                },
                None,
            ));
        }
        if self.now_ns > 0 {
            self.begin_click();
        }
        let before = self.scenario.balancer.clone();
        let (change, value) = self.scenario.apply_edit(path, value)?;
        if self.now_ns == 0 {
            self.start
                .apply_edit(path, value)
                .expect("the same edit applies to the same settings");
        } else {
            self.record_edit(path, value);
        }
        self.apply_change(change, &before);
        Ok(())
    }

    /// Makes room for a change made now: runs what is still due at the current instant (a
    /// frame's event budget can stop in the middle of one), then moves the clock one
    /// nanosecond on. The change happens, and is recorded, at that nanosecond: after the whole
    /// instant and before anything later, which is where its replay puts it (scheduled changes
    /// come first at their instant). Nanoseconds are exact in the f64 seconds of the format for
    /// any run it allows.
    fn begin_click(&mut self) {
        self.advance_to(self.now_ns, u64::MAX);
        self.now_ns += 1;
    }

    /// Records a change made now. The replay processes it as one event, so it counts as one.
    fn record_edit(&mut self, path: &str, value: Value) {
        let at_s = self.now_s();
        let edits = &mut self.scenario.edits;
        match edits.last_mut() {
            // A slider dragged while paused: one edit with the last value.
            Some(last) if last.at_s == at_s && last.path == path => last.value = value,
            _ => {
                edits.push(Edit {
                    at_s,
                    path: path.to_string(),
                    value,
                });
                self.stats.events_processed += 1;
            }
        }
    }

    /// An edit recorded in the scenario comes due.
    pub(super) fn on_scheduled_edit(&mut self, index: u32) {
        let Some(edit) = self.scenario.edits.get(index as usize).cloned() else {
            return;
        };
        let before = self.scenario.balancer.clone();
        // Checked when the scenario was loaded, against the same settings: it applies.
        if let Ok((change, _)) = self.scenario.apply_edit(&edit.path, edit.value) {
            self.apply_change(change, &before);
        }
    }

    /// Makes the running simulation follow the settings just changed.
    fn apply_change(&mut self, change: Change, balancer_before: &BalancerConfig) {
        self.mark_change();
        match change {
            Change::Count => {
                let n = self.scenario.instances.count;
                self.scale_to(n, Scaler::Hand, None);
            }
            Change::Rate => self.apply_rate(self.scenario.traffic.rate_rps),
            // Read where they are used: by requests starting service, arriving, or instances
            // starting from now on.
            Change::Capacity
            | Change::QueueLimit
            | Change::Startup
            | Change::PreStop
            | Change::CpuRequest => {}
            Change::Keys => {
                let t = &self.scenario.traffic;
                self.workload.set_keys(t.keys, t.key_distribution, t.zipf_s);
            }
            Change::Balancer => self.follow_balancer(balancer_before),
            Change::Autoscaler => {
                // Validated with the scenario: it builds.
                self.scaling.autoscaler =
                    autoscale::build(&self.scenario.autoscaler).ok().flatten();
                // As an autoscaler restart: it takes over the fleet as it is (a KPA with more
                // than one ready pod starts in panic, holding them).
                self.init_autoscaler();
                self.reset_autoscaler_baselines();
                self.restart_timer(Timer::Autoscale);
            }
            Change::Registry => {
                self.registry.set_config(self.scenario.registry.clone());
                // The cache starts from the registry as it is now, whatever the new period.
                self.discovery.discovered = self.registry.discoverable();
                self.restart_timer(Timer::DiscoveryRefresh);
                self.restart_timer(Timer::RegistrySweep);
                self.rearm_lease_timers();
                self.discovery.dirty = true;
                self.release_lingering();
            }
            Change::Override(id) => {
                let (weight, speed) = self
                    .scenario
                    .instances
                    .overrides
                    .iter()
                    .find(|o| o.instance == id)
                    .map_or((1, 1.0), |o| (o.weight, o.speed));
                self.fleet.overrides.insert(id, (weight, speed));
                if let Some(inst) = self.fleet.get_mut(id) {
                    inst.weight = weight;
                    inst.speed = speed;
                }
                self.clear_view();
                self.discovery.dirty = true;
            }
        }
    }

    /// The balancer section changed: a new algorithm (or new options for it) starts a new
    /// balancer; moving into or out of the shared queue moves the waiting requests.
    fn follow_balancer(&mut self, before: &BalancerConfig) {
        let now = &self.scenario.balancer;
        let same_balancer = now.algorithm == before.algorithm
            && now.choice_count == before.choice_count
            && now.decay_s == before.decay_s
            && now.ring == before.ring
            && now.points_per_instance == before.points_per_instance
            && now.min_ring_size == before.min_ring_size
            && now.max_ring_size == before.max_ring_size
            && now.table_size == before.table_size
            && now.cache_threshold == before.cache_threshold
            && now.balance_abs_threshold == before.balance_abs_threshold
            && now.balance_rel_threshold == before.balance_rel_threshold
            && now.eviction_interval_s == before.eviction_interval_s
            && now.max_tree_size == before.max_tree_size;
        let keeps = super::keeps_picks(&self.scenario);
        if keeps != self.picks.is_some() {
            self.picks = keeps.then(Default::default);
        }
        let health_check_changed = now.health_check != before.health_check;
        let outlier_changed = now.outlier_detection != before.outlier_detection;
        let passive_changed = now.passive_health != before.passive_health;
        let timeout_changed = now.timeout_s != before.timeout_s;
        // The shared queue has no options: an option of the other balancers changed while it
        // runs keeps it, with its waiting requests and idle list (rebuilding it lost them).
        let shared_stays = self.routing.is_shared() && now.algorithm == Algorithm::SharedQueue;
        if !same_balancer && !shared_stays {
            let was_shared = self.routing.is_shared();
            let old = std::mem::replace(&mut self.routing, Routing::build(now));
            let now_shared = self.routing.is_shared();
            self.clear_view();
            if let Routing::Shared {
                queue, abandoned, ..
            } = old
            {
                if !now_shared {
                    // Requests waiting centrally are handed out through the new balancer; the
                    // ones whose client already gave up are dropped from the system (they were
                    // counted when they timed out).
                    for i in 0..self.fleet.alive.len() {
                        let id = self.fleet.alive[i];
                        self.fleet[id].idle_listed = false;
                    }
                    for r in queue.into_iter().skip(abandoned) {
                        self.route(r);
                    }
                }
            } else if !was_shared && now_shared {
                self.gather_into_shared_queue();
            }
            self.rearm_all_timeouts();
        }
        if outlier_changed {
            match (
                &self.scenario.balancer.outlier_detection,
                &mut self.health.outlier,
            ) {
                (Some(c), Some(d)) => d.set_config(c),
                (Some(c), None) => {
                    self.health.outlier = Some(crate::balance::OutlierDetector::new(c))
                }
                // Switched off: nobody is ejected any more.
                (None, _) => self.health.outlier = None,
            }
            self.restart_timer(Timer::OutlierInterval);
        }
        if passive_changed {
            match (
                &self.scenario.balancer.passive_health,
                &mut self.health.passive,
            ) {
                (Some(c), Some(p)) => p.set(c.max_fails, c.fail_timeout_s),
                (Some(c), None) => {
                    self.health.passive = Some(crate::balance::PassiveHealth::new(
                        c.max_fails,
                        c.fail_timeout_s,
                    ))
                }
                (None, _) => self.health.passive = None,
            }
        }
        if health_check_changed {
            self.restart_hc_sessions();
        }
        if timeout_changed {
            self.rearm_all_timeouts();
        }
        self.discovery.dirty = true;
        self.restart_timer(Timer::LoadReport);
        self.report_load();
    }

    /// Every instance's waiting requests join the one central queue, oldest first; the
    /// instances then take from it as their servers free up.
    /// Requests whose client already gave up are dropped from the system on the way (they were
    /// counted when they timed out).
    fn gather_into_shared_queue(&mut self) {
        let mut waiting: Vec<_> = Vec::new();
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let inst = &mut self.fleet[id];
            let gave_up = inst.queue_abandoned as usize;
            inst.abandoned -= inst.queue_abandoned;
            inst.queue_abandoned = 0;
            waiting.extend(inst.queue.drain(..).skip(gave_up));
        }
        // In the order the attempts were sent (for a first attempt, the arrival), which keeps
        // the central queue in deadline order.
        waiting.sort_by_key(|r| (r.sent_ns, r.arrived_ns));
        if let Routing::Shared { queue, .. } = &mut self.routing {
            queue.extend(waiting);
        }
        let ids = self.fleet.alive.clone();
        for id in ids {
            self.list_idle(id);
            let inst = &self.fleet[id];
            if inst.state == Lifecycle::Draining && inst.active() == 0 {
                self.stop(id);
            }
        }
        loop {
            let Routing::Shared { queue, idle, .. } = &mut self.routing else {
                return;
            };
            if queue.is_empty() {
                return;
            }
            let Some(id) = idle.pop_front() else {
                return;
            };
            self.fleet[id].idle_listed = false;
            self.take_from_shared(id);
            self.list_idle(id);
        }
    }

    /// Scales the fleet to `count` instances now (an autoscaler, if any, may change it again at
    /// its next sync, as an HPA overrides `kubectl scale`).
    pub fn set_instances(&mut self, count: f64) -> Result<(), Error> {
        self.edit("instances.count", number(count))
    }

    /// Sets the arrival rate L now.
    pub fn set_load(&mut self, rate_rps: f64) -> Result<(), Error> {
        self.edit("traffic.rate_rps", number(rate_rps))
    }

    /// Sets the capacity C of a standard instance; requests that start service from now on
    /// are served at the new rate.
    pub fn set_capacity(&mut self, capacity_rps: f64) -> Result<(), Error> {
        self.edit("instances.capacity_rps", number(capacity_rps))
    }

    /// Sets the request keys from now on: `keys` distinct keys (0: none), uniform or Zipf with
    /// exponent `zipf_s`. A hash balancer needs keys, so 0 is refused while one is in use.
    pub fn set_keys(
        &mut self,
        keys: f64,
        distribution: KeyDistribution,
        zipf_s: f64,
    ) -> Result<(), Error> {
        let mut traffic = serde_json::to_value(&self.scenario.traffic).expect("serializes");
        traffic["keys"] = number(keys);
        traffic["key_distribution"] = serde_json::to_value(distribution).expect("serializes");
        traffic["zipf_s"] = number(zipf_s);
        // One change of three fields: checked together, applied together.
        let mut candidate = self.scenario.clone();
        for field in ["keys", "key_distribution", "zipf_s"] {
            candidate.apply_edit(&format!("traffic.{field}"), traffic[field].clone())?;
        }
        for field in ["key_distribution", "zipf_s", "keys"] {
            self.edit(&format!("traffic.{field}"), traffic[field].clone())?;
        }
        Ok(())
    }

    /// Replaces the balancer (algorithm and its options) now.
    pub fn set_balancer(&mut self, config: BalancerConfig) -> Result<(), Error> {
        self.edit(
            "balancer",
            serde_json::to_value(config).expect("serializes"),
        )
    }

    /// Replaces the autoscaler now; its first sync is one sync period from now, and measures
    /// only what happens from now on.
    pub fn set_autoscaler(&mut self, config: AutoscalerConfig) -> Result<(), Error> {
        self.edit(
            "autoscaler",
            serde_json::to_value(config).expect("serializes"),
        )
    }

    /// Changes the registry's timings; leases renewed from now on use them.
    pub fn set_registry(&mut self, config: RegistryConfig) -> Result<(), Error> {
        self.edit(
            "registry",
            serde_json::to_value(config).expect("serializes"),
        )
    }

    /// Sets one instance's balancer weight and speed (capacity multiplier).
    pub fn set_instance(&mut self, id: f64, weight: f64, speed: f64) -> Result<(), Error> {
        let id = check_whole("instance", id, 0, crate::scenario::MAX_INSTANCES - 1)?;
        if !self.fleet.ever_existed(id) {
            return Err(Error::of(
                "instance",
                ErrorKind::NoSuchInstance { id: f64::from(id) },
                None,
            ));
        }
        let value =
            serde_json::json!({ "instance": id, "weight": number(weight), "speed": number(speed) });
        self.edit("instances.overrides[]", value)
            .map_err(|e| match e.field.rsplit_once('.') {
                Some((_, leaf)) => Error {
                    field: leaf.to_string(),
                    ..e
                },
                None => e,
            })
    }

    /// A fault now, from a click: applied at once and recorded in the run as a timed fault.
    pub fn fault(&mut self, id: f64, kind: FaultKind, factor: f64) -> Result<(), Error> {
        let id = check_whole("instance", id, 0, crate::scenario::MAX_INSTANCES - 1)?;
        let factor = if kind == FaultKind::Slow {
            check_range("factor", factor, 0.01, 1.0)?
        } else {
            0.25
        };
        if self.scenario.faults.len() >= MAX_RECORDED {
            return Err(Error::of(
                "faults",
                ErrorKind::TooMany {
                    max: MAX_RECORDED as u64,
                },
                None,
            ));
        }
        self.begin_click();
        self.stats.events_processed += 1;
        self.scenario.faults.push(Fault {
            at_s: self.now_s(),
            kind,
            instance: id,
            factor,
        });
        self.apply_fault(id, kind, factor);
        Ok(())
    }

    /// The run as it has gone so far: the starting settings with every scheduled change,
    /// recorded edit and fault. Run again (in the CLI or the page) it gives the same run.
    pub fn current_scenario(&self) -> Scenario {
        let mut s = self.start.clone();
        s.traffic.changes = self.scenario.traffic.changes.clone();
        s.faults = self.scenario.faults.clone();
        s.edits = self.scenario.edits.clone();
        s
    }
}

/// A JavaScript number as JSON; NaN and infinities, which JSON lacks, go as text ("NaN",
/// "inf"), which the field's check refuses as out of range.
fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or_else(|| Value::String(x.to_string()), Value::Number)
}

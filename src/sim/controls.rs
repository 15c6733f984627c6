//! Live changes from the page (or a test) while the simulation runs. Each setter validates
//! its value exactly as the scenario file would, names the field when it refuses, and leaves
//! the simulation untouched on error; accepted changes take effect at the current simulated
//! time and are written back into `scenario()`, so the page's URL always reproduces the view.

use crate::autoscale;
use crate::balance;
use crate::error::{check_int, check_range, Error};
use crate::scenario::{
    AutoscalerConfig, BalancerConfig, KeyDistribution, RegistryConfig, Scenario, MAX_CAPACITY_RPS,
    MAX_INSTANCES, MAX_RATE_RPS,
};

use super::{Simulation, Timer};

impl Simulation {
    /// Scales the fleet to `count` instances now (an autoscaler, if any, may change it again at
    /// its next sync, as an HPA overrides `kubectl scale`).
    pub fn set_instances(&mut self, count: f64) -> Result<(), Error> {
        let n = whole("instances.count", count, 1.0, f64::from(MAX_INSTANCES))?;
        self.scenario.instances.count = n;
        self.scale_to(n, Some("set by hand".to_string()));
        Ok(())
    }

    /// Sets the arrival rate L now.
    pub fn set_load(&mut self, rate_rps: f64) -> Result<(), Error> {
        check_range("traffic.rate_rps", rate_rps, 0.0, MAX_RATE_RPS)?;
        self.scenario.traffic.rate_rps = rate_rps;
        self.apply_rate(rate_rps);
        Ok(())
    }

    /// Sets the capacity C of a standard instance; requests that start service from now on
    /// are served at the new rate.
    pub fn set_capacity(&mut self, capacity_rps: f64) -> Result<(), Error> {
        check_range(
            "instances.capacity_rps",
            capacity_rps,
            1e-3,
            MAX_CAPACITY_RPS,
        )?;
        self.scenario.instances.capacity_rps = capacity_rps;
        Ok(())
    }

    /// Sets the request keys from now on: `keys` distinct keys (0: none), uniform or Zipf with
    /// exponent `zipf_s`. A hash balancer needs keys, so 0 is refused while one is in use.
    pub fn set_keys(
        &mut self,
        keys: f64,
        distribution: KeyDistribution,
        zipf_s: f64,
    ) -> Result<(), Error> {
        let keys = whole("traffic.keys", keys, 0.0, 1e9)?;
        let mut candidate = self.scenario.clone();
        candidate.traffic.keys = keys;
        candidate.traffic.key_distribution = distribution;
        candidate.traffic.zipf_s = zipf_s;
        candidate.validate()?;
        self.scenario.traffic = candidate.traffic;
        self.workload.set_keys(keys, distribution, zipf_s);
        Ok(())
    }

    /// Replaces the balancer (algorithm and its options) now.
    pub fn set_balancer(&mut self, config: BalancerConfig) -> Result<(), Error> {
        let mut candidate = self.scenario.clone();
        candidate.balancer = config.clone();
        candidate.validate()?;
        let was_shared = self.balancer.is_none();
        self.scenario.balancer = config;
        self.balancer = balance::build(&self.scenario.balancer);
        let now_shared = self.balancer.is_none();
        self.view.clear();
        self.view_dirty = true;
        if was_shared && !now_shared {
            // Requests waiting centrally are handed out through the new balancer.
            self.idle.clear();
            for &id in &self.alive {
                self.instances[id as usize].idle_listed = false;
            }
            let waiting: Vec<_> = self.shared_queue.drain(..).collect();
            for r in waiting {
                self.route(r);
            }
        } else if !was_shared && now_shared {
            // Every instance's waiting requests join the one central queue, oldest first; the
            // instances then take from it as their servers free up.
            let mut waiting: Vec<_> = Vec::new();
            for &id in &self.alive {
                waiting.extend(self.instances[id as usize].queue.drain(..));
            }
            waiting.sort_by_key(|r| r.arrived_ns);
            self.shared_queue.extend(waiting);
            let ids = self.alive.clone();
            for id in ids {
                self.list_idle(id);
                if self.instances[id as usize].state == super::Lifecycle::Draining
                    && self.instances[id as usize].active() == 0
                {
                    self.stop(id);
                }
            }
            while !self.shared_queue.is_empty() {
                let Some(id) = self.idle.pop_front() else {
                    break;
                };
                self.instances[id as usize].idle_listed = false;
                let request = self.shared_queue.pop_front().expect("not empty");
                self.start_service(id, request);
                self.list_idle(id);
            }
        }
        self.restart_timer(Timer::LoadReport);
        self.report_load();
        self.restart_timer(Timer::HealthCheck);
        Ok(())
    }

    /// Replaces the autoscaler now; its first sync is one sync period from now, and measures
    /// only what happens from now on.
    pub fn set_autoscaler(&mut self, config: AutoscalerConfig) -> Result<(), Error> {
        let mut candidate = self.scenario.clone();
        candidate.autoscaler = config.clone();
        candidate.validate()?;
        let autoscaler = autoscale::build(&config)?;
        self.scenario.autoscaler = config;
        self.autoscaler = autoscaler;
        self.last_sync_ns = self.now_ns;
        self.arrivals_at_sync = self.requests.arrived;
        let now = self.now_ns;
        for &id in &self.alive {
            let inst = &mut self.instances[id as usize];
            inst.busy_at_sync = inst.busy_area_ns(now);
        }
        self.restart_timer(Timer::Autoscale);
        Ok(())
    }

    /// Changes the registry's timings; leases renewed from now on use them.
    pub fn set_registry(&mut self, config: RegistryConfig) -> Result<(), Error> {
        let mut candidate = self.scenario.clone();
        candidate.registry = config.clone();
        candidate.validate()?;
        self.scenario.registry = config.clone();
        self.registry.set_config(config);
        // The cache starts from the registry as it is now, whatever the new period.
        self.discovered = self.registry.discoverable();
        self.restart_timer(Timer::DiscoveryRefresh);
        self.view_dirty = true;
        Ok(())
    }

    /// Sets one instance's balancer weight and speed (capacity multiplier).
    pub fn set_instance(&mut self, id: u32, weight: f64, speed: f64) -> Result<(), Error> {
        let weight = whole("weight", weight, 1.0, 1000.0)?;
        check_range("speed", speed, 0.01, 100.0)?;
        let Some(inst) = self.instances.get_mut(id as usize) else {
            return Err(Error::new("instance", format!("there is no instance {id}")));
        };
        inst.weight = weight;
        inst.speed = speed;
        let overrides = &mut self.scenario.instances.overrides;
        overrides.retain(|o| o.instance != id);
        if weight != 1 || speed != 1.0 {
            overrides.push(crate::scenario::InstanceOverride {
                instance: id,
                weight,
                speed,
            });
            overrides.sort_by_key(|o| o.instance);
        }
        self.view.clear();
        self.view_dirty = true;
        Ok(())
    }

    /// The scenario that reproduces the current settings (for the page's URL).
    pub fn current_scenario(&self) -> Scenario {
        let mut s = self.scenario.clone();
        s.instances.count = self.desired.max(1);
        s
    }
}

fn whole(field: &str, value: f64, min: f64, max: f64) -> Result<u32, Error> {
    check_range(field, value, min, max)?;
    if value.fract() != 0.0 {
        return Err(Error::new(
            field,
            format!("must be a whole number between {min} and {max}, got {value}"),
        ));
    }
    check_int(field, value as u32, min as u32, max as u32)
}

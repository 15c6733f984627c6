//! Live changes from the page (or a test) while the simulation runs. Each setter validates
//! its value exactly as the scenario file would, names the field when it refuses, and leaves
//! the simulation untouched on error; accepted changes take effect at the current simulated
//! time and are written back into `scenario()`, so the page's URL always reproduces the view.

use crate::autoscale;
use crate::balance;
use crate::error::{check_int, check_range, Error};
use crate::registry::seconds_to_ns;
use crate::scenario::{
    AutoscalerConfig, BalancerConfig, KeyDistribution, RegistryConfig, Scenario, MAX_CAPACITY_RPS,
    MAX_INSTANCES, MAX_RATE_RPS,
};

use super::{Event, Simulation};

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
        let had_delay = self.scenario.balancer.load_delay_s > 0.0;
        let had_hc = self.scenario.balancer.health_check.is_some();
        self.scenario.balancer = config;
        self.balancer = balance::build(&self.scenario.balancer);
        if was_shared && self.balancer.is_some() {
            // Requests waiting centrally are handed out through the new balancer.
            let waiting: Vec<_> = self.shared_queue.drain(..).collect();
            self.idle_slots.clear();
            self.view.clear();
            self.view_dirty = true;
            for r in waiting {
                self.route(r);
            }
        } else if self.balancer.is_none() {
            self.idle_slots.clear();
            for &id in &self.alive {
                let inst = &self.instances[id as usize];
                if inst.state == super::Lifecycle::Ready {
                    for _ in inst.in_service..inst.concurrency {
                        self.idle_slots.push_back(id);
                    }
                }
            }
        }
        self.view.clear();
        self.view_dirty = true;
        if !had_delay && self.scenario.balancer.load_delay_s > 0.0 {
            self.queue.schedule(self.now_ns, Event::LoadReport);
        }
        if !had_hc {
            if let Some(h) = &self.scenario.balancer.health_check {
                self.queue.schedule(
                    self.now_ns + seconds_to_ns(h.interval_s),
                    Event::HealthCheck,
                );
            }
        }
        Ok(())
    }

    /// Replaces the autoscaler now; its first sync is one sync period from now.
    pub fn set_autoscaler(&mut self, config: AutoscalerConfig) -> Result<(), Error> {
        let mut candidate = self.scenario.clone();
        candidate.autoscaler = config.clone();
        candidate.validate()?;
        let autoscaler = autoscale::build(&config)?;
        let had = self.autoscaler.is_some();
        self.scenario.autoscaler = config;
        self.autoscaler = autoscaler;
        self.last_sync_ns = self.now_ns;
        self.arrivals_at_sync = self.requests.arrived;
        if !had {
            if let Some(a) = &self.autoscaler {
                self.queue
                    .schedule(self.now_ns + seconds_to_ns(a.sync_s()), Event::Autoscale);
            }
        }
        Ok(())
    }

    /// Changes the registry's timings; leases renewed from now on use them.
    pub fn set_registry(&mut self, config: RegistryConfig) -> Result<(), Error> {
        let mut candidate = self.scenario.clone();
        candidate.registry = config.clone();
        candidate.validate()?;
        let was_live = self.scenario.registry.refresh_s <= 0.0;
        self.scenario.registry = config.clone();
        self.registry.set_config(config);
        if was_live && self.scenario.registry.refresh_s > 0.0 {
            self.discovered = self.registry.discoverable();
            self.queue.schedule(
                self.now_ns + seconds_to_ns(self.scenario.registry.refresh_s),
                Event::DiscoveryRefresh,
            );
        }
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

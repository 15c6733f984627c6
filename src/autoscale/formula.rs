//! The seed's rule: N = ceil(L / (C × target utilization)), clamped to [min, max]. At the
//! default target of 100 % it runs every instance at ρ = 1 on average, where queueing theory
//! says waiting time has no bound; the page shows that cost. By default L is the configured
//! offered load, exactly as the seed states the rule; `source: measured` uses the arrival rate
//! seen over the last sync period instead, as a real controller would have to.

use crate::scenario::{FormulaConfig, LoadSource};
use crate::theory::instances_needed;

use super::{Autoscaler, Decision, Observation};

pub struct Formula {
    config: FormulaConfig,
}

impl Formula {
    pub fn new(config: FormulaConfig) -> Self {
        Formula { config }
    }

    /// The rule itself, free of the simulation: desired instances for load L and capacity C.
    pub fn desired(&self, load_rps: f64, capacity_rps: f64) -> u32 {
        self.unclamped(load_rps, capacity_rps)
            .clamp(self.config.min_replicas, self.config.max_replicas)
    }

    /// ceil(L / (C × target)) before min/max; 0 without load.
    fn unclamped(&self, load_rps: f64, capacity_rps: f64) -> u32 {
        if load_rps > 0.0 {
            instances_needed(load_rps, self.per_instance(capacity_rps)).unwrap_or(u32::MAX)
        } else {
            0
        }
    }

    fn per_instance(&self, capacity_rps: f64) -> f64 {
        capacity_rps * f64::from(self.config.target_utilization_pct) / 100.0
    }
}

impl Autoscaler for Formula {
    fn sync_s(&self) -> f64 {
        self.config.sync_s
    }

    fn reconcile(&mut self, o: &Observation) -> Decision {
        let (load, what) = match self.config.source {
            LoadSource::Offered => (o.offered_rps, "offered"),
            LoadSource::Measured => (o.measured_rps, "measured"),
        };
        let target = self.config.target_utilization_pct;
        let per_instance = self.per_instance(o.capacity_rps);
        let raw = self.unclamped(load, o.capacity_rps);
        let desired = raw.clamp(self.config.min_replicas, self.config.max_replicas);
        let mut reason = format!(
            "{what} L = {} req/s, C × {target}% = {} req/s → ceil(L / {}) = {raw}",
            fmt(load),
            fmt(per_instance),
            fmt(per_instance)
        );
        if raw != desired {
            reason.push_str(&format!(
                ", clamped to [{}, {}] → {desired}",
                self.config.min_replicas, self.config.max_replicas
            ));
        }
        Decision {
            desired_replicas: desired,
            reason,
        }
    }
}

fn fmt(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formula(target: u32) -> Formula {
        Formula::new(FormulaConfig {
            target_utilization_pct: target,
            min_replicas: 1,
            max_replicas: 1000,
            sync_s: 15.0,
            source: LoadSource::Offered,
        })
    }

    #[test]
    fn seed_example() {
        assert_eq!(formula(100).desired(500.0, 100.0), 5);
        assert_eq!(formula(100).desired(501.0, 100.0), 6);
        // At a 50 % target every instance carries 50 req/s.
        assert_eq!(formula(50).desired(500.0, 100.0), 10);
        // No load: the minimum.
        assert_eq!(formula(100).desired(0.0, 100.0), 1);
        // Clamped to max.
        assert_eq!(formula(100).desired(1e7, 1.0), 1000);
    }
}

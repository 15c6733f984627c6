//! The seed's rule: N = ceil(L / (C × target utilization)), clamped to [min, max]. At the
//! default target of 100 % it runs every instance at ρ = 1 on average, where queueing theory
//! says waiting time has no bound; the page shows that cost. By default L is the configured
//! offered load, exactly as the seed states the rule; `source: measured` uses the arrival rate
//! seen over the last sync period instead, as a real controller would have to.

use crate::scenario::{FormulaConfig, LoadSource};
use crate::theory::instances_needed;

use super::hpa::Step;
use super::{Autoscaler, Decision, Observation};

#[derive(Debug, Clone)]
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
        let load_rps = match self.config.source {
            LoadSource::Offered => o.offered_rps,
            LoadSource::Measured => o.measured_rps,
        };
        let raw = self.unclamped(load_rps, o.capacity_rps);
        let desired = raw.clamp(self.config.min_replicas, self.config.max_replicas);
        let step = Step::Formula {
            source: self.config.source,
            load_rps,
            target_pct: self.config.target_utilization_pct,
            per_instance_rps: self.per_instance(o.capacity_rps),
            raw,
            min: self.config.min_replicas,
            max: self.config.max_replicas,
            desired,
        };
        Decision::new(desired, vec![step].into())
    }
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

    /// The old reason text, verbatim (the oracle for the explanation's English rendering).
    fn old_reason(f: &Formula, o: &Observation) -> String {
        fn fmt(x: f64) -> String {
            let rounded = (x * 100.0).round() / 100.0;
            format!("{rounded}")
        }
        let (load, what) = match f.config.source {
            LoadSource::Offered => (o.offered_rps, "offered"),
            LoadSource::Measured => (o.measured_rps, "measured"),
        };
        let target = f.config.target_utilization_pct;
        let per_instance = f.per_instance(o.capacity_rps);
        let raw = f.unclamped(load, o.capacity_rps);
        let desired = raw.clamp(f.config.min_replicas, f.config.max_replicas);
        let mut reason = format!(
            "{what} L = {} req/s, C × {target}% = {} req/s → ceil(L / {}) = {raw}",
            fmt(load),
            fmt(per_instance),
            fmt(per_instance)
        );
        if raw != desired {
            reason.push_str(&format!(
                ", clamped to [{}, {}] → {desired}",
                f.config.min_replicas, f.config.max_replicas
            ));
        }
        reason
    }

    #[test]
    fn reason_is_the_old_text() {
        // The zipf-maglev determinism scenario's reason, literally.
        let mut f = Formula::new(FormulaConfig {
            target_utilization_pct: 80,
            ..FormulaConfig::default()
        });
        let o = |offered_rps: f64, measured_rps: f64, capacity_rps: f64| Observation {
            now_s: 15.0,
            current_replicas: 3,
            offered_rps,
            measured_rps,
            capacity_rps,
            pods: &[],
            ready_replicas: 3,
            waiting_requests: 0,
            last_arrival_s: None,
        };
        let d = f.reconcile(&o(400.0, 0.0, 100.0));
        assert_eq!(d.desired_replicas, 5);
        assert_eq!(
            d.reason,
            "offered L = 400 req/s, C × 80% = 80 req/s → ceil(L / 80) = 5"
        );
        // A seeded sweep against the old text, both sources, with and without clamping.
        let mut rng = crate::rng::SimRng::seed(7);
        for _ in 0..5000 {
            let min = 1 + rng.below(5);
            let mut f = Formula::new(FormulaConfig {
                target_utilization_pct: 1 + rng.below(1000),
                min_replicas: min,
                max_replicas: min + rng.below(50),
                sync_s: 15.0,
                source: if rng.below(2) == 0 {
                    LoadSource::Offered
                } else {
                    LoadSource::Measured
                },
            });
            let load = |rng: &mut crate::rng::SimRng| match rng.below(4) {
                0 => 0.0,
                1 => f64::from(rng.below(2000)),
                _ => rng.unit() * 3000.0,
            };
            let obs = o(load(&mut rng), load(&mut rng), 0.5 + rng.unit() * 200.0);
            let d = f.reconcile(&obs);
            assert_eq!(d.reason, old_reason(&f, &obs));
            assert_eq!(d.reason, d.explanation.to_string());
            assert_eq!(
                d.desired_replicas,
                f.desired(
                    match f.config.source {
                        LoadSource::Offered => obs.offered_rps,
                        LoadSource::Measured => obs.measured_rps,
                    },
                    obs.capacity_rps
                )
            );
        }
    }
}

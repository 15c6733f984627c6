//! What the balancer itself knows about health, apart from the registry: active health checks
//! (probe every interval; a host flips after `unhealthy_threshold` / `healthy_threshold`
//! consecutive contrary results), passive outlier detection (consecutive failures eject a host
//! for a while), and Envoy's panic threshold (below 50 % healthy, ignore health).

use super::clock;

use super::{Event, Lifecycle, LogEvent, Simulation};

impl Simulation {
    /// Removes what the balancer's own health knowledge excludes. Like Envoy's panic threshold
    /// (50 %), when fewer than half of the discovered instances are healthy the balancer
    /// ignores health and uses them all.
    pub(super) fn filter_balancer_side(&self, base: Vec<u32>) -> Vec<u32> {
        let healthy: Vec<u32> = base
            .iter()
            .copied()
            .filter(|&id| {
                let inst = &self.fleet[id];
                inst.hc_healthy && !inst.ejected
            })
            .collect();
        if healthy.len() * 2 < base.len() {
            base
        } else {
            healthy
        }
    }

    pub(super) fn record_success(&mut self, id: u32) {
        self.fleet[id].consecutive_failures = 0;
    }

    /// Envoy outlier detection (consecutive_5xx): the n-th consecutive failure ejects the
    /// host for base × (times ejected), unless `max_ejection_pct` of hosts are already out
    /// (at least one host may always be ejected).
    pub(super) fn record_failure(&mut self, id: u32) {
        let Some(od) = self.scenario.balancer.outlier_detection.clone() else {
            return;
        };
        let inst = &mut self.fleet[id];
        inst.consecutive_failures += 1;
        if inst.ejected || inst.consecutive_failures < od.consecutive_failures {
            return;
        }
        let fleet = &self.fleet;
        let ejected_now = self
            .fleet
            .alive
            .iter()
            .filter(|&&a| fleet[a].ejected)
            .count();
        let hosts = self.fleet.alive.len().max(1);
        let allowed = ((hosts * od.max_ejection_pct as usize) / 100).max(1);
        if ejected_now >= allowed {
            return;
        }
        let inst = &mut self.fleet[id];
        inst.ejected = true;
        inst.ejections += 1;
        inst.consecutive_failures = 0;
        let ejection = inst.ejections;
        let duration = od.base_ejection_s * f64::from(ejection);
        // An ejection that would end past the end of time never ends.
        self.schedule_in(
            clock::to_ns(duration),
            Event::Unejection {
                instance: id,
                ejection,
            },
        );
        self.discovery.dirty = true;
        self.push_log(
            Some(id),
            LogEvent::Ejected {
                failures: od.consecutive_failures,
                duration_s: duration,
            },
        );
    }

    pub(super) fn on_unejection(&mut self, id: u32, ejection: u32) {
        let inst = &mut self.fleet[id];
        if inst.ejected && inst.ejections == ejection {
            inst.ejected = false;
            self.discovery.dirty = true;
            if inst.state != Lifecycle::Stopped {
                self.push_log(Some(id), LogEvent::Unejected);
            }
        }
    }

    /// Active health checks: every interval each live instance is probed; a host's state flips
    /// only after `unhealthy_threshold` (or `healthy_threshold`) consecutive contrary results.
    pub(super) fn on_health_check(&mut self) {
        let Some(hc) = self.scenario.balancer.health_check.clone() else {
            return;
        };
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let inst = &mut self.fleet[id];
            let passed = matches!(inst.state, Lifecycle::Ready);
            if passed == inst.hc_healthy {
                inst.hc_streak = 0;
                continue;
            }
            inst.hc_streak += 1;
            let needed = if inst.hc_healthy {
                hc.unhealthy_threshold
            } else {
                hc.healthy_threshold
            };
            if inst.hc_streak >= needed {
                inst.hc_healthy = passed;
                inst.hc_streak = 0;
                self.discovery.dirty = true;
                let event = if passed {
                    LogEvent::HealthChecksPassed { checks: needed }
                } else {
                    LogEvent::HealthChecksFailed { checks: needed }
                };
                self.push_log(Some(id), event);
            }
        }
    }
}

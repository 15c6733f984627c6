//! Picking an instance for each request: through the balancer and the discovery view it sees
//! (possibly stale by `registry.refresh_s`, filtered by the balancer's own health knowledge),
//! with one client retry on a refused connection; or, in shared-queue mode, straight to an
//! idle instance or the one central queue. Also the hash balancers' key ownership, which the
//! page draws and the log reports when the view changes.

use crate::balance::{Endpoint, LoadView};
use crate::rng::SimRng;

use super::{Fleet, Lifecycle, LogEvent, Request, Routing, Simulation};

impl Simulation {
    pub(super) fn route(&mut self, request: Request) {
        self.ensure_view();
        let max_attempts = 1 + self.scenario.balancer.retries;
        let mut previous: Option<u32> = None;
        for attempt in 0..max_attempts {
            let Some(id) = self.pick(request.key, previous) else {
                self.fail_request();
                return;
            };
            if self.fleet[id].state == Lifecycle::Ready {
                self.record_success(id);
                self.deliver(id, request);
                return;
            }
            // Sent to an instance the (stale) view still lists, but which is gone or leaving:
            // the connection is refused. The attempt counts against that instance.
            let inst = &mut self.fleet[id];
            inst.routed += 1;
            inst.failed += 1;
            self.record_failure(id);
            if attempt + 1 < max_attempts {
                self.stats.retries += 1;
                previous = Some(id);
            }
        }
        self.fail_request();
    }

    /// Asks the balancer; a retry avoids the previous instance where the view has another
    /// (Envoy's `previous_hosts` retry predicate, which re-picks a few times).
    fn pick(&mut self, key: u32, avoid: Option<u32>) -> Option<u32> {
        if self.fleet.tracking() {
            self.flush_load_changes();
        }
        let Routing::Balanced(balancer) = &mut self.routing else {
            return None;
        };
        let view = &self.discovery.view;
        let mut chosen = None;
        for _ in 0..5 {
            let load = FleetLoad {
                view,
                fleet: &self.fleet,
                reported: self.discovery.reported_load.as_slice(),
                delayed: self.scenario.balancer.load_delay_s > 0.0,
            };
            let index =
                balancer.pick(u64::from(key), &load, &mut self.balancer_rng, self.now_ns)?;
            let id = *view.get(index)?;
            chosen = Some(id);
            if avoid != Some(id) || view.len() < 2 {
                break;
            }
        }
        chosen
    }

    /// One central FIFO feeding every ready instance: the M/M/c reference. `queue_limit` bounds
    /// the central queue.
    pub(super) fn route_shared(&mut self, request: Request) {
        loop {
            let Routing::Shared { idle, .. } = &mut self.routing else {
                return;
            };
            let Some(id) = idle.pop_front() else { break };
            let inst = &mut self.fleet[id];
            inst.idle_listed = false;
            if inst.state == Lifecycle::Ready && inst.in_service < inst.concurrency {
                inst.routed += 1;
                self.start_service(id, request);
                // Still a free server: it stays available, behind the others.
                self.list_idle(id);
                return;
            }
        }
        let any_ready = self
            .fleet
            .alive
            .iter()
            .any(|&id| self.fleet[id].state == Lifecycle::Ready);
        let limit = self.scenario.instances.queue_limit as usize;
        let Routing::Shared { queue, .. } = &mut self.routing else {
            return;
        };
        if !any_ready {
            self.fail_request();
        } else if queue.len() < limit {
            queue.push_back(request);
        } else {
            self.stats.requests.dropped += 1;
            self.stats.window.dropped += 1;
        }
    }

    /// Shared-queue mode: puts a ready instance with a free server on the idle list (once).
    pub(super) fn list_idle(&mut self, id: u32) {
        let Routing::Shared { idle, .. } = &mut self.routing else {
            return;
        };
        let inst = &mut self.fleet[id];
        if !inst.idle_listed && inst.state == Lifecycle::Ready && inst.in_service < inst.concurrency
        {
            inst.idle_listed = true;
            idle.push_back(id);
        }
    }

    fn ensure_view(&mut self) {
        let refresh_live = self.scenario.registry.refresh_s <= 0.0;
        let registry_moved =
            refresh_live && self.registry.version() != self.discovery.registry_version;
        if !self.discovery.dirty && !registry_moved {
            return;
        }
        self.rebuild_view();
    }

    fn rebuild_view(&mut self) {
        let refresh_live = self.scenario.registry.refresh_s <= 0.0;
        let base = if refresh_live {
            self.registry.discoverable()
        } else {
            self.discovery.discovered.clone()
        };
        let view = self.filter_balancer_side(base);
        self.discovery.registry_version = self.registry.version();
        self.discovery.dirty = false;
        if view == self.discovery.view {
            return;
        }
        let before = self.sampled_key_owners();
        let old = std::mem::replace(&mut self.discovery.view, view);
        for id in old {
            if let Some(inst) = self.fleet.get_mut(id) {
                inst.view_index = u32::MAX;
            }
        }
        for i in 0..self.discovery.view.len() {
            let id = self.discovery.view[i];
            self.fleet[id].view_index = i as u32;
        }
        let endpoints: Vec<Endpoint> = self
            .discovery
            .view
            .iter()
            .map(|&id| Endpoint {
                id,
                weight: self.fleet[id].weight,
            })
            .collect();
        if let Routing::Balanced(b) = &mut self.routing {
            b.set_endpoints(&endpoints);
        }
        self.report_load();
        if let Some(before) = before {
            let after = self.sampled_key_owners().unwrap_or_default();
            let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            let fraction = moved as f64 / before.len().max(1) as f64;
            self.stats.last_moved_fraction = Some(fraction);
            self.push_log(
                None,
                LogEvent::Rebalanced {
                    in_view: self.discovery.view.len() as u32,
                    moved_fraction: fraction,
                },
            );
        }
    }

    /// For hash-based balancers, the owner of each of a sample of keys (to measure how many
    /// keys move when the set of instances changes).
    fn sampled_key_owners(&mut self) -> Option<Vec<Option<u32>>> {
        let keys = self.scenario.traffic.keys;
        if keys == 0 || self.discovery.view.is_empty() {
            return None;
        }
        let sample = keys.min(4096);
        let step = (keys / sample).max(1);
        self.owners_of((0..sample).map(|i| 1 + i * step))
    }

    fn owners_of(&mut self, keys: impl Iterator<Item = u32>) -> Option<Vec<Option<u32>>> {
        if !self.scenario.balancer.algorithm.uses_keys() {
            return None;
        }
        let Routing::Balanced(balancer) = &mut self.routing else {
            return None;
        };
        // Hash balancers ignore load and randomness; a scratch generator keeps the run's own
        // stream untouched.
        let mut scratch = SimRng::seed(0);
        let view = &self.discovery.view;
        let load = FleetLoad {
            view,
            fleet: &self.fleet,
            reported: &[],
            delayed: false,
        };
        Some(
            keys.map(|k| {
                balancer
                    .pick(u64::from(k), &load, &mut scratch, self.now_ns)
                    .and_then(|ix| view.get(ix).copied())
            })
            .collect(),
        )
    }

    /// The instance each of keys 1..=count would go to now (hash balancers only; None for
    /// other balancers or an empty view). The page draws key ownership from this.
    /// At most 100,000 keys are looked up.
    pub fn key_owners(&mut self, count: u32) -> Vec<Option<u32>> {
        let count = count.min(100_000);
        self.ensure_view();
        self.owners_of(1..=count)
            .unwrap_or_else(|| vec![None; count as usize])
    }

    pub(super) fn report_load(&mut self) {
        let d = &mut self.discovery;
        d.reported_load.clear();
        d.reported_load
            .extend(d.view.iter().map(|&id| self.fleet[id].active()));
        // A balancer that indexes the load gets the whole picture now, and (when it sees live
        // load) every change from here on.
        let delayed = self.scenario.balancer.load_delay_s > 0.0;
        let tracking = match &mut self.routing {
            Routing::Balanced(b) if b.tracks_load() => {
                b.set_loads(&d.reported_load);
                !delayed
            }
            _ => false,
        };
        self.fleet.track_changes(tracking);
    }

    /// Tells a load-indexing balancer the active counts that changed since its last pick.
    fn flush_load_changes(&mut self) {
        let Routing::Balanced(b) = &mut self.routing else {
            return;
        };
        let view = &self.discovery.view;
        match self.fleet.take_changes() {
            Some(changed) => {
                for &id in &changed {
                    let Some(inst) = self.fleet.get(id) else {
                        continue;
                    };
                    let ix = inst.view_index as usize;
                    if view.get(ix) == Some(&id) {
                        b.load_changed(ix, inst.active());
                    }
                }
                self.fleet.give_back(changed);
            }
            None => {
                let loads: Vec<u32> = view.iter().map(|&id| self.fleet[id].active()).collect();
                b.set_loads(&loads);
            }
        }
    }
}

/// The balancer's window on the instances' load.
struct FleetLoad<'a> {
    view: &'a [u32],
    fleet: &'a Fleet,
    reported: &'a [u32],
    delayed: bool,
}

impl LoadView for FleetLoad<'_> {
    #[inline]
    fn active(&self, index: usize) -> u32 {
        if self.delayed {
            self.reported.get(index).copied().unwrap_or(0)
        } else {
            self.fleet[self.view[index]].active()
        }
    }
}

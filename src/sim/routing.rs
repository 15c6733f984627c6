//! Picking an instance for each request: through the balancer and the discovery view it sees
//! (possibly stale by `registry.refresh_s`, filtered by the balancer's own health knowledge),
//! with retries by `retries` / `retry_on` (see `balance::retry`); or, in shared-queue mode,
//! straight to an idle instance or the one central queue. Every attempt ends in a success or
//! one of the failures of `balance::Failure`, which the balancer's health knowledge hears
//! about (`health.rs`). Also the hash balancers' key ownership, which the page draws and the
//! log reports when the view changes.

use crate::balance::{
    Backoff, Endpoint, EndpointScore, Failure, LoadView, PickScores, RequestInfo, Rule,
};

use super::workload::LlmRequest;

use super::service::QueueFull;
use super::{Event, Fleet, LogEvent, Request, Routing, Simulation};

impl Simulation {
    /// Sends a request (its attempt `request.attempt`, sent now) through the balancer.
    pub(super) fn route(&mut self, request: Request) {
        self.route_with(request, None);
    }

    /// Sends a request through the balancer; `llm` carries a model server's request's tokens
    /// (which the inference-aware balancers read, and the replica serves).
    pub(super) fn route_with(&mut self, mut request: Request, llm: Option<LlmRequest>) {
        let info = match llm {
            Some(l) => RequestInfo {
                key: u64::from(request.key),
                prompt_tokens: l.prompt,
                prefix_group: l.group,
                prefix_tokens: l.prefix_tokens,
            },
            None => RequestInfo::key(u64::from(request.key)),
        };
        loop {
            self.ensure_view();
            let Some(id) = self.pick(&info, request.previous) else {
                // No host to try: Envoy answers 503 "no healthy upstream", nginx 502 "no live
                // upstreams", at once and without a retry.
                self.fail_request();
                return;
            };
            self.on_selected(id);
            let failure = if self.fleet[id].state.accepts() {
                let delivered = match llm {
                    Some(l) => self.deliver_llm(id, request, l),
                    None => self.deliver(id, request),
                };
                match delivered {
                    Ok(()) => return,
                    Err(QueueFull) => Failure::Overloaded,
                }
            } else {
                // Sent to an instance the (stale) view still lists, but which is gone or
                // leaving: the connection is refused. The attempt counts against that instance.
                let inst = &mut self.fleet[id];
                inst.routed += 1;
                inst.failed += 1;
                Failure::Refused
            };
            match self.fail_attempt(id, request, llm, failure) {
                Some(next) => request = next,
                None => return,
            }
        }
    }

    /// An attempt failed later than it was sent (a timeout, or a reset when its instance
    /// crashed): retried now, after a back-off, or failed for the client.
    pub(super) fn attempt_failed(
        &mut self,
        id: u32,
        request: Request,
        llm: Option<LlmRequest>,
        failure: Failure,
    ) {
        if let Some(next) = self.fail_attempt(id, request, llm, failure) {
            if self.routing.is_shared() {
                self.route_shared(next);
            } else {
                self.route_with(next, llm);
            }
        }
    }

    /// The accounting of a failed attempt at `id`. Returns the next attempt when it is to be
    /// sent at once; a retry after a back-off is scheduled; otherwise the request ends as a
    /// drop (503 from a full queue), a timeout or a failure.
    fn fail_attempt(
        &mut self,
        id: u32,
        request: Request,
        llm: Option<LlmRequest>,
        failure: Failure,
    ) -> Option<Request> {
        let b = &self.scenario.balancer;
        let retries_left = request.attempt < b.retries && !self.routing.is_shared();
        let retry = retries_left && failure.retried_by(b.retry_on);
        self.record_failure(id, failure, !retries_left);
        if retry {
            self.stats.retries += 1;
            let mut next = request;
            next.attempt += 1;
            next.previous = id;
            next.sent_ns = self.now_ns;
            let wait = self.retry_backoff_ns(next.attempt);
            if wait == 0 {
                return Some(next);
            }
            self.schedule_retry(next, llm, self.now_ns.saturating_add(wait));
            return None;
        }
        let r = &mut self.stats;
        match failure {
            Failure::Overloaded => {
                r.requests.dropped += 1;
                r.window.dropped += 1;
            }
            Failure::Timeout => {
                r.requests.failed += 1;
                r.requests.timed_out += 1;
                r.window.failed += 1;
            }
            Failure::Refused | Failure::Reset => {
                r.requests.failed += 1;
                r.window.failed += 1;
            }
        }
        None
    }

    /// Envoy's jittered back-off before retry `n` (1-based), 0 when `retry_backoff_s` is 0.
    fn retry_backoff_ns(&mut self, n: u32) -> u64 {
        let base_ms = (self.scenario.balancer.retry_backoff_s * 1000.0).round() as u64;
        if base_ms == 0 {
            return 0;
        }
        let bound = Backoff::bound_ms(base_ms, n);
        (self.retry_rng.next_u64() % bound) * 1_000_000
    }

    fn schedule_retry(&mut self, request: Request, llm: Option<LlmRequest>, at_ns: u64) {
        let slot = match self.retrying.free.pop() {
            Some(slot) => {
                self.retrying.slots[slot as usize] = Some((request, llm));
                slot
            }
            None => {
                self.retrying.slots.push(Some((request, llm)));
                (self.retrying.slots.len() - 1) as u32
            }
        };
        self.retrying.pending += 1;
        self.queue.schedule(at_ns, Event::Retry { slot });
    }

    pub(super) fn on_retry(&mut self, slot: u32) {
        let Some((mut request, llm)) = self
            .retrying
            .slots
            .get_mut(slot as usize)
            .and_then(Option::take)
        else {
            return;
        };
        self.retrying.free.push(slot);
        self.retrying.pending -= 1;
        request.sent_ns = self.now_ns;
        if self.routing.is_shared() {
            self.route_shared(request);
        } else {
            self.route_with(request, llm);
        }
    }

    /// Asks the balancer; a retry avoids the previous instance where the view has another
    /// (Envoy's `previous_hosts` retry predicate, which re-picks a few times).
    fn pick(&mut self, info: &RequestInfo, avoid: u32) -> Option<u32> {
        if self.fleet.tracking() {
            self.flush_load_changes();
        }
        let Routing::Balanced(balancer) = &mut self.routing else {
            return None;
        };
        let view = &self.discovery.view;
        let mut chosen = None;
        let load = FleetLoad {
            view,
            fleet: &self.fleet,
            reported: self.discovery.reported_load.as_slice(),
            reported_waiting: self.discovery.reported_waiting.as_slice(),
            reported_kv: self.discovery.reported_kv.as_slice(),
            delayed: self.scenario.balancer.load_delay_s > 0.0,
        };
        for _ in 0..5 {
            let index = balancer.pick_request(info, &load, &mut self.balancer_rng, self.now_ns)?;
            let id = *view.get(index)?;
            chosen = Some(id);
            if avoid != id || view.len() < 2 {
                break;
            }
        }
        if super::fleet::PREFETCHES && view.len() >= LOOK_AHEAD_FROM {
            for next in balancer
                .likely_next(&self.balancer_rng)
                .into_iter()
                .flatten()
            {
                if let Some(&id) = view.get(next) {
                    self.fleet.prefetch(id);
                }
            }
        }
        if self.picks.is_some() {
            self.record_pick(info, chosen);
        }
        chosen
    }

    /// Keeps the scores behind a pick (the balancer's own, or the loads it could see), out of
    /// line so that runs which keep none pay only the test above.
    #[inline(never)]
    fn record_pick(&mut self, info: &RequestInfo, chosen: Option<u32>) {
        let Routing::Balanced(balancer) = &self.routing else {
            return;
        };
        let view = &self.discovery.view;
        let load = FleetLoad {
            view,
            fleet: &self.fleet,
            reported: self.discovery.reported_load.as_slice(),
            reported_waiting: self.discovery.reported_waiting.as_slice(),
            reported_kv: self.discovery.reported_kv.as_slice(),
            delayed: self.scenario.balancer.load_delay_s > 0.0,
        };
        let Some(picks) = self.picks.as_mut() else {
            return;
        };
        let mut scores = balancer.last_scores().unwrap_or_else(|| PickScores {
            balancer: self.scenario.balancer.algorithm.name(),
            request: 0,
            t_s: 0.0,
            prompt_tokens: info.prompt_tokens,
            prefix_group: info.prefix_group,
            prefix_tokens: info.prefix_tokens,
            winner: chosen,
            rule: Rule::Other,
            endpoints: (0..view.len())
                .map(|i| {
                    EndpointScore::loads(view[i], load.waiting(i), load.active(i), load.kv_use(i))
                })
                .collect(),
        });
        scores.request = self.stats.requests.arrived;
        scores.t_s = self.now_ns as f64 / 1e9;
        if picks.len() == PICKS_KEPT {
            picks.pop_front();
        }
        picks.push_back(scores);
    }

    /// One central FIFO feeding every ready instance: the M/M/c reference. `queue_limit` bounds
    /// the central queue. It has no balancer, so nothing is retried.
    pub(super) fn route_shared(&mut self, request: Request) {
        loop {
            let Routing::Shared { idle, .. } = &mut self.routing else {
                return;
            };
            let Some(id) = idle.pop_front() else { break };
            let inst = &mut self.fleet[id];
            inst.idle_listed = false;
            if inst.state.accepts() && inst.in_service < inst.concurrency {
                inst.routed += 1;
                self.start_service(id, request, false);
                self.arm_timeout(id);
                // Still a free server: it stays available, behind the others.
                self.list_idle(id);
                return;
            }
        }
        let any_ready = self
            .fleet
            .alive
            .iter()
            .any(|&id| self.fleet[id].state.accepts());
        let limit = self.scenario.instances.queue_limit as usize;
        // Abandoned requests still hold their place in the queue (they will be served).
        let Routing::Shared { queue, .. } = &mut self.routing else {
            return;
        };
        if !any_ready {
            self.fail_request();
        } else if queue.len() < limit {
            queue.push_back(request);
            self.arm_central_timeout();
        } else {
            self.stats.requests.dropped += 1;
            self.stats.window.dropped += 1;
        }
    }

    /// Shared-queue mode: instance `id` takes the central queue's next request if it has a
    /// free server. Returns whether it took one.
    pub(super) fn take_from_shared(&mut self, id: u32) -> bool {
        let inst = &self.fleet[id];
        if !inst.state.accepts() || inst.in_service >= inst.concurrency {
            return false;
        }
        let Routing::Shared {
            queue, abandoned, ..
        } = &mut self.routing
        else {
            return false;
        };
        let Some(request) = queue.pop_front() else {
            return false;
        };
        let gave_up = *abandoned > 0;
        if gave_up {
            *abandoned -= 1;
            self.fleet[id].abandoned += 1;
        }
        self.start_service(id, request, gave_up);
        self.arm_timeout(id);
        true
    }

    /// Shared-queue mode: puts a ready instance with a free server on the idle list (once).
    pub(super) fn list_idle(&mut self, id: u32) {
        let Routing::Shared { idle, .. } = &mut self.routing else {
            return;
        };
        let inst = &mut self.fleet[id];
        if !inst.idle_listed && inst.state.accepts() && inst.in_service < inst.concurrency {
            inst.idle_listed = true;
            idle.push_back(id);
        }
    }

    /// Empties the balancer's view (the next pick rebuilds it). Every instance that was in it
    /// leaves with `view_index` reset, so `view_index != u32::MAX` always means "at that index
    /// of the view", which `flush_load_changes` relies on.
    pub(super) fn clear_view(&mut self) {
        for id in std::mem::take(&mut self.discovery.view) {
            if let Some(inst) = self.fleet.get_mut_quiet(id) {
                inst.view_index = u32::MAX;
            }
        }
    }

    pub(super) fn ensure_view(&mut self) {
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
        self.sync_base(base);
        let view = self.filter_balancer_side(&self.discovery.base);
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
        self.release_lingering();
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
    fn sampled_key_owners(&self) -> Option<Vec<Option<u32>>> {
        let keys = self.scenario.traffic.keys;
        if keys == 0 || self.discovery.view.is_empty() {
            return None;
        }
        let sample = keys.min(4096);
        let step = (keys / sample).max(1);
        self.owners_of((0..sample).map(|i| 1 + i * step))
    }

    fn owners_of(&self, keys: impl Iterator<Item = u32>) -> Option<Vec<Option<u32>>> {
        if !self.scenario.balancer.algorithm.uses_keys() {
            return None;
        }
        let Routing::Balanced(balancer) = &self.routing else {
            return None;
        };
        let view = &self.discovery.view;
        Some(
            keys.map(|k| {
                balancer
                    .owner(u64::from(k))
                    .and_then(|ix| view.get(ix).copied())
            })
            .collect(),
        )
    }

    /// The instance each of keys 1..=count goes to now, as the balancer knows the fleet (hash
    /// balancers only; None for other balancers or an empty view). The page draws key
    /// ownership from this; reading it changes nothing (a view change the balancer has not
    /// seen yet shows from its next request on). At most 100,000 keys are looked up.
    pub fn key_owners(&self, count: u32) -> Vec<Option<u32>> {
        let count = count.min(100_000);
        self.owners_of(1..=count)
            .unwrap_or_else(|| vec![None; count as usize])
    }

    pub(super) fn report_load(&mut self) {
        let d = &mut self.discovery;
        d.reported_load.clear();
        d.reported_load
            .extend(d.view.iter().map(|&id| self.fleet[id].live()));
        if self.picks.is_some() {
            d.reported_waiting.clear();
            d.reported_waiting
                .extend(d.view.iter().map(|&id| self.fleet[id].waiting()));
            d.reported_kv.clear();
            d.reported_kv
                .extend(d.view.iter().map(|&id| self.fleet[id].kv_use()));
        }
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
                    // In the view exactly when `view_index` is set (see `clear_view` and
                    // `rebuild_view`), so the view itself, far from the cache at large N, is
                    // not read.
                    let ix = inst.view_index as usize;
                    if ix < view.len() {
                        debug_assert_eq!(view[ix], id, "view_index of {id}");
                        b.load_changed(ix, inst.live());
                    }
                }
                self.fleet.give_back(changed);
            }
            None => {
                let loads: Vec<u32> = view.iter().map(|&id| self.fleet[id].live()).collect();
                b.set_loads(&loads);
            }
        }
    }
}

/// The smallest view for which the balancer's hint of its next pick (`likely_next`) is asked
/// for, and that instance's record fetched ahead: smaller fleets' records stay in the
/// processor's caches, where the look-ahead only costs (random and power_of_two: 8 % more CPU
/// time at N = 5, 3 % at 1,000; 4 % less at 10,000 and 23 % less at 100,000). Never where
/// there is no prefetch instruction to use the hint (wasm).
const LOOK_AHEAD_FROM: usize = 4096;

/// Picks whose scores are kept for the "why this replica?" view.
pub const PICKS_KEPT: usize = 16;

/// The balancer's window on the instances' load: the requests it has outstanding at each
/// (Envoy's `rq_active`, nginx's `conns`), so work it gave up on by a timeout does not count.
struct FleetLoad<'a> {
    view: &'a [u32],
    fleet: &'a Fleet,
    reported: &'a [u32],
    reported_waiting: &'a [u32],
    reported_kv: &'a [f64],
    delayed: bool,
}

impl LoadView for FleetLoad<'_> {
    #[inline]
    fn active(&self, index: usize) -> u32 {
        if self.delayed {
            self.reported.get(index).copied().unwrap_or(0)
        } else {
            self.fleet[self.view[index]].live()
        }
    }

    fn waiting(&self, index: usize) -> u32 {
        if self.delayed {
            self.reported_waiting.get(index).copied().unwrap_or(0)
        } else {
            self.fleet[self.view[index]].waiting()
        }
    }

    fn kv_use(&self, index: usize) -> f64 {
        if self.delayed {
            self.reported_kv.get(index).copied().unwrap_or(0.0)
        } else {
            self.fleet[self.view[index]].kv_use()
        }
    }

    fn kv_blocks(&self, index: usize) -> u32 {
        self.fleet[self.view[index]].kv_blocks()
    }
}

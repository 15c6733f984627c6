//! Knative's activator in front of the fleet (knative/serving @98e5ef90,
//! `pkg/activator/net/throttler.go`, `pkg/queue/breaker.go`). While the autoscaler has it in
//! the request path (the ServerlessService in Proxy mode, or no pod ready), every request goes
//! through it, and it sends a request on only when a pod can take it:
//!
//! * unlimited container concurrency (0): any ready pod can (the revision's `infiniteBreaker`
//!   opens as soon as one backend is ready); the request goes through the scenario's balancer;
//! * container concurrency `cc` > 0: a ready pod with fewer than `cc` requests can (the per-pod
//!   breakers have `cc` slots); the activator picks one (`firstAvailable` / round robin over
//!   its trackers) and sends the request to it directly, so requests wait in the activator, not
//!   at the pods, and each completion lets the next one go.
//!
//! The others wait in the activator, first in first out, at most `activator_queue_limit` of
//! them (beyond: refused, counted as dropped; upstream's breaker queue depth is 10,000) and at
//! most `activator_timeout_s` each (the revision's `timeoutSeconds`, 300 s: then the request
//! fails with a 504, and the log says so). The first request the activator sees for the
//! revision pokes the autoscaler, which decides at once when it wants zero pods (the scale
//! from zero starts with that request, not on the next tick). The activator adds no latency of
//! its own.
//!
//! Requests that arrive while no instance is ready (the fleet at zero or every instance still
//! starting) are *cold-start* requests whatever the autoscaler: the summary's `cold_start`
//! counts those that waited (through the activator) and those that failed or were refused.

use std::collections::VecDeque;

use serde::Serialize;

use crate::registry::seconds_to_ns;

use super::{Event, Lifecycle, LogEvent, Request, Simulation};

/// A request the activator holds.
#[derive(Debug, Clone, Copy)]
struct Held {
    request: Request,
    /// It arrived while no instance was ready.
    cold: bool,
}

/// Requests held by the activator.
#[derive(Debug, Clone, Default)]
pub(super) struct Activator {
    held: VecDeque<Held>,
    /// The pending timeout check (stale ones are ignored).
    check_ns: Option<u64>,
    /// Where the search for a pod with a free slot starts (round robin).
    next: usize,
}

impl Activator {
    pub(super) fn len(&self) -> usize {
        self.held.len()
    }
}

/// Requests that met a cold start: they arrived while no instance was ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ColdStart {
    /// Held by the activator until an instance could take them, then sent to it.
    pub waited: u64,
    /// Failed (no instance, or the activator's timeout) or refused (the activator full).
    pub failed: u64,
    /// The longest time one of them waited in the activator, seconds.
    pub max_wait_s: f64,
}

impl Simulation {
    /// Whether any instance is ready to serve.
    pub(super) fn any_ready(&self) -> bool {
        self.fleet
            .alive
            .iter()
            .any(|&id| self.fleet[id].state == Lifecycle::Ready)
    }

    /// Whether the activator takes the next request.
    pub(super) fn activator_in_path(&self) -> bool {
        if self.scaling.activator_settings.is_none() {
            return false;
        }
        self.scaling
            .autoscaler
            .as_ref()
            .is_some_and(|a| a.activator_in_path())
            || !self.any_ready()
    }

    /// The container concurrency the activator enforces per pod (0: unlimited).
    fn activator_cc(&self) -> u32 {
        self.scaling
            .activator_settings
            .map_or(0, |s| s.container_concurrency)
    }

    /// Sends a request to the fleet (the balancer, or the shared queue); counts a cold-start
    /// failure when it fails with no instance ready.
    pub(super) fn dispatch(&mut self, request: Request) {
        let lost_before = self.stats.requests.failed + self.stats.requests.dropped;
        if self.routing.is_shared() {
            self.route_shared(request);
        } else {
            self.route(request);
        }
        if self.stats.requests.failed + self.stats.requests.dropped > lost_before
            && !self.any_ready()
        {
            self.stats.cold_start.failed += 1;
        }
    }

    /// Whether `id` can take a request from the activator now.
    fn can_take(&self, id: u32, cc: u32) -> bool {
        let inst = &self.fleet[id];
        // Requests whose client gave up (a timeout) released their breaker slot.
        inst.state == Lifecycle::Ready && (cc == 0 || inst.live() < cc)
    }

    /// A ready pod with a free slot, round robin from where the last search ended.
    fn free_pod(&mut self, cc: u32) -> Option<u32> {
        let n = self.fleet.alive.len();
        for k in 0..n {
            let i = (self.scaling.activator.next + k) % n;
            let id = self.fleet.alive[i];
            if self.can_take(id, cc) {
                self.scaling.activator.next = i + 1;
                return Some(id);
            }
        }
        None
    }

    /// Sends a request on from the activator: through the balancer with unlimited concurrency,
    /// else straight to the pod `to`.
    fn forward(&mut self, held: Held, to: Option<u32>) {
        if held.cold {
            let wait = self.now_ns - held.request.arrived_ns;
            let cold = &mut self.stats.cold_start;
            cold.waited += 1;
            cold.max_wait_s = cold.max_wait_s.max(wait as f64 / 1e9);
        }
        match to {
            Some(id) => {
                if self.deliver(id, held.request).is_err() {
                    // The pod's own queue was full: a 503 back through the balancer.
                    self.attempt_failed(id, held.request, crate::balance::Failure::Overloaded);
                }
            }
            None => self.dispatch(held.request),
        }
    }

    /// A request arriving while the activator is in the path.
    pub(super) fn through_activator(&mut self, request: Request) {
        let cold = !self.any_ready();
        let now_s = self.now_s();
        let poke = self
            .scaling
            .autoscaler
            .as_mut()
            .is_some_and(|a| a.activator_request(now_s));
        if poke {
            self.on_autoscale();
        }
        let held = Held { request, cold };
        if self.scaling.activator.held.is_empty() {
            let cc = self.activator_cc();
            if cc == 0 {
                if self.any_ready() {
                    self.forward(held, None);
                    return;
                }
            } else if let Some(id) = self.free_pod(cc) {
                self.forward(held, Some(id));
                return;
            }
        }
        let limit = self
            .scaling
            .activator_settings
            .map_or(0, |s| s.queue_limit as usize);
        if self.scaling.activator.held.len() >= limit {
            self.stats.requests.dropped += 1;
            self.stats.window.dropped += 1;
            if cold {
                self.stats.cold_start.failed += 1;
            }
            return;
        }
        self.scaling.activator.held.push_back(held);
        self.schedule_activator_check();
    }

    fn activator_timeout_ns(&self) -> u64 {
        self.scaling
            .activator_settings
            .map_or(0, |s| seconds_to_ns(s.timeout_s))
    }

    fn schedule_activator_check(&mut self) {
        if self.scaling.activator.check_ns.is_some() {
            return;
        }
        let Some(front) = self.scaling.activator.held.front() else {
            return;
        };
        let due = front.request.arrived_ns + self.activator_timeout_ns();
        self.scaling.activator.check_ns = Some(due);
        self.queue
            .schedule(due.max(self.now_ns), Event::ActivatorTimeout);
    }

    /// The oldest held requests reached the timeout: they fail.
    pub(super) fn on_activator_timeout(&mut self) {
        let now = self.now_ns;
        if self.scaling.activator.check_ns.is_some_and(|t| t > now) {
            return; // a newer check is pending
        }
        self.scaling.activator.check_ns = None;
        let timeout = self.activator_timeout_ns();
        let (mut expired, mut cold) = (0u64, 0u64);
        while let Some(front) = self.scaling.activator.held.front() {
            if front.request.arrived_ns + timeout > now {
                break;
            }
            cold += u64::from(front.cold);
            self.scaling.activator.held.pop_front();
            expired += 1;
        }
        if expired > 0 {
            self.stats.requests.failed += expired;
            self.stats.window.failed += expired;
            self.stats.cold_start.failed += cold;
            self.push_log(
                None,
                LogEvent::ActivatorTimedOut {
                    requests: expired,
                    timeout_s: timeout as f64 / 1e9,
                },
            );
        }
        self.schedule_activator_check();
    }

    /// Instance `id` became ready or finished a request: the activator sends it what it can
    /// take (with unlimited concurrency, a ready instance takes everything held).
    pub(super) fn activator_slot_free(&mut self, id: u32, became_ready: bool) {
        if self.scaling.activator.held.is_empty() {
            return;
        }
        let cc = self.activator_cc();
        if cc == 0 && !became_ready {
            return;
        }
        let now = self.now_ns;
        let (mut sent, mut longest) = (0u64, 0u64);
        while let Some(&front) = self.scaling.activator.held.front() {
            if !self.can_take(id, cc) {
                break;
            }
            self.scaling.activator.held.pop_front();
            sent += 1;
            longest = longest.max(now - front.request.arrived_ns);
            self.forward(front, (cc > 0).then_some(id));
        }
        if became_ready && sent > 0 {
            self.push_log(
                Some(id),
                LogEvent::ActivatorReleased {
                    requests: sent,
                    longest_wait_s: longest as f64 / 1e9,
                },
            );
        }
    }

    /// The autoscaler changed: without an activator any more, what it held goes to the fleet
    /// now (or fails with no instance ready).
    pub(super) fn drop_activator_if_gone(&mut self) {
        if self.scaling.activator_settings.is_some() || self.scaling.activator.held.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.scaling.activator.held);
        for h in held {
            if h.cold {
                self.stats.cold_start.waited += 1;
            }
            self.dispatch(h.request);
        }
    }

    /// Requests the activator holds now.
    pub fn activator_held(&self) -> u64 {
        self.scaling.activator.len() as u64
    }
}

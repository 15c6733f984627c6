//! Knative's activator in front of the fleet: while the autoscaler has it in the request path
//! (the ServerlessService in Proxy mode, or no pod ready), requests go through it. With a
//! ready pod it passes them on at once; with none it holds them, first in first out, until a
//! pod becomes ready (`pkg/activator/net/throttler.go`: with unlimited container concurrency
//! the revision's breaker waits for any ready backend), at most `activator_queue_limit` of
//! them (beyond: refused, counted as dropped) and at most `activator_timeout_s` each (the
//! revision's `timeoutSeconds`, 300 s: the request fails with a 504). The first request the
//! activator sees for the revision pokes the autoscaler, which decides at once when it wants
//! zero pods (the scale from zero starts with that request, not on the next tick).
//!
//! Modelling choices: passing a request on goes through the scenario's balancer and its
//! discovery view (Knative's activator balances by itself: random choice of two with
//! unlimited concurrency); the activator adds no latency of its own.
//!
//! Requests that arrive while no instance is ready (the fleet at zero or every instance still
//! starting) are *cold-start* requests whatever the autoscaler: the summary's `cold_start`
//! counts those that waited (through the activator) and those that failed or were refused.

use std::collections::VecDeque;

use serde::Serialize;

use crate::registry::seconds_to_ns;

use super::{Event, Lifecycle, LogEvent, Request, Simulation};

/// Requests held by the activator.
#[derive(Debug, Clone, Default)]
pub(super) struct Activator {
    held: VecDeque<Request>,
    /// The pending timeout check (stale ones are ignored).
    check_ns: Option<u64>,
}

impl Activator {
    pub(super) fn len(&self) -> usize {
        self.held.len()
    }
}

/// Requests that met a cold start: they arrived while no instance was ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ColdStart {
    /// Held by the activator until an instance was ready, then sent to it.
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
        if !self.scaling.has_activator {
            return false;
        }
        self.scaling
            .autoscaler
            .as_ref()
            .is_some_and(|a| a.activator_in_path())
            || !self.any_ready()
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

    /// A request arriving while the activator is in the path.
    pub(super) fn to_activator(&mut self, request: Request) {
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
        if self.any_ready() {
            self.release_activator();
            if cold {
                // Arrived at zero, but the poke's pod started at once (startup 0).
                self.stats.cold_start.waited += 1;
            }
            self.dispatch(request);
            return;
        }
        let limit = self
            .scaling
            .autoscaler
            .as_ref()
            .and_then(|a| a.activator())
            .map_or(0, |s| s.queue_limit as usize);
        if self.scaling.activator.held.len() >= limit {
            self.stats.requests.dropped += 1;
            self.stats.window.dropped += 1;
            self.stats.cold_start.failed += 1;
            return;
        }
        self.scaling.activator.held.push_back(request);
        self.schedule_activator_check();
    }

    fn activator_timeout_ns(&self) -> u64 {
        self.scaling
            .autoscaler
            .as_ref()
            .and_then(|a| a.activator())
            .map_or(0, |s| seconds_to_ns(s.timeout_s))
    }

    fn schedule_activator_check(&mut self) {
        if self.scaling.activator.check_ns.is_some() {
            return;
        }
        let Some(front) = self.scaling.activator.held.front() else {
            return;
        };
        let due = front.arrived_ns + self.activator_timeout_ns();
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
        let mut expired = 0u64;
        while let Some(front) = self.scaling.activator.held.front() {
            if front.arrived_ns + timeout > now {
                break;
            }
            self.scaling.activator.held.pop_front();
            expired += 1;
        }
        if expired > 0 {
            self.stats.requests.failed += expired;
            self.stats.window.failed += expired;
            self.stats.cold_start.failed += expired;
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

    /// An instance is ready: the held requests go to the fleet, oldest first.
    pub(super) fn release_activator(&mut self) {
        if self.scaling.activator.held.is_empty() {
            return;
        }
        let now = self.now_ns;
        let held = std::mem::take(&mut self.scaling.activator.held);
        let count = held.len() as u64;
        let longest = held.front().map_or(0, |r| now - r.arrived_ns);
        let cold = &mut self.stats.cold_start;
        cold.waited += count;
        cold.max_wait_s = cold.max_wait_s.max(longest as f64 / 1e9);
        self.push_log(
            None,
            LogEvent::ActivatorReleased {
                requests: count,
                longest_wait_s: longest as f64 / 1e9,
            },
        );
        for request in held {
            self.dispatch(request);
        }
    }

    /// The autoscaler changed: without an activator any more, what it held goes to the fleet
    /// now (or fails with no instance ready).
    pub(super) fn drop_activator_if_gone(&mut self) {
        if self.scaling.has_activator || self.scaling.activator.held.is_empty() {
            return;
        }
        if self.any_ready() {
            self.release_activator();
        } else {
            let held = std::mem::take(&mut self.scaling.activator.held);
            let n = held.len() as u64;
            self.stats.requests.failed += n;
            self.stats.window.failed += n;
            self.stats.cold_start.failed += n;
        }
    }

    /// Requests the activator holds now.
    pub fn activator_held(&self) -> u64 {
        self.scaling.activator.len() as u64
    }
}

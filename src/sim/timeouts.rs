//! Request timeouts (`balancer.timeout_s`): an attempt not answered within it fails for the
//! client (Envoy's route timeout, 15 s by default, `DEFAULT_ROUTE_TIMEOUT_MS` in
//! source/common/router/config_impl.h; nginx's `proxy_read_timeout`, 60 s), counted in
//! `requests.failed` and `requests.timed_out` — or retried, when `retry_on` covers timeouts.
//! Strictly, Envoy's route timeout ends the request with a 504 and never retries
//! (`Filter::onResponseTimeout` → `onUpstreamTimeoutAbort`, whose cleanup drops the retry
//! state); a retry after a timeout comes from the per-try timeout (`per_try_timeout`,
//! `onPerTryTimeoutCommon` → `maybeRetryReset`, only while nothing was sent downstream yet). So
//! `timeout_s` with `retry_on` covering timeouts is Envoy's `per_try_timeout`; without retries
//! the two behave the same.
//!
//! What happens to the abandoned work: it stays on the instance and is served when its turn
//! comes, and the response is thrown away. On a timeout Envoy resets the upstream stream
//! (router.cc `onResponseTimeout` → `resetStream`; over HTTP/1.1 it closes the connection),
//! but a server notices a closed connection only when it next reads or writes that socket: a
//! request already read is worked on to the end (an application handler does not poll its
//! socket), and one still queued is read and served from the socket buffer. So timeouts do not
//! relieve an overloaded instance — the wasted work is what makes retry storms hurt.
//! Conservation keeps its form: `in_flight` counts requests a client still waits for, and
//! `count_in_system` counts each instance's `live` requests (`active − abandoned`).
//!
//! Model servers (`instances.model: llm`) differ on both counts, as their upstreams do:
//! - The timeout spans the whole streamed response. Envoy arms the route timeout when the
//!   downstream request is complete (`Filter::onRequestComplete` in
//!   source/common/router/router.cc, `response_timeout_` with `timeout_.global_timeout_`) and
//!   disarms it only when the upstream response ends; `Filter::onResponseTimeout` resets every
//!   upstream request still in flight, response headers seen or not. So a request still
//!   streaming output
//!   tokens at the deadline fails too: its first tokens do not save it (TTFT is recorded, the
//!   request counts in `failed` and `timed_out`, not `completed`).
//! - The work stops. vLLM's API server notices the closed stream and aborts the request
//!   (v1 `AsyncLLM.generate` catches the cancellation and calls `AsyncLLM.abort`,
//!   vllm/v1/engine/async_llm.py); the engine core takes aborts between steps and the
//!   scheduler finishes the request as `FINISHED_ABORTED` and frees its KV blocks
//!   (`Scheduler.finish_requests` → `_free_request`, vllm/v1/core/sched/scheduler.py). Here a
//!   timed-out sequence leaves its replica at once when no step is under way, else when the
//!   step ends, that step's tokens thrown away (`Replica::abort_sent_by`). Noticing the
//!   disconnect is taken as instant (upstream it takes until the next write or the next poll
//!   of the connection, milliseconds).
//! - Retries and outlier detection treat it as a web request's timeout: `retry_on` decides
//!   whether the prompt is sent again (to another replica when there is one; it is prefilled
//!   from scratch unless prefix caching holds part of it), and the instance is charged with a
//!   failure. That is the non-streamed response (`stream: false`), whose headers come with the
//!   whole answer. A streamed one sends its headers at once, and after response headers
//!   Envoy neither retries nor charges outlier detection (`onResponseTimeout` records
//!   `LocalOriginTimeout` only for an upstream request `awaitingHeaders()`), and nginx passes
//!   a request to the next server only if nothing was sent to the client yet: not modelled (a
//!   request carries no streaming flag).
//!
//! Cost: every request of an instance gets the same timeout and its queue is in the order the
//! attempts were sent, so the first request to time out is always its oldest live one. Each
//! instance therefore keeps at most one pending timer, at that request's deadline; when it
//! fires it marks what is overdue and sets itself for the next oldest. A completion never
//! re-arms it (a timer that finds nothing due just moves on), so the event heap holds O(1)
//! timer events per instance, not one per request. A change of `timeout_s` applies to requests
//! already sent (Envoy fixes each request's timeout when it starts; the difference lasts one
//! timeout at most) and re-arms every timer. A replica's timer works the same way over its
//! waiting and running sequences (the oldest by when its attempt was sent), so it too holds one
//! timer at most; each firing scans that replica's sequences, bounded by `queue_limit` and
//! `max_batch`.

use crate::balance::Failure;
use crate::registry::seconds_to_ns;

use super::{Event, Request, Routing, Simulation, TIMEOUT_CENTRAL};

impl Simulation {
    pub(super) fn timeout_ns(&self) -> u64 {
        seconds_to_ns(self.scenario.balancer.timeout_s)
    }

    /// Sets instance `id`'s timer at its oldest live request's deadline, unless one is pending.
    pub(super) fn arm_timeout(&mut self, id: u32) {
        // Most runs have no timeout: skip the conversion (a `round`) on every request.
        if self.scenario.balancer.timeout_s <= 0.0 {
            return;
        }
        let timeout = self.timeout_ns();
        if timeout == 0 || self.fleet[id].timeout_armed {
            return;
        }
        let Some(oldest) = self.oldest_live_sent(id) else {
            return;
        };
        let at = oldest.saturating_add(timeout).max(self.now_ns);
        let inst = &mut self.fleet[id];
        inst.timeout_armed = true;
        inst.timeout_epoch = inst.timeout_epoch.wrapping_add(1);
        let epoch = inst.timeout_epoch;
        self.queue.schedule(
            at,
            Event::Timeout {
                instance: id,
                epoch,
            },
        );
    }

    /// When the oldest request of instance `id` whose client still waits was sent.
    fn oldest_live_sent(&self, id: u32) -> Option<u64> {
        let inst = &self.fleet[id];
        if let Some(r) = inst.llm.as_ref() {
            return r.oldest_sent();
        }
        let serving = inst
            .serving
            .iter()
            .filter(|s| !s.abandoned)
            .map(|s| s.request.sent_ns)
            .min();
        let waiting = inst
            .queue
            .get(inst.queue_abandoned as usize)
            .map(|r| r.sent_ns);
        match (serving, waiting) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn on_timeout(&mut self, id: u32, epoch: u32) {
        if id == TIMEOUT_CENTRAL {
            return self.on_central_timeout(epoch);
        }
        let timeout = self.timeout_ns();
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        if inst.timeout_epoch != epoch || !inst.timeout_armed {
            return;
        }
        inst.timeout_armed = false;
        if timeout == 0 {
            return;
        }
        if inst.llm.is_some() {
            return self.on_llm_timeout(id, timeout);
        }
        let overdue = |r: &Request| r.sent_ns.saturating_add(timeout) <= now;
        let mut expired = Vec::new();
        for s in inst.serving.iter_mut() {
            if !s.abandoned && overdue(&s.request) {
                s.abandoned = true;
                expired.push(s.request);
            }
        }
        while let Some(r) = inst.queue.get(inst.queue_abandoned as usize) {
            if !overdue(r) {
                break;
            }
            expired.push(*r);
            inst.queue_abandoned += 1;
        }
        inst.abandoned += expired.len() as u32;
        inst.failed += expired.len() as u64;
        self.arm_timeout(id);
        for request in expired {
            self.attempt_failed(id, request, None, Failure::Timeout);
        }
    }

    /// Every timer again, for a new `timeout_s` (or the switch into or out of shared mode).
    pub(super) fn rearm_all_timeouts(&mut self) {
        for i in 0..self.fleet.alive.len() {
            let id = self.fleet.alive[i];
            let inst = &mut self.fleet[id];
            inst.timeout_armed = false;
            inst.timeout_epoch = inst.timeout_epoch.wrapping_add(1);
            self.arm_timeout(id);
        }
        self.central_timeout_armed = false;
        self.central_timeout_epoch = self.central_timeout_epoch.wrapping_add(1);
        self.arm_central_timeout();
    }

    // ---- the shared queue ------------------------------------------------------------------

    pub(super) fn arm_central_timeout(&mut self) {
        let timeout = self.timeout_ns();
        if timeout == 0 || self.central_timeout_armed {
            return;
        }
        let Routing::Shared {
            queue, abandoned, ..
        } = &self.routing
        else {
            return;
        };
        let Some(oldest) = queue.get(*abandoned).map(|r| r.sent_ns) else {
            return;
        };
        self.central_timeout_armed = true;
        self.central_timeout_epoch = self.central_timeout_epoch.wrapping_add(1);
        self.queue.schedule(
            oldest.saturating_add(timeout).max(self.now_ns),
            Event::Timeout {
                instance: TIMEOUT_CENTRAL,
                epoch: self.central_timeout_epoch,
            },
        );
    }

    fn on_central_timeout(&mut self, epoch: u32) {
        if epoch != self.central_timeout_epoch || !self.central_timeout_armed {
            return;
        }
        self.central_timeout_armed = false;
        let timeout = self.timeout_ns();
        let now = self.now_ns;
        let Routing::Shared {
            queue, abandoned, ..
        } = &mut self.routing
        else {
            return;
        };
        let mut expired = 0u64;
        while let Some(r) = queue.get(*abandoned) {
            if timeout == 0 || r.sent_ns.saturating_add(timeout) > now {
                break;
            }
            *abandoned += 1;
            expired += 1;
        }
        // The shared queue is the queueing reference: no balancer, no retries.
        self.stats.requests.failed += expired;
        self.stats.requests.timed_out += expired;
        self.stats.window.failed += expired;
        self.arm_central_timeout();
    }
}

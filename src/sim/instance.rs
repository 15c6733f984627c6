//! One service instance: `concurrency` servers fed by a FIFO queue of at most `queue_limit`
//! waiting requests (an arrival to a full queue is refused with a 503), and a lifecycle
//! starting → ready → (terminating →) draining → stopped, or crashed. It integrates its busy
//! servers over time, so utilization is the exact busy fraction, not a sampled estimate.
//!
//! Requests whose client gave up (a timeout) stay where they are — waiting, or in a server
//! slot — and are still served, their response thrown away: `abandoned` counts them, and they
//! form a prefix of the queue (`queue_abandoned`), since the queue is in the order requests
//! were sent and every request gets the same timeout.
//!
//! A model-server instance (`instances.model: llm`) keeps its requests in its `Replica`
//! (`serving::replica`) instead: `in_service` is then its batch (running sequences,
//! `concurrency` its `max_batch`, so utilization is the batch's occupancy) and `held` its
//! waiting sequences (not yet admitted to the batch). Either way `waiting()` is what has not
//! started being served and `active()` everything in flight, which is what balancers and
//! autoscalers read.

use std::collections::VecDeque;

use crate::balance::HcSession;
use crate::serving::Replica;

use super::slots::ServerSlots;

/// No instance (a request's `previous` before its first attempt).
pub const NO_INSTANCE: u32 = u32::MAX;

/// One request, as the client sees it: arrival, its current attempt and its work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub arrived_ns: u64,
    /// When its current attempt was sent (its timeout runs from here).
    pub sent_ns: u64,
    /// Amount of work: service time is work / (instance capacity).
    pub work: f64,
    /// Routing key, 1..=keys (0: no key).
    pub key: u32,
    /// Attempts that failed so far (retries made).
    pub attempt: u32,
    /// The instance of the previous attempt, avoided by a retry (`NO_INSTANCE`: none).
    pub previous: u32,
}

/// A request in one of an instance's server slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Serving {
    pub request: Request,
    /// Its client gave up: the work goes on, the response will be thrown away.
    pub abandoned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Lifecycle {
    Starting = 0,
    Ready = 1,
    /// Takes no new requests, finishes its queue, then stops.
    Draining = 2,
    Stopped = 3,
    /// Dead: its queue was lost; it restarts only when recovered.
    Crashed = 4,
    /// Removed, but still serving new requests while its preStop hook runs (Kubernetes:
    /// deleted, endpoint being removed everywhere, the container not yet sent SIGTERM).
    Terminating = 5,
}

impl Lifecycle {
    /// Every state, in code order.
    pub const ALL: [Lifecycle; 6] = [
        Lifecycle::Starting,
        Lifecycle::Ready,
        Lifecycle::Draining,
        Lifecycle::Stopped,
        Lifecycle::Crashed,
        Lifecycle::Terminating,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Starting => "starting",
            Lifecycle::Ready => "ready",
            Lifecycle::Draining => "draining",
            Lifecycle::Stopped => "stopped",
            Lifecycle::Crashed => "crashed",
            Lifecycle::Terminating => "terminating",
        }
    }

    /// Accepts new connections: ready, or terminating while its preStop hook runs.
    #[inline]
    pub fn accepts(self) -> bool {
        matches!(self, Lifecycle::Ready | Lifecycle::Terminating)
    }

    /// Counted as one of the fleet's replicas (what a Deployment would count).
    pub fn is_member(self) -> bool {
        matches!(
            self,
            Lifecycle::Starting | Lifecycle::Ready | Lifecycle::Crashed
        )
    }
}

/// The fields are laid out by hand (`repr(C)`), those every request reads or writes first, so
/// that starting, queueing and completing a request touch the record's first three cache lines
/// and no other (the compiler's own order, by alignment, spread them over all six), and a
/// balancer's read of the load (`live`: the queue's length, `in_service`, `held`, `abandoned`)
/// one line: at 100,000 instances the records outgrow the cache and each line touched is a
/// miss.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct Instance {
    // First line: the load, and what decides whether a request can start.
    pub queue: VecDeque<Request>,
    pub in_service: u32,
    /// A model server's waiting sequences (0 for a web instance).
    pub held: u32,
    pub concurrency: u32,
    /// Incremented on crash and restart; events from an older epoch are ignored.
    pub epoch: u32,
    pub state: Lifecycle,
    /// A timeout timer is pending (its epoch is `timeout_epoch`).
    pub timeout_armed: bool,
    /// On the shared queue's idle list.
    pub idle_listed: bool,
    /// In a spell of waiting for KV blocks (since its queue last emptied).
    pub kv_full: bool,
    /// Requests in it (waiting or served) whose client already gave up.
    pub abandoned: u32,
    /// Attempts sent to it, including refused ones.
    pub routed: u64,
    // Second line: what starting and completing a request read and update (the service rate,
    // busy time, counts), and the replica of a model server.
    pub completed: u64,
    /// Busy server-nanoseconds (u64 arithmetic is native in wasm; u128 is not).
    busy_area_ns: u64,
    last_change_ns: u64,
    /// Capacity multiplier set by the scenario (heterogeneous fleets).
    pub speed: f64,
    /// Capacity multiplier of a `slow` fault (1 when healthy).
    pub slow_factor: f64,
    /// How many of the queue's first requests are abandoned.
    pub queue_abandoned: u32,
    /// Its position in the balancer's view (`u32::MAX`: not in it).
    pub view_index: u32,
    /// The model-server replica (None for a web instance).
    pub llm: Option<Box<Replica>>,
    pub id: u32,
    pub weight: u32,
    /// Server slots (indexed by a completion's `slot`).
    pub serving: ServerSlots,
    // The rest is read at most once a second, or on a change of the instance's life.
    /// The timeout timer's epoch: a re-armed timer makes older ones stale.
    pub timeout_epoch: u32,
    /// Heartbeat chain of the current registration; a new registration starts a new chain.
    pub heartbeat_epoch: u32,
    pub created_ns: u64,
    /// When it last became ready.
    pub ready_ns: u64,
    pub stopped_ns: Option<u64>,
    pub dropped: u64,
    /// Attempts that failed here: lost in a crash, or refused because it was gone or leaving
    /// (a refused attempt that a retry then served elsewhere still counts here).
    pub failed: u64,
    /// Busy area at the last one-second sample and at the autoscaler's last sync (the
    /// simulation's own readers' baselines; kept here so they go with the record).
    pub busy_at_sample: u64,
    pub busy_at_sync: u64,
    /// The consul lease's timer is pending, and the sequence number reserved at its last
    /// renewal (the expiry sorts as if scheduled then).
    pub lease_seq: u64,
    pub lease_epoch: u32,
    pub lease_timer_armed: bool,
    /// Heartbeats are lost (the instance still serves).
    pub partitioned: bool,
    /// nginx passive health: a reopen timer is pending.
    pub peer_timer_armed: bool,
    pub hc_active: bool,
    /// Active health checking, as the balancer sees this instance (Envoy's session), and the
    /// epoch of its probe chain (0: no session).
    pub hc: HcSession,
    pub hc_epoch: u32,
}

impl Instance {
    /// The record's first cache lines, which every request touches (see the layout above).
    pub const HOT_LINES: usize = 3;

    pub fn new(id: u32, now_ns: u64, concurrency: u32, weight: u32, speed: f64) -> Self {
        Instance {
            id,
            state: Lifecycle::Starting,
            view_index: u32::MAX,
            epoch: 0,
            weight,
            speed,
            slow_factor: 1.0,
            partitioned: false,
            concurrency,
            queue: VecDeque::new(),
            queue_abandoned: 0,
            serving: ServerSlots::default(),
            in_service: 0,
            held: 0,
            llm: None,
            kv_full: false,
            abandoned: 0,
            timeout_epoch: 0,
            timeout_armed: false,
            created_ns: now_ns,
            ready_ns: now_ns,
            stopped_ns: None,
            routed: 0,
            completed: 0,
            dropped: 0,
            failed: 0,
            idle_listed: false,
            heartbeat_epoch: 0,
            lease_timer_armed: false,
            lease_epoch: 0,
            lease_seq: 0,
            hc: HcSession::default(),
            hc_epoch: 0,
            hc_active: false,
            peer_timer_armed: false,
            busy_at_sample: 0,
            busy_at_sync: 0,
            busy_area_ns: 0,
            last_change_ns: now_ns,
        }
    }

    /// Requests in service plus waiting: in flight at this instance.
    #[inline]
    pub fn active(&self) -> u32 {
        self.in_service + self.queue.len() as u32 + self.held
    }

    /// Requests waiting: queued at a web instance; at a model server, not yet admitted to the
    /// batch (vLLM's `num_requests_waiting`, preempted sequences included).
    #[inline]
    pub fn waiting(&self) -> u32 {
        self.queue.len() as u32 + self.held
    }

    /// KV-cache use, a fraction (0 for a web instance).
    pub fn kv_use(&self) -> f64 {
        self.llm.as_ref().map_or(0.0, |r| r.kv_use())
    }

    /// KV-cache blocks (0 for a web instance).
    pub fn kv_blocks(&self) -> u32 {
        self.llm.as_ref().map_or(0, |r| r.kv.total())
    }

    /// Requests in it whose client still waits (`active` less the abandoned ones).
    #[inline]
    pub fn live(&self) -> u32 {
        self.active() - self.abandoned
    }

    /// Puts a request into a free server slot; returns the slot.
    #[inline]
    pub fn take_slot(&mut self, serving: Serving) -> u32 {
        self.serving.take(serving)
    }

    /// Empties a server slot, returning what it held.
    #[inline]
    pub fn release_slot(&mut self, slot: u32) -> Option<Serving> {
        self.serving.release(slot)
    }

    /// Loses everything inside (a crash or a forced stop): returns the requests whose client
    /// still waited, oldest slot first then the queue in order.
    pub fn lose_all(&mut self) -> Vec<Request> {
        let mut lost: Vec<Request> = self
            .serving
            .iter()
            .filter(|s| !s.abandoned)
            .map(|s| s.request)
            .collect();
        lost.extend(
            self.queue
                .iter()
                .skip(self.queue_abandoned as usize)
                .copied(),
        );
        self.serving.clear();
        self.queue.clear();
        self.queue_abandoned = 0;
        self.abandoned = 0;
        self.timeout_armed = false;
        self.timeout_epoch = self.timeout_epoch.wrapping_add(1);
        lost
    }

    /// Requests per second this instance serves when the fleet's capacity is `capacity_rps`.
    #[inline]
    pub fn rate_rps(&self, capacity_rps: f64) -> f64 {
        capacity_rps * self.speed * self.slow_factor
    }

    #[inline]
    pub fn set_in_service(&mut self, now_ns: u64, in_service: u32) {
        self.accumulate(now_ns);
        self.in_service = in_service;
    }

    #[inline]
    fn accumulate(&mut self, now_ns: u64) {
        // Saturating: 10,000 busy servers fill a u64 after 1.8 × 10^6 s, which only a page left
        // running far past any scenario's duration can reach.
        let dt = now_ns - self.last_change_ns;
        // Under 2^32 ns the product of two u32s cannot overflow: multiply plainly, since in
        // wasm `saturating_mul` of u64s is a call to a 128-bit multiply (4 % of a run).
        let area = if dt <= u64::from(u32::MAX) {
            u64::from(self.in_service) * dt
        } else {
            u64::from(self.in_service).saturating_mul(dt)
        };
        self.busy_area_ns = self.busy_area_ns.saturating_add(area);
        self.last_change_ns = now_ns;
    }

    /// Busy server-nanoseconds since creation, up to `now_ns`.
    pub fn busy_area_ns(&self, now_ns: u64) -> u64 {
        self.busy_area_ns.saturating_add(
            u64::from(self.in_service).saturating_mul(now_ns.saturating_sub(self.last_change_ns)),
        )
    }

    /// Busy fraction over the instance's life so far (all its servers counted).
    pub fn lifetime_utilization(&self, now_ns: u64) -> f64 {
        let end = self.stopped_ns.unwrap_or(now_ns);
        let alive = end.saturating_sub(self.created_ns);
        if alive == 0 {
            return 0.0;
        }
        self.busy_area_ns(end) as f64 / (alive as f64 * f64::from(self.concurrency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a field starts in the record, and where it ends.
    fn span<T>(inst: &Instance, field: &T) -> (usize, usize) {
        let at = std::ptr::from_ref(field) as usize - std::ptr::from_ref(inst) as usize;
        (at, at + std::mem::size_of::<T>())
    }

    #[test]
    fn what_a_request_touches_lies_in_the_first_lines_and_the_load_in_one() {
        assert_eq!(std::mem::align_of::<Option<Instance>>(), 64);
        let i = Instance::new(0, 0, 1, 1, 1.0);
        let hot = Instance::HOT_LINES * 64;
        let per_request = [
            span(&i, &i.queue),
            span(&i, &i.in_service),
            span(&i, &i.held),
            span(&i, &i.concurrency),
            span(&i, &i.epoch),
            span(&i, &i.state),
            span(&i, &i.timeout_armed),
            span(&i, &i.routed),
            span(&i, &i.completed),
            span(&i, &i.busy_area_ns),
            span(&i, &i.last_change_ns),
            span(&i, &i.speed),
            span(&i, &i.slow_factor),
            span(&i, &i.queue_abandoned),
            span(&i, &i.abandoned),
            span(&i, &i.llm),
            span(&i, &i.serving),
        ];
        for (start, end) in per_request {
            assert!(
                end <= hot,
                "a field at {start}..{end} lies past the hot lines"
            );
        }
        for (start, end) in [
            span(&i, &i.queue),
            span(&i, &i.in_service),
            span(&i, &i.held),
            span(&i, &i.abandoned),
        ] {
            assert!(
                end <= 64,
                "the load's field at {start}..{end} leaves the first line"
            );
        }
    }
}

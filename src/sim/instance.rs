//! One service instance: `concurrency` servers fed by a FIFO queue of at most `queue_limit`
//! waiting requests (an arrival to a full queue is dropped), and a lifecycle
//! starting → ready → draining → stopped, or crashed. It integrates its busy servers over
//! time, so utilization is the exact busy fraction, not a sampled estimate.

use std::collections::VecDeque;

/// One request; it travels inside the events that concern it. Retries happen at the instant
/// of the failed attempt, so the time it was routed is always its arrival time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub arrived_ns: u64,
    /// Amount of work: service time is work / (instance capacity).
    pub work: f64,
    /// Routing key, 1..=keys (0: no key).
    pub key: u32,
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
}

impl Lifecycle {
    /// Every state, in code order.
    pub const ALL: [Lifecycle; 5] = [
        Lifecycle::Starting,
        Lifecycle::Ready,
        Lifecycle::Draining,
        Lifecycle::Stopped,
        Lifecycle::Crashed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Starting => "starting",
            Lifecycle::Ready => "ready",
            Lifecycle::Draining => "draining",
            Lifecycle::Stopped => "stopped",
            Lifecycle::Crashed => "crashed",
        }
    }

    /// Counted as one of the fleet's replicas (what a Deployment would count).
    pub fn is_member(self) -> bool {
        matches!(
            self,
            Lifecycle::Starting | Lifecycle::Ready | Lifecycle::Crashed
        )
    }
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub id: u32,
    pub state: Lifecycle,
    /// Its position in the balancer's view (`u32::MAX`: not in it).
    pub view_index: u32,
    /// Incremented on crash and restart; events from an older epoch are ignored.
    pub epoch: u32,
    pub weight: u32,
    /// Capacity multiplier set by the scenario (heterogeneous fleets).
    pub speed: f64,
    /// Capacity multiplier of a `slow` fault (1 when healthy).
    pub slow_factor: f64,
    /// Heartbeats are lost (the instance still serves).
    pub partitioned: bool,
    pub concurrency: u32,
    pub queue: VecDeque<Request>,
    pub in_service: u32,
    pub created_ns: u64,
    /// When it last became ready.
    pub ready_ns: u64,
    pub stopped_ns: Option<u64>,
    /// Attempts sent to it, including refused ones.
    pub routed: u64,
    pub completed: u64,
    pub dropped: u64,
    /// Attempts that failed here: lost in a crash, or refused because it was gone or leaving
    /// (a refused attempt that a retry then served elsewhere still counts here).
    pub failed: u64,
    /// On the shared queue's idle list.
    pub idle_listed: bool,
    /// Heartbeat chain of the current registration; a new registration starts a new chain.
    pub heartbeat_epoch: u32,
    /// Active health checking, as the balancer sees this instance.
    pub hc_healthy: bool,
    pub hc_streak: u32,
    /// Passive outlier detection.
    pub consecutive_failures: u32,
    pub ejected: bool,
    pub ejections: u32,
    /// Busy server-nanoseconds (u64 arithmetic is native in wasm; u128 is not).
    busy_area_ns: u64,
    last_change_ns: u64,
}

impl Instance {
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
            in_service: 0,
            created_ns: now_ns,
            ready_ns: now_ns,
            stopped_ns: None,
            routed: 0,
            completed: 0,
            dropped: 0,
            failed: 0,
            idle_listed: false,
            heartbeat_epoch: 0,
            hc_healthy: true,
            hc_streak: 0,
            consecutive_failures: 0,
            ejected: false,
            ejections: 0,
            busy_area_ns: 0,
            last_change_ns: now_ns,
        }
    }

    /// Requests in service plus waiting.
    #[inline]
    pub fn active(&self) -> u32 {
        self.in_service + self.queue.len() as u32
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
        let area = u64::from(self.in_service).saturating_mul(now_ns - self.last_change_ns);
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

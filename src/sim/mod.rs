//! The discrete-event engine: one state struct with an integer-nanosecond clock, an event heap
//! ordered by (time, sequence) and seeded generators (dslab-core's shape). It simulates the
//! fleet request by request: arrivals are routed through the registry's discovery view, queue
//! FIFO at their instance, are served, and complete, drop or fail. Every change of N, L or C,
//! whether from the scenario, the autoscaler or the page, takes effect at the current simulated
//! time: new instances start, removed ones drain and then stop.
//!
//! The state is grouped by job — the fleet, routing and discovery, the autoscaler's memory,
//! statistics, the log — and each job's handlers live in their own file: `lifecycle.rs`
//! (scaling, start, stop), `leases.rs` (heartbeats and lease expiry), `faults.rs`, `health.rs`
//! (the balancer's own health knowledge), `routing.rs` (picking an instance), `service.rs`
//! (queues and completions), `autoscaling.rs`, `controls.rs` (live edits) and `observe.rs`
//! (summary, details, the page's per-instance view).

mod activator;
mod autoscaling;
mod controls;
mod events;
mod explain;
mod faults;
mod health;
mod instance;
mod leases;
mod lifecycle;
mod log;
mod observe;
mod replay;
mod routing;
mod service;
mod workload;

use std::collections::VecDeque;

use crate::autoscale::{self, Autoscaler};
use crate::balance::{self, Balancer};
use crate::error::Error;
use crate::metrics::{LatencyRecorder, Requests, Timeline};
use crate::registry::{seconds_to_ns, Registry};
use crate::rng::SimRng;
use crate::scenario::Scenario;

pub use activator::ColdStart;
pub use events::{Event, EventQueue, Timer};
pub use explain::{Condition, Explain, Load};
pub use instance::{Instance, Lifecycle, Request};
pub use log::{Breakpoints, EventLog, LogEntry, LogEvent, LogGroup, Scaler, LOG_CAPACITY};
pub use observe::{
    codes, Codes, Details, InstanceSummary, InstancesSummary, ScaleEvent, Summary, ViewReader,
    FLAG_EJECTED, FLAG_PARTITIONED, FLAG_SLOW, FLAG_UNHEALTHY, VIEW_FIELDS,
};
pub use replay::Replay;
use workload::Workload;

const NS: u64 = 1_000_000_000;
/// Samples the page keeps for its charts (20 minutes at one per second).
pub const PAGE_TIMELINE_CAPACITY: usize = 1200;
/// Samples `Simulation::new` keeps at most (the CLI asks for the whole run with --timeline).
const MAX_TIMELINE_CAPACITY: usize = 100_000;

/// Seeds of the independent random streams, derived from the scenario seed. Keeping the
/// arrivals on their own stream means changing the balancer never changes the traffic.
const STREAM_ARRIVALS: u64 = 0x6172_7269_7661_6c73;
const STREAM_BALANCER: u64 = 0x6261_6c61_6e63_6572;

#[derive(Clone)]
pub struct Simulation {
    /// The settings in force now, with the scheduled lists (rate changes, faults, edits) of
    /// the whole run.
    scenario: Scenario,
    /// The settings at t = 0 (without the lists): with the lists, the run's description.
    start: Scenario,
    now_ns: u64,
    end_ns: u64,
    warmup_ns: u64,
    queue: EventQueue,
    workload: Workload,
    arrival_epoch: u32,
    balancer_rng: SimRng,
    fleet: Fleet,
    routing: Routing,
    discovery: Discovery,
    /// Current epoch of each periodic chain (indexed by `Timer`).
    timer_epochs: [u32; 4],
    registry: Registry,
    scaling: Scaling,
    stats: Stats,
    log: EventLog,
}

/// The instances, by id (ids are never reused). Everything reaches an instance through
/// `fleet[id]` / `get(id)`, so how records are stored is this struct's business.
#[derive(Clone)]
struct Fleet {
    instances: Vec<Instance>,
    /// Ids of instances that have not stopped, ascending.
    alive: Vec<u32>,
    /// The desired replica count (set by the scenario, the page or the autoscaler).
    desired: u32,
    /// Ids touched mutably since the balancer last heard (when it indexes the load).
    changes: Changes,
}

/// Which instances may have changed load since the balancer last heard: every mutable access
/// through `Fleet` is noted while tracking, so no code path can forget to report a change.
#[derive(Clone, Default)]
struct Changes {
    tracking: bool,
    ids: Vec<u32>,
    /// More changes than worth listing: the balancer gets every load again.
    overflowed: bool,
}

/// Listed changes kept before a full resend is cheaper.
const MAX_LISTED_CHANGES: usize = 4096;

impl Fleet {
    fn track_changes(&mut self, on: bool) {
        let c = &mut self.changes;
        c.tracking = on;
        c.ids.clear();
        c.overflowed = false;
    }

    fn tracking(&self) -> bool {
        self.changes.tracking
    }

    #[inline]
    fn note(&mut self, id: u32) {
        let c = &mut self.changes;
        if c.tracking {
            if c.ids.len() < MAX_LISTED_CHANGES {
                c.ids.push(id);
            } else {
                c.overflowed = true;
            }
        }
    }

    /// The ids changed since the last call, or None when there were too many to list.
    fn take_changes(&mut self) -> Option<Vec<u32>> {
        let c = &mut self.changes;
        if std::mem::take(&mut c.overflowed) {
            c.ids.clear();
            None
        } else {
            Some(std::mem::take(&mut c.ids))
        }
    }

    /// Returns the list's allocation for reuse.
    fn give_back(&mut self, mut ids: Vec<u32>) {
        ids.clear();
        if self.changes.ids.is_empty() {
            self.changes.ids = ids;
        }
    }

    /// The id the next instance gets.
    fn next_id(&self) -> u32 {
        self.instances.len() as u32
    }

    /// Adds an instance (its id must be `next_id()`) to the records and the alive list.
    fn insert(&mut self, instance: Instance) {
        debug_assert_eq!(instance.id, self.next_id());
        self.alive.push(instance.id);
        self.instances.push(instance);
    }

    fn get(&self, id: u32) -> Option<&Instance> {
        self.instances.get(id as usize)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Instance> {
        self.note(id);
        self.instances.get_mut(id as usize)
    }

    /// Every record kept (alive, and stopped ones still kept), in id order.
    fn records(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter()
    }
}

impl std::ops::Index<u32> for Fleet {
    type Output = Instance;
    fn index(&self, id: u32) -> &Instance {
        &self.instances[id as usize]
    }
}

impl std::ops::IndexMut<u32> for Fleet {
    #[inline]
    fn index_mut(&mut self, id: u32) -> &mut Instance {
        self.note(id);
        &mut self.instances[id as usize]
    }
}

/// How an arriving request reaches an instance.
#[derive(Clone)]
enum Routing {
    /// A balancer picks among the instances in the discovery view.
    Balanced(Box<dyn Balancer>),
    /// One central FIFO feeding every ready instance: the M/M/c reference.
    Shared {
        queue: VecDeque<Request>,
        /// Instances with a free server, each at most once (flag `Instance::idle_listed`),
        /// longest waiting first.
        idle: VecDeque<u32>,
    },
}

impl Routing {
    fn build(config: &crate::scenario::BalancerConfig) -> Routing {
        match balance::build(config) {
            Some(b) => Routing::Balanced(b),
            None => Routing::Shared {
                queue: VecDeque::new(),
                idle: VecDeque::new(),
            },
        }
    }

    fn is_shared(&self) -> bool {
        matches!(self, Routing::Shared { .. })
    }
}

/// What the balancer knows: the discovery cache and the view it picks from.
#[derive(Clone)]
struct Discovery {
    /// Instances the balancer can pick, ascending ids; index = endpoint index.
    view: Vec<u32>,
    dirty: bool,
    registry_version: u64,
    /// The discovery cache: the registry as of the last refresh (used when refresh_s > 0).
    discovered: Vec<u32>,
    /// Load as last reported to the balancer (used when load_delay_s > 0), per endpoint index.
    reported_load: Vec<u32>,
}

/// The autoscaler and what it remembers between syncs.
#[derive(Clone)]
struct Scaling {
    autoscaler: Option<Box<dyn Autoscaler>>,
    arrivals_at_sync: u64,
    last_sync_ns: u64,
    /// Busy area of each instance (by id) at the last sync.
    busy_at_sync: Vec<u64>,
    /// The autoscaler reads requests in flight once a second (Knative's metric).
    metering: bool,
    /// Requests in flight integrated over time since the last one-second sample, request·ns.
    in_flight_area: f64,
    in_flight_at_ns: u64,
    /// Requests held by the activator (Knative).
    activator: activator::Activator,
    /// The autoscaler's activator, if it has one (kept here: the autoscaler is taken out of
    /// `autoscaler` while it decides, and an instance may become ready meanwhile).
    activator_settings: Option<crate::autoscale::ActivatorSettings>,
}

/// Counters, latency and the time series.
#[derive(Clone)]
struct Stats {
    requests: Requests,
    retries: u64,
    latency: LatencyRecorder,
    window: Window,
    timeline: Timeline,
    scale_events: Vec<ScaleEvent>,
    events_processed: u64,
    min_members: u32,
    max_members: u32,
    last_moved_fraction: Option<f64>,
    /// Busy area of each instance (by id) at the last one-second sample.
    busy_at_sample: Vec<u64>,
    /// Where "since the last change" starts.
    change_mark: explain::ChangeMark,
    /// Requests that arrived while no instance was ready.
    cold_start: ColdStart,
    /// Lifetimes (creation to stop) of the instances that stopped, ns: the cost so far.
    stopped_instance_ns: u128,
    last_arrival_ns: Option<u64>,
    /// A running hash of every arrival's time and work (the same trace gives the same value).
    arrival_digest: u64,
}

/// Counters of the current one-second sampling window.
#[derive(Clone)]
struct Window {
    arrived: u64,
    completed: u64,
    dropped: u64,
    failed: u64,
    latency: LatencyRecorder,
}

impl Window {
    fn new() -> Self {
        Window {
            arrived: 0,
            completed: 0,
            dropped: 0,
            failed: 0,
            latency: LatencyRecorder::new(2),
        }
    }
}

/// Why advancing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The target time was reached.
    Reached,
    /// The event budget ran out first.
    Budget,
    /// An event logged the entry `seq`, which matches a breakpoint.
    Breakpoint { seq: u64 },
}

/// `v[id]`, growing `v` with zeros as ids appear.
fn slot(v: &mut Vec<u64>, id: u32) -> &mut u64 {
    let i = id as usize;
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    &mut v[i]
}

impl Simulation {
    pub fn new(scenario: Scenario) -> Result<Simulation, Error> {
        let capacity = (scenario.duration_s.ceil() as usize + 1).min(MAX_TIMELINE_CAPACITY);
        Self::with_timeline_capacity(scenario, capacity)
    }

    /// As `new`, keeping at most `capacity` one-second samples of the time series.
    pub fn with_timeline_capacity(
        scenario: Scenario,
        capacity: usize,
    ) -> Result<Simulation, Error> {
        scenario.validate()?;
        let autoscaler = autoscale::build(&scenario.autoscaler)?;
        let seed = scenario.seed;
        let workload = Workload::new(
            &scenario.traffic,
            scenario.instances.service,
            SimRng::seed(seed ^ STREAM_ARRIVALS),
        );
        let mut start = scenario.clone();
        start.traffic.changes = Vec::new();
        start.faults = Vec::new();
        start.edits = Vec::new();
        let mut sim = Simulation {
            now_ns: 0,
            end_ns: seconds_to_ns(scenario.duration_s),
            warmup_ns: seconds_to_ns(scenario.warmup_s),
            queue: EventQueue::default(),
            workload,
            arrival_epoch: 0,
            balancer_rng: SimRng::seed(seed ^ STREAM_BALANCER),
            fleet: Fleet {
                instances: Vec::new(),
                alive: Vec::new(),
                desired: 0,
                changes: Changes::default(),
            },
            routing: Routing::build(&scenario.balancer),
            discovery: Discovery {
                view: Vec::new(),
                dirty: true,
                registry_version: u64::MAX,
                discovered: Vec::new(),
                reported_load: Vec::new(),
            },
            timer_epochs: [0; 4],
            registry: Registry::new(scenario.registry.clone()),
            scaling: Scaling {
                autoscaler,
                arrivals_at_sync: 0,
                last_sync_ns: 0,
                busy_at_sync: Vec::new(),
                metering: false,
                in_flight_area: 0.0,
                in_flight_at_ns: 0,
                activator: activator::Activator::default(),
                activator_settings: None,
            },
            stats: Stats {
                requests: Requests::default(),
                retries: 0,
                latency: LatencyRecorder::new(3),
                window: Window::new(),
                timeline: Timeline::with_capacity(capacity),
                scale_events: Vec::new(),
                events_processed: 0,
                min_members: scenario.instances.count,
                max_members: scenario.instances.count,
                last_moved_fraction: None,
                busy_at_sample: Vec::new(),
                change_mark: explain::ChangeMark::default(),
                cold_start: ColdStart::default(),
                stopped_instance_ns: 0,
                last_arrival_ns: None,
                arrival_digest: 0,
            },
            log: EventLog::default(),
            start,
            scenario,
        };
        sim.begin();
        Ok(sim)
    }

    fn begin(&mut self) {
        let n = self.scenario.instances.count;
        for _ in 0..n {
            self.add_instance(true);
        }
        self.fleet.desired = n;
        self.init_autoscaler();
        // The client's first fetch happens at start-up, after the initial fleet registered.
        self.discovery.discovered = self.registry.discoverable();
        self.schedule_next_arrival();
        self.queue.schedule(NS, Event::Sample);
        for (i, change) in self.scenario.traffic.changes.iter().enumerate() {
            self.queue.schedule(
                seconds_to_ns(change.at_s),
                Event::RateChange { index: i as u32 },
            );
        }
        // Scheduled faults and edits come first at their instant (they were scheduled first).
        // A click in the page comes after everything at the instant it was made, so it is
        // recorded one nanosecond later (`controls.rs`) and replays in the same order.
        for (i, fault) in self.scenario.faults.iter().enumerate() {
            self.queue
                .schedule(seconds_to_ns(fault.at_s), Event::Fault { index: i as u32 });
        }
        for (i, edit) in self.scenario.edits.iter().enumerate() {
            self.queue
                .schedule(seconds_to_ns(edit.at_s), Event::Edit { index: i as u32 });
        }
        for timer in [
            Timer::DiscoveryRefresh,
            Timer::LoadReport,
            Timer::HealthCheck,
            Timer::Autoscale,
        ] {
            self.restart_timer(timer);
        }
    }

    /// The period of a chain under the current settings (0: the chain is off).
    fn timer_period_ns(&self, timer: Timer) -> u64 {
        let s = match timer {
            Timer::DiscoveryRefresh => self.scenario.registry.refresh_s,
            Timer::LoadReport => self.scenario.balancer.load_delay_s,
            Timer::HealthCheck => self
                .scenario
                .balancer
                .health_check
                .as_ref()
                .map_or(0.0, |h| h.interval_s),
            Timer::Autoscale => self.scaling.autoscaler.as_ref().map_or(0.0, |a| a.sync_s()),
        };
        seconds_to_ns(s)
    }

    /// Starts a chain afresh under the current settings: pending ticks of the old chain become
    /// stale, and nothing is scheduled when the chain is off (a zero period would otherwise
    /// tick forever at the same instant).
    fn restart_timer(&mut self, timer: Timer) {
        let epoch = &mut self.timer_epochs[timer as usize];
        *epoch = epoch.wrapping_add(1);
        let epoch = *epoch;
        let period = self.timer_period_ns(timer);
        if period > 0 {
            self.queue
                .schedule(self.now_ns + period, Event::Timer { timer, epoch });
        }
    }

    fn on_timer(&mut self, timer: Timer, epoch: u32) {
        if epoch != self.timer_epochs[timer as usize] {
            return;
        }
        match timer {
            Timer::DiscoveryRefresh => {
                self.discovery.discovered = self.registry.discoverable();
                self.discovery.dirty = true;
            }
            Timer::LoadReport => self.report_load(),
            Timer::HealthCheck => self.on_health_check(),
            Timer::Autoscale => self.on_autoscale(),
        }
        let period = self.timer_period_ns(timer);
        if period > 0 {
            self.queue
                .schedule(self.now_ns + period, Event::Timer { timer, epoch });
        }
    }

    /// Simulates the next `seconds` of time (nothing for zero, negative or NaN).
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_nan() || seconds <= 0.0 {
            return;
        }
        let target = self
            .now_ns
            .saturating_add(seconds_to_ns(seconds.min(crate::scenario::MAX_DURATION_S)));
        self.advance_to(target, u64::MAX);
    }

    /// Simulates up to `target_ns` or until `max_events` events were processed, whichever
    /// comes first; returns true when the target was reached. The page uses the budget to
    /// time-box its work per frame.
    pub fn advance_to(&mut self, target_ns: u64, max_events: u64) -> bool {
        self.advance_until(target_ns, max_events, Breakpoints::NONE) == Stop::Reached
    }

    /// As `advance_to`, and also stops right after an event that logs one of `breakpoints`
    /// (the clock then stays at that event's time).
    pub fn advance_until(
        &mut self,
        target_ns: u64,
        max_events: u64,
        breakpoints: Breakpoints,
    ) -> Stop {
        let mut budget = max_events;
        while let Some(t) = self.queue.peek_time() {
            if t > target_ns {
                break;
            }
            if budget == 0 {
                return Stop::Budget;
            }
            budget -= 1;
            let (t, event) = self.queue.pop().expect("peeked");
            self.now_ns = t;
            self.stats.events_processed += 1;
            if breakpoints.is_empty() {
                self.handle(event);
                continue;
            }
            let logged = self.log.total();
            self.handle(event);
            if let Some(entry) = self
                .log
                .since(logged)
                .into_iter()
                .find(|e| breakpoints.matches(&e.event))
            {
                return Stop::Breakpoint { seq: entry.seq };
            }
        }
        self.now_ns = self.now_ns.max(target_ns);
        Stop::Reached
    }

    /// Runs until the scenario's `duration_s`.
    pub fn run_to_end(&mut self) {
        if self.now_ns < self.end_ns {
            self.advance_to(self.end_ns, u64::MAX);
        }
    }

    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    pub fn now_s(&self) -> f64 {
        self.now_ns as f64 / 1e9
    }

    /// The settings in force now (the scenario's, changed by the edits applied so far).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn handle(&mut self, event: Event) {
        if self.scaling.metering {
            self.meter_in_flight();
        }
        match event {
            Event::Arrival { epoch } => {
                if epoch == self.arrival_epoch {
                    self.on_arrival();
                }
            }
            Event::Completion {
                instance,
                epoch,
                request,
            } => self.on_completion(instance, epoch, request),
            Event::Ready { instance, epoch } => self.on_ready(instance, epoch),
            Event::Sample => self.on_sample(),
            Event::RateChange { index } => {
                let rate = self.scenario.traffic.changes[index as usize].rate_rps;
                self.apply_rate(rate);
                self.mark_change();
                self.push_log(None, LogEvent::RateChanged { rate_rps: rate });
            }
            Event::Fault { index } => {
                let fault = self.scenario.faults[index as usize];
                self.apply_fault(fault.instance, fault.kind, fault.factor);
            }
            Event::Edit { index } => self.on_scheduled_edit(index),
            Event::Heartbeat { instance, epoch } => self.on_heartbeat(instance, epoch),
            Event::LeaseExpiry {
                instance,
                renewed_ns,
            } => self.on_lease_expiry(instance, renewed_ns),
            Event::Timer { timer, epoch } => self.on_timer(timer, epoch),
            Event::Unejection { instance, ejection } => self.on_unejection(instance, ejection),
            Event::ActivatorTimeout => self.on_activator_timeout(),
        }
    }

    fn push_log(&mut self, instance: Option<u32>, event: LogEvent) {
        self.log.push(self.now_s(), instance, event);
    }

    // ---- traffic -------------------------------------------------------------------------

    fn schedule_next_arrival(&mut self) {
        if let Some(gap) = self.workload.next_gap_ns() {
            self.queue.schedule(
                self.now_ns + gap,
                Event::Arrival {
                    epoch: self.arrival_epoch,
                },
            );
        }
    }

    /// A new arrival rate from now on. The pending arrival was drawn at the old rate, so it is
    /// cancelled and redrawn (exact for Poisson arrivals, which are memoryless).
    fn apply_rate(&mut self, rate_rps: f64) {
        self.workload.rate_rps = rate_rps;
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_next_arrival();
    }

    fn on_arrival(&mut self) {
        let request = self.workload.next_request(self.now_ns);
        self.stats.requests.arrived += 1;
        self.stats.window.arrived += 1;
        self.stats.last_arrival_ns = Some(self.now_ns);
        self.stats.arrival_digest = (self.stats.arrival_digest
            ^ request.arrived_ns
            ^ request.work.to_bits().rotate_left(32)
            ^ u64::from(request.key))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29);
        self.schedule_next_arrival();
        if self.activator_in_path() {
            self.through_activator(request);
        } else {
            self.dispatch(request);
        }
    }

    fn fail_request(&mut self) {
        self.stats.requests.failed += 1;
        self.stats.window.failed += 1;
    }
}

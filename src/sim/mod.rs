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
//! (the balancer's own health knowledge), `routing.rs` (picking an instance, failures and
//! retries), `service.rs` (queues and completions), `serving.rs` (model-server replicas:
//! steps, TTFT and TPOT), `timeouts.rs`, `autoscaling.rs`, `controls.rs` (live edits) and
//! `observe.rs` (summary, details, the page's per-instance view).
//!
//! Memory and pending events stay bounded by the fleet, not by the run or the load × a time:
//! each instance has at most one pending timer per mechanism (lease expiry, request timeout,
//! health probe, nginx window, a model server's step), re-armed when it fires rather than
//! rescheduled on every change. Requests waiting out a retry back-off are the only per-request
//! timers, bounded by the load × the largest back-off.

mod activator;
mod autoscaling;
pub mod clock;
mod controls;
mod events;
mod explain;
mod faults;
mod fleet;
mod health;
mod instance;
mod leases;
mod lifecycle;
mod log;
mod observe;
mod replay;
mod routing;
mod service;
mod serving;
mod slots;
mod timeouts;
mod workload;

use std::collections::VecDeque;

use crate::autoscale::{self, Autoscaler};
use crate::balance::{self, Balancer, PickScores};
use crate::error::Error;
use crate::metrics::{LatencyRecorder, Requests, Timeline};
use crate::registry::Registry;
use crate::rng::SimRng;
use crate::scenario::Scenario;

pub use activator::ColdStart;
pub use events::{Event, EventQueue, Timer, TIMEOUT_CENTRAL};
pub use explain::{Condition, Explain, Load, ServingExplain};
use fleet::Fleet;
pub use fleet::{Retired, LISTED_STOPPED};
pub use instance::{Instance, Lifecycle, Request, Serving, NO_INSTANCE};
pub use log::{Breakpoints, EventLog, LogEntry, LogEvent, LogGroup, Scaler, LOG_CAPACITY};
pub use observe::{
    codes, Codes, Details, InstanceSummary, InstancesSummary, ScaleEvent, Summary, ViewReader,
    FLAG_DOWN, FLAG_EJECTED, FLAG_PARTITIONED, FLAG_SLOW, FLAG_UNHEALTHY, VIEW_FIELDS,
};
pub use replay::Replay;
pub use routing::PICKS_KEPT;
pub use serving::{
    PickBrief, ReplicaHistory, ReplicaReadout, ServingReadout, ServingSummary, HISTORY_S,
};
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
/// Retry back-off jitter and Eureka's eviction choice: streams of their own, so switching
/// them on shifts no other draw.
const STREAM_RETRY: u64 = 0x7265_7472_795f_6a69;
const STREAM_REGISTRY: u64 = 0x6575_7265_6b61_5f65;

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
    retry_rng: SimRng,
    registry_rng: SimRng,
    fleet: Fleet,
    routing: Routing,
    discovery: Discovery,
    health: health::BalancerHealth,
    /// Requests waiting out a retry back-off.
    retrying: Retrying,
    /// The shared queue's timeout timer.
    central_timeout_armed: bool,
    central_timeout_epoch: u32,
    /// Current epoch of each periodic chain (indexed by `Timer`).
    timer_epochs: [u32; 5],
    registry: Registry,
    scaling: Scaling,
    stats: Stats,
    log: EventLog,
    /// Model serving's measurements (Some when `instances.model` is `llm`).
    serving: Option<Box<serving::ServingStats>>,
    /// The scores behind the last picks (Some for model servers and for balancers that score).
    picks: Option<VecDeque<PickScores>>,
}

/// Requests between a failed attempt and their retry, by slot (a `Retry` event names one).
#[derive(Clone, Default)]
struct Retrying {
    /// The request, with its tokens when it is a model server's.
    slots: Vec<Option<(Request, Option<workload::LlmRequest>)>>,
    free: Vec<u32>,
    pending: u64,
}

/// How an arriving request reaches an instance.
#[derive(Clone)]
enum Routing {
    /// A balancer picks among the instances in the discovery view.
    Balanced(Box<dyn Balancer>),
    /// One central FIFO feeding every ready instance: the M/M/c reference.
    Shared {
        queue: VecDeque<Request>,
        /// How many of the queue's first requests are abandoned (timed out).
        abandoned: usize,
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
                abandoned: 0,
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
    /// The hosts of the balancer's cluster: the view before its own health filtering.
    base: Vec<u32>,
    dirty: bool,
    registry_version: u64,
    /// The discovery cache: the registry as of the last refresh (used when refresh_s > 0).
    discovered: Vec<u32>,
    /// Load as last reported to the balancer (used when load_delay_s > 0), per endpoint index.
    reported_load: Vec<u32>,
    /// Waiting requests and KV use as last reported (kept when `picks` is on).
    reported_waiting: Vec<u32>,
    reported_kv: Vec<f64>,
}

/// The autoscaler and what it remembers between syncs.
#[derive(Clone)]
struct Scaling {
    autoscaler: Option<Box<dyn Autoscaler>>,
    arrivals_at_sync: u64,
    last_sync_ns: u64,
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

/// Whether a run keeps the scores behind its picks: model servers (every balancer), and the
/// balancers that score endpoints.
fn keeps_picks(s: &Scenario) -> bool {
    use crate::scenario::{Algorithm, Model};
    s.instances.model == Model::Llm
        || matches!(
            s.balancer.algorithm,
            Algorithm::EndpointPicker | Algorithm::CacheAware
        )
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
            end_ns: clock::to_ns(scenario.duration_s),
            warmup_ns: clock::to_ns(scenario.warmup_s),
            queue: EventQueue::default(),
            workload,
            arrival_epoch: 0,
            balancer_rng: SimRng::seed(seed ^ STREAM_BALANCER),
            retry_rng: SimRng::seed(seed ^ STREAM_RETRY),
            registry_rng: SimRng::seed(seed ^ STREAM_REGISTRY),
            fleet: Fleet::new(),
            routing: Routing::build(&scenario.balancer),
            health: health::BalancerHealth::build(&scenario.balancer),
            retrying: Retrying::default(),
            central_timeout_armed: false,
            central_timeout_epoch: 0,
            discovery: Discovery {
                view: Vec::new(),
                base: Vec::new(),
                dirty: true,
                registry_version: u64::MAX,
                discovered: Vec::new(),
                reported_load: Vec::new(),
                reported_waiting: Vec::new(),
                reported_kv: Vec::new(),
            },
            timer_epochs: [0; 5],
            registry: Registry::new(scenario.registry.clone()),
            scaling: Scaling {
                autoscaler,
                arrivals_at_sync: 0,
                last_sync_ns: 0,
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
                change_mark: explain::ChangeMark::default(),
                cold_start: ColdStart::default(),
                stopped_instance_ns: 0,
                last_arrival_ns: None,
                arrival_digest: 0,
            },
            log: EventLog::default(),
            serving: (scenario.instances.model == crate::scenario::Model::Llm)
                .then(|| Box::new(serving::ServingStats::new())),
            picks: keeps_picks(&scenario).then(VecDeque::new),
            start,
            scenario,
        };
        sim.begin();
        Ok(sim)
    }

    fn begin(&mut self) {
        // The last override of an id wins.
        for o in &self.scenario.instances.overrides {
            self.fleet.overrides.insert(o.instance, (o.weight, o.speed));
        }
        let n = self.scenario.instances.count;
        // Each instance keeps a few events pending: its completion, heartbeat and lease timer.
        self.fleet.reserve(n as usize);
        self.queue.reserve(3 * n as usize);
        self.registry.reserve(n as usize);
        for _ in 0..n {
            self.add_instance(true);
        }
        self.fleet.desired = n;
        // A Eureka server that synced the initial fleet from its peers expects their renewals.
        self.registry.open_for_traffic(n);
        self.init_autoscaler();
        // The client's first fetch happens at start-up, after the initial fleet registered.
        self.discovery.discovered = self.registry.discoverable();
        self.schedule_next_arrival();
        self.queue.schedule(NS, Event::Sample);
        for (i, change) in self.scenario.traffic.changes.iter().enumerate() {
            self.queue.schedule(
                clock::to_ns(change.at_s),
                Event::RateChange { index: i as u32 },
            );
        }
        // Scheduled faults and edits come first at their instant (they were scheduled first).
        // A click in the page comes after everything at the instant it was made, so it is
        // recorded one nanosecond later (`controls.rs`) and replays in the same order.
        for (i, fault) in self.scenario.faults.iter().enumerate() {
            self.queue
                .schedule(clock::to_ns(fault.at_s), Event::Fault { index: i as u32 });
        }
        for (i, edit) in self.scenario.edits.iter().enumerate() {
            self.queue
                .schedule(clock::to_ns(edit.at_s), Event::Edit { index: i as u32 });
        }
        for timer in Timer::ALL {
            self.restart_timer(timer);
        }
        if self.scenario.balancer.health_check.is_some() {
            // The health checker starts with the cluster: the initial fleet's sessions start
            // now rather than at the first request.
            self.ensure_view();
        }
    }

    /// The period of a chain under the current settings (0: the chain is off).
    fn timer_period_ns(&self, timer: Timer) -> u64 {
        let s = match timer {
            Timer::DiscoveryRefresh => self.scenario.registry.refresh_s,
            Timer::LoadReport => self.scenario.balancer.load_delay_s,
            Timer::OutlierInterval => self
                .scenario
                .balancer
                .outlier_detection
                .as_ref()
                .map_or(0.0, |o| o.interval_s),
            Timer::Autoscale => self.scaling.autoscaler.as_ref().map_or(0.0, |a| a.sync_s()),
            Timer::RegistrySweep => {
                return match self.scenario.registry.flavor {
                    crate::scenario::RegistryFlavor::Eureka => crate::registry::EUREKA_SWEEP_NS,
                    crate::scenario::RegistryFlavor::Consul => 0,
                }
            }
        };
        clock::to_ns(s)
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
            self.schedule_in(period, Event::Timer { timer, epoch });
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
                self.release_lingering();
            }
            Timer::LoadReport => self.report_load(),
            Timer::OutlierInterval => self.on_outlier_interval(),
            Timer::Autoscale => self.on_autoscale(),
            Timer::RegistrySweep => self.on_registry_sweep(),
        }
        let period = self.timer_period_ns(timer);
        if period > 0 {
            self.schedule_in(period, Event::Timer { timer, epoch });
        }
    }

    /// Simulates the next `seconds` of time (nothing for zero, negative or NaN).
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_nan() || seconds <= 0.0 {
            return;
        }
        let target = self
            .now_ns
            .saturating_add(clock::to_ns(seconds.min(crate::scenario::MAX_DURATION_S)));
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
        // The clock stops at the end of time, whatever the caller asks.
        let target_ns = target_ns.min(clock::END_OF_TIME_NS);
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
            // The next completion's instance record is fetched while this event runs.
            if fleet::PREFETCHES {
                if let Some(&Event::Completion { instance, .. }) = self.queue.heap_top() {
                    self.fleet.prefetch(instance);
                }
            }
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
                slot,
            } => self.on_completion(instance, epoch, slot),
            Event::Step { instance, epoch } => self.on_step(instance, epoch),
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
            Event::LeaseExpiry { instance, epoch } => self.on_lease_expiry(instance, epoch),
            Event::Timer { timer, epoch } => self.on_timer(timer, epoch),
            Event::Timeout { instance, epoch } => self.on_timeout(instance, epoch),
            Event::Retry { slot } => self.on_retry(slot),
            Event::HealthProbe { instance, epoch } => self.on_health_probe(instance, epoch),
            Event::PreStopDone { instance, epoch } => self.on_prestop_done(instance, epoch),
            Event::PeerReopen { instance } => self.on_peer_reopen(instance),
            Event::ActivatorTimeout => self.on_activator_timeout(),
        }
    }

    fn push_log(&mut self, instance: Option<u32>, event: LogEvent) {
        self.log.push(self.now_s(), instance, event);
    }

    // ---- traffic -------------------------------------------------------------------------

    /// Draws the next arrival; a gap that ends past the end of time means no more arrivals at
    /// this rate (a tiny rate after t = 0 must neither wrap the clock nor add arrivals).
    fn schedule_next_arrival(&mut self) {
        let Some(gap_ns) = self.workload.next_gap_ns() else {
            return;
        };
        if let Some(t) = clock::later_f(self.now_ns, gap_ns) {
            self.queue.schedule(
                t,
                Event::Arrival {
                    epoch: self.arrival_epoch,
                },
            );
        }
    }

    /// Schedules `event` `delay_ns` from now; nothing when that is past the end of time.
    fn schedule_in(&mut self, delay_ns: u64, event: Event) {
        if let Some(t) = clock::later(self.now_ns, delay_ns) {
            self.queue.schedule(t, event);
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
        if self.serving.is_some() {
            return self.on_llm_arrival();
        }
        let request = self.workload.next_request(self.now_ns);
        debug_assert_eq!(request.sent_ns, self.now_ns);
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
            self.through_activator(request, None);
        } else {
            self.dispatch(request);
        }
    }

    fn fail_request(&mut self) {
        self.stats.requests.failed += 1;
        self.stats.window.failed += 1;
    }
}

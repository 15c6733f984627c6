//! The discrete-event engine: one state struct with an integer-nanosecond clock, an event heap
//! ordered by (time, sequence) and seeded generators (dslab-core's shape). It simulates the
//! fleet request by request: arrivals are routed by the balancer through the registry's
//! discovery view, queue FIFO at their instance, are served, and complete, drop or fail. Every
//! change of N, L or C, whether from the scenario, the autoscaler or the page, takes effect at
//! the current simulated time: new instances start, removed ones drain and then stop.

mod controls;
mod events;
mod fleet;
mod instance;
mod observe;
mod workload;

use std::collections::VecDeque;

use crate::autoscale::{self, Autoscaler};
use crate::balance::{self, Balancer, Endpoint, LoadView};
use crate::error::Error;
use crate::metrics::{LatencyRecorder, Requests, Timeline};
use crate::registry::{seconds_to_ns, Registry};
use crate::rng::SimRng;
use crate::scenario::Scenario;

pub use events::{Event, EventQueue, Timer};
pub use instance::{Instance, Lifecycle, Request};
pub use observe::{
    Details, InstanceSummary, InstancesSummary, LogEntry, ScaleEvent, Summary, VIEW_FIELDS,
};
use workload::Workload;

const NS: u64 = 1_000_000_000;
/// Samples the page keeps for its charts (20 minutes at one per second).
pub const PAGE_TIMELINE_CAPACITY: usize = 1200;
/// Samples `Simulation::new` keeps at most (the CLI asks for the whole run with --timeline).
const MAX_TIMELINE_CAPACITY: usize = 100_000;
const LOG_CAPACITY: usize = 1000;

/// Seeds of the independent random streams, derived from the scenario seed. Keeping the
/// arrivals on their own stream means changing the balancer never changes the traffic.
const STREAM_ARRIVALS: u64 = 0x6172_7269_7661_6c73;
const STREAM_BALANCER: u64 = 0x6261_6c61_6e63_6572;

pub struct Simulation {
    scenario: Scenario,
    now_ns: u64,
    end_ns: u64,
    warmup_ns: u64,
    queue: EventQueue,
    workload: Workload,
    arrival_epoch: u32,
    balancer_rng: SimRng,
    instances: Vec<Instance>,
    /// Ids of instances that have not stopped, ascending.
    alive: Vec<u32>,
    /// The fleet's desired replica count (set by the scenario, the page or the autoscaler).
    desired: u32,
    balancer: Option<Box<dyn Balancer>>,
    /// Instances the balancer can pick, ascending ids; index = endpoint index.
    view: Vec<u32>,
    view_dirty: bool,
    view_registry_version: u64,
    /// The discovery cache: the registry as of the last refresh (used when refresh_s > 0).
    discovered: Vec<u32>,
    /// Load as last reported to the balancer (used when load_delay_s > 0), per endpoint index.
    reported_load: Vec<u32>,
    shared_queue: VecDeque<Request>,
    /// Shared-queue mode: instances with a free server, each at most once (flag
    /// `Instance::idle_listed`), longest waiting first.
    idle: VecDeque<u32>,
    /// Current epoch of each periodic chain (indexed by `Timer`).
    timer_epochs: [u32; 4],
    registry: Registry,
    autoscaler: Option<Box<dyn Autoscaler>>,
    requests: Requests,
    retries: u64,
    latency: LatencyRecorder,
    window: Window,
    timeline: Timeline,
    scale_events: Vec<ScaleEvent>,
    log: VecDeque<LogEntry>,
    log_total: u64,
    events_processed: u64,
    min_members: u32,
    max_members: u32,
    last_moved_fraction: Option<f64>,
    arrivals_at_sync: u64,
    last_sync_ns: u64,
    view_time_ns: u64,
}

/// Counters of the current one-second sampling window.
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
        let mut sim = Simulation {
            now_ns: 0,
            end_ns: seconds_to_ns(scenario.duration_s),
            warmup_ns: seconds_to_ns(scenario.warmup_s),
            queue: EventQueue::default(),
            workload,
            arrival_epoch: 0,
            balancer_rng: SimRng::seed(seed ^ STREAM_BALANCER),
            instances: Vec::new(),
            alive: Vec::new(),
            desired: 0,
            balancer: balance::build(&scenario.balancer),
            view: Vec::new(),
            view_dirty: true,
            view_registry_version: u64::MAX,
            discovered: Vec::new(),
            reported_load: Vec::new(),
            shared_queue: VecDeque::new(),
            idle: VecDeque::new(),
            timer_epochs: [0; 4],
            registry: Registry::new(scenario.registry.clone()),
            autoscaler,
            requests: Requests::default(),
            retries: 0,
            latency: LatencyRecorder::new(3),
            window: Window::new(),
            timeline: Timeline::with_capacity(capacity),
            scale_events: Vec::new(),
            log: VecDeque::new(),
            log_total: 0,
            events_processed: 0,
            min_members: scenario.instances.count,
            max_members: scenario.instances.count,
            last_moved_fraction: None,
            arrivals_at_sync: 0,
            last_sync_ns: 0,
            view_time_ns: 0,
            scenario,
        };
        sim.start();
        Ok(sim)
    }

    fn start(&mut self) {
        let n = self.scenario.instances.count;
        for _ in 0..n {
            self.add_instance(true);
        }
        self.desired = n;
        // The client's first fetch happens at start-up, after the initial fleet registered.
        self.discovered = self.registry.discoverable();
        self.schedule_next_arrival();
        self.queue.schedule(NS, Event::Sample);
        for (i, change) in self.scenario.traffic.changes.iter().enumerate() {
            self.queue.schedule(
                seconds_to_ns(change.at_s),
                Event::RateChange { index: i as u32 },
            );
        }
        for (i, fault) in self.scenario.faults.iter().enumerate() {
            self.queue
                .schedule(seconds_to_ns(fault.at_s), Event::Fault { index: i as u32 });
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
            Timer::Autoscale => self.autoscaler.as_ref().map_or(0.0, |a| a.sync_s()),
        };
        seconds_to_ns(s)
    }

    /// Starts a chain afresh under the current settings: pending ticks of the old chain become
    /// stale, and nothing is scheduled when the chain is off (a zero period would otherwise
    /// tick forever at the same instant).
    pub(crate) fn restart_timer(&mut self, timer: Timer) {
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
                self.discovered = self.registry.discoverable();
                self.view_dirty = true;
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
        let mut budget = max_events;
        while let Some(t) = self.queue.peek_time() {
            if t > target_ns {
                break;
            }
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let (t, event) = self.queue.pop().expect("peeked");
            self.now_ns = t;
            self.events_processed += 1;
            self.handle(event);
        }
        self.now_ns = self.now_ns.max(target_ns);
        true
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

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn handle(&mut self, event: Event) {
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
                self.push_log(None, "traffic", format!("load changes to {rate} req/s"));
            }
            Event::Fault { index } => {
                let fault = self.scenario.faults[index as usize];
                self.apply_fault(fault.instance, fault.kind, fault.factor);
            }
            Event::Heartbeat { instance, epoch } => self.on_heartbeat(instance, epoch),
            Event::LeaseExpiry {
                instance,
                renewed_ns,
            } => self.on_lease_expiry(instance, renewed_ns),
            Event::Timer { timer, epoch } => self.on_timer(timer, epoch),
            Event::Unejection { instance, ejection } => self.on_unejection(instance, ejection),
        }
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
    /// Scheduled changes leave `scenario().traffic.rate_rps` alone: the scenario keeps
    /// describing the run from its start, so a link replays it.
    fn apply_rate(&mut self, rate_rps: f64) {
        self.workload.rate_rps = rate_rps;
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_next_arrival();
    }

    fn on_arrival(&mut self) {
        let request = self.workload.next_request(self.now_ns);
        self.requests.arrived += 1;
        self.window.arrived += 1;
        self.schedule_next_arrival();
        if self.balancer.is_none() {
            self.route_shared(request);
        } else {
            self.route(request);
        }
    }

    // ---- routing -------------------------------------------------------------------------

    fn route(&mut self, request: Request) {
        self.ensure_view();
        let max_attempts = 1 + self.scenario.balancer.retries;
        let mut previous: Option<u32> = None;
        for attempt in 0..max_attempts {
            let Some(id) = self.pick(request.key, previous) else {
                self.fail_request();
                return;
            };
            if self.instances[id as usize].state == Lifecycle::Ready {
                self.record_success(id);
                self.deliver(id, request);
                return;
            }
            // Sent to an instance the (stale) view still lists, but which is gone or leaving:
            // the connection is refused. The attempt counts against that instance.
            let inst = &mut self.instances[id as usize];
            inst.routed += 1;
            inst.failed += 1;
            self.record_failure(id);
            if attempt + 1 < max_attempts {
                self.retries += 1;
                previous = Some(id);
            }
        }
        self.fail_request();
    }

    /// Asks the balancer; a retry avoids the previous instance where the view has another
    /// (Envoy's `previous_hosts` retry predicate, which re-picks a few times).
    fn pick(&mut self, key: u32, avoid: Option<u32>) -> Option<u32> {
        let balancer = self.balancer.as_mut()?;
        let mut chosen = None;
        for _ in 0..5 {
            let load = FleetLoad {
                view: &self.view,
                instances: &self.instances,
                reported: self.reported_load.as_slice(),
                delayed: self.scenario.balancer.load_delay_s > 0.0,
            };
            let index =
                balancer.pick(u64::from(key), &load, &mut self.balancer_rng, self.now_ns)?;
            let id = *self.view.get(index)?;
            chosen = Some(id);
            if avoid != Some(id) || self.view.len() < 2 {
                break;
            }
        }
        chosen
    }

    fn deliver(&mut self, id: u32, request: Request) {
        let queue_limit = self.scenario.instances.queue_limit as usize;
        let inst = &mut self.instances[id as usize];
        inst.routed += 1;
        if inst.in_service < inst.concurrency {
            self.start_service(id, request);
        } else if inst.queue.len() < queue_limit {
            inst.queue.push_back(request);
        } else {
            inst.dropped += 1;
            self.requests.dropped += 1;
            self.window.dropped += 1;
        }
    }

    /// One central FIFO feeding every ready instance: the M/M/c reference. `queue_limit` bounds
    /// the central queue.
    fn route_shared(&mut self, request: Request) {
        while let Some(id) = self.idle.pop_front() {
            let inst = &mut self.instances[id as usize];
            inst.idle_listed = false;
            if inst.state == Lifecycle::Ready && inst.in_service < inst.concurrency {
                inst.routed += 1;
                self.start_service(id, request);
                // Still a free server: it stays available, behind the others.
                self.list_idle(id);
                return;
            }
        }
        if self
            .alive
            .iter()
            .all(|&id| self.instances[id as usize].state != Lifecycle::Ready)
        {
            self.fail_request();
        } else if self.shared_queue.len() < self.scenario.instances.queue_limit as usize {
            self.shared_queue.push_back(request);
        } else {
            self.requests.dropped += 1;
            self.window.dropped += 1;
        }
    }

    fn fail_request(&mut self) {
        self.requests.failed += 1;
        self.window.failed += 1;
    }

    fn start_service(&mut self, id: u32, request: Request) {
        let capacity = self.scenario.instances.capacity_rps;
        let now = self.now_ns;
        let inst = &mut self.instances[id as usize];
        let service_ns = ((request.work / inst.rate_rps(capacity)) * 1e9) as u64;
        let in_service = inst.in_service + 1;
        inst.set_in_service(now, in_service);
        let epoch = inst.epoch;
        self.queue.schedule(
            now + service_ns,
            Event::Completion {
                instance: id,
                epoch,
                request,
            },
        );
    }

    fn on_completion(&mut self, id: u32, epoch: u32, request: Request) {
        let now = self.now_ns;
        if self.instances[id as usize].epoch != epoch {
            return; // lost in a crash, already counted as failed
        }
        let latency = now - request.arrived_ns;
        if request.arrived_ns >= self.warmup_ns {
            self.latency.record(latency);
        }
        self.window.latency.record(latency);
        self.requests.completed += 1;
        self.window.completed += 1;
        if let Some(b) = self.balancer.as_mut() {
            b.on_response(id, latency, now);
        }
        let shared = self.balancer.is_none();
        let inst = &mut self.instances[id as usize];
        inst.completed += 1;
        let next = if shared {
            if inst.state == Lifecycle::Ready {
                self.shared_queue.pop_front()
            } else {
                None
            }
        } else {
            inst.queue.pop_front()
        };
        let in_service = inst.in_service;
        match next {
            Some(next) => {
                inst.set_in_service(now, in_service - 1);
                self.start_service(id, next);
            }
            None => {
                inst.set_in_service(now, in_service - 1);
                let draining_done = inst.state == Lifecycle::Draining && inst.active() == 0;
                if shared {
                    self.list_idle(id);
                }
                if draining_done {
                    self.stop(id);
                }
            }
        }
    }

    /// Shared-queue mode: puts a ready instance with a free server on the idle list (once).
    pub(crate) fn list_idle(&mut self, id: u32) {
        let inst = &mut self.instances[id as usize];
        if !inst.idle_listed && inst.state == Lifecycle::Ready && inst.in_service < inst.concurrency
        {
            inst.idle_listed = true;
            self.idle.push_back(id);
        }
    }

    fn ensure_view(&mut self) {
        let refresh_live = self.scenario.registry.refresh_s <= 0.0;
        let registry_moved = refresh_live && self.registry.version() != self.view_registry_version;
        if !self.view_dirty && !registry_moved {
            return;
        }
        self.rebuild_view();
    }

    fn rebuild_view(&mut self) {
        let refresh_live = self.scenario.registry.refresh_s <= 0.0;
        let base = if refresh_live {
            self.registry.discoverable()
        } else {
            self.discovered.clone()
        };
        let view = self.filter_balancer_side(base);
        self.view_registry_version = self.registry.version();
        self.view_dirty = false;
        if view == self.view {
            return;
        }
        let before = self.sampled_key_owners();
        self.view = view;
        let endpoints: Vec<Endpoint> = self
            .view
            .iter()
            .map(|&id| Endpoint {
                id,
                weight: self.instances[id as usize].weight,
            })
            .collect();
        if let Some(b) = self.balancer.as_mut() {
            b.set_endpoints(&endpoints);
        }
        self.report_load();
        if let Some(before) = before {
            let after = self.sampled_key_owners().unwrap_or_default();
            let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            let fraction = moved as f64 / before.len().max(1) as f64;
            self.last_moved_fraction = Some(fraction);
            self.push_log(
                None,
                "rebalance",
                format!(
                    "{} instances in view: {:.1}% of keys moved to another instance",
                    self.view.len(),
                    fraction * 100.0
                ),
            );
        }
    }

    /// For hash-based balancers, the owner of each of a sample of keys (to measure how many
    /// keys move when the set of instances changes).
    fn sampled_key_owners(&mut self) -> Option<Vec<Option<u32>>> {
        let keys = self.scenario.traffic.keys;
        if keys == 0 || self.view.is_empty() {
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
        let balancer = self.balancer.as_mut()?;
        // Hash balancers ignore load and randomness; a scratch generator keeps the run's own
        // stream untouched.
        let mut scratch = SimRng::seed(0);
        let load = FleetLoad {
            view: &self.view,
            instances: &self.instances,
            reported: &[],
            delayed: false,
        };
        Some(
            keys.map(|k| {
                balancer
                    .pick(u64::from(k), &load, &mut scratch, self.now_ns)
                    .and_then(|ix| self.view.get(ix).copied())
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

    fn report_load(&mut self) {
        self.reported_load.clear();
        self.reported_load.extend(
            self.view
                .iter()
                .map(|&id| self.instances[id as usize].active()),
        );
    }
}

/// The balancer's window on the instances' load.
struct FleetLoad<'a> {
    view: &'a [u32],
    instances: &'a [Instance],
    reported: &'a [u32],
    delayed: bool,
}

impl LoadView for FleetLoad<'_> {
    #[inline]
    fn active(&self, index: usize) -> u32 {
        if self.delayed {
            self.reported.get(index).copied().unwrap_or(0)
        } else {
            self.instances[self.view[index] as usize].active()
        }
    }
}

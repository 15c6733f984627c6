//! The instance records, kept in memory in proportion to the fleet alive, not to the instances
//! ever created. Ids are never reused (scenario overrides and faults name instances by id), so
//! an autoscaler swinging between 1 and 10,000 replicas for an hour creates millions of ids;
//! only the alive instances, the last `LISTED_STOPPED` that stopped (the summary lists them one
//! by one and the page fades them out), and stopped ones that a stale discovery view still
//! names are kept. Older stopped instances are forgotten, their totals added to `Retired`: a
//! stopped instance's completions, drops and busy time never change again, so nothing is lost.
//!
//! Records live in [`Records`]: a window indexed by `id - base` over the recent ids (every
//! lookup on the hot path is an array index), and a hash map for the few old records that
//! outlive the window's compaction. Everything reaches an instance through `fleet[id]` /
//! `get(id)`; a forgotten id reads as a blank stopped record, which every handler already
//! ignores (stale events for a stopped instance carry an old epoch or find it stopped).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

use super::{Instance, Lifecycle};

/// Stopped instances listed one by one in the summary (and kept for the page's view), the
/// most recent ones; earlier ones are summed in `Retired`.
pub const LISTED_STOPPED: usize = 1000;

/// The totals of the stopped instances no longer listed one by one in the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Retired {
    /// How many.
    pub instances: u64,
    /// Requests they completed.
    pub completed: u64,
    /// Requests their full queues turned away.
    pub dropped: u64,
    /// Their busy fraction over their lifetimes together: busy server-seconds over
    /// server-seconds alive (each instance weighs by its lifetime × concurrency), the same
    /// measure as `per_instance[].utilization`.
    pub utilization: f64,
    #[serde(skip)]
    busy_ns: u128,
    #[serde(skip)]
    server_ns: u128,
}

impl Retired {
    fn add(&mut self, inst: &Instance) {
        let end = inst.stopped_ns.unwrap_or(inst.created_ns);
        self.instances += 1;
        self.completed += inst.completed;
        self.dropped += inst.dropped;
        self.busy_ns += u128::from(inst.busy_area_ns(end));
        self.server_ns +=
            u128::from(end.saturating_sub(inst.created_ns)) * u128::from(inst.concurrency);
        self.utilization = if self.server_ns == 0 {
            0.0
        } else {
            self.busy_ns as f64 / self.server_ns as f64
        };
    }
}

/// Fibonacci hashing of a u32 id: consecutive ids spread over the table, at one multiply.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(super) type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// The kept records by id. Ids are handed out in order and never reused, so the records of the
/// ids `base..base + window.len()` sit in a deque at `id - base` (`None` once forgotten). When
/// forgetting leaves the window less than half full, its oldest entries leave it: forgotten
/// ones are dropped, kept ones (an instance alive since long before the others) move to
/// `older`, a hash map. Each record moves at most once, so the cost is amortised O(1), and
/// memory stays within twice the records kept (plus a constant), however many ids were used.
#[derive(Clone, Default)]
struct Records {
    base: u32,
    window: VecDeque<Option<Instance>>,
    /// `Some` entries in `window`.
    in_window: usize,
    older: IdMap<Instance>,
}

/// Slack of the window over twice its records, so small fleets never compact.
const WINDOW_SLACK: usize = 64;

impl Records {
    fn insert(&mut self, id: u32, instance: Instance) {
        if self.window.is_empty() {
            self.base = id;
        }
        debug_assert_eq!(id as usize, self.base as usize + self.window.len());
        self.window.push_back(Some(instance));
        self.in_window += 1;
    }

    #[inline]
    fn get(&self, id: u32) -> Option<&Instance> {
        if id >= self.base {
            self.window.get((id - self.base) as usize)?.as_ref()
        } else {
            self.older.get(&id)
        }
    }

    /// Where instance `id`'s record is kept, when it is in the window.
    #[inline]
    fn slot(&self, id: u32) -> Option<&Option<Instance>> {
        self.window.get(id.checked_sub(self.base)? as usize)
    }

    #[inline]
    fn get_mut(&mut self, id: u32) -> Option<&mut Instance> {
        if id >= self.base {
            self.window.get_mut((id - self.base) as usize)?.as_mut()
        } else {
            self.older.get_mut(&id)
        }
    }

    fn remove(&mut self, id: u32) {
        if id < self.base {
            self.older.remove(&id);
            return;
        }
        let Some(slot) = self.window.get_mut((id - self.base) as usize) else {
            return;
        };
        if slot.take().is_some() {
            self.in_window -= 1;
        }
        while self.window.len() > 2 * self.in_window + WINDOW_SLACK
            || matches!(self.window.front(), Some(None))
        {
            let Some(front) = self.window.pop_front() else {
                break;
            };
            if let Some(inst) = front {
                self.in_window -= 1;
                self.older.insert(self.base, inst);
            }
            self.base += 1;
        }
    }

    fn len(&self) -> usize {
        self.in_window + self.older.len()
    }
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

#[derive(Clone)]
pub(super) struct Fleet {
    records: Records,
    next_id: u32,
    /// Ids of instances that have not stopped, ascending.
    pub alive: Vec<u32>,
    /// The last stopped instances, oldest first: listed in the summary.
    stopped: VecDeque<u32>,
    /// Stopped, no longer listed, but still named by the discovery cache or view: kept until
    /// they are not (`Simulation::release_lingering`).
    lingering: Vec<u32>,
    retired: Retired,
    /// Weight and speed of the instances the scenario overrides, by id (indexed once, so
    /// starting N instances costs O(N + overrides), not O(N × overrides)).
    pub overrides: IdMap<(u32, f64)>,
    /// How many stopped instances are listed (`LISTED_STOPPED`; tests change it).
    pub listed_cap: usize,
    /// The desired replica count (set by the scenario, the page or the autoscaler).
    pub desired: u32,
    /// Ids touched mutably since the balancer last heard (when it indexes the load).
    changes: Changes,
    /// What a forgotten id reads as, and a scratch copy that writes to one go to.
    blank: Instance,
    scratch: Instance,
}

impl Fleet {
    pub fn new() -> Fleet {
        Fleet {
            records: Records::default(),
            next_id: 0,
            alive: Vec::new(),
            stopped: VecDeque::new(),
            lingering: Vec::new(),
            retired: Retired::default(),
            overrides: IdMap::default(),
            listed_cap: LISTED_STOPPED,
            desired: 0,
            changes: Changes::default(),
            blank: Self::blank(),
            scratch: Self::blank(),
        }
    }

    /// Room for `n` more instances at once, so that starting a large fleet does not grow its
    /// records by doubling, copying every record each time.
    pub fn reserve(&mut self, n: usize) {
        self.records.window.reserve(n);
        self.alive.reserve(n);
    }

    pub fn track_changes(&mut self, on: bool) {
        let c = &mut self.changes;
        c.tracking = on;
        c.ids.clear();
        c.overflowed = false;
    }

    pub fn tracking(&self) -> bool {
        self.changes.tracking
    }

    #[inline]
    fn note(&mut self, id: u32) {
        let c = &mut self.changes;
        // A handler touches the same instance several times in a row: listed once.
        if c.tracking && c.ids.last() != Some(&id) {
            if c.ids.len() < MAX_LISTED_CHANGES {
                c.ids.push(id);
            } else {
                c.overflowed = true;
            }
        }
    }

    /// The ids changed since the last call, or None when there were too many to list.
    pub fn take_changes(&mut self) -> Option<Vec<u32>> {
        let c = &mut self.changes;
        if std::mem::take(&mut c.overflowed) {
            c.ids.clear();
            None
        } else {
            Some(std::mem::take(&mut c.ids))
        }
    }

    /// Returns the list's allocation for reuse.
    pub fn give_back(&mut self, mut ids: Vec<u32>) {
        ids.clear();
        if self.changes.ids.is_empty() {
            self.changes.ids = ids;
        }
    }

    fn blank() -> Instance {
        let mut i = Instance::new(u32::MAX, 0, 1, 1, 1.0);
        i.state = Lifecycle::Stopped;
        i.stopped_ns = Some(0);
        i.epoch = u32::MAX;
        i.heartbeat_epoch = u32::MAX;
        i
    }

    /// The id the next instance gets.
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Whether instance `id` was ever created (it may have stopped and been forgotten since).
    pub fn ever_existed(&self, id: u32) -> bool {
        id < self.next_id
    }

    /// Adds an instance (its id must be `next_id()`) to the records and the alive list.
    pub fn insert(&mut self, instance: Instance) {
        debug_assert_eq!(instance.id, self.next_id);
        self.next_id += 1;
        // Ids grow, so the alive list stays sorted.
        self.alive.push(instance.id);
        self.records.insert(instance.id, instance);
    }

    /// Has the processor start fetching instance `id`'s record into the cache, and returns at
    /// once (for a balancer's likely next pick, `Balancer::likely_next`, and the event heap's next
    /// completion). Changes nothing.
    #[inline]
    pub fn prefetch(&self, id: u32) {
        if let Some(slot) = self.records.slot(id) {
            // A record is line-aligned: its hot part is its first `HOT_LINES` lines.
            let first = std::ptr::from_ref(slot).cast::<i8>();
            for line in 0..Instance::HOT_LINES {
                prefetch(first.wrapping_add(64 * line));
            }
        }
    }

    #[inline]
    pub fn get(&self, id: u32) -> Option<&Instance> {
        self.records.get(id)
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Instance> {
        self.note(id);
        self.records.get_mut(id)
    }

    /// As `get_mut`, without noting a change of load: only for what no balancer reads (the
    /// sampler's and the autoscaler's busy baselines), so a per-second pass over a large fleet
    /// does not make a load-indexing balancer re-read every load.
    #[inline]
    pub fn get_mut_quiet(&mut self, id: u32) -> Option<&mut Instance> {
        self.records.get_mut(id)
    }

    /// Instance `id` has just stopped: it leaves the alive list and joins the listed stopped
    /// ones. Returns the id of the stopped instance that this pushes out of the list, whose
    /// totals are now in `retired` (the caller forgets it, or keeps it lingering while the
    /// discovery view names it).
    pub fn stopped(&mut self, id: u32) -> Option<u32> {
        if let Ok(i) = self.alive.binary_search(&id) {
            self.alive.remove(i);
        }
        self.stopped.push_back(id);
        if self.stopped.len() <= self.listed_cap {
            return None;
        }
        let old = self.stopped.pop_front()?;
        if let Some(inst) = self.records.get(old) {
            self.retired.add(inst);
        }
        Some(old)
    }

    /// Drops the record of a stopped instance that is no longer listed.
    pub fn forget(&mut self, id: u32) {
        self.records.remove(id);
    }

    pub fn linger(&mut self, id: u32) {
        self.lingering.push(id);
    }

    /// Forgets the lingering records that `still_named` no longer needs.
    /// Returns the ids forgotten.
    pub fn release_lingering(&mut self, still_named: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut gone = Vec::new();
        if self.lingering.is_empty() {
            return gone;
        }
        let mut kept = std::mem::take(&mut self.lingering);
        kept.retain(|&id| {
            let keep = still_named(id);
            if !keep {
                self.records.remove(id);
                gone.push(id);
            }
            keep
        });
        self.lingering = kept;
        gone
    }

    pub fn retired(&self) -> Retired {
        self.retired
    }

    /// Records kept, in id order: the alive instances and the stopped ones still kept (with
    /// `lingering`, also those kept only because the discovery view names them).
    fn in_order(&self, lingering: bool) -> impl Iterator<Item = &Instance> + '_ {
        let mut others: Vec<u32> = self.stopped.iter().copied().collect();
        if lingering {
            others.extend_from_slice(&self.lingering);
        }
        others.sort_unstable();
        let mut alive = self.alive.iter().copied().peekable();
        let mut others = others.into_iter().peekable();
        std::iter::from_fn(move || match (alive.peek(), others.peek()) {
            (Some(&a), Some(&o)) if a < o => alive.next(),
            (Some(_), Some(_)) | (None, Some(_)) => others.next(),
            (Some(_), None) => alive.next(),
            (None, None) => None,
        })
        .filter_map(|id| self.records.get(id))
    }

    /// Every record kept, in id order (the page's view).
    pub fn records(&self) -> impl Iterator<Item = &Instance> + '_ {
        self.in_order(true)
    }

    /// The instances the summary lists one by one: alive, and the last stopped, in id order.
    pub fn listed(&self) -> impl Iterator<Item = &Instance> + '_ {
        self.in_order(false)
    }

    /// Records in memory (for the rewind's size estimate and tests).
    pub fn kept(&self) -> usize {
        self.records.len()
    }
}

/// Has the processor start fetching `value`'s first and last cache line, and returns at once
/// (for a request, both of its lines when it straddles two).
#[inline]
pub(super) fn prefetch_value<T>(value: &T) {
    let first = std::ptr::from_ref(value).cast::<i8>();
    prefetch(first);
    prefetch(first.wrapping_add(std::mem::size_of::<T>().max(1) - 1));
}

/// Whether `prefetch` does anything on this target (x86-64; wasm has no prefetch instruction).
pub(super) const PREFETCHES: bool = cfg!(target_arch = "x86_64");

/// Has the processor start fetching the cache line of `at`, and returns at once.
#[inline]
fn prefetch(at: *const i8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch only hints at the cache; it reads nothing into the program and
        // cannot fault, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

impl std::ops::Index<u32> for Fleet {
    type Output = Instance;
    #[inline]
    fn index(&self, id: u32) -> &Instance {
        self.records.get(id).unwrap_or(&self.blank)
    }
}

impl std::ops::IndexMut<u32> for Fleet {
    #[inline]
    fn index_mut(&mut self, id: u32) -> &mut Instance {
        self.note(id);
        let Fleet {
            records,
            scratch,
            blank,
            ..
        } = self;
        match records.get_mut(id) {
            Some(inst) => inst,
            None => blank_scratch(scratch, blank),
        }
    }
}

/// A write to a forgotten instance changes nothing that is kept: it goes to a blank scratch
/// record. Out of line, so that the copy's code does not keep every `fleet[id]` from being
/// inlined (in wasm it was not, and the call was 8 % of a run).
#[cold]
#[inline(never)]
fn blank_scratch<'a>(scratch: &'a mut Instance, blank: &Instance) -> &'a mut Instance {
    scratch.clone_from(blank);
    scratch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(fleet: &mut Fleet, id: u32, now: u64) -> Option<u32> {
        let inst = fleet.get_mut(id).unwrap();
        inst.state = Lifecycle::Stopped;
        inst.stopped_ns = Some(now);
        fleet.stopped(id)
    }

    #[test]
    fn stopped_instances_beyond_the_listed_ones_are_summed_and_forgotten() {
        let mut fleet = Fleet::new();
        let n = LISTED_STOPPED as u32 + 10;
        for id in 0..n + 1 {
            let mut inst = Instance::new(id, 0, 2, 1, 1.0);
            inst.completed = 3;
            inst.dropped = 1;
            fleet.insert(inst);
        }
        for id in 0..n {
            // One server busy for the whole life of 10 ns: utilization 1/2.
            fleet.get_mut(id).unwrap().set_in_service(0, 1);
            fleet.get_mut(id).unwrap().set_in_service(10, 0);
            if let Some(old) = stop(&mut fleet, id, 10) {
                fleet.forget(old);
            }
        }
        let r = fleet.retired();
        assert_eq!(r.instances, 10);
        assert_eq!(r.completed, 30);
        assert_eq!(r.dropped, 10);
        assert_eq!(r.utilization, 0.5);
        assert_eq!(fleet.kept(), LISTED_STOPPED + 1);
        let listed: Vec<u32> = fleet.listed().map(|i| i.id).collect();
        assert_eq!(listed.len(), LISTED_STOPPED + 1);
        assert_eq!(listed[0], 10, "the oldest stopped went first");
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "id order");
        assert_eq!(*listed.last().unwrap(), n, "the alive one");
        // A forgotten id reads as a stopped blank, and writes to it go nowhere.
        assert_eq!(fleet[3].state, Lifecycle::Stopped);
        fleet[3].completed = 99;
        assert_eq!(fleet[3].completed, 0);
        assert!(fleet.ever_existed(3) && !fleet.ever_existed(n + 1));
    }

    #[test]
    fn lingering_records_go_once_nothing_names_them() {
        let mut fleet = Fleet::new();
        for id in 0..=LISTED_STOPPED as u32 + 2 {
            fleet.insert(Instance::new(id, 0, 1, 1, 1.0));
        }
        for id in 0..=LISTED_STOPPED as u32 + 1 {
            if let Some(old) = stop(&mut fleet, id, 5) {
                fleet.linger(old);
            }
        }
        assert_eq!(fleet.kept(), LISTED_STOPPED + 3);
        assert_eq!(fleet.records().count(), LISTED_STOPPED + 3);
        assert_eq!(fleet.listed().count(), LISTED_STOPPED + 1);
        assert_eq!(fleet.release_lingering(|id| id == 1), vec![0]);
        assert_eq!(fleet.kept(), LISTED_STOPPED + 2);
        assert!(fleet.get(1).is_some() && fleet.get(0).is_none());
        fleet.release_lingering(|_| false);
        assert_eq!(fleet.kept(), LISTED_STOPPED + 1);
    }

    #[test]
    fn the_window_stays_within_twice_the_records_kept_under_churn() {
        // One instance alive from the start while 100,000 others come and go: every kept id
        // reads back, forgotten ids read as nothing, and the window never holds more than
        // twice the records kept plus its slack.
        let mut r = Records::default();
        r.insert(0, Instance::new(0, 0, 1, 1, 1.0));
        let mut alive = std::collections::VecDeque::new();
        for id in 1..100_000u32 {
            r.insert(id, Instance::new(id, 0, 1, 1, 1.0));
            alive.push_back(id);
            if alive.len() > 10 {
                r.remove(alive.pop_front().unwrap());
            }
            assert!(r.window.len() <= 2 * r.in_window + WINDOW_SLACK + 1);
        }
        assert_eq!(r.len(), 11);
        assert_eq!(
            r.get(0).map(|i| i.id),
            Some(0),
            "the old one moved out, still found"
        );
        assert!(r.older.contains_key(&0));
        for &id in &alive {
            assert_eq!(r.get(id).map(|i| i.id), Some(id));
        }
        assert!(r.get(5).is_none() && r.get(99_000).is_none());
        r.remove(0);
        assert_eq!(r.len(), 10);
    }
}

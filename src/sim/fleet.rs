//! The instance records, kept in memory in proportion to the fleet alive, not to the instances
//! ever created. Ids are never reused (scenario overrides and faults name instances by id), so
//! an autoscaler swinging between 1 and 10,000 replicas for an hour creates millions of ids;
//! only the alive instances, the last `LISTED_STOPPED` that stopped (the summary lists them one
//! by one and the page fades them out), and stopped ones that a stale discovery view still
//! names are kept. Older stopped instances are forgotten, their totals added to `Retired`: a
//! stopped instance's completions, drops and busy time never change again, so nothing is lost.
//!
//! Records live in a hash map keyed by id (a multiplicative hash: ids are small consecutive
//! integers). Everything reaches an instance through `fleet[id]` / `get(id)`; a forgotten id
//! reads as a blank stopped record, which every handler already ignores (stale events for a
//! stopped instance carry an old epoch or find it stopped).

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
    /// The kept records, in slots: instances take the slots in the order they are created (a
    /// forgotten one's slot goes to a later instance), so a walk in id order, as the page's view
    /// does every frame, reads them nearly in memory order. Kept in the id map itself, a walk
    /// missed the cache on every record (at N = 100,000 it took about ten times longer).
    records: Vec<Instance>,
    /// The slot of each kept id.
    slot: IdMap<u32>,
    /// Slots of forgotten records, to reuse.
    free: Vec<u32>,
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
            records: Vec::new(),
            slot: IdMap::default(),
            free: Vec::new(),
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
        if c.tracking {
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
        let id = instance.id;
        let at = match self.free.pop() {
            Some(at) => {
                self.records[at as usize] = instance;
                at
            }
            None => {
                self.records.push(instance);
                (self.records.len() - 1) as u32
            }
        };
        self.slot.insert(id, at);
    }

    #[inline]
    pub fn get(&self, id: u32) -> Option<&Instance> {
        self.slot.get(&id).map(|&at| &self.records[at as usize])
    }

    #[inline]
    fn record_mut(&mut self, id: u32) -> Option<&mut Instance> {
        self.slot.get(&id).map(|&at| &mut self.records[at as usize])
    }

    /// Drops the record of `id` (its slot is reused by a later instance).
    fn remove(&mut self, id: u32) {
        if let Some(at) = self.slot.remove(&id) {
            // the record's memory (its queue, its counters' buffers) goes now, not at reuse
            self.records[at as usize] = self.blank.clone();
            self.free.push(at);
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Instance> {
        self.note(id);
        self.record_mut(id)
    }

    /// As `get_mut`, without noting a change of load: only for what no balancer reads (the
    /// sampler's and the autoscaler's busy baselines), so a per-second pass over a large fleet
    /// does not make a load-indexing balancer re-read every load.
    #[inline]
    pub fn get_mut_quiet(&mut self, id: u32) -> Option<&mut Instance> {
        self.record_mut(id)
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
        if let Some(&at) = self.slot.get(&old) {
            self.retired.add(&self.records[at as usize]);
        }
        Some(old)
    }

    /// Drops the record of a stopped instance that is no longer listed.
    pub fn forget(&mut self, id: u32) {
        self.remove(id);
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
                gone.push(id);
            }
            keep
        });
        for &id in &gone {
            self.remove(id);
        }
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
        .filter_map(|id| self.get(id))
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
        self.slot.len()
    }
}

impl std::ops::Index<u32> for Fleet {
    type Output = Instance;
    #[inline]
    fn index(&self, id: u32) -> &Instance {
        self.get(id).unwrap_or(&self.blank)
    }
}

impl std::ops::IndexMut<u32> for Fleet {
    #[inline]
    fn index_mut(&mut self, id: u32) -> &mut Instance {
        self.note(id);
        let Fleet {
            records,
            slot,
            scratch,
            blank,
            ..
        } = self;
        match slot.get(&id) {
            Some(&at) => &mut records[at as usize],
            None => {
                // A write to a forgotten instance changes nothing that is kept.
                scratch.clone_from(blank);
                scratch
            }
        }
    }
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
    fn a_forgotten_records_slot_serves_a_later_instance_without_mixing_them() {
        let mut fleet = Fleet::new();
        fleet.listed_cap = 1;
        for id in 0..3 {
            fleet.insert(Instance::new(id, 0, 1, 1, 1.0));
            fleet.get_mut(id).unwrap().completed = u64::from(id) + 10;
        }
        assert_eq!(stop(&mut fleet, 0, 5), None);
        let old = stop(&mut fleet, 1, 6).unwrap();
        assert_eq!(old, 0);
        fleet.forget(old);
        assert_eq!(fleet.records.len(), 3, "no slot added yet");
        fleet.insert(Instance::new(3, 7, 1, 1, 1.0));
        assert_eq!(
            fleet.records.len(),
            3,
            "the new instance took the forgotten slot"
        );
        assert!(fleet.get(0).is_none());
        assert_eq!(fleet[0].completed, 0, "a forgotten id reads as the blank");
        assert_eq!(fleet.get(3).unwrap().completed, 0);
        fleet.get_mut(3).unwrap().completed = 42;
        let seen: Vec<(u32, u64)> = fleet.records().map(|i| (i.id, i.completed)).collect();
        assert_eq!(
            seen,
            vec![(1, 11), (2, 12), (3, 42)],
            "id order, each its own record"
        );
    }
}

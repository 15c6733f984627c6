//! Least connections as nginx's `least_conn` (`ngx_http_upstream_least_conn_module.c`,
//! `ngx_http_upstream_get_least_conn_peer`): pick the endpoint with the fewest active requests
//! relative to its weight, i.e. the smallest `active / weight`, compared exactly by
//! cross-multiplying (`a_i × w_j < a_j × w_i`) as nginx does, so no floating point enters the
//! decision.
//!
//! Ties are broken the way nginx breaks them: by smooth weighted round robin among the tied
//! endpoints only (each tied endpoint's `current_weight` grows by its weight, the largest wins,
//! earlier index on equal values, and the winner gives back the tied endpoints' total); a single
//! endpoint at the minimum wins without touching any `current_weight`. This is deterministic,
//! needs no random draw, and spreads an idle fleet (everything at 0) evenly in weight proportion
//! instead of piling onto the first instance. Envoy's `FULL_SCAN` least-request mode breaks the
//! same ties by reservoir sampling instead; both are fair, nginx's is smoother.
//!
//! The round-robin state (`current_weight`) is kept per instance id across endpoint changes so a
//! discovery update does not restart the tie rotation at index 0 (nginx keeps it in shared
//! memory for the life of the upstream). Active counts may be stale (`load_delay_s`); nginx reads
//! its own exact in-flight counts.
//!
//! Cost. nginx scans every peer: O(N) per pick, 1.5 ms at N = 100,000. Here the simulation tells
//! the balancer each change of an endpoint's active count (`tracks_load`), and with equal
//! weights the endpoints are kept in buckets by active count, each bucket ordered by
//! `current_weight` with a lazy per-bucket offset (every tie-break adds the same weight to the
//! whole minimum bucket, so the offset absorbs it): a pick takes the first member of the lowest
//! bucket, O(log N), and makes exactly nginx's choice. A load change pushes the endpoint into
//! its new bucket and leaves its old entry dead (a stamp tells), to be dropped when it surfaces
//! or when its heap is compacted: no search and no position index, whose upkeep cost a cache
//! miss per heap level at N = 100,000. At that size a pick is bound by cache misses, not by
//! comparisons, so an endpoint's active count, stored `current_weight` and stamp share one
//! 16-byte record (a load change touches all three: one miss, not three), a pick does not read
//! its winner's stamp when its heap holds no dead entry (the usual case: the previous winner's
//! entry leaves at the next insert), and after each pick the balancer names the likely next
//! winner (`likely_next`: the best child of the lowered top) so that the simulation can fetch
//! that instance's record while the events in between run: picks come out of index order,
//! which the processor's own prefetching cannot follow (at N = 100,000 these took least
//! connections from 0.46–0.51 of round robin's requests routed per CPU-second to 0.55–0.58).
//! With unequal weights the minimum of `active / weight` has no such order, and the pick scans
//! the balancer's own contiguous array of active counts (O(N), as nginx). Without load updates
//! (a caller that only passes a `LoadView`) it scans the view.

use std::collections::HashMap;

use super::common::weight;
use super::{Balancer, Endpoint, Likely, LoadView};
use crate::rng::SimRng;

#[derive(Debug, Clone, Default)]
pub struct LeastConnections {
    ids: Vec<u32>,
    weights: Vec<u64>,
    equal_weights: bool,
    /// nginx's `current_weight` per endpoint, except in indexed mode, where the buckets keep it
    /// (`currents` reads it whatever the mode).
    current: Vec<i64>,
    tied: Vec<usize>,
    /// What the simulation reported of the endpoints' loads.
    loads: Reported,
}

#[derive(Debug, Clone, Default)]
enum Reported {
    /// None (a caller that only passes a `LoadView`): scan the view.
    #[default]
    Unknown,
    /// Unequal weights: the active counts, scanned.
    Scanned(Vec<u32>),
    /// Equal weights: endpoints by active count.
    Indexed(Buckets),
}

/// The endpoints grouped by active count: `heaps[a]` holds those with `a` active requests,
/// each a 4-ary max-heap on (`current_weight`, lower index first) with a lazy offset that every
/// member's stored value gets added to.
///
/// Removal is lazy: an endpoint's entry carries a stamp, and only the entry whose stamp is the
/// endpoint's latest is live; moving an endpoint to another bucket bumps its stamp and pushes a
/// new entry there, leaving the old one to be dropped when it reaches its heap's top or when
/// the heap is compacted (more than half dead). So a load change is one push and no search: no
/// position index to keep up to date, no sift from the middle of a heap, which at N = 100,000
/// cost a cache miss per level.
#[derive(Debug, Clone, Default)]
struct Buckets {
    heaps: Vec<Heap>,
    /// Per endpoint, by index.
    members: Vec<Member>,
    /// No endpoint has fewer active requests than this.
    min: usize,
}

/// An endpoint's state in one 16-byte record: a load change reads and writes all three
/// fields, and at N = 100,000 three separate arrays cost three cache misses where this costs
/// one.
#[derive(Debug, Clone, Copy, Default)]
struct Member {
    /// `current_weight` less the offset of its bucket (its live entry's value).
    stored: i64,
    active: u32,
    /// Its latest stamp.
    stamp: u32,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    /// The stored value: `current_weight` less the heap's offset.
    value: i64,
    index: u32,
    stamp: u32,
}

#[derive(Debug, Clone, Default)]
struct Heap {
    items: Vec<Item>,
    /// Live entries (endpoints in this bucket).
    live: usize,
    offset: i64,
    /// The top item's value was lowered by a pick and not yet sifted down: the winner almost
    /// always leaves the heap at once (its load grows), so the sift is put off until needed.
    top_lowered: bool,
}

/// `a` ranks above `b`: larger value, then lower index (nginx's "earlier peer wins").
#[inline]
fn above(a: &Item, b: &Item) -> bool {
    a.value > b.value || (a.value == b.value && a.index < b.index)
}

/// Children per heap node: four 16-byte entries fill one cache line, and the heap is half as
/// deep as a binary one.
const ARITY: usize = 4;

/// Heap slack before a compaction, so small heaps never compact.
const HEAP_SLACK: usize = 64;

impl Buckets {
    /// Endpoint `i` with `active[i]` requests and `current_weight` `current[i]`.
    fn new(active: &[u32], current: &[i64]) -> Buckets {
        let mut b = Buckets {
            heaps: Vec::new(),
            members: vec![Member::default(); active.len()],
            min: usize::MAX,
        };
        for (i, (&a, &c)) in active.iter().zip(current).enumerate() {
            b.members[i].active = a;
            b.insert(a as usize, i as u32, c);
        }
        b
    }

    /// Every endpoint's `current_weight`.
    fn currents(&self) -> impl Iterator<Item = i64> + '_ {
        self.members
            .iter()
            .map(|m| m.stored + self.heaps[m.active as usize].offset)
    }

    #[inline]
    fn is_live(members: &[Member], item: &Item) -> bool {
        members[item.index as usize].stamp == item.stamp
    }

    /// Endpoint `index` now has `now` active requests.
    fn moved(&mut self, index: usize, now: u32) {
        let member = &mut self.members[index];
        let before = std::mem::replace(&mut member.active, now);
        if before == now {
            return;
        }
        let (before, now) = (before as usize, now as usize);
        let value = member.stored + self.heaps[before].offset;
        self.remove(before, index as u32);
        let to_offset = self.heaps.get(now).map_or(0, |h| h.offset);
        self.insert(now, index as u32, value - to_offset);
    }

    /// Pushes endpoint `index`'s entry into heap `active`, with stored value `stored`.
    fn insert(&mut self, active: usize, index: u32, stored: i64) {
        if self.heaps.len() <= active {
            self.heaps.resize_with(active + 1, Heap::default);
        }
        let item = Item {
            value: stored,
            index,
            stamp: self.next_stamp(index),
        };
        self.members[index as usize].stored = stored;
        let heap = &mut self.heaps[active];
        if std::mem::take(&mut heap.top_lowered) {
            if Self::is_live(&self.members, &heap.items[0]) {
                Self::sift_down(&mut heap.items, 0);
            } else {
                // The last winner, gone to another bucket: dropped now rather than sifted
                // down and dropped later.
                Self::pop_top(&mut heap.items);
            }
        }
        heap.items.push(item);
        let at = heap.items.len() - 1;
        Self::sift_up(&mut heap.items, at);
        heap.live += 1;
        self.min = self.min.min(active);
    }

    /// Takes endpoint `index` out of heap `active` (its entry there becomes dead).
    fn remove(&mut self, active: usize, index: u32) {
        self.next_stamp(index);
        let heap = &mut self.heaps[active];
        heap.live -= 1;
        if heap.items.len() > 2 * heap.live + HEAP_SLACK {
            // Mostly dead: keep the live entries and rebuild the heap (amortised O(1) per
            // removal, since at least half the entries go).
            let members = &self.members;
            heap.items.retain(|item| Self::is_live(members, item));
            heap.top_lowered = false;
            Self::heapify(&mut heap.items);
        }
    }

    /// Endpoint `index`'s next stamp, which makes its entries so far dead. A stamp is 32 bits
    /// (an entry stays 16 bytes) and goes up twice per load change: about 10⁹ requests on one
    /// endpoint wrap it, and a dead entry can wait that long in a heap that never compacts. So
    /// before a wrap every entry of the endpoint leaves its heap (all are dead then: it is
    /// being removed, or inserted after its removal), and no old entry can match a reused stamp.
    fn next_stamp(&mut self, index: u32) -> u32 {
        let stamp = self.members[index as usize].stamp;
        if stamp == u32::MAX {
            for heap in &mut self.heaps {
                if heap.items.iter().any(|item| item.index == index) {
                    heap.items.retain(|item| item.index != index);
                    heap.top_lowered = false;
                    Self::heapify(&mut heap.items);
                }
            }
        }
        let next = stamp.wrapping_add(1);
        self.members[index as usize].stamp = next;
        next
    }

    fn heapify(items: &mut [Item]) {
        for at in (0..items.len().div_ceil(ARITY)).rev() {
            Self::sift_down(items, at);
        }
    }

    /// The lowest non-empty heap's index, with its best live entry on top.
    fn lowest(&mut self) -> usize {
        while self.heaps[self.min].live == 0 {
            self.min += 1;
        }
        let heap = &mut self.heaps[self.min];
        loop {
            // With no dead entry in the heap the top is live: at N = 100,000 its endpoint's
            // record is a cache miss away, and the lowest heap rarely holds a dead entry (a
            // winner's leaves at the next insert).
            if heap.items.len() == heap.live || Self::is_live(&self.members, &heap.items[0]) {
                if std::mem::take(&mut heap.top_lowered) {
                    Self::sift_down(&mut heap.items, 0);
                    continue;
                }
                return self.min;
            }
            // A dead top (the lowered one too) leaves.
            heap.top_lowered = false;
            Self::pop_top(&mut heap.items);
        }
    }

    /// After a pick from a heap of several, the winner (its top, lowered) is about to leave for
    /// the next bucket, and the best of the top's children wins next unless another load
    /// changes first. They are one or two cache lines, which the sift-down that drops the
    /// winner reads anyway.
    fn likely_next(&self) -> Option<u32> {
        let heap = self.heaps.get(self.min)?;
        // With a dead entry in the heap a child might be one (and telling would read its
        // endpoint's record, the miss this is meant to hide).
        if !heap.top_lowered || heap.items.len() != heap.live {
            return None;
        }
        let children = heap.items.get(1..heap.items.len().min(1 + ARITY))?;
        children
            .iter()
            .reduce(|best, c| if above(c, best) { c } else { best })
            .map(|item| item.index)
    }

    /// Drops the top entry: the last one sifts down from the root.
    fn pop_top(items: &mut Vec<Item>) {
        let Some(last) = items.pop() else { return };
        if !items.is_empty() {
            items[0] = last;
            Self::sift_down(items, 0);
        }
    }

    fn sift_up(items: &mut [Item], mut at: usize) {
        let item = items[at];
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if !above(&item, &items[parent]) {
                break;
            }
            items[at] = items[parent];
            at = parent;
        }
        items[at] = item;
    }

    fn sift_down(items: &mut [Item], mut at: usize) {
        let n = items.len();
        let item = items[at];
        loop {
            let first = ARITY * at + 1;
            if first >= n {
                break;
            }
            let mut child = first;
            for c in first + 1..(first + ARITY).min(n) {
                if above(&items[c], &items[child]) {
                    child = c;
                }
            }
            if !above(&items[child], &item) {
                break;
            }
            items[at] = items[child];
            at = child;
        }
        items[at] = item;
    }
}

impl LeastConnections {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every endpoint's `current_weight`, whatever the mode.
    fn currents(&self) -> Vec<i64> {
        match &self.loads {
            Reported::Indexed(buckets) => buckets.currents().collect(),
            _ => self.current.clone(),
        }
    }

    /// nginx's two passes over a slice of active counts (scan mode).
    fn scan(&mut self, active: impl Fn(usize) -> u64) -> usize {
        // Pass 1: the minimum of active/weight, and every endpoint that attains it.
        self.tied.clear();
        let mut best = 0usize;
        let mut best_active = active(0);
        self.tied.push(0);
        for i in 1..self.ids.len() {
            let a = active(i);
            let (lhs, rhs) = (a * self.weights[best], best_active * self.weights[i]);
            if lhs < rhs {
                best = i;
                best_active = a;
                self.tied.clear();
                self.tied.push(i);
            } else if lhs == rhs {
                self.tied.push(i);
            }
        }
        if self.tied.len() == 1 {
            return best;
        }
        // Pass 2: smooth weighted round robin among the tied endpoints.
        let mut total = 0i64;
        let mut winner = self.tied[0];
        for &i in &self.tied {
            let w = self.weights[i] as i64;
            self.current[i] += w;
            total += w;
            if self.current[i] > self.current[winner] {
                winner = i;
            }
        }
        self.current[winner] -= total;
        winner
    }

    /// The same choice from the buckets: the lowest bucket's best member.
    fn pick_indexed(buckets: &mut Buckets, w: i64) -> usize {
        let lowest = buckets.lowest();
        let heap = &mut buckets.heaps[lowest];
        let size = heap.live as i64;
        let Item {
            value: stored,
            index: winner,
            ..
        } = heap.items[0];
        if size == 1 {
            return winner as usize;
        }
        // Every tied endpoint gains w (the offset); the winner gives back w × |tied|.
        heap.offset += w;
        let stored = stored - w * size;
        heap.items[0].value = stored;
        heap.top_lowered = true;
        buckets.members[winner as usize].stored = stored;
        winner as usize
    }
}

impl Balancer for LeastConnections {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let old: HashMap<u32, i64> = self.ids.iter().copied().zip(self.currents()).collect();
        self.ids = endpoints.iter().map(|e| e.id).collect();
        self.weights = endpoints
            .iter()
            .map(|e| u64::from(weight(e.weight)))
            .collect();
        self.equal_weights = self.weights.windows(2).all(|w| w[0] == w[1]);
        // Survivors keep their rotation state; newcomers start at 0 like a fresh nginx peer. The
        // sum of current weights no longer being 0 after removals is harmless: the schedule only
        // compares them.
        self.current = self
            .ids
            .iter()
            .map(|id| old.get(id).copied().unwrap_or(0))
            .collect();
        // The loads of the new set arrive with `set_loads`.
        self.loads = Reported::Unknown;
    }

    fn tracks_load(&self) -> bool {
        true
    }

    fn likely_next(&self, _rng: &SimRng) -> Likely {
        match &self.loads {
            Reported::Indexed(buckets) => [buckets.likely_next().map(|i| i as usize), None],
            _ => [None; 2],
        }
    }

    fn set_loads(&mut self, active: &[u32]) {
        if active.len() != self.ids.len() {
            return;
        }
        self.current = self.currents();
        self.loads = if self.equal_weights {
            Reported::Indexed(Buckets::new(active, &self.current))
        } else {
            Reported::Scanned(active.to_vec())
        };
    }

    fn load_changed(&mut self, index: usize, now: u32) {
        match &mut self.loads {
            Reported::Unknown => {}
            Reported::Scanned(active) => {
                if let Some(slot) = active.get_mut(index) {
                    *slot = now;
                }
            }
            Reported::Indexed(buckets) => {
                if index < buckets.members.len() {
                    buckets.moved(index, now);
                }
            }
        }
    }

    fn pick(
        &mut self,
        _key: u64,
        load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        if self.ids.is_empty() {
            return None;
        }
        if let Reported::Indexed(buckets) = &mut self.loads {
            return Some(Self::pick_indexed(buckets, self.weights[0] as i64));
        }
        let winner = match std::mem::take(&mut self.loads) {
            Reported::Indexed(_) => unreachable!("picked above"),
            Reported::Scanned(active) => {
                let w = self.scan(|i| u64::from(active[i]));
                self.loads = Reported::Scanned(active);
                w
            }
            Reported::Unknown => self.scan(|i| u64::from(load.active(i))),
        };
        Some(winner)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{weighted, Loads};
    use super::*;

    fn eps(weights: &[u32]) -> Vec<Endpoint> {
        weighted(100, weights)
    }

    #[test]
    fn picks_the_minimum() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1; 5]));
        assert_eq!(b.pick(0, &Loads(vec![4, 2, 7, 1, 3]), &mut rng, 0), Some(3));
        assert_eq!(b.pick(0, &Loads(vec![0, 2, 7, 1, 3]), &mut rng, 0), Some(0));
        assert_eq!(b.pick(0, &Loads(vec![9, 9, 9, 9, 8]), &mut rng, 0), Some(4));
    }

    #[test]
    fn weighted_compares_active_per_weight() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 4]));
        // 2/1 = 2 versus 5/4 = 1.25: the heavier instance wins despite more requests.
        assert_eq!(b.pick(0, &Loads(vec![2, 5]), &mut rng, 0), Some(1));
        // 1/1 = 1 versus 5/4: the light one wins.
        assert_eq!(b.pick(0, &Loads(vec![1, 5]), &mut rng, 0), Some(0));
    }

    #[test]
    fn ties_rotate_in_weight_proportion() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        b.set_endpoints(&eps(&[1, 1, 1]));
        let idle = Loads(vec![0; 3]);
        let got: Vec<_> = (0..6)
            .map(|_| b.pick(0, &idle, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);

        // Only endpoints 1 and 3 are tied at the minimum; they alternate, the others never win.
        let mut b = LeastConnections::new();
        b.set_endpoints(&eps(&[1, 1, 1, 1]));
        let loads = Loads(vec![3, 1, 2, 1]);
        let got: Vec<_> = (0..4)
            .map(|_| b.pick(0, &loads, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got, [1, 3, 1, 3]);

        // Weighted tie (0/1 == 0/5): smooth WRR among them, 5:1 per 6 picks.
        let mut b = LeastConnections::new();
        b.set_endpoints(&eps(&[1, 5]));
        let idle = Loads(vec![0; 2]);
        let got: Vec<_> = (0..6)
            .map(|_| b.pick(0, &idle, &mut rng, 0).unwrap())
            .collect();
        assert_eq!(got.iter().filter(|&&i| i == 1).count(), 5);
    }

    #[test]
    fn tie_rotation_survives_endpoint_changes() {
        let mut b = LeastConnections::new();
        let mut rng = SimRng::seed(1);
        let idle = Loads(vec![0; 3]);
        let mut counts = [0u32; 3];
        for _ in 0..300 {
            b.set_endpoints(&eps(&[1, 1, 1]));
            counts[b.pick(0, &idle, &mut rng, 0).unwrap()] += 1;
        }
        assert_eq!(counts, [100, 100, 100]);
    }

    /// The indexed balancer, told every load change, makes exactly the choices of nginx's scan
    /// over a view of the same loads, through random loads, picks, completions and endpoint
    /// changes (equal and unequal weights).
    #[test]
    fn told_loads_give_exactly_the_scans_choices() {
        let mut rng = SimRng::seed(42);
        for round in 0..40 {
            let n = 1 + rng.below(30) as usize;
            let weights: Vec<u32> = if round % 4 == 3 {
                (0..n).map(|_| 1 + rng.below(4)).collect()
            } else {
                vec![1 + (round % 3) as u32; n]
            };
            let (mut fast, mut oracle) = (LeastConnections::new(), LeastConnections::new());
            let mut ids: Vec<u32> = (0..n as u32).collect();
            let mut loads = vec![0u32; n];
            let endpoints = |ids: &[u32]| -> Vec<Endpoint> {
                ids.iter()
                    .map(|&id| Endpoint {
                        id,
                        weight: weights[id as usize % weights.len()],
                    })
                    .collect()
            };
            fast.set_endpoints(&endpoints(&ids));
            oracle.set_endpoints(&endpoints(&ids));
            fast.set_loads(&loads);
            let mut scratch = SimRng::seed(0);
            // Some rounds long enough for dead entries to pile up and be compacted away.
            let steps = if round % 5 == 0 { 30_000 } else { 2000 };
            for _ in 0..steps {
                match rng.below(10) {
                    0..=4 => {
                        pick_checked(&mut fast, &mut oracle, &mut loads, &mut scratch);
                    }
                    5..=8 => {
                        let i = rng.below(ids.len() as u32) as usize;
                        if loads[i] > 0 {
                            loads[i] -= 1;
                            fast.load_changed(i, loads[i]);
                        }
                    }
                    _ => {
                        // An endpoint leaves or a new one arrives (ids stay ascending).
                        if ids.len() > 1 && rng.below(2) == 0 {
                            let i = rng.below(ids.len() as u32) as usize;
                            ids.remove(i);
                            loads.remove(i);
                        } else {
                            ids.push(ids.last().unwrap() + 1);
                            loads.push(0);
                        }
                        fast.set_endpoints(&endpoints(&ids));
                        oracle.set_endpoints(&endpoints(&ids));
                        fast.set_loads(&loads);
                    }
                }
            }
        }
    }

    /// `likely_next` is a hint, but an exact one when nothing but the winner's own load changes
    /// before the next pick: then it names the nginx scan's next choice, or nothing (after a
    /// pick from a bucket of one, or while dead entries wait in the heap).
    #[test]
    fn likely_next_names_the_next_pick_when_only_the_winner_moved() {
        let mut rng = SimRng::seed(9);
        let mut scratch = SimRng::seed(0);
        let mut named = 0;
        for round in 0..20 {
            let n = 2 + rng.below(200) as usize;
            let endpoints = eps(&vec![1 + round % 3; n]);
            let (mut fast, mut oracle) = (LeastConnections::new(), LeastConnections::new());
            fast.set_endpoints(&endpoints);
            oracle.set_endpoints(&endpoints);
            let mut loads: Vec<u32> = (0..n).map(|_| rng.below(4)).collect();
            fast.set_loads(&loads);
            // Scrambled rotation state: a few hundred picks with completions in between.
            for _ in 0..300 {
                pick_checked(&mut fast, &mut oracle, &mut loads, &mut scratch);
                let j = rng.below(n as u32) as usize;
                if loads[j] > 0 {
                    loads[j] -= 1;
                    fast.load_changed(j, loads[j]);
                }
            }
            // Now only the winner moves: each hint must be the scan's next choice.
            let mut hint = None;
            for _ in 0..3 * n {
                let want = oracle.pick(0, &Loads(loads.clone()), &mut scratch, 0);
                let got = fast.pick(0, &Loads(vec![]), &mut scratch, 0);
                assert_eq!(got, want, "round {round}");
                if let Some(h) = hint {
                    assert_eq!(Some(h), want, "round {round}: the hint");
                    named += 1;
                }
                let i = got.unwrap();
                hint = fast.likely_next(&scratch)[0];
                loads[i] += 1;
                fast.load_changed(i, loads[i]);
            }
        }
        assert!(named > 1000, "hints were given ({named})");
    }

    /// A pick of the indexed balancer (`fast`), which must be nginx's scan of the same loads
    /// (`oracle`), then charged to the winner as the simulation reports it.
    fn pick_checked(
        fast: &mut LeastConnections,
        oracle: &mut LeastConnections,
        loads: &mut [u32],
        scratch: &mut SimRng,
    ) {
        let want = oracle.pick(0, &Loads(loads.to_vec()), scratch, 0);
        let got = fast.pick(0, &Loads(vec![]), scratch, 0);
        assert_eq!(got, want);
        let i = got.expect("an endpoint");
        loads[i] += 1;
        fast.load_changed(i, loads[i]);
    }

    fn buckets(b: &mut LeastConnections) -> &mut Buckets {
        match &mut b.loads {
            Reported::Indexed(buckets) => buckets,
            _ => panic!("equal weights with reported loads are indexed"),
        }
    }

    /// Stamps about to wrap, with dead entries whose stamps the wrapped counters will reach
    /// again: the choices stay exactly the scan's (the scan has no stamps), and every endpoint
    /// stays in exactly one bucket.
    #[test]
    fn stamps_wrapping_around_keep_the_scans_choices() {
        let n = 12;
        let endpoints: Vec<Endpoint> = (0..n as u32).map(|id| Endpoint { id, weight: 1 }).collect();
        let (mut fast, mut oracle) = (LeastConnections::new(), LeastConnections::new());
        fast.set_endpoints(&endpoints);
        oracle.set_endpoints(&endpoints);
        let mut loads = vec![0u32; n];
        fast.set_loads(&loads);
        let (mut rng, mut scratch) = (SimRng::seed(7), SimRng::seed(0));
        let mut dead_seen = 0;
        for step in 0..20_000 {
            if step == 300 {
                // A few changes short of the wrap; the dead entries get stamps 1 to 3, which
                // the counters pass again right after wrapping.
                let b = buckets(&mut fast);
                for heap in &mut b.heaps {
                    for item in &mut heap.items {
                        if b.members[item.index as usize].stamp == item.stamp {
                            item.stamp = u32::MAX - 5;
                        } else {
                            item.stamp = 1 + item.index % 3;
                            dead_seen += 1;
                        }
                    }
                }
                b.members.iter_mut().for_each(|m| m.stamp = u32::MAX - 5);
            }
            if rng.below(2) == 0 {
                pick_checked(&mut fast, &mut oracle, &mut loads, &mut scratch);
            } else {
                let i = rng.below(n as u32) as usize;
                if loads[i] > 0 {
                    loads[i] -= 1;
                    fast.load_changed(i, loads[i]);
                }
            }
            let b = buckets(&mut fast);
            let live: usize = b.heaps.iter().map(|h| h.live).sum();
            assert_eq!(live, n, "step {step}: every endpoint in exactly one bucket");
            let really_live = b
                .heaps
                .iter()
                .flat_map(|h| &h.items)
                .filter(|item| b.members[item.index as usize].stamp == item.stamp)
                .count();
            assert_eq!(really_live, n, "step {step}: one live entry per endpoint");
        }
        assert!(dead_seen > 0, "the test set up dead entries");
        assert!(
            buckets(&mut fast)
                .members
                .iter()
                .all(|m| m.stamp < 1_000_000),
            "every stamp wrapped"
        );
    }
}

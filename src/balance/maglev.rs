//! Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
//! Balancer", NSDI 2016, §3.4) as Envoy's `MAGLEV` policy uses it. Each backend i gets a
//! preference list over the M slots of a lookup table, `permutation[i][j] = (offset_i + j ×
//! skip_i) mod M`, a full permutation because M is prime and 1 <= skip < M. Pseudocode 1 then
//! fills the table round-robin: in turn, each backend takes its most preferred slot that is
//! still empty, until all M are taken. A key is served by `table[hash(key) mod M]`.
//!
//! Properties that follow from Pseudocode 1 (and are tested below): every backend claims one slot
//! per round and filling stops the moment the table is full, so unweighted backends own ⌊M/N⌋ or
//! ⌈M/N⌉ slots each, near-perfect balance that a ring only approaches with many points. Removing
//! a backend frees its slots, and the survivors' shifted turns also move a few other slots (the
//! paper accepts this small extra disruption in exchange for the balance), so slightly more than
//! the removed backend's 1/N of the keys move when M >> N.
//!
//! Following Envoy (`maglev_lb.cc`): offset = h1(name) mod M, skip = h2(name) mod (M − 1) + 1
//! with two independent hashes (Envoy: xxHash64 with seeds 0 and 1 of the host address; here
//! SplitMix64 of the instance id with two seeds, see `common.rs`); backends are sorted by their
//! hash key before filling so the table does not depend on input order (here: by id); the
//! default M is 65537. Weights follow Envoy's weighted Maglev: in round k a backend takes a slot
//! only if `k × weight >= picks so far × max weight`, so the heaviest backends fill every round
//! and a backend of half that weight every other round. Envoy evaluates this with normalized
//! floating-point weights; fleetlab uses the equivalent integer comparison, exact at the
//! boundaries. With equal weights this is exactly Pseudocode 1.

use super::common::{key_hash, splitmix64, weight, SEED_MAGLEV_OFFSET, SEED_MAGLEV_SKIP};
use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

/// Envoy's and the paper's default table size (a prime).
pub(crate) const DEFAULT_TABLE_SIZE: u32 = 65537;

/// The Maglev lookup table for backends given as `(offset, skip)` pairs, exactly Pseudocode 1 of
/// the paper: entry `c` is the index (into `permutations`) of the backend owning slot `c`.
///
/// Preconditions as in the paper: `table_size` prime and `1 <= skip < table_size` for every
/// backend, which makes each preference list a permutation of the slots. If they are violated a
/// backend's list may revisit slots; it then stops claiming after `table_size` probes, and slots
/// no backend can reach are left as `usize::MAX` rather than looping forever. Returns an empty
/// table when there are no backends or `table_size` is 0.
///
/// ```
/// use fleetlab::balance::maglev_table;
/// // The paper's example: B0 (offset 3, skip 4), B1 (0, 2), B2 (3, 1), M = 7.
/// assert_eq!(maglev_table(&[(3, 4), (0, 2), (3, 1)], 7), [1, 0, 1, 0, 2, 2, 0]);
/// ```
pub fn maglev_table(permutations: &[(u64, u64)], table_size: usize) -> Vec<usize> {
    populate(permutations, None, table_size)
}

/// Pseudocode 1, with Envoy's weighted round condition when `weights` is given.
fn populate(permutations: &[(u64, u64)], weights: Option<&[u32]>, table_size: usize) -> Vec<usize> {
    let n = permutations.len();
    if n == 0 || table_size == 0 {
        return Vec::new();
    }
    let m = table_size as u128;
    let max_weight = weights
        .map_or(1, |w| w.iter().copied().max().unwrap_or(1))
        .max(1);
    let mut entry = vec![usize::MAX; table_size];
    let mut next = vec![0u64; n]; // j: how far down its preference list backend i has looked
    let mut picks = vec![0u64; n];
    let mut exhausted = vec![false; n];
    let mut live = n;
    let mut filled = 0usize;
    let mut round = 0u64;
    while filled < table_size && live > 0 {
        round += 1;
        for i in 0..n {
            if exhausted[i] {
                continue;
            }
            let w = weights.map_or(1, |w| w[i].max(1));
            if round * u64::from(w) < picks[i] * u64::from(max_weight) {
                continue;
            }
            let (offset, skip) = (u128::from(permutations[i].0), u128::from(permutations[i].1));
            loop {
                if u128::from(next[i]) >= m {
                    exhausted[i] = true;
                    live -= 1;
                    break;
                }
                let c = ((offset + u128::from(next[i]) * skip) % m) as usize;
                next[i] += 1;
                if entry[c] == usize::MAX {
                    entry[c] = i;
                    picks[i] += 1;
                    filled += 1;
                    break;
                }
            }
            if filled == table_size {
                break;
            }
        }
    }
    entry
}

fn is_prime(n: u32) -> bool {
    n >= 2
        && (2..)
            .take_while(|d: &u32| d.saturating_mul(*d) <= n)
            .all(|d| n % d != 0)
}

#[derive(Debug, Clone)]
pub struct Maglev {
    table_size: u32,
    table: Vec<u32>,
}

impl Maglev {
    /// `table_size` should be prime (the scenario checks it); anything else is rounded up to the
    /// next prime so the permutations stay full.
    pub fn new(table_size: u32) -> Self {
        let mut m = table_size.max(2);
        while !is_prime(m) {
            m += 1;
        }
        Maglev {
            table_size: m,
            table: Vec::new(),
        }
    }

    /// Slots owned by each endpoint index (for inspection and tests).
    pub fn slot_counts(&self, endpoints: usize) -> Vec<u32> {
        let mut counts = vec![0u32; endpoints];
        for &e in &self.table {
            if let Some(c) = counts.get_mut(e as usize) {
                *c += 1;
            }
        }
        counts
    }
}

impl Default for Maglev {
    fn default() -> Self {
        Maglev::new(DEFAULT_TABLE_SIZE)
    }
}

impl Balancer for Maglev {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let m = u64::from(self.table_size);
        let mut order: Vec<usize> = (0..endpoints.len()).collect();
        order.sort_by_key(|&i| endpoints[i].id);
        let permutations: Vec<(u64, u64)> = order
            .iter()
            .map(|&i| {
                let id = u64::from(endpoints[i].id);
                (
                    splitmix64(id ^ SEED_MAGLEV_OFFSET) % m,
                    splitmix64(id ^ SEED_MAGLEV_SKIP) % (m - 1) + 1,
                )
            })
            .collect();
        let weights: Vec<u32> = order.iter().map(|&i| weight(endpoints[i].weight)).collect();
        let filled = populate(&permutations, Some(&weights), self.table_size as usize);
        // Valid (offset, skip) on a prime M always fill every slot.
        self.table = filled.into_iter().map(|b| order[b] as u32).collect();
    }

    fn pick(
        &mut self,
        key: u64,
        _load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        self.owner(key)
    }

    fn owner(&self, key: u64) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        Some(self.table[(key_hash(key) % u64::from(self.table_size)) as usize] as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::super::moved_fraction;
    use super::*;

    fn preference(offset: u64, skip: u64, m: u64) -> Vec<u64> {
        (0..m).map(|j| (offset + j * skip) % m).collect()
    }

    #[test]
    fn paper_example() {
        // The paper's example (§3.4): M = 7, B0 (offset 3, skip 4), B1 (0, 2), B2 (3, 1).
        assert_eq!(preference(3, 4, 7), [3, 0, 4, 1, 5, 2, 6]);
        assert_eq!(preference(0, 2, 7), [0, 2, 4, 6, 1, 3, 5]);
        assert_eq!(preference(3, 1, 7), [3, 4, 5, 6, 0, 1, 2]);
        // Before: B1 B0 B1 B0 B2 B2 B0. By hand: round 1 B0→3, B1→0, B2→4 (3 taken); round 2
        // B0→1 (0 taken), B1→2, B2→5; round 3 B0→6 (4, 5, 2 taken).
        assert_eq!(
            maglev_table(&[(3, 4), (0, 2), (3, 1)], 7),
            [1, 0, 1, 0, 2, 2, 0]
        );
        // After B1 is removed: B0 B0 B0 B0 B2 B2 B2. By hand: B0→3, B2→4; B0→0, B2→5; B0→1
        // (4 taken), B2→6; B0→2 (5 taken). Slot 6 moves from B0 to B2 although B0 is still
        // there: the paper's point that Maglev trades a little disruption for balance. (Slots 2
        // and 6 are not B2 B0 as sometimes quoted; Pseudocode 1 gives this table.)
        let after: Vec<usize> = maglev_table(&[(3, 4), (3, 1)], 7)
            .into_iter()
            .map(|b| [0, 2][b])
            .collect();
        assert_eq!(after, [0, 0, 0, 0, 2, 2, 2]);
    }

    #[test]
    fn degenerate_inputs_terminate() {
        assert!(maglev_table(&[], 7).is_empty());
        assert!(maglev_table(&[(1, 1)], 0).is_empty());
        // More backends than slots: the first M backends get one slot each, in order.
        let perms: Vec<(u64, u64)> = (0..10).map(|i| (i % 7, 1 + i % 6)).collect();
        let t = maglev_table(&perms, 7);
        let mut sorted = t.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6]);
        // skip ≡ 0 (mod M) violates the precondition: one reachable slot, the rest unowned.
        assert_eq!(
            maglev_table(&[(2, 7)], 7),
            [
                usize::MAX,
                usize::MAX,
                0,
                usize::MAX,
                usize::MAX,
                usize::MAX,
                usize::MAX
            ]
        );
    }

    #[test]
    fn equal_weights_are_exactly_pseudocode_1() {
        let perms: Vec<(u64, u64)> = (0..13u64)
            .map(|i| (splitmix64(i) % 251, splitmix64(!i) % 250 + 1))
            .collect();
        assert_eq!(
            populate(&perms, Some(&[4; 13]), 251),
            maglev_table(&perms, 251)
        );
    }

    fn eps(ids: impl IntoIterator<Item = u32>) -> Vec<Endpoint> {
        ids.into_iter()
            .map(|id| Endpoint { id, weight: 1 })
            .collect()
    }

    #[test]
    fn every_backend_owns_floor_or_ceil_of_m_over_n() {
        // One slot per backend per round, stop when full: 65537 = 10 × 6553 + 7, so 7 backends
        // own 6554 slots and 3 own 6553.
        let mut b = Maglev::new(DEFAULT_TABLE_SIZE);
        b.set_endpoints(&eps(0..10));
        let counts = b.slot_counts(10);
        assert!(counts.iter().all(|&c| c == 6553 || c == 6554), "{counts:?}");
        assert_eq!(counts.iter().filter(|&&c| c == 6554).count(), 7);
    }

    #[test]
    fn removing_one_of_ten_disrupts_little() {
        let mut b = Maglev::new(DEFAULT_TABLE_SIZE);
        let all = eps(0..10);
        b.set_endpoints(&all);
        let before: Vec<u32> = b.table.iter().map(|&i| all[i as usize].id).collect();
        let rest = eps((0..10).filter(|&i| i != 3));
        b.set_endpoints(&rest);
        let after: Vec<u32> = b.table.iter().map(|&i| rest[i as usize].id).collect();
        // Slots of the removed backend must move; count the others that move too.
        let own = before.iter().filter(|&&id| id == 3).count();
        let extra = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| **b != 3 && a != b)
            .count();
        assert!(own >= 6553);
        assert!(
            extra < own,
            "extra disruption {extra} should stay well under 1/N of M ({own})"
        );

        // Over keys: at least the removed share, under 2/N.
        let loads = Loads(vec![0; 10]);
        let mut rng = SimRng::seed(1);
        let key_owner = |b: &mut Maglev, e: &[Endpoint], rng: &mut SimRng| -> Vec<Option<u32>> {
            (1..=10_000u64)
                .map(|k| b.pick(k, &loads, rng, 0).map(|i| e[i].id))
                .collect()
        };
        b.set_endpoints(&all);
        let kb = key_owner(&mut b, &all, &mut rng);
        b.set_endpoints(&rest);
        let ka = key_owner(&mut b, &rest, &mut rng);
        let moved = moved_fraction(&kb, &ka);
        assert!(moved > 0.08 && moved < 0.2, "moved {moved}");
    }

    #[test]
    fn weights_share_the_table() {
        // Weights 1:2:3:4 of M = 10007. Backend i takes a slot in round k when
        // k·w_i >= picks·4, so after K rounds it holds ⌊K·w_i/4⌋ + 1: within one slot per backend
        // of the ideal M·w/10, plus the last partial round.
        let mut b = Maglev::new(10007);
        let e: Vec<Endpoint> = (1..=4)
            .map(|w| Endpoint {
                id: w * 11,
                weight: w,
            })
            .collect();
        b.set_endpoints(&e);
        let counts = b.slot_counts(4);
        for (i, &c) in counts.iter().enumerate() {
            let ideal = 10007.0 * f64::from(e[i].weight) / 10.0;
            assert!((f64::from(c) - ideal).abs() <= 4.0, "{counts:?}");
        }
    }

    #[test]
    fn table_does_not_depend_on_input_order() {
        let mut a = Maglev::new(251);
        let mut b = Maglev::new(251);
        let e = eps([5, 9, 2, 7]);
        let mut sorted = e.clone();
        sorted.sort_by_key(|x| x.id);
        a.set_endpoints(&e);
        b.set_endpoints(&sorted);
        let ids_a: Vec<u32> = a.table.iter().map(|&i| e[i as usize].id).collect();
        let ids_b: Vec<u32> = b.table.iter().map(|&i| sorted[i as usize].id).collect();
        assert_eq!(ids_a, ids_b);
        assert_eq!(Maglev::new(100).table_size, 101);
    }
}

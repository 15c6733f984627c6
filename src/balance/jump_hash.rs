//! Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
//! 2014, Figure 1): maps a 64-bit key to one of `n` buckets with no table at all, in O(log n)
//! steps of a 64-bit LCG. Its guarantee: going from n to n + 1 buckets, a key either stays put
//! or moves to the new bucket n, and exactly the expected 1/(n + 1) of keys move; and the
//! buckets are balanced to within sampling noise.
//!
//! The catch, which the simulation exists to show: buckets are numbered 0..n and only the *last*
//! one can be removed cheaply. `JumpHash` maps bucket b to the b-th endpoint in id order. When
//! the newest instance (highest id) leaves, only its keys move. When an instance in the middle
//! leaves, every endpoint after it shifts down one bucket, so nearly all keys of the instances
//! behind it move (removing the first of N moves almost every key). Systems that use jump hash
//! for sharding (the paper's use case) therefore keep bucket numbers stable and never remove
//! a shard from the middle; fleetlab deliberately does not paper over that. Weights are ignored:
//! jump hash has no notion of weight.
//!
//! Keys are hashed (SplitMix64, see `common.rs`) before the jump, as the paper assumes a
//! uniformly distributed 64-bit key and fleetlab's keys are small integers.

use super::common::key_hash;
use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

/// The bucket in `0..buckets` of `key`, or `None` when `buckets == 0`. A line-by-line
/// transcription of Figure 1 of the paper: the LCG multiplier 2862933555777941757 and the jump
/// `j = (b + 1) × (2^31 / ((key >> 33) + 1))` in double precision.
///
/// ```
/// use fleetlab::balance::jump_hash;
/// assert_eq!(jump_hash(256, 1024), Some(520)); // lithammer/go-jump-consistent-hash's vector
/// assert_eq!(jump_hash(7, 0), None);
/// ```
pub fn jump_hash(key: u64, buckets: u32) -> Option<u32> {
    if buckets == 0 {
        return None;
    }
    let mut key = key;
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // f64 → i64 `as` saturates where C++ would be undefined; a saturated j ends the loop,
        // which is what the C++ code does on every real platform.
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    Some(b as u32)
}

#[derive(Debug, Clone, Default)]
pub struct JumpHash {
    len: u32,
}

impl JumpHash {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for JumpHash {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.len = u32::try_from(endpoints.len()).unwrap_or(u32::MAX);
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
        jump_hash(key_hash(key), self.len).map(|b| b as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{assert_binomial, Loads};
    use super::super::moved_fraction;
    use super::*;

    #[test]
    fn published_vectors() {
        // dgryski/go-jump jump_test.go ("Generated from the reference C++ code"): key and the
        // bucket for n = 1, 2, 3, ... buckets.
        let table: [(u64, &[u32]); 4] = [
            (0, &[0; 20]),
            (
                1,
                &[0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17],
            ),
            (
                0xdead_beef,
                &[0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16],
            ),
            (
                0x0ddc_0ffe_ebad_f00d,
                &[0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15],
            ),
        ];
        for (key, expected) in table {
            for (i, &e) in expected.iter().enumerate() {
                assert_eq!(
                    jump_hash(key, i as u32 + 1),
                    Some(e),
                    "key {key:#x}, {} buckets",
                    i + 1
                );
            }
        }
        // lithammer/go-jump-consistent-hash jump_test.go.
        assert_eq!(jump_hash(1, 1), Some(0));
        assert_eq!(jump_hash(42, 57), Some(43));
        assert_eq!(jump_hash(0xDEAD_10CC, 1), Some(0));
        assert_eq!(jump_hash(0xDEAD_10CC, 666), Some(361));
        assert_eq!(jump_hash(256, 1024), Some(520));
        // mypmc/jump-consistent-hash tests/jumphash.rs (Rust port).
        assert_eq!(jump_hash(10_863_919_174_838_991, 11), Some(6));
        assert_eq!(jump_hash(2_016_238_256_797_177_309, 11), Some(3));
        assert_eq!(jump_hash(1_673_758_223_894_951_030, 11), Some(5));
        assert_eq!(jump_hash(2, 100_001), Some(80_343));
        assert_eq!(jump_hash(2201, 100_001), Some(22_152));
        assert_eq!(jump_hash(2202, 100_001), Some(15_018));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(jump_hash(123, 0), None);
        for key in [0, 1, u64::MAX, 0x8000_0000_0000_0000] {
            assert_eq!(jump_hash(key, 1), Some(0));
            assert!(jump_hash(key, u32::MAX).unwrap() < u32::MAX);
        }
    }

    #[test]
    fn growing_moves_keys_only_to_the_new_bucket() {
        let keys: Vec<u64> = (1..=10_000u64).map(key_hash).collect();
        for n in [1u32, 2, 9, 10, 99] {
            let before: Vec<_> = keys.iter().map(|&k| jump_hash(k, n)).collect();
            let after: Vec<_> = keys.iter().map(|&k| jump_hash(k, n + 1)).collect();
            let mut moved = 0u64;
            for (b, a) in before.iter().zip(&after) {
                assert!(
                    a == b || *a == Some(n),
                    "n = {n}: a key moved between old buckets"
                );
                moved += u64::from(a != b);
            }
            // Each key moves with probability 1/(n+1), independently for hashed keys.
            assert_binomial(
                moved,
                keys.len() as u64,
                1.0 / f64::from(n + 1),
                &format!("moved at n = {n}"),
            );
        }
    }

    #[test]
    fn buckets_are_balanced() {
        let keys = 100_000u64;
        let mut c = [0u64; 10];
        for k in 1..=keys {
            c[jump_hash(key_hash(k), 10).unwrap() as usize] += 1;
        }
        for (b, &n) in c.iter().enumerate() {
            assert_binomial(n, keys, 0.1, &format!("bucket {b}"));
        }
    }

    fn owners(b: &mut JumpHash, e: &[Endpoint]) -> Vec<Option<u32>> {
        b.set_endpoints(e);
        let loads = Loads(vec![0; e.len()]);
        let mut rng = SimRng::seed(1);
        (1..=10_000u64)
            .map(|k| b.pick(k, &loads, &mut rng, 0).map(|i| e[i].id))
            .collect()
    }

    #[test]
    fn removing_the_last_is_cheap_removing_the_first_is_not() {
        let all: Vec<Endpoint> = (0..10).map(|id| Endpoint { id, weight: 1 }).collect();
        let mut b = JumpHash::new();
        let before = owners(&mut b, &all);
        // Last (newest) instance leaves: only its ≈ 1/10 of the keys move (binomial, 5 sd).
        let moved_last = moved_fraction(&before, &owners(&mut b, &all[..9]));
        assert_binomial(
            (moved_last * 10_000.0).round() as u64,
            10_000,
            0.1,
            "last removed",
        );
        // First instance leaves: a key keeps its instance only if its bucket b under 9 buckets
        // is its old bucket minus one; keys of bucket 0 always move, the rest stay in bucket b
        // (b < 9) and so change instance. Only keys from bucket 9 landing one below can stay,
        // at most 1/10 of them in expectation: ≥ 95% move.
        let moved_first = moved_fraction(&before, &owners(&mut b, &all[1..]));
        assert!(moved_first > 0.95, "moved {moved_first}");
    }
}

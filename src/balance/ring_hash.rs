//! Consistent hashing on a ring, ketama style (Karger et al. 1997; libketama; Envoy's
//! `RING_HASH`): every endpoint places `points_per_instance × weight` points on a 64-bit ring, a
//! request key is hashed onto the same ring and served by the owner of the first point at or
//! clockwise after it (wrapping past the top to the first point), found by binary search as in
//! Envoy's port of `ketama_get_server`. Removing an endpoint moves only the keys of its own
//! arcs, and adding one takes keys only for itself, about 1/N of the keys either way; the
//! `points_per_instance` virtual nodes (ketama uses 160 per server) keep each endpoint's share
//! near 1/N (its spread shrinks like 1/sqrt(points)).
//!
//! Where fleetlab differs: point positions are `SplitMix64(id, replica)` (see `common.rs`)
//! instead of ketama's MD5 of "host:port-i" (four points per digest) or Envoy's xxHash64 of
//! "address_i"; the point count is per unit of weight (ketama's) rather than Envoy's
//! `minimum_ring_size` scaled by normalized weight; and the ring is capped at `MAX_RING_POINTS`
//! (Envoy: `maximum_ring_size`, default 8M) to bound memory on the page. When the cap applies,
//! points are shared out with Envoy's running-sum rounding, so a tiny-weight endpoint may get
//! no point and no traffic, as in Envoy. Points with equal hashes (practically never) are
//! ordered by instance id so the ring does not depend on input order.

use super::common::{key_hash, pair_hash, weight, SEED_RING};
use super::{Balancer, Endpoint, LoadView};
use crate::rng::SimRng;

/// Upper bound on points in the ring (12 bytes each).
pub const MAX_RING_POINTS: u64 = 1 << 21;

#[derive(Debug, Clone)]
pub struct RingHash {
    points_per_instance: u32,
    /// Point positions, ascending.
    hashes: Vec<u64>,
    /// Endpoint index owning the point at the same position in `hashes`.
    owners: Vec<u32>,
}

impl RingHash {
    /// `points_per_instance`: ring points per unit of weight (0 is treated as 1).
    pub fn new(points_per_instance: u32) -> Self {
        RingHash {
            points_per_instance: points_per_instance.max(1),
            hashes: Vec::new(),
            owners: Vec::new(),
        }
    }

    /// The endpoint index owning the first point at or after `h`, wrapping around.
    fn lookup(&self, h: u64) -> Option<usize> {
        if self.hashes.is_empty() {
            return None;
        }
        let pos = self.hashes.partition_point(|&p| p < h);
        let pos = if pos == self.hashes.len() { 0 } else { pos };
        Some(self.owners[pos] as usize)
    }
}

impl Balancer for RingHash {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        let total_weight: u64 = endpoints.iter().map(|e| u64::from(weight(e.weight))).sum();
        let wanted = total_weight * u64::from(self.points_per_instance);
        let size = wanted.min(MAX_RING_POINTS);
        let mut points: Vec<(u64, u32, u32)> = Vec::with_capacity(size as usize);
        // Endpoint i gets ceil(size·W_i/S) - ceil(size·W_{i-1}/S) points (W running weight sums,
        // S the total): exactly points_per_instance × weight when uncapped, Envoy's running-sum
        // rounding when capped.
        let ceil_share = |cum: u64| -> u64 {
            (u128::from(size) * u128::from(cum)).div_ceil(u128::from(total_weight.max(1))) as u64
        };
        let mut cum = 0u64;
        for (index, e) in endpoints.iter().enumerate() {
            let from = ceil_share(cum);
            cum += u64::from(weight(e.weight));
            let count = ceil_share(cum) - from;
            for replica in 0..count {
                points.push((
                    pair_hash(u64::from(e.id), replica, SEED_RING),
                    e.id,
                    index as u32,
                ));
            }
        }
        points.sort_unstable();
        self.hashes = points.iter().map(|p| p.0).collect();
        self.owners = points.iter().map(|p| p.2).collect();
    }

    fn pick(
        &mut self,
        key: u64,
        _load: &dyn LoadView,
        _rng: &mut SimRng,
        _now_ns: u64,
    ) -> Option<usize> {
        self.lookup(key_hash(key))
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::super::{mod_n, moved_fraction};
    use super::*;

    const KEYS: u64 = 10_000;

    fn eps(ids: impl IntoIterator<Item = u32>) -> Vec<Endpoint> {
        ids.into_iter()
            .map(|id| Endpoint { id, weight: 1 })
            .collect()
    }

    /// key → owning instance id, for keys 1..=KEYS.
    fn owners(ring: &mut RingHash, endpoints: &[Endpoint]) -> Vec<Option<u32>> {
        ring.set_endpoints(endpoints);
        let mut rng = SimRng::seed(1);
        let loads = Loads(vec![0; endpoints.len()]);
        (1..=KEYS)
            .map(|k| ring.pick(k, &loads, &mut rng, 0).map(|i| endpoints[i].id))
            .collect()
    }

    #[test]
    fn lookup_is_first_point_clockwise_with_wraparound() {
        let ring = RingHash {
            points_per_instance: 1,
            hashes: vec![10, 20, 30],
            owners: vec![2, 0, 1],
        };
        assert_eq!(ring.lookup(0), Some(2));
        assert_eq!(ring.lookup(10), Some(2)); // a point at exactly h serves h
        assert_eq!(ring.lookup(11), Some(0));
        assert_eq!(ring.lookup(30), Some(1));
        assert_eq!(ring.lookup(31), Some(2)); // past the last point: wrap to the first
        assert_eq!(ring.lookup(u64::MAX), Some(2));
        assert_eq!(RingHash::new(1).lookup(5), None);
    }

    #[test]
    fn ring_size_is_points_times_weight() {
        let mut ring = RingHash::new(160);
        ring.set_endpoints(&[Endpoint { id: 0, weight: 1 }, Endpoint { id: 1, weight: 3 }]);
        assert_eq!(ring.hashes.len(), 640);
        assert_eq!(ring.owners.iter().filter(|&&o| o == 1).count(), 480);
        assert!(ring.hashes.windows(2).all(|w| w[0] <= w[1]));
    }

    // Tolerances: with k = 160 points per instance among N·k, an instance's share of the ring is
    // Beta(k, (N-1)k): for N = 10 the mean is 1/10 and the sd sqrt(0.1·0.9/1601) ≈ 0.0075;
    // sampling 10 000 keys adds sd ≈ 0.003, ≈ 0.0081 in all. ±0.04 is about 5 sd.

    #[test]
    fn removing_one_of_ten_moves_only_its_keys() {
        let mut ring = RingHash::new(160);
        let all = eps(0..10);
        let before = owners(&mut ring, &all);
        let after = owners(&mut ring, &eps((0..10).filter(|&i| i != 4)));
        for (b, a) in before.iter().zip(&after) {
            if *b != Some(4) {
                assert_eq!(a, b, "a key not on the removed instance moved");
            }
        }
        let moved = moved_fraction(&before, &after);
        assert!((moved - 0.1).abs() < 0.04, "moved {moved}");
    }

    #[test]
    fn adding_an_eleventh_takes_keys_only_for_itself() {
        let mut ring = RingHash::new(160);
        let before = owners(&mut ring, &eps(0..10));
        let after = owners(&mut ring, &eps(0..11));
        for (b, a) in before.iter().zip(&after) {
            assert!(
                a == b || *a == Some(10),
                "a key moved between old instances"
            );
        }
        // Share of the newcomer: Beta(160, 1600), mean 1/11, sd ≈ 0.0069 (+0.003 from keys).
        let moved = moved_fraction(&before, &after);
        assert!((moved - 1.0 / 11.0).abs() < 0.04, "moved {moved}");

        // The naive alternative: hash mod N keeps only ≈ 1/11 of the keys in place.
        let modn_before: Vec<_> = (1..=KEYS).map(|k| mod_n(k, 10)).collect();
        let modn_after: Vec<_> = (1..=KEYS).map(|k| mod_n(k, 11)).collect();
        assert!(moved_fraction(&modn_before, &modn_after) > 0.85);
    }

    #[test]
    fn weight_scales_the_share() {
        // Weight 3 against 1: share Beta(480, 160), mean 0.75, sd ≈ 0.017; 5 sd ≈ 0.09.
        let mut ring = RingHash::new(160);
        let e = [Endpoint { id: 0, weight: 3 }, Endpoint { id: 1, weight: 1 }];
        let got = owners(&mut ring, &e);
        let heavy = got.iter().filter(|o| **o == Some(0)).count() as f64 / KEYS as f64;
        assert!((heavy - 0.75).abs() < 0.09, "heavy share {heavy}");
    }

    #[test]
    fn capped_ring_shares_points_by_weight() {
        let mut ring = RingHash::new(1000);
        let e: Vec<Endpoint> = (0..3000).map(|id| Endpoint { id, weight: 1 }).collect();
        ring.set_endpoints(&e);
        assert_eq!(ring.hashes.len() as u64, MAX_RING_POINTS);
        let mut per = vec![0u32; e.len()];
        for &o in &ring.owners {
            per[o as usize] += 1;
        }
        // 2^21 / 3000 = 699.05: every endpoint gets 699 or 700 points.
        assert!(per.iter().all(|&c| c == 699 || c == 700));
    }
}

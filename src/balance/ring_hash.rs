//! Consistent hashing on a ring (Karger et al. 1997), built the way one of two real systems
//! builds it; a request key is hashed onto the same 64-bit ring and served by the owner of the
//! first point at or clockwise after it, wrapping past the top to the first point — the
//! binary search of libketama's `ketama_get_server`, which Envoy's `Ring::chooseHost` ports.
//!
//! - `ring: envoy` (the default) is Envoy's `RING_HASH`
//!   (envoyproxy/envoy `source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc`,
//!   `Ring::Ring`, commit 0d2acde2; weights normalized as `normalizeHostWeights` in
//!   `.../common/thread_aware_lb_impl.cc`, commit 0336fd61): host i's normalized weight is
//!   w_i = weight_i / Σweight, the ring scale is
//!   min(ceil(min_w × minimum_ring_size) / min_w, maximum_ring_size), and walking the hosts in
//!   order with running sums (`target += scale × w_i`, one point while `current < target`) host
//!   i gets its points at xxHash64("<address>_<j>"), j = 0, 1, …. So the ring has about
//!   `min_ring_size` points *in all*: N equal hosts get ceil(1024 / N) each, 11 at N = 100, and
//!   the busiest host's share of the keys is then about 1.9 × the mean (see the tests).
//!   Addresses are synthetic, `10.a.b.c:8080` from the instance id, so the ring is exactly the
//!   one Envoy would build for hosts with those addresses.
//! - `ring: ketama` is libketama's continuum (RJ/ketama `libketama/ketama.c`,
//!   `ketama_create_continuum`, commit 18cf9a77): 160 points per server of equal weight
//!   (`points_per_instance` per unit of weight here), so a host's share stays near 1/N (about
//!   1.3 × the mean for the busiest at N = 100). Where fleetlab differs: libketama places
//!   floor(share × 40 × N) MD5 digests of "<address>-<k>" with four 32-bit points each; here
//!   each point is `SplitMix64(id, replica)` (see `common.rs`) and the count is exactly
//!   `points_per_instance × weight` (the same as libketama's for equal weights).
//!
//! Either ring is capped at `MAX_RING_SIZE` points to bound the page's memory; when the cap
//! applies, points are shared with Envoy's running-sum rounding, so a tiny-weight endpoint may
//! get no point and no traffic, as in Envoy. Removing an endpoint moves only the keys of its own
//! arcs, and adding one takes keys only for itself. Points with equal hashes (practically never)
//! are ordered by endpoint index, which `std::sort` leaves unspecified.

use std::io::Write;

use super::common::{key_hash, pair_hash, weight, SEED_RING};
use super::xxhash::xxh64;
use super::{Balancer, Endpoint, LoadView};
use crate::error::{Error, ErrorKind};
use crate::rng::SimRng;
use crate::scenario::{RingKind, MAX_RING_SIZE};

/// The address fleetlab gives instance `id` when a real system would hash an address:
/// `10.x.y.z:8080` with x.y.z the id's low 24 bits.
pub fn host_address(id: u32) -> String {
    format!(
        "10.{}.{}.{}:8080",
        (id >> 16) & 0xff,
        (id >> 8) & 0xff,
        id & 0xff
    )
}

/// A built ring: point positions ascending, and the endpoint index owning each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ring {
    pub hashes: Vec<u64>,
    pub owners: Vec<u32>,
}

impl Ring {
    fn from_points(mut points: Vec<(u64, u32)>) -> Ring {
        points.sort_unstable();
        Ring {
            hashes: points.iter().map(|p| p.0).collect(),
            owners: points.iter().map(|p| p.1).collect(),
        }
    }

    /// Envoy's `Ring::Ring` for hosts given as (hash key, weight), in order. Errors as Envoy's
    /// config check does when `min_ring_size > max_ring_size`.
    pub fn envoy(
        hosts: &[(String, u32)],
        min_ring_size: u64,
        max_ring_size: u64,
    ) -> Result<Ring, Error> {
        if min_ring_size > max_ring_size {
            return Err(Error::of(
                "max_ring_size",
                ErrorKind::NotAtLeast {
                    other: "min_ring_size".into(),
                    limit: min_ring_size as f64,
                },
                Some(max_ring_size.to_string()),
            ));
        }
        if hosts.is_empty() {
            return Ok(Ring::default());
        }
        let sum: u64 = hosts.iter().map(|h| u64::from(weight(h.1))).sum();
        let normalized: Vec<f64> = hosts
            .iter()
            .map(|h| f64::from(weight(h.1)) * 1.0 / sum as f64)
            .collect();
        let min_w = normalized.iter().copied().fold(1.0, f64::min);
        let scale = ((min_w * min_ring_size as f64).ceil() / min_w).min(max_ring_size as f64);
        let mut points = Vec::with_capacity(scale.ceil() as usize);
        let (mut current, mut target) = (0.0f64, 0.0f64);
        let mut key = Vec::new();
        for (index, ((address, _), w)) in hosts.iter().zip(&normalized).enumerate() {
            key.clear();
            key.extend_from_slice(address.as_bytes());
            key.push(b'_');
            let stem = key.len();
            target += scale * w;
            let mut i = 0u64;
            while current < target {
                key.truncate(stem);
                // absl::StrCat of the counter: its decimal digits.
                let _ = write!(key, "{i}");
                points.push((xxh64(&key, 0), index as u32));
                i += 1;
                current += 1.0;
            }
        }
        Ok(Ring::from_points(points))
    }

    /// libketama's point count with fleetlab's point positions: `points_per_unit × weight`
    /// points per endpoint, shared with running-sum rounding when `cap` applies.
    pub fn ketama(endpoints: &[Endpoint], points_per_unit: u32, cap: u64) -> Ring {
        let total_weight: u64 = endpoints.iter().map(|e| u64::from(weight(e.weight))).sum();
        let wanted = total_weight * u64::from(points_per_unit.max(1));
        let size = wanted.min(cap);
        let mut points = Vec::with_capacity(size as usize);
        // Endpoint i gets ceil(size·W_i/S) - ceil(size·W_{i-1}/S) points (W running weight sums,
        // S the total): exactly points × weight when uncapped.
        let ceil_share = |cum: u64| -> u64 {
            (u128::from(size) * u128::from(cum)).div_ceil(u128::from(total_weight.max(1))) as u64
        };
        let mut cum = 0u64;
        for (index, e) in endpoints.iter().enumerate() {
            let from = ceil_share(cum);
            cum += u64::from(weight(e.weight));
            for replica in 0..ceil_share(cum) - from {
                points.push((pair_hash(u64::from(e.id), replica, SEED_RING), index as u32));
            }
        }
        Ring::from_points(points)
    }

    /// Envoy's `Ring::chooseHost(h, attempt)`: the owner of the first point at or after `h`
    /// (wrapping to the first), stepped `attempt` points further along the ring.
    pub fn choose(&self, h: u64, attempt: u32) -> Option<usize> {
        if self.hashes.is_empty() {
            return None;
        }
        let pos = self.hashes.partition_point(|&p| p < h);
        let pos = if pos == self.hashes.len() { 0 } else { pos };
        let pos = (pos + attempt as usize) % self.hashes.len();
        Some(self.owners[pos] as usize)
    }

    /// Each endpoint's share of the ring (the arcs ending at its points), out of 1: the exact
    /// fraction of uniformly hashed keys it owns.
    pub fn shares(&self, endpoints: usize) -> Vec<f64> {
        let mut out = vec![0.0; endpoints];
        let Some(&last) = self.hashes.last() else {
            return out;
        };
        let mut prev = last;
        for (&h, &o) in self.hashes.iter().zip(&self.owners) {
            // Wrapping subtraction: the first point's arc starts at the last point.
            let arc = h.wrapping_sub(prev);
            let arc = if arc == 0 && self.hashes.len() == 1 {
                u64::MAX
            } else {
                arc
            };
            if let Some(s) = out.get_mut(o as usize) {
                *s += arc as f64 / 18_446_744_073_709_551_616.0;
            }
            prev = h;
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct RingHash {
    kind: RingKind,
    points_per_instance: u32,
    min_ring_size: u32,
    max_ring_size: u32,
    ring: Ring,
}

impl RingHash {
    /// libketama's ring with `points_per_instance` points per unit of weight (0 is taken as 1).
    pub fn new(points_per_instance: u32) -> Self {
        RingHash {
            kind: RingKind::Ketama,
            points_per_instance: points_per_instance.max(1),
            min_ring_size: 1024,
            max_ring_size: MAX_RING_SIZE,
            ring: Ring::default(),
        }
    }

    /// Envoy's ring (sizes beyond `MAX_RING_SIZE` are taken as it; a minimum above the maximum
    /// is refused by the scenario's validation and taken as the maximum here).
    pub fn envoy(min_ring_size: u32, max_ring_size: u32) -> Self {
        let max = max_ring_size.clamp(1, MAX_RING_SIZE);
        RingHash {
            kind: RingKind::Envoy,
            points_per_instance: 160,
            min_ring_size: min_ring_size.clamp(1, max),
            max_ring_size: max,
            ring: Ring::default(),
        }
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }
}

impl Balancer for RingHash {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.ring = match self.kind {
            RingKind::Ketama => Ring::ketama(
                endpoints,
                self.points_per_instance,
                u64::from(MAX_RING_SIZE),
            ),
            RingKind::Envoy => {
                let hosts: Vec<(String, u32)> = endpoints
                    .iter()
                    .map(|e| (host_address(e.id), e.weight))
                    .collect();
                Ring::envoy(
                    &hosts,
                    u64::from(self.min_ring_size),
                    u64::from(self.max_ring_size),
                )
                .unwrap_or_default()
            }
        };
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
        self.ring.choose(key_hash(key), 0)
    }
}

#[cfg(test)]
mod tests;

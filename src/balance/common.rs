//! Shared pieces of the hashing balancers: one 64-bit mixing function and the small helpers the
//! "keys moved" comparisons use.
//!
//! Real systems hash host names with xxHash64 (Envoy ring hash and Maglev), MD5 (ketama) or
//! MurmurHash; fleetlab instances are plain integer ids, so a strong integer finalizer is enough
//! and keeps the crate free of hashing dependencies. We use the SplitMix64 output function
//! (Steele, Lea & Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014; the
//! multipliers are Stafford's "Mix13"), which passes BigCrush as a bijective mixer and is pure
//! integer arithmetic, so native and wasm agree bit for bit. Different call sites xor in their
//! own seed so that, e.g., Maglev's offset and skip hashes are independent.

/// Seeds that make the per-purpose hashes independent of each other (arbitrary odd constants).
pub(crate) const SEED_KEY: u64 = 0x243f_6a88_85a3_08d3;
pub(crate) const SEED_RING: u64 = 0x1319_8a2e_0370_7344;
pub(crate) const SEED_MAGLEV_OFFSET: u64 = 0xa409_3822_299f_31d0;
pub(crate) const SEED_MAGLEV_SKIP: u64 = 0x082e_fa98_ec4e_6c89;

/// SplitMix64: one generator step from state `x` (the golden-ratio increment keeps 0 from
/// mapping to 0) followed by the Mix13 finalizer.
#[inline]
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a request key. Keys are small integers 1..K, which would otherwise all land in one
/// corner of the ring / one run of table slots.
#[inline]
pub fn key_hash(key: u64) -> u64 {
    splitmix64(key ^ SEED_KEY)
}

/// Hash of a pair, e.g. (instance id, replica number) for a ring point. Mixing the first value
/// before xoring in the second keeps (a, b) and (b, a) apart.
#[inline]
pub(crate) fn pair_hash(a: u64, b: u64, seed: u64) -> u64 {
    splitmix64(splitmix64(a ^ seed) ^ b)
}

/// The naive baseline the consistent hashes are compared with: `hash(key) mod n`, or `None` when
/// `n == 0`. Growing n to n + 1 keeps a key in place only when both residues agree, i.e. for
/// about 1/(n + 1) of the keys.
pub fn mod_n(key: u64, n: u32) -> Option<u32> {
    if n == 0 {
        None
    } else {
        Some((key_hash(key) % u64::from(n)) as u32)
    }
}

/// Fraction of positions whose assignment differs between two equally long key → bucket maps
/// (positions beyond the shorter one are ignored); 0 for empty input.
pub fn moved_fraction(before: &[Option<u32>], after: &[Option<u32>]) -> f64 {
    let n = before.len().min(after.len());
    if n == 0 {
        return 0.0;
    }
    let moved = before.iter().zip(after).filter(|(b, a)| b != a).count();
    moved as f64 / n as f64
}

/// Weights are validated to be >= 1 upstream; a 0 that slips through is treated as 1 rather than
/// making an instance unreachable or dividing by zero.
#[inline]
pub(crate) fn weight(w: u32) -> u32 {
    w.max(1)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::super::{Endpoint, LoadView};

    /// Endpoints with ids `first_id, first_id + 1, ...` and the given weights.
    pub fn weighted(first_id: u32, weights: &[u32]) -> Vec<Endpoint> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| Endpoint {
                id: first_id + i as u32,
                weight,
            })
            .collect()
    }

    /// A fixed load per endpoint index.
    pub struct Loads(pub Vec<u32>);

    impl LoadView for Loads {
        fn active(&self, index: usize) -> u32 {
            self.0[index]
        }
    }

    /// `expected ± 5 sigma` check for a binomial count. 5 sigma puts the chance of a false
    /// failure near 6e-7 per check, so a failure means the distribution is wrong, not bad luck
    /// (and the seeds are fixed, so a passing test stays passing).
    pub fn assert_binomial(count: u64, trials: u64, p: f64, what: &str) {
        let mean = trials as f64 * p;
        let sigma = (trials as f64 * p * (1.0 - p)).sqrt();
        let dev = (count as f64 - mean).abs();
        assert!(
            dev <= 5.0 * sigma + 1e-9,
            "{what}: got {count} of {trials}, expected {mean:.1} ± 5×{sigma:.1}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // The published first five SplitMix64 outputs for seed 1234567 (Rosetta Code,
        // "Pseudo-random numbers/Splitmix64"). The reference generator adds the golden gamma to
        // its state before each mix, so output k is `splitmix64(seed + k*gamma)`.
        let gamma = 0x9e37_79b9_7f4a_7c15u64;
        let seed = 1_234_567u64;
        let got: Vec<u64> = (0..5)
            .map(|k: u64| splitmix64(seed.wrapping_add(k.wrapping_mul(gamma))))
            .collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
    }

    #[test]
    fn mod_n_and_moved_fraction() {
        assert_eq!(mod_n(5, 0), None);
        assert_eq!(mod_n(5, 1), Some(0));
        assert_eq!(moved_fraction(&[], &[]), 0.0);
        assert_eq!(
            moved_fraction(
                &[Some(1), Some(2), None, Some(3)],
                &[Some(1), Some(0), None, Some(4)]
            ),
            0.5
        );
    }

    #[test]
    fn mod_n_moves_almost_everything_when_growing() {
        // h mod 10 == h mod 11 exactly when h mod 110 < 10, i.e. for 1/11 of uniform hashes.
        let keys = 10_000u64;
        let before: Vec<_> = (1..=keys).map(|k| mod_n(k, 10)).collect();
        let after: Vec<_> = (1..=keys).map(|k| mod_n(k, 11)).collect();
        let stayed = keys - (moved_fraction(&before, &after) * keys as f64).round() as u64;
        testing::assert_binomial(stayed, keys, 1.0 / 11.0, "mod-N keys kept");
    }
}

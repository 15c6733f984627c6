//! Envoy's own ring-hash tests (test/extensions/load_balancing_policies/ring_hash/
//! ring_hash_lb_test.cc, commit 13e9fdb2), ported with their expected values, then fleetlab's
//! consistency and balance checks.

use super::super::common::testing::Loads;
use super::super::{mod_n, moved_fraction};
use super::*;

const ENVOY_MAX: u64 = 8_388_608;

fn hosts(ports: &[u32], weights: &[u32]) -> Vec<(String, u32)> {
    ports
        .iter()
        .zip(weights)
        .map(|(p, &w)| (format!("127.0.0.1:{p}"), w))
        .collect()
}

fn port(h: &[(String, u32)], index: usize) -> &str {
    h[index].0.rsplit(':').next().unwrap()
}

#[test]
fn envoy_basic_ring_and_lookups() {
    let h = hosts(&[90, 91, 92, 93, 94, 95], &[1; 6]);
    let ring = Ring::envoy(&h, 12, ENVOY_MAX).unwrap();
    let expected: [(u64, &str); 12] = [
        (833437586790550860, "94"),
        (928266305478181108, "92"),
        (1033482794131418490, "90"),
        (3551244743356806947, "95"),
        (3851675632748031481, "93"),
        (5583722120771150861, "91"),
        (6311230543546372928, "91"),
        (7700377290971790572, "93"),
        (13144177310400110813, "95"),
        (13444792449719432967, "92"),
        (15516499411664133160, "94"),
        (16117243373044804889, "90"),
    ];
    let got: Vec<(u64, &str)> = ring
        .hashes
        .iter()
        .zip(&ring.owners)
        .map(|(&hash, &o)| (hash, port(&h, o as usize)))
        .collect();
    assert_eq!(got, expected);
    let at = |hash: u64| port(&h, ring.choose(hash, 0).unwrap()).to_string();
    assert_eq!(at(0), "94");
    assert_eq!(at(u64::MAX), "94", "past the last point: wrap");
    assert_eq!(
        at(3551244743356806947),
        "95",
        "a point at exactly h serves h"
    );
    assert_eq!(at(3551244743356806948), "93");
    assert_eq!(at(16117243373044804880), "90");
}

#[test]
fn envoy_retry_steps_along_the_ring() {
    // BasicWithRetryHostPredicate: attempt i looks at the point i places after the first.
    let h = hosts(&[90, 91, 92, 93, 94, 95], &[1; 6]);
    let ring = Ring::envoy(&h, 12, ENVOY_MAX).unwrap();
    let at = |attempt| port(&h, ring.choose(0, attempt).unwrap()).to_string();
    assert_eq!(at(0), "94");
    assert_eq!(at(1), "92", "reject :94");
    assert_eq!(at(2), "90", "reject all, 2 retries: the last checked");
    assert_eq!(at(13), "92", "(0 + 13) % 12 = 1");
}

#[test]
fn envoy_uneven_hosts() {
    let h = hosts(&[80, 81], &[1, 1]);
    let ring = Ring::envoy(&h, 3, ENVOY_MAX).unwrap();
    let got: Vec<(u64, &str)> = ring
        .hashes
        .iter()
        .zip(&ring.owners)
        .map(|(&hash, &o)| (hash, port(&h, o as usize)))
        .collect();
    assert_eq!(
        got,
        [
            (5454692015285649509, "80"),
            (7859399908942313493, "81"),
            (13838424394637650569, "80"),
            (16064866803292627174, "81"),
        ]
    );
    assert_eq!(port(&h, ring.choose(0, 0).unwrap()), "80");
    let h2 = hosts(&[81, 82], &[1, 1]);
    let ring2 = Ring::envoy(&h2, 3, ENVOY_MAX).unwrap();
    assert_eq!(port(&h2, ring2.choose(0, 0).unwrap()), "81");
}

fn per_host(ring: &Ring, n: usize) -> Vec<usize> {
    let mut c = vec![0; n];
    for &o in &ring.owners {
        c[o as usize] += 1;
    }
    c
}

#[test]
fn envoy_weighted_tiny_ring() {
    let h = hosts(&[90, 91, 92], &[1, 2, 3]);
    let ring = Ring::envoy(&h, 6, 6).unwrap();
    assert_eq!(ring.hashes.len(), 6);
    assert_eq!(per_host(&ring, 3), [1, 2, 3]);
    for (hash, want) in [
        (928266305478181108u64, "92"),
        (4443673547860492590, "92"),
        (5583722120771150861, "91"),
        (6311230543546372928, "91"),
        (13444792449719432967, "92"),
        (16117243373044804889, "90"),
    ] {
        assert_eq!(port(&h, ring.choose(hash, 0).unwrap()), want, "hash {hash}");
    }
}

/// `n` lookups at i × ((2^64 − 1) / n), counted per host, as Envoy's large-ring tests do.
fn spread(ring: &Ring, hosts: usize, n: u64) -> Vec<u32> {
    let step = u64::MAX / n;
    let mut c = vec![0; hosts];
    for i in 0..n {
        c[ring.choose(i * step, 0).unwrap()] += 1;
    }
    c
}

#[test]
fn envoy_weighted_large_ring() {
    let h = hosts(&[90, 91, 92], &[1, 2, 3]);
    let ring = Ring::envoy(&h, 6144, ENVOY_MAX).unwrap();
    assert_eq!(ring.hashes.len(), 6144);
    assert_eq!(per_host(&ring, 3), [1024, 2048, 3072]);
    assert_eq!(spread(&ring, 3, 6000), [987, 1932, 3081]);
}

#[test]
fn envoy_fractional_scales() {
    // LargeFractionalScale: 2 hosts on a ring of 1023.
    let h = hosts(&[90, 91], &[1, 1]);
    let ring = Ring::envoy(&h, 1023, 1023).unwrap();
    assert_eq!(ring.hashes.len(), 1023);
    let mut c = per_host(&ring, 2);
    c.sort_unstable();
    assert_eq!(c, [511, 512]);
    assert_eq!(spread(&ring, 2, 1023), [526, 497]);
    // SmallFractionalScale: 4 hosts on a ring of 2: two of them get no point at all.
    let h = hosts(&[90, 91, 92, 93], &[1; 4]);
    let ring = Ring::envoy(&h, 2, 2).unwrap();
    assert_eq!(ring.hashes.len(), 2);
    assert_eq!(per_host(&ring, 4).iter().filter(|&&c| c == 0).count(), 2);
}

#[test]
fn envoy_refuses_a_minimum_above_the_maximum() {
    // BadRingSizeBounds: "ring hash: minimum_ring_size (20) > maximum_ring_size (10)".
    let h = hosts(&[90], &[1]);
    let err = Ring::envoy(&h, 20, 10).unwrap_err();
    assert_eq!(err.field, "max_ring_size");
}

#[test]
fn envoy_default_ring_size_per_host_count() {
    // ceil(1024 / N) × N points for N equal hosts (Envoy's scale with minimum_ring_size 1024).
    for (n, size) in [
        (2u32, 1024usize),
        (3, 1026),
        (5, 1025),
        (7, 1029),
        (10, 1030),
        (100, 1100),
        (1000, 2000),
    ] {
        let mut r = RingHash::envoy(1024, MAX_RING_SIZE);
        r.set_endpoints(&eps(0..n));
        assert_eq!(r.ring().hashes.len(), size, "N = {n}");
    }
}

/// P(X ≤ x) for X ~ Gamma(k, 1), k a whole number: 1 − e^−x Σ_{i<k} x^i / i!.
fn gamma_cdf(k: u32, x: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..k {
        term *= x / f64::from(i);
        sum += term;
    }
    1.0 - (-x).exp() * sum
}

/// The p-quantile of (largest share / mean share) among `n` hosts with `k` random points each:
/// a host's share is close to Gamma(k)/(n k), so P(max/mean ≤ x) ≈ P(Gamma(k) ≤ k x)^n.
fn max_share_quantile(k: u32, n: u32, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 10.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if gamma_cdf(k, f64::from(k) * mid).powi(n as i32) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[test]
fn at_a_hundred_hosts_envoys_default_ring_is_far_less_even_than_ketamas() {
    // Envoy's default ring gives 100 equal hosts 11 points each, ketama 160: the busiest host's
    // share of the keys is then about 1.9× the mean for Envoy and about 1.2–1.3× for ketama
    // (medians of the distribution below: 1.89 and 1.21). The bounds are its 0.01 % and
    // 99.99 % quantiles, so a hash that places points like random ones passes.
    let endpoints = eps(0..100);
    let busiest = |ring: &Ring| {
        let shares = ring.shares(100);
        shares.iter().copied().fold(0.0, f64::max) * 100.0
    };
    let mut envoy = RingHash::envoy(1024, MAX_RING_SIZE);
    envoy.set_endpoints(&endpoints);
    let mut ketama = RingHash::new(160);
    ketama.set_endpoints(&endpoints);
    let (e, k) = (busiest(envoy.ring()), busiest(ketama.ring()));
    let (e_lo, e_hi) = (
        max_share_quantile(11, 100, 1e-4),
        max_share_quantile(11, 100, 1.0 - 1e-4),
    );
    let (k_lo, k_hi) = (
        max_share_quantile(160, 100, 1e-4),
        max_share_quantile(160, 100, 1.0 - 1e-4),
    );
    eprintln!("busiest/mean at N = 100: Envoy {e:.3}, ketama {k:.3}");
    assert!((1.85..1.95).contains(&max_share_quantile(11, 100, 0.5)));
    assert!(
        (e_lo..e_hi).contains(&e),
        "Envoy ring: busiest {e} not in [{e_lo}, {e_hi}]"
    );
    assert!(
        (k_lo..k_hi).contains(&k),
        "ketama ring: busiest {k} not in [{k_lo}, {k_hi}]"
    );
    assert!(e > k, "Envoy {e} vs ketama {k}");
    let total: f64 = envoy.ring().shares(100).iter().sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "the arcs cover the ring: {total}"
    );
}

// ---- fleetlab's own checks of the ketama ring ----------------------------------------------

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
    let ring = Ring {
        hashes: vec![10, 20, 30],
        owners: vec![2, 0, 1],
    };
    assert_eq!(ring.choose(0, 0), Some(2));
    assert_eq!(ring.choose(10, 0), Some(2)); // a point at exactly h serves h
    assert_eq!(ring.choose(11, 0), Some(0));
    assert_eq!(ring.choose(30, 0), Some(1));
    assert_eq!(ring.choose(31, 0), Some(2)); // past the last point: wrap to the first
    assert_eq!(ring.choose(u64::MAX, 0), Some(2));
    assert_eq!(Ring::default().choose(5, 0), None);
}

#[test]
fn ketama_ring_size_is_points_times_weight() {
    let mut ring = RingHash::new(160);
    ring.set_endpoints(&[Endpoint { id: 0, weight: 1 }, Endpoint { id: 1, weight: 3 }]);
    assert_eq!(ring.ring().hashes.len(), 640);
    assert_eq!(ring.ring().owners.iter().filter(|&&o| o == 1).count(), 480);
    assert!(ring.ring().hashes.windows(2).all(|w| w[0] <= w[1]));
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
fn envoys_ring_also_moves_keys_between_survivors() {
    // Envoy rescales the ring to the host count: 10 hosts get ceil(1024/10) = 103 points each,
    // 9 get ceil(1024/9) = 114. Each survivor's 11 new points ("_103" … "_113") take keys from
    // the others: 99 of the 1026 points are new, and a key whose next point is new changes
    // owner unless that point is its old owner's (1 in 9). Expected moved share:
    // 0.1 (the removed host's) + 0.9 × (99/1026) × (8/9) ≈ 0.177, against 0.1 for ketama.
    let mut ring = RingHash::envoy(1024, MAX_RING_SIZE);
    let before = owners(&mut ring, &eps(0..10));
    let after = owners(&mut ring, &eps((0..10).filter(|&i| i != 4)));
    let between_survivors = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| **b != Some(4) && a != b)
        .count() as f64
        / KEYS as f64;
    let expected_extra = 0.9 * (99.0 / 1026.0) * (8.0 / 9.0);
    eprintln!("Envoy ring, 10 → 9: {between_survivors:.4} moved between survivors");
    // Sampling 10 000 keys: sd ≈ sqrt(0.077 × 0.923 / 10⁴) ≈ 0.0027, plus the spread of arc
    // lengths (99 arcs, each ≈ 1/1026 ± 100 %: sd ≈ 0.0965/√99 ≈ 0.0097); 0.04 is ≈ 4 sd.
    assert!(
        (between_survivors - expected_extra).abs() < 0.04,
        "moved between survivors {between_survivors}, expected ≈ {expected_extra}"
    );
    let moved = moved_fraction(&before, &after);
    assert!(
        (moved - (0.1 + expected_extra)).abs() < 0.05,
        "moved {moved}"
    );
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
    let e: Vec<Endpoint> = (0..3000).map(|id| Endpoint { id, weight: 1 }).collect();
    let ring = Ring::ketama(&e, 1000, u64::from(MAX_RING_SIZE));
    assert_eq!(ring.hashes.len() as u32, MAX_RING_SIZE);
    // 2^21 / 3000 = 699.05: every endpoint gets 699 or 700 points.
    assert!(per_host(&ring, e.len())
        .iter()
        .all(|&c| c == 699 || c == 700));
}

//! The registry's rules: Consul's exact TTL, and Eureka's lease, eviction cap and
//! self-preservation with the numbers of Eureka's own code and tests.

use super::*;

const S: u64 = 1_000_000_000;

fn consul(threshold: f64) -> Registry {
    Registry::new(RegistryConfig {
        flavor: RegistryFlavor::Consul,
        heartbeat_s: 5.0,
        ttl_s: 15.0,
        refresh_s: 0.0,
        self_preservation_threshold: threshold,
    })
}

fn eureka(heartbeat_s: f64, ttl_s: f64, threshold: f64) -> Registry {
    Registry::new(RegistryConfig {
        flavor: RegistryFlavor::Eureka,
        heartbeat_s,
        ttl_s,
        refresh_s: 0.0,
        self_preservation_threshold: threshold,
    })
}

#[test]
fn consul_lease_expires_only_when_not_renewed() {
    let mut r = consul(0.0);
    r.register(0, 0);
    assert_eq!(r.heartbeat(0, 5 * S, true), Beat::Renewed);
    // The timer armed at registration finds the lease renewed: it now runs out at 20 s.
    assert_eq!(r.expire(0, 15 * S), Expiry::Renewed { due_ns: 20 * S });
    assert_eq!(r.heartbeat(0, 10 * S, false), Beat::Missed { first: true });
    assert_eq!(r.lease(0).state, RegState::Suspect);
    assert_eq!(r.discoverable(), vec![0]);
    assert_eq!(r.expire(0, 20 * S), Expiry::Evicted);
    assert!(r.discoverable().is_empty());
    assert_eq!(r.expire(0, 21 * S), Expiry::Gone);
    assert_eq!(r.heartbeat(0, 25 * S, true), Beat::Reregistered);
    assert_eq!(r.discoverable(), vec![0]);
    assert_eq!(r.expires_at_ns(0), Some(40 * S));
}

#[test]
fn consul_instant_self_preservation() {
    let mut r = consul(0.85);
    for id in 0..5 {
        r.register(id, 0);
    }
    // One of five leases lapses: 4/5 = 0.8 live < 0.85: expiry waits.
    for id in 1..5 {
        r.heartbeat(id, 10 * S, true);
    }
    assert_eq!(r.expire(0, 15 * S), Expiry::Preserved);
    let mut big = consul(0.85);
    for id in 0..20 {
        big.register(id, 0);
    }
    for id in 1..20 {
        big.heartbeat(id, 10 * S, true);
    }
    // 19/20 = 0.95 live: eviction proceeds.
    assert_eq!(big.expire(0, 15 * S), Expiry::Evicted);
}

#[test]
fn eureka_lease_expires_at_twice_its_duration_after_a_renewal() {
    // Lease.java: renew() sets lastUpdateTimestamp = now + duration, isExpired() tests
    // now > lastUpdateTimestamp + duration: 2 × 90 s after the last renewal, 90 s if never.
    let mut r = eureka(30.0, 90.0, 0.0);
    r.register(0, 0);
    r.register(1, 0);
    assert_eq!(
        r.expires_at_ns(1),
        Some(90 * S),
        "never renewed: the duration"
    );
    r.heartbeat(0, 30 * S, true);
    assert_eq!(
        r.expires_at_ns(0),
        Some(210 * S),
        "renewed at 30 s: 30 + 2 × 90"
    );
    let mut rng = SimRng::seed(1);
    // isExpired is strict: not at 210 s exactly, but just after.
    assert!(r.sweep(90 * S, &mut rng).expired.is_empty());
    assert_eq!(r.sweep(90 * S + 1, &mut rng).evicted, [1]);
    assert!(r.sweep(210 * S, &mut rng).expired.is_empty());
    assert_eq!(r.sweep(210 * S + 1, &mut rng).evicted, [0]);
}

#[test]
fn eureka_eviction_cap() {
    // AbstractInstanceRegistry.evict: size − (int)(size × 0.85).
    assert_eq!(eviction_limit(50, 0.85), 8); // TimeConsumingInstanceRegistryTest: 8 ≥ 5
    assert_eq!(eviction_limit(20, 0.85), 3);
    assert_eq!(eviction_limit(100, 0.85), 15);
    assert_eq!(eviction_limit(7, 0.85), 2); // (int)5.95 = 5
    assert_eq!(eviction_limit(1, 0.85), 1);
    assert_eq!(eviction_limit(0, 0.85), 0);
    // Twenty leases all expired, self-preservation off (the cap still applies): 3 per run,
    // then 3 of 17, 3 of 14 ((int)11.9 = 11), 2 of 11, …
    let mut r = eureka(30.0, 90.0, 0.0);
    for id in 0..20 {
        r.register(id, 0);
    }
    let mut rng = SimRng::seed(7);
    let mut per_run = Vec::new();
    for k in 1..=4 {
        per_run.push(r.sweep(k * 100 * S, &mut rng).evicted.len());
    }
    assert_eq!(per_run, [3, 3, 3, 2]);
    assert_eq!(r.discoverable().len(), 9);
}

#[test]
fn eureka_time_consuming_registry_test() {
    // TimeConsumingInstanceRegistryTest.testLeaseExpirationAndUpdateRenewalThreshold:
    // openForTraffic(1), 50 instances registered at t = 0 with a 30 s lease, 45 of them renew
    // at 15, 45, 75 and 105 s; the expected renewal interval is 30 s.
    let mut r = eureka(30.0, 30.0, 0.85);
    r.open_for_traffic(1);
    for id in 0..50 {
        r.register(id, 0);
    }
    assert_eq!(r.expected_clients(), 51);
    assert_eq!(r.renews_per_min_threshold(), 86, "(int)(51 × 2 × 0.85)");
    let mut rng = SimRng::seed(3);
    let renew = |r: &mut Registry, t: u64| {
        for id in 0..45 {
            r.heartbeat(id, t * S, true);
        }
    };
    renew(&mut r, 15);
    // t = 40: nothing measured yet (renewsLastMin = 0): expiration disabled, 50 instances.
    let s = r.sweep(40 * S, &mut rng);
    assert!(s.preserved && s.expired.len() == 5);
    assert_eq!(r.discoverable().len(), 50);
    renew(&mut r, 45);
    r.rotate_renewals(); // t = 60
    assert_eq!(r.renews_last_min(), 90);
    assert!(r.lease_expiration_enabled(), "90 > 86");
    let s = r.sweep(60 * S, &mut rng);
    assert_eq!(
        s.evicted.len(),
        5,
        "the five that never renewed, under the cap of 8"
    );
    assert!(s.evicted.iter().all(|&id| id >= 45));
    renew(&mut r, 75);
    // t = 80: 45 instances, expiration still enabled.
    assert_eq!(r.discoverable().len(), 45);
    assert!(r.lease_expiration_enabled());
    assert_eq!(
        r.expected_clients(),
        46,
        "each eviction cancels one expected client"
    );
}

#[test]
fn eureka_self_preservation_is_strict_and_reads_the_last_minute() {
    // 20 clients renewing every 30 s: threshold (int)(20 × 2 × 0.85) = 34. With 3 of them dead
    // the last minute counts 17 × 2 = 34, not above 34: no eviction (fleetlab's instant rule
    // would have evicted them). With 2 dead: 36 > 34, they go.
    for (dead, evicts) in [(3u32, false), (2, true)] {
        let mut r = eureka(30.0, 90.0, 0.85);
        for id in 0..20 {
            r.register(id, 0);
        }
        r.open_for_traffic(20);
        let mut rng = SimRng::seed(5);
        let mut t = 0;
        for minute in 1..=5u64 {
            for half in [30, 60] {
                t = (minute - 1) * 60 + half;
                for id in dead..20 {
                    r.heartbeat(id, t * S, true);
                }
            }
            r.rotate_renewals();
            r.sweep(minute * 60 * S, &mut rng);
        }
        assert_eq!(t, 300);
        assert_eq!(r.renews_last_min(), u64::from(20 - dead) * 2);
        let gone = 20 - r.discoverable().len() as u32;
        assert_eq!(gone == dead, evicts, "{dead} dead: {gone} evicted");
        assert_eq!(r.self_preserving(300 * S), !evicts);
    }
}

#[test]
fn eureka_server_opened_with_no_clients_never_evicts_until_the_threshold_update() {
    // register() raises the expected count only while it is above 0: a server that opened with
    // 0 keeps threshold 0, and isLeaseExpirationEnabled needs threshold > 0.
    let mut r = eureka(30.0, 90.0, 0.85);
    for id in 0..10 {
        r.register(id, 0);
    }
    assert_eq!(r.expected_clients(), 0);
    r.rotate_renewals();
    assert!(r.sweep(1000 * S, &mut SimRng::seed(1)).preserved);
    // The 15-minute update adopts the registry's count (10 > 0.85 × 0).
    r.update_renewal_threshold();
    assert_eq!(r.expected_clients(), 10);
    assert_eq!(r.renews_per_min_threshold(), 17);
}

//! Envoy's `test/common/upstream/outlier_detection_impl_test.cc` cases, ported with their
//! expected values (times in ms as there). Results are reported the way the router reports
//! them with `split_external_local_origin_errors: false`: every failure kind as a 5xx.

use super::*;

const MS: u64 = 1_000_000;

fn config(base_s: f64, max_pct: u32) -> OutlierConfig {
    OutlierConfig {
        base_ejection_s: base_s,
        max_ejection_pct: max_pct,
        ..OutlierConfig::default()
    }
}

/// `n` failures at `id`; the outcome of the last.
fn fail(d: &mut OutlierDetector, id: u32, n: u32, now_ms: u64, hosts: &[u32]) -> Outcome {
    let mut last = Outcome::Counted;
    for _ in 0..n {
        last = d.put_failure(id, now_ms * MS, hosts);
    }
    last
}

fn tick(d: &mut OutlierDetector, now_ms: u64, hosts: &[u32]) -> Vec<u32> {
    d.on_interval(now_ms * MS, hosts)
}

#[test]
fn basic_flow_5xx() {
    // BasicFlow5xxViaHttpCodes (runtime max_ejection_percent 100, two hosts).
    let hosts = [0, 1];
    let mut d = OutlierDetector::new(&config(30.0, 100));
    fail(&mut d, 0, 1, 0, &hosts);
    d.put_success(0);
    assert_eq!(
        fail(&mut d, 0, 4, 0, &hosts),
        Outcome::Counted,
        "a 200 reset the run"
    );
    assert_eq!(
        fail(&mut d, 0, 1, 0, &hosts),
        Outcome::Ejected {
            duration_ns: 30_000 * MS
        }
    );
    assert!(tick(&mut d, 9_999, &hosts).is_empty());
    assert!(d.is_ejected(0));
    assert_eq!(d.monitor(0).last_unejection_ns, None);
    assert_eq!(tick(&mut d, 30_001, &hosts), [0]);
    assert!(!d.is_ejected(0));
    fail(&mut d, 0, 4, 30_001, &hosts);
    assert!(matches!(
        fail(&mut d, 0, 1, 40_000, &hosts),
        Outcome::Ejected { .. }
    ));
    assert_eq!(d.monitor(0).ejections, 2);
}

#[test]
fn eject_time_backoff_grows_and_decays() {
    // EjectTimeBackoff: base 10 s, interval 10 s, one host, max % 100.
    let h = [0];
    let mut d = OutlierDetector::new(&config(10.0, 100));
    let ejected_for = |o: Outcome| match o {
        Outcome::Ejected { duration_ns } => duration_ns / MS,
        other => panic!("not ejected: {other:?}"),
    };
    assert_eq!(ejected_for(fail(&mut d, 0, 5, 0, &h)), 10_000);
    assert_eq!(tick(&mut d, 10_000, &h), [0]);
    assert_eq!(ejected_for(fail(&mut d, 0, 5, 10_000, &h)), 20_000);
    assert!(tick(&mut d, 20_000, &h).is_empty());
    assert_eq!(tick(&mut d, 30_000, &h), [0]);
    assert_eq!(ejected_for(fail(&mut d, 0, 5, 30_000, &h)), 30_000);
    assert!(tick(&mut d, 40_000, &h).is_empty());
    assert!(tick(&mut d, 50_000, &h).is_empty());
    assert_eq!(tick(&mut d, 60_000, &h), [0]);
    assert_eq!(
        d.monitor(0).backoff,
        3,
        "no decay on the tick that un-ejects"
    );
    tick(&mut d, 70_000, &h);
    assert_eq!(d.monitor(0).backoff, 2);
    tick(&mut d, 80_000, &h);
    assert_eq!(d.monitor(0).backoff, 1);
    assert_eq!(ejected_for(fail(&mut d, 0, 5, 80_000, &h)), 20_000);
    assert!(tick(&mut d, 90_000, &h).is_empty());
    assert_eq!(tick(&mut d, 100_000, &h), [0]);
    for t in (110_000..=600_000).step_by(10_000) {
        tick(&mut d, t, &h);
    }
    assert_eq!(d.monitor(0).backoff, 0);
    assert_eq!(ejected_for(fail(&mut d, 0, 5, 610_000, &h)), 10_000);
    assert_eq!(tick(&mut d, 620_000, &h), [0]);
}

/// Ejects at `t`, then counts the ticks until the host is back.
fn ticks_ejected(d: &mut OutlierDetector, t: &mut u64) -> u32 {
    let h = [0];
    assert!(matches!(fail(d, 0, 5, *t, &h), Outcome::Ejected { .. }));
    let mut ticks = 0;
    loop {
        *t += 10_000;
        ticks += 1;
        if !tick(d, *t, &h).is_empty() {
            return ticks;
        }
    }
}

#[test]
fn max_eject_time_caps_the_back_off() {
    // MaxEjectTime: base 10 s, max 300 s. The i-th ejection lasts i ticks up to 30, then 30.
    let mut d = OutlierDetector::new(&OutlierConfig {
        max_ejection_time_s: Some(300.0),
        ..config(10.0, 100)
    });
    let mut t = 0;
    for i in 1..=30 {
        assert_eq!(ticks_ejected(&mut d, &mut t), i);
    }
    for _ in 0..9 {
        assert_eq!(ticks_ejected(&mut d, &mut t), 30);
    }
}

#[test]
fn max_eject_time_not_aligned_with_the_interval() {
    // MaxEjectTimeNotAlligned: max 305 s is reached only on the 31st tick (310 s ≥ 305 s).
    let mut d = OutlierDetector::new(&OutlierConfig {
        max_ejection_time_s: Some(305.0),
        ..config(10.0, 100)
    });
    let mut t = 0;
    for i in 1..=31 {
        assert_eq!(ticks_ejected(&mut d, &mut t), i);
    }
    for _ in 0..9 {
        assert_eq!(ticks_ejected(&mut d, &mut t), 31);
    }
}

#[test]
fn max_ejection_percentage() {
    // MaxEjectionPercentage: 50 % of 3 hosts: the second ejection would be 66.7 %.
    let hosts = [0, 1, 2];
    let mut d = OutlierDetector::new(&config(30.0, 50));
    assert!(matches!(
        fail(&mut d, 0, 5, 0, &hosts),
        Outcome::Ejected { .. }
    ));
    assert_eq!(fail(&mut d, 1, 5, 0, &hosts), Outcome::Overflow);
    assert_eq!(fail(&mut d, 2, 5, 0, &hosts), Outcome::Overflow);
    // MaxEjectionPercentageSingleHost: 90 % of one host: 100 % > 90 %, nothing is ejected.
    let mut one = OutlierDetector::new(&config(30.0, 90));
    assert_eq!(fail(&mut one, 0, 5, 0, &[0]), Outcome::Overflow);
    // Overflow: 60 % of two hosts: 50 % then 100 %.
    let mut two = OutlierDetector::new(&config(30.0, 60));
    assert!(matches!(
        fail(&mut two, 0, 5, 0, &[0, 1]),
        Outcome::Ejected { .. }
    ));
    assert_eq!(fail(&mut two, 1, 5, 0, &[0, 1]), Outcome::Overflow);
}

#[test]
fn the_default_ten_percent_ejects_nothing_below_ten_hosts() {
    // With the defaults, 100 × 1 / 9 = 11.1 % > 10 %; at 10 hosts one may go (10 % ≤ 10 %).
    let nine: Vec<u32> = (0..9).collect();
    let mut d = OutlierDetector::new(&OutlierConfig::default());
    assert_eq!(fail(&mut d, 0, 5, 0, &nine), Outcome::Overflow);
    let ten: Vec<u32> = (0..10).collect();
    let mut d = OutlierDetector::new(&OutlierConfig::default());
    assert!(matches!(
        fail(&mut d, 0, 5, 0, &ten),
        Outcome::Ejected { .. }
    ));
    assert_eq!(fail(&mut d, 1, 5, 0, &ten), Outcome::Overflow);
}

#[test]
fn always_eject_one_host() {
    // ejectHost with always_eject_one_host: the first ejection is allowed whatever the percent.
    let hosts = [0, 1];
    let mut d = OutlierDetector::new(&OutlierConfig {
        always_eject_one_host: true,
        ..OutlierConfig::default()
    });
    assert!(matches!(
        fail(&mut d, 0, 5, 0, &hosts),
        Outcome::Ejected { .. }
    ));
    assert_eq!(fail(&mut d, 1, 5, 0, &hosts), Outcome::Overflow);
    let mut off = OutlierDetector::new(&OutlierConfig::default());
    assert_eq!(fail(&mut off, 0, 5, 0, &hosts), Outcome::Overflow);
    assert_eq!(fail(&mut off, 1, 5, 0, &hosts), Outcome::Overflow);
}

#[test]
fn a_notification_while_ejected_is_ignored() {
    // Consecutive_5xxAlreadyEjected: one ejection in all.
    let mut d = OutlierDetector::new(&config(30.0, 100));
    assert!(matches!(
        fail(&mut d, 0, 5, 0, &[0]),
        Outcome::Ejected { .. }
    ));
    d.put_success(0);
    assert_eq!(fail(&mut d, 0, 5, 0, &[0]), Outcome::AlreadyEjected);
    assert_eq!(d.monitor(0).ejections, 1);
    // ExternalOriginEventsNonSplit: alternating failures and successes never eject.
    let mut alt = OutlierDetector::new(&config(30.0, 60));
    for _ in 0..100 {
        assert_eq!(alt.put_failure(0, 0, &[0, 1]), Outcome::Counted);
        alt.put_success(0);
    }
    assert!(matches!(
        fail(&mut alt, 0, 5, 0, &[0, 1]),
        Outcome::Ejected { .. }
    ));
}

#[test]
fn a_passing_health_check_unejects_at_once() {
    // BasicFlow5xxViaHttpCodesWithActiveHCUnejectHost.
    let mut d = OutlierDetector::new(&config(30.0, 100));
    fail(&mut d, 0, 5, 0, &[0, 1]);
    assert!(tick(&mut d, 9_999, &[0, 1]).is_empty());
    assert!(d.uneject(0, 9_999 * MS));
    assert!(!d.is_ejected(0));
    assert!(!d.uneject(0, 10_000 * MS), "not ejected any more");
}

#[test]
fn default_max_ejection_time() {
    // DetectorStaticConfigBaseLargerThanMaxNoMax: base 400 s without a max gives max 400 s.
    let c = OutlierConfig {
        base_ejection_s: 400.0,
        ..OutlierConfig::default()
    };
    assert_eq!(c.max_ejection_s(), 400.0);
    assert_eq!(OutlierConfig::default().max_ejection_s(), 300.0);
}

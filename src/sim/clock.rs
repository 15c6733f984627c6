//! Simulated time: integer nanoseconds in a `u64`, from 0 up to `END_OF_TIME_NS` (2^62 ns,
//! about 146 years). Every instant the engine computes as "now plus a delay" goes through
//! `later`, which answers `None` past the end of time instead of wrapping: an event that would
//! happen after it never happens (a request arriving at a rate of 1e-300 per second, an
//! ejection that outlasts the universe). The clock itself never passes the end, so a delay
//! bounded by the scenario's ranges (at most hours) added to it cannot overflow either.
//!
//! Seconds become nanoseconds by `to_ns`, which rounds as the rest of the engine does and
//! saturates at the end of time (NaN and negative durations are 0) rather than wrapping.

/// The last instant of simulated time. Far beyond any scenario (`duration_s` ≤ 10^6 s) and
/// any page left running, and far enough below `u64::MAX` that adding any delay the scenario
/// format allows to an instant before it stays exact.
pub const END_OF_TIME_NS: u64 = 1 << 62;

/// `s` seconds in nanoseconds, rounded; saturates at `END_OF_TIME_NS` (0 for NaN or s ≤ 0).
pub fn to_ns(s: f64) -> u64 {
    let ns = (s * 1e9).round();
    if ns >= END_OF_TIME_NS as f64 {
        END_OF_TIME_NS
    } else if ns > 0.0 {
        ns as u64
    } else {
        0
    }
}

/// The instant `delay_ns` after `now_ns`, or `None` when it falls past the end of time.
#[inline]
pub fn later(now_ns: u64, delay_ns: u64) -> Option<u64> {
    now_ns
        .checked_add(delay_ns)
        .filter(|&t| t <= END_OF_TIME_NS)
}

/// A delay of `gap_ns` nanoseconds (a float, as drawn) after `now_ns`, at least 1 ns so that
/// time moves on; `None` when it ends past the end of time or is not a number.
#[inline]
pub fn later_f(now_ns: u64, gap_ns: f64) -> Option<u64> {
    let room = END_OF_TIME_NS.checked_sub(now_ns)?;
    // NaN compares false: no instant.
    if gap_ns < room as f64 {
        later(now_ns, (gap_ns as u64).max(1))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_saturate_instead_of_wrapping() {
        assert_eq!(to_ns(1.5), 1_500_000_000);
        assert_eq!(to_ns(1e-9), 1);
        assert_eq!(to_ns(0.4e-9), 0);
        assert_eq!(to_ns(-3.0), 0);
        assert_eq!(to_ns(f64::NAN), 0);
        assert_eq!(to_ns(1e300), END_OF_TIME_NS);
        assert_eq!(to_ns(f64::INFINITY), END_OF_TIME_NS);
    }

    #[test]
    fn instants_past_the_end_of_time_do_not_exist() {
        assert_eq!(later(5, 7), Some(12));
        assert_eq!(later(END_OF_TIME_NS - 1, 1), Some(END_OF_TIME_NS));
        assert_eq!(later(END_OF_TIME_NS, 1), None);
        assert_eq!(later(1, u64::MAX), None);
        assert_eq!(later_f(10, 0.2), Some(11), "at least one nanosecond");
        assert_eq!(later_f(10, 5.7), Some(15));
        assert_eq!(later_f(10, 1e21), None);
        assert_eq!(later_f(10, f64::INFINITY), None);
        assert_eq!(later_f(10, f64::NAN), None);
        assert_eq!(later_f(END_OF_TIME_NS + 1, 1.0), None);
    }
}

//! The averages the KPA decides on: Knative's `TimedFloat64Buckets`
//! (knative/serving @98e5ef90, `pkg/autoscaler/aggregation/bucketing.go`: `Record`,
//! `WindowAverage`, `IsEmpty`, `roundToNDigits`), with the 1 s granularity the collector uses
//! (`config.BucketSize`). One bucket per second holds the sum of what was recorded in that
//! second (the revision's total concurrency or request count); the window average divides by
//! the number of *valid* seconds — those since the first write, and not a trailing gap since
//! the last write — not by the window length, and is rounded to 6 digits (half away from
//! zero, as Go's `math.Round`). A write more than a window after the last one starts afresh.
//!
//! Time is seconds since the start of the run; Go's zero `time.Time` (a write never made) is
//! `NEVER`. The tests are upstream's `bucketing_test.go` cases that do not resize the window.

/// Go's zero time: earlier than any write.
const NEVER: i64 = i64::MIN / 4;
/// `precision` in bucketing.go.
const PRECISION: i32 = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    buckets: Vec<f64>,
    window_s: i64,
    first_write: i64,
    last_write: i64,
    window_total: f64,
}

/// `roundToNDigits`: `math.Round(f × 10^n) / 10^n`.
pub fn round_to_n_digits(n: i32, f: f64) -> f64 {
    // 10^n by exact multiplications (the same in every target; powi may not be).
    let p = (0..n.clamp(0, 22)).fold(1.0f64, |p, _| p * 10.0);
    (f * p).round() / p
}

/// `now.Truncate(1s)` and `timeToIndex` at 1 s granularity (times here are never negative).
fn second(t_s: f64) -> i64 {
    if t_s.is_finite() {
        t_s.floor() as i64
    } else {
        NEVER
    }
}

impl Buckets {
    /// `NewTimedFloat64Buckets(window, 1s)`: ceil(window) buckets (at least one).
    pub fn new(window_s: f64) -> Buckets {
        let n = window_s.ceil().clamp(1.0, 1e6) as usize;
        Buckets {
            buckets: vec![0.0; n],
            window_s: n as i64,
            first_write: NEVER,
            last_write: NEVER,
            window_total: 0.0,
        }
    }

    fn slot(&self, i: i64) -> usize {
        i.rem_euclid(self.buckets.len() as i64) as usize
    }

    /// `Record`: adds `value` to the bucket of `now_s`; writes a window or more older than the
    /// last one are ignored; a gap since the last write is zeroed.
    pub fn record(&mut self, now_s: f64, value: f64) {
        let bucket_time = second(now_s);
        if bucket_time == NEVER {
            return;
        }
        let write_idx = bucket_time;
        if self.last_write != bucket_time {
            if bucket_time + self.window_s > self.last_write {
                if self.first_write == NEVER || self.first_write > bucket_time {
                    self.first_write = bucket_time;
                }
                if bucket_time > self.last_write {
                    if bucket_time - self.last_write >= self.window_s {
                        // No writes for a whole window: start afresh.
                        self.first_write = bucket_time;
                        self.buckets.iter_mut().for_each(|b| *b = 0.0);
                        self.window_total = 0.0;
                    } else {
                        for i in self.last_write + 1..=write_idx {
                            let idx = self.slot(i);
                            self.window_total -= self.buckets[idx];
                            self.buckets[idx] = 0.0;
                        }
                    }
                    self.last_write = bucket_time;
                }
                // Otherwise a late write within the window: simply added below.
            } else {
                return;
            }
        }
        let idx = self.slot(write_idx);
        self.buckets[idx] += value;
        self.window_total += value;
    }

    /// `IsEmpty`: nothing recorded for more than a window.
    pub fn is_empty(&self, now_s: f64) -> bool {
        second(now_s).saturating_sub(self.last_write) > self.window_s
    }

    /// `WindowAverage` (the linear one, Knative's default `metric-aggregation-algorithm`).
    pub fn window_average(&self, now_s: f64) -> f64 {
        if !now_s.is_finite() {
            return 0.0;
        }
        let now = second(now_s);
        let d = now.saturating_sub(self.last_write);
        let nb = self.buckets.len() as i64;
        if d <= 0 {
            let num_b = ((self.last_write - self.first_write) + 1).min(nb);
            round_to_n_digits(PRECISION, self.window_total / num_b as f64)
        } else if d < self.window_s {
            let mut ret = self.window_total;
            for i in self.last_write + 1..=now {
                ret -= self.buckets[self.slot(i)];
            }
            let num_b =
                ((self.last_write - self.first_write) + 1).min(nb - (now - self.last_write));
            round_to_n_digits(PRECISION, ret / num_b as f64)
        } else {
            0.0
        }
    }

    /// Sum of the buckets upstream's test helper `forEachBucket` visits: the
    /// `len − (now − lastWrite)` buckets ending at the last write.
    #[cfg(test)]
    fn sum(&self, now_s: f64) -> f64 {
        let now = second(now_s);
        let n = self.buckets.len() as i64 - (now - self.last_write);
        (0..n.max(0))
            .map(|k| self.buckets[self.slot(self.last_write - k)])
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Upstream uses time.Now(); any whole-second start gives the same results.
    const T0: f64 = 1000.0;

    #[test]
    fn window_average() {
        // TestTimedFloat64BucketsWindowAverage.
        let mut b = Buckets::new(5.0);
        b.record(T0, 1.0);
        assert_eq!(b.window_average(T0), 1.0); // firstWrite: without it 0.2
        for i in 1..5 {
            b.record(T0 + f64::from(i), f64::from(i + 1));
        }
        assert_eq!(b.window_average(T0 + 4.0), 15.0 / 5.0);
        assert_eq!(b.window_average(T0 + 3.6), 15.0 / 5.0); // now lags behind
        assert_eq!(b.window_average(T0 + 6.0), (15.0 - 1.0 - 2.0) / (5.0 - 2.0)); // short hole
        assert_eq!(b.window_average(T0 + 10.0), 0.0); // long hole
        b.record(T0 + 6.0, 91.0);
        assert_eq!(b.window_average(T0 + 6.0), (15.0 - 1.0 - 2.0 + 91.0) / 5.0);
        let now = T0 + 60.0;
        b.record(now, 1984.0);
        assert_eq!(b.window_average(now), 1984.0);
        b.record(now - 3.0, 4.0);
        assert_eq!(b.window_average(now), (4.0 + 1984.0) / 4.0);
        let now = now + 1.0;
        b.record(now, 5.0);
        assert_eq!(b.window_average(now), (4.0 + 1984.0 + 5.0) / 5.0);
        b.record(now - 3.0, 10.0);
        assert_eq!(b.window_average(now), (4.0 + 10.0 + 1984.0 + 5.0) / 5.0);
        b.record(now - 6.0, 10.0); // too early: ignored
        assert_eq!(b.window_average(now), (4.0 + 10.0 + 1984.0 + 5.0) / 5.0);
        b.record(now - 5.0, 10.0); // on the bound: ignored
        assert_eq!(b.window_average(now), (4.0 + 10.0 + 1984.0 + 5.0) / 5.0);
        b.record(now + 5.0, 10.0); // exactly a window without data: cleared
        assert_eq!(b.window_average(now + 5.0), 10.0);
    }

    #[test]
    fn descending_record() {
        // TestDescendingRecord.
        let mut b = Buckets::new(5.0);
        for i in (0..=8).rev() {
            b.record(T0 + f64::from(i), 5.0);
        }
        assert_eq!(b.window_average(T0 + 5.0), 5.0);
    }

    #[test]
    fn holes() {
        // TestTimedFloat64BucketsHoles.
        let mut b = Buckets::new(5.0);
        for i in 0..5 {
            b.record(T0 + f64::from(i), f64::from(i + 1));
        }
        assert_eq!(b.sum(T0 + 4.0), 15.0);
        assert_eq!(b.window_average(T0 + 4.0), 3.0);
        // Seconds 5, 6, 7 become 0; [3] = 4 … upstream: "[3] = 2, [4] = 5", sum 7.
        b.record(T0 + 8.0, 2.0);
        assert_eq!(b.sum(T0 + 8.0), 7.0);
    }

    #[test]
    fn many_reps() {
        // TestTimedFloat64BucketsManyReps: five writes per second for five seconds.
        let mut b = Buckets::new(60.0);
        let mut t = T0;
        for p in 0..5 {
            t += 1.0;
            for k in 0..5 {
                b.record(t, f64::from(p + k));
            }
        }
        assert_eq!(b.sum(t), 100.0);
        // …WithNonMonotonicalOrder: the same sums written out of order.
        let mut b = Buckets::new(60.0);
        let d = [0, 3, 2, 1, 4];
        let mut end = T0;
        for p in 0..5 {
            end = T0 + f64::from(d[p as usize]);
            for k in 0..5 {
                b.record(end, f64::from(p + k));
            }
        }
        assert_eq!(b.sum(end), 100.0);
    }

    #[test]
    fn simple_same_second_sums() {
        // TestTimedFloat64BucketsSimple, granularity 1 s: two writes in one second add up.
        let mut b = Buckets::new(120.0);
        assert!(b.is_empty(T0));
        b.record(T0, 1.0);
        b.record(T0 + 0.1, 10.0);
        b.record(T0 + 1.0, 1.0);
        b.record(T0 + 3.0, 1.0);
        assert_eq!(b.buckets[b.slot(T0 as i64)], 11.0);
        assert_eq!(b.buckets[b.slot(T0 as i64 + 1)], 1.0);
        assert_eq!(b.buckets[b.slot(T0 as i64 + 3)], 1.0);
        assert_eq!(b.sum(T0 + 60.0), 13.0);
        assert!(!b.is_empty(T0 + 60.0));
    }

    #[test]
    fn round_to_n_digits_cases() {
        // TestRoundToNDigits.
        assert_eq!(round_to_n_digits(6, 3.6e-17), 0.0);
        assert_eq!(round_to_n_digits(3, -3.6e-17), 0.0);
        assert_eq!(round_to_n_digits(3, 0.0004), 0.0);
        assert_eq!(round_to_n_digits(3, 1.2345), 1.235);
        assert_eq!(round_to_n_digits(4, 1.2345), 1.2345);
        assert_eq!(round_to_n_digits(6, 12345.0), 12345.0);
    }

    #[test]
    fn empty_until_written_and_after_a_window() {
        let mut b = Buckets::new(6.0);
        assert!(b.is_empty(0.0));
        assert_eq!(b.window_average(0.0), 0.0);
        b.record(10.0, 3.0);
        assert!(!b.is_empty(16.0));
        assert!(b.is_empty(17.0));
        assert_eq!(b.window_average(f64::NAN), 0.0);
    }
}

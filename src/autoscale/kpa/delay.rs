//! The scale-down delay: the maximum of the recent desired pod counts, so a scale-down waits
//! until the lower count has held for the whole delay. A port of Knative's
//! `pkg/autoscaler/aggregation/max/window.go` (`window.Record`, `Current`: the "ascending
//! minima" sliding maximum) and `max/timewindow.go` (`NewTimeWindow`, `Record`: the slot of a
//! time is `unix seconds / granularity`, integer division), knative/serving @98e5ef90. The KPA
//! uses it with the decider's 2 s tick as granularity, so the delay covers `ceil(delay / 2 s)`
//! slots. The tests are upstream's `window_test.go` and `timewindow_test.go`.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq)]
pub struct MaxWindow {
    /// (slot index, value), values descending from front to back.
    maxima: VecDeque<(i64, i32)>,
    size: i64,
    granularity_s: i64,
}

impl MaxWindow {
    /// `NewTimeWindow(duration, granularity)`: `ceil(duration / granularity)` slots.
    pub fn new(duration_s: f64, granularity_s: u32) -> MaxWindow {
        let g = i64::from(granularity_s.max(1));
        let size = (duration_s / g as f64).ceil().clamp(1.0, 1e7) as i64;
        MaxWindow {
            maxima: VecDeque::new(),
            size,
            granularity_s: g,
        }
    }

    /// `TimeWindow.Record`: the slot is `now.Unix() / granularity` (Go: floor to seconds, then
    /// integer division truncating toward zero).
    pub fn record(&mut self, now_s: f64, value: i32) {
        let unix = if now_s.is_finite() {
            now_s.floor() as i64
        } else {
            0
        };
        self.record_index(unix / self.granularity_s, value);
    }

    /// `window.Record` for a monotonically increasing index.
    pub fn record_index(&mut self, index: i64, value: i32) {
        let mut v = value;
        // Step one: drop every entry not larger than v (it can never be the maximum again).
        while let Some(&(_, last)) = self.maxima.back() {
            if v < last {
                break;
            }
            self.maxima.pop_back();
        }
        // Step two: drop entries that left the window.
        while let Some(&(first, _)) = self.maxima.front() {
            if index - first >= self.size {
                self.maxima.pop_front();
            } else {
                break;
            }
        }
        // Step 2b: the same index twice keeps the larger value.
        if let Some(&(last_index, last)) = self.maxima.back() {
            if last_index == index {
                v = v.max(last);
                self.maxima.pop_back();
            }
        }
        self.maxima.push_back((index, v));
    }

    /// `Current`: the maximum over the window.
    pub fn current(&self) -> i32 {
        self.maxima.front().map_or(0, |&(_, v)| v)
    }

    /// The window's length in seconds (slots × granularity).
    pub fn span_s(&self) -> i64 {
        self.size * self.granularity_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(size: i64, values: &[i32], indexes: Option<&[i64]>) -> Vec<i32> {
        let mut w = MaxWindow {
            maxima: VecDeque::new(),
            size,
            granularity_s: 1,
        };
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                w.record_index(indexes.map_or(i as i64, |x| x[i]), v);
                w.current()
            })
            .collect()
    }

    #[test]
    fn window_max() {
        // TestWindowMax (window size 5).
        let cases: &[(&[i32], &[i32])] = &[
            (&[1], &[1]),
            (&[1, 2], &[1, 2]),
            (&[2, 1], &[2, 2]),
            (&[1, 2, 1], &[1, 2, 2]),
            (&[5, 6, 5, 5, 5, 5, 5], &[5, 6, 6, 6, 6, 6, 5]),
            (&[5, 6, 5, 7, 5, 5, 1], &[5, 6, 6, 7, 7, 7, 7]),
            (&[5, 8, 5, 7, 5, 5], &[5, 8, 8, 8, 8, 8]),
            (&[5, 8, 5, 7, 5, 5, 1], &[5, 8, 8, 8, 8, 8, 7]),
            (
                &[5, 8, 5, 7, 5, 5, 1, 4, 4, 4],
                &[5, 8, 8, 8, 8, 8, 7, 7, 5, 5],
            ),
            (
                &[5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4],
                &[5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4],
            ),
            (
                &[5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4, 9],
                &[5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4, 9],
            ),
            (
                &[5, 8, 5, 7, 5, 5, 1, 4, 4, 4, 4, 9, 3, 4, 2, 1, 0],
                &[5, 8, 8, 8, 8, 8, 7, 7, 5, 5, 4, 9, 9, 9, 9, 9, 4],
            ),
        ];
        for (values, want) in cases {
            assert_eq!(run(5, values, None), *want, "{values:?}");
        }
        // Indexes i < 3 ? i : i + 3.
        assert_eq!(run(5, &[6, 5, 2, 1], Some(&[0, 1, 2, 6])), [6, 6, 6, 2]);
        // Every value at index 1.
        assert_eq!(
            run(5, &[1, 2, 3, 4, 5, 6, 7], Some(&[1; 7])),
            [1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(run(5, &[7, 6, 5, 4, 3, 2, 1], Some(&[1; 7])), [7; 7]);
    }

    #[test]
    fn timed_window_max() {
        // TestTimedWindowMax: 5 s window, 1 s granularity.
        let now = 1000.0;
        let check = |records: &[(f64, i32)], want: i32| {
            let mut w = MaxWindow::new(5.0, 1);
            for &(t, v) in records {
                w.record(t, v);
            }
            assert_eq!(w.current(), want, "{records:?}");
        };
        check(&[(now, 5)], 5);
        check(&[(now, 6), (now + 0.5, 5)], 6);
        check(&[(now, 5), (now + 1.0, 8)], 8);
        check(&[(now, 5), (now + 6.0, 4)], 4);
    }
}

//! What the simulation measures: request counters, a latency histogram (HdrHistogram, 3
//! significant digits, so every percentile is within 0.1 % of the exact order statistic), the
//! exact mean and maximum, and a bounded time series sampled once per simulated second for the
//! page's charts and the CLI's `--timeline` CSV.

use std::collections::VecDeque;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latency of completed requests, in nanoseconds of simulated time.
#[derive(Clone)]
pub struct LatencyRecorder {
    histogram: Histogram<u64>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl LatencyRecorder {
    pub fn new(significant_digits: u8) -> Self {
        LatencyRecorder {
            // Auto-resizing: memory follows the largest latency actually seen.
            histogram: Histogram::new(significant_digits)
                .expect("1..=5 significant digits is valid"),
            count: 0,
            sum_ns: 0,
            max_ns: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, latency_ns: u64) {
        // Auto-resizing makes recording infallible up to u64::MAX / 2; saturate beyond.
        if self.histogram.record(latency_ns).is_err() {
            self.histogram.saturating_record(latency_ns);
        }
        self.count += 1;
        self.sum_ns += u128::from(latency_ns);
        self.max_ns = self.max_ns.max(latency_ns);
    }

    /// Memory held by the histogram's counts (it grows with the largest latency seen).
    pub fn heap_bytes(&self) -> usize {
        self.histogram.distinct_values() * std::mem::size_of::<u64>()
    }

    /// Sum of the recorded latencies, ns.
    pub fn sum_ns(&self) -> u128 {
        self.sum_ns
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean_s(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.sum_ns as f64 / self.count as f64) / 1e9
        }
    }

    /// Quantile q in [0, 1], in seconds (0 when nothing was recorded).
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.histogram.value_at_quantile(q) as f64 / 1e9
        }
    }

    pub fn max_s(&self) -> f64 {
        self.max_ns as f64 / 1e9
    }

    pub fn reset(&mut self) {
        self.histogram.reset();
        self.count = 0;
        self.sum_ns = 0;
        self.max_ns = 0;
    }

    pub fn stats(&self) -> LatencyStats {
        LatencyStats {
            mean: self.mean_s(),
            p50: self.quantile_s(0.50),
            p95: self.quantile_s(0.95),
            p99: self.quantile_s(0.99),
            max: self.max_s(),
        }
    }
}

/// Request outcomes. At every instant: arrived = completed + dropped + failed + in_flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Requests {
    pub arrived: u64,
    pub completed: u64,
    /// Turned away by a full queue.
    pub dropped: u64,
    /// Lost: no instance to send to, sent to a dead or departed instance, lost in a crash, or
    /// not answered within `balancer.timeout_s`.
    pub failed: u64,
    /// The part of `failed` that timed out.
    pub timed_out: u64,
    /// Requests a client still waits for (queued, in service, or waiting to be retried).
    pub in_flight: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyStats {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// One sample of the time series: what happened during the simulated second ending at `t_s`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    pub t_s: f64,
    /// Configured arrival rate L at the end of the second.
    pub offered_rps: f64,
    /// Arrivals during the second.
    pub arrived_rps: f64,
    /// Completions during the second.
    pub throughput_rps: f64,
    pub dropped: u64,
    pub failed: u64,
    /// Instances taking traffic (ready) at the end of the second.
    pub ready: u32,
    /// Instances the fleet wants (ready + starting), i.e. the autoscaler's last desired count.
    pub desired: u32,
    /// Latency of requests completed during the second (0 when none).
    pub mean_s: f64,
    pub p50_s: f64,
    pub p99_s: f64,
    /// Mean busy fraction of ready instances during the second.
    pub utilization: f64,
    /// Requests in the system at the end of the second.
    pub in_flight: u64,
    /// Model servers only.
    pub llm: Option<LlmSample>,
}

/// The model-serving part of a one-second sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LlmSample {
    /// TTFT and TPOT of the requests that got their first / last token during the second.
    pub ttft_p50_s: f64,
    pub ttft_p99_s: f64,
    pub tpot_p50_s: f64,
    pub tpot_p99_s: f64,
    /// Output tokens generated during the second (the fleet).
    pub output_tokens_per_s: f64,
    /// KV use of ready replicas at the end of the second: mean and largest.
    pub kv_use_mean: f64,
    pub kv_use_max: f64,
    /// Mean batch (running sequences) of ready replicas, and all their waiting requests.
    pub batch_mean: f64,
    pub waiting: u64,
    /// The saturation detector's pool value (mean over ready replicas; 1 with none).
    pub saturation: f64,
}

/// The samples as one list per field (what charting libraries take).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Columns {
    pub t_s: Vec<f64>,
    pub offered_rps: Vec<f64>,
    pub arrived_rps: Vec<f64>,
    pub throughput_rps: Vec<f64>,
    pub dropped: Vec<f64>,
    pub failed: Vec<f64>,
    pub ready: Vec<f64>,
    pub desired: Vec<f64>,
    pub mean_s: Vec<f64>,
    pub p50_s: Vec<f64>,
    pub p99_s: Vec<f64>,
    pub utilization: Vec<f64>,
    pub in_flight: Vec<f64>,
    /// Model servers only (absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ttft_p50_s: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ttft_p99_s: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tpot_p50_s: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tpot_p99_s: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_tokens_per_s: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kv_use_mean: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kv_use_max: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub batch_mean: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub saturation: Vec<f64>,
}

/// A ring of the most recent samples: memory stays bounded however long the run.
#[derive(Debug, Clone)]
pub struct Timeline {
    samples: VecDeque<Sample>,
    capacity: usize,
    /// Samples pushed since the start, including those the ring has forgotten.
    total: u64,
}

impl Timeline {
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Timeline {
            samples: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            total: 0,
        }
    }

    pub fn push(&mut self, sample: Sample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        self.total += 1;
    }

    pub fn samples(&self) -> impl ExactSizeIterator<Item = &Sample> + '_ {
        self.samples.iter()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The kept samples as columns, for charts.
    pub fn columns(&self) -> Columns {
        let mut c = Columns::default();
        for s in &self.samples {
            c.t_s.push(s.t_s);
            c.offered_rps.push(s.offered_rps);
            c.arrived_rps.push(s.arrived_rps);
            c.throughput_rps.push(s.throughput_rps);
            c.dropped.push(s.dropped as f64);
            c.failed.push(s.failed as f64);
            c.ready.push(f64::from(s.ready));
            c.desired.push(f64::from(s.desired));
            c.mean_s.push(s.mean_s);
            c.p50_s.push(s.p50_s);
            c.p99_s.push(s.p99_s);
            c.utilization.push(s.utilization);
            c.in_flight.push(s.in_flight as f64);
            if let Some(l) = s.llm {
                c.ttft_p50_s.push(l.ttft_p50_s);
                c.ttft_p99_s.push(l.ttft_p99_s);
                c.tpot_p50_s.push(l.tpot_p50_s);
                c.tpot_p99_s.push(l.tpot_p99_s);
                c.output_tokens_per_s.push(l.output_tokens_per_s);
                c.kv_use_mean.push(l.kv_use_mean);
                c.kv_use_max.push(l.kv_use_max);
                c.batch_mean.push(l.batch_mean);
                c.waiting.push(l.waiting as f64);
                c.saturation.push(l.saturation);
            }
        }
        c
    }

    pub const CSV_HEADER: &'static str =
        "t_s,offered_rps,arrived_rps,throughput_rps,dropped,failed,ready,desired,mean_s,p50_s,p99_s,utilization,in_flight";

    /// Columns added for model servers.
    pub const CSV_LLM_HEADER: &'static str = ",ttft_p50_s,ttft_p99_s,tpot_p50_s,tpot_p99_s,output_tokens_per_s,kv_use_mean,kv_use_max,batch_mean,waiting,saturation";

    pub fn to_csv(&self) -> String {
        let llm = self.samples.iter().any(|s| s.llm.is_some());
        let mut out = String::with_capacity(64 * (self.samples.len() + 1));
        out.push_str(Self::CSV_HEADER);
        if llm {
            out.push_str(Self::CSV_LLM_HEADER);
        }
        out.push('\n');
        for s in &self.samples {
            out.push_str(&s.csv_row());
        }
        out
    }
}

impl Sample {
    /// One line of the timeline CSV (`Timeline::CSV_HEADER`'s columns), with its newline.
    pub fn csv_row(&self) -> String {
        let s = self;
        let mut row = format!(
            "{},{},{},{},{},{},{},{},{:.9},{:.9},{:.9},{:.6},{}\n",
            s.t_s,
            s.offered_rps,
            s.arrived_rps,
            s.throughput_rps,
            s.dropped,
            s.failed,
            s.ready,
            s.desired,
            s.mean_s,
            s.p50_s,
            s.p99_s,
            s.utilization,
            s.in_flight
        );
        if let Some(l) = s.llm {
            // The serving columns (`Timeline::CSV_LLM_HEADER`), before the newline.
            row.pop();
            row.push_str(&format!(
                ",{:.9},{:.9},{:.9},{:.9},{},{:.6},{:.6},{:.3},{},{:.6}\n",
                l.ttft_p50_s,
                l.ttft_p99_s,
                l.tpot_p50_s,
                l.tpot_p99_s,
                l.output_tokens_per_s,
                l.kv_use_mean,
                l.kv_use_max,
                l.batch_mean,
                l.waiting,
                l.saturation
            ));
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_the_histogram_precision() {
        let mut r = LatencyRecorder::new(3);
        for v in 1..=100_000u64 {
            r.record(v * 1000);
        }
        let p99 = r.quantile_s(0.99);
        assert!((p99 - 0.099).abs() / 0.099 < 1e-3, "{p99}");
        assert!((r.mean_s() - 0.0500005).abs() < 1e-9);
        assert_eq!(r.max_s(), 0.1);
    }

    #[test]
    fn timeline_forgets_the_oldest() {
        let mut t = Timeline::with_capacity(3);
        for i in 0..5 {
            t.push(Sample {
                t_s: f64::from(i),
                ..Sample::default()
            });
        }
        let ts: Vec<f64> = t.samples().map(|s| s.t_s).collect();
        assert_eq!(ts, vec![2.0, 3.0, 4.0]);
        assert_eq!(t.total(), 5);
        assert_eq!(t.to_csv().lines().count(), 4);
    }
}

//! The traffic: an arrival process at rate L (Poisson, i.e. exponential gaps, or evenly spaced),
//! each request carrying its amount of work (exponential with mean 1, or exactly 1, so an
//! instance of capacity C serves it in work/C seconds) and optionally a key, uniform or Zipf.
//! Work and keys are drawn at arrival from the arrival stream's own generator, so two runs with
//! the same seed see the identical request sequence whatever balancer they use (common random
//! numbers: the comparison view depends on it).

use crate::rng::SimRng;
use crate::scenario::{Arrivals, KeyDistribution, ServiceTime, Traffic};

use super::instance::Request;

#[derive(Clone)]
pub struct Workload {
    pub rate_rps: f64,
    arrivals: Arrivals,
    service: ServiceTime,
    keys: u32,
    zipf: Option<Zipf>,
    rng: SimRng,
}

impl Workload {
    pub fn new(traffic: &Traffic, service: ServiceTime, rng: SimRng) -> Self {
        let zipf = (traffic.keys > 0 && traffic.key_distribution == KeyDistribution::Zipf)
            .then(|| Zipf::new(traffic.keys, traffic.zipf_s));
        Workload {
            rate_rps: traffic.rate_rps,
            arrivals: traffic.arrivals,
            service,
            keys: traffic.keys,
            zipf,
            rng,
        }
    }

    /// Time to the next arrival in nanoseconds, as drawn (the clock turns it into an instant,
    /// or none past the end of time: a rate of 1e-300 gives gaps far longer than any run), or
    /// None when the rate is zero.
    #[inline]
    pub fn next_gap_ns(&mut self) -> Option<f64> {
        if self.rate_rps <= 0.0 {
            return None;
        }
        let mean_s = 1.0 / self.rate_rps;
        let gap_s = match self.arrivals {
            Arrivals::Poisson => self.rng.exponential(mean_s),
            Arrivals::Uniform => mean_s,
        };
        Some(gap_s * 1e9)
    }

    /// New key settings from now on (the page's key view and hash balancers).
    pub fn set_keys(&mut self, keys: u32, distribution: KeyDistribution, zipf_s: f64) {
        self.keys = keys;
        self.zipf =
            (keys > 0 && distribution == KeyDistribution::Zipf).then(|| Zipf::new(keys, zipf_s));
    }

    #[inline]
    pub fn next_request(&mut self, now_ns: u64) -> Request {
        let work = match self.service {
            ServiceTime::Exponential => self.rng.exponential(1.0),
            ServiceTime::Constant => 1.0,
        };
        let key = match (&self.zipf, self.keys) {
            (_, 0) => 0,
            (Some(z), _) => z.sample(&mut self.rng),
            (None, k) => 1 + self.rng.below(k),
        };
        Request {
            arrived_ns: now_ns,
            sent_ns: now_ns,
            work,
            key,
            attempt: 0,
            previous: super::NO_INSTANCE,
        }
    }
}

/// Zipf over keys 1..=n with exponent s, by Hörmann & Derflinger's rejection-inversion
/// (as in Apache Commons' RejectionInversionZipfSampler): O(1) memory for any n.
#[derive(Debug, Clone)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    threshold: f64,
}

impl Zipf {
    pub fn new(n: u32, s: f64) -> Self {
        let n = f64::from(n.max(1));
        let mut z = Zipf {
            n,
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            threshold: 0.0,
        };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(n + 0.5);
        z.threshold = 2.0 - z.h_integral_inv(z.h_integral(2.5) - z.h(2.0));
        z
    }

    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        loop {
            let u = self.h_integral_n + rng.unit() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inv(u);
            let k = libm::floor(x + 0.5).clamp(1.0, self.n);
            if k - x <= self.threshold || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u32;
            }
        }
    }

    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.s * libm::log(x))
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        helper2((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inv(&self, x: f64) -> f64 {
        let mut t = x * (1.0 - self.s);
        if t < -1.0 {
            t = -1.0; // rounding guard, as in the reference implementation
        }
        libm::exp(helper1(t) * x)
    }
}

/// log(1 + x) / x, accurate near 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (exp(x) − 1) / x, accurate near 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_frequencies_follow_the_power_law() {
        // P(k) = k^-s / H(n, s). With n = 10, s = 1: H = 2.928968…, P(1) = 0.34142, P(2) = 0.17071.
        let z = Zipf::new(10, 1.0);
        let mut rng = SimRng::seed(7);
        let draws = 200_000;
        let mut counts = [0u32; 11];
        for _ in 0..draws {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        let h = (1..=10).map(|k| 1.0 / f64::from(k)).sum::<f64>();
        for k in 1..=10u32 {
            let p = 1.0 / f64::from(k) / h;
            let observed = f64::from(counts[k as usize]) / f64::from(draws);
            // 5 standard errors of a binomial proportion.
            let tolerance = 5.0 * (p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!((observed - p).abs() < tolerance, "k={k}: {observed} vs {p}");
        }
    }
}

//! The simulation's single source of randomness: a seeded xoshiro256++ generator (the same
//! algorithm on every target, unlike `SmallRng`, which changes with pointer width) and the few
//! distributions the model needs, computed so that native and wasm builds draw bit-identical
//! sequences: only IEEE-754 arithmetic (+, −, ×, comparisons, exact in both), tables committed
//! as exact constants, and the `libm` crate (never the platform's `exp`/`ln`, which differ
//! between glibc and the wasm toolchain's math library) for the rare paths that need it.
//!
//! Exponential draws use the ziggurat method for Exp(1) (Marsaglia & Tsang 2000), in the form
//! of rand_distr's `Exp1` (ZIGNOR layout, Doornik 2005): one 64-bit draw gives the layer (its
//! low 8 bits) and a uniform in (0, 1) (its high 52 bits); 97.8 % of draws end there (the mean
//! over the layers of X[i+1] / X[i]), with one multiply and one comparison. The rest take a
//! wedge test (one more uniform and `libm::exp`) or, for the base layer's tail beyond
//! r ≈ 7.7 (e^−r: about 1 draw in 2,200), r − ln U by `libm::log`
//! (the exponential is memoryless, so the tail is r plus a fresh Exp(1)).

mod ziggurat;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

#[derive(Debug, Clone)]
pub struct SimRng(Xoshiro256PlusPlus);

impl SimRng {
    pub fn seed(seed: u64) -> Self {
        SimRng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// A uniform draw in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// A uniform integer in [0, n); n must be > 0.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        self.0.random_range(0..n)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.random::<u64>()
    }

    /// An exponential draw with the given mean: `mean` × an Exp(1) draw.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        mean * self.exp1()
    }

    /// An Exp(1) draw by the ziggurat (see the module's notes), always finite and > 0.
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        use ziggurat::X;
        loop {
            let bits = self.next_u64();
            let i = (bits & 0xff) as usize;
            // The high 52 bits as a float in [1, 2), less (1 − 2^−53): a uniform in (0, 1),
            // exactly (every difference is representable).
            let u =
                f64::from_bits(0x3ff0_0000_0000_0000 | (bits >> 12)) - (1.0 - f64::EPSILON / 2.0);
            let x = u * X[i];
            // u < X[i+1] / X[i]: inside the layer's rectangle, under the curve.
            if x < X[i + 1] {
                return x;
            }
            if i == 0 {
                return self.exp1_tail();
            }
            if self.exp1_wedge(i, x) {
                return x;
            }
        }
    }

    /// The base layer's tail beyond `R`: R plus an Exp(1) draw by inversion (1 − U is in (0, 1],
    /// so the logarithm is finite).
    #[cold]
    #[inline(never)]
    fn exp1_tail(&mut self) -> f64 {
        ziggurat::R - libm::log(1.0 - self.unit())
    }

    /// Layer `i`'s wedge: accepts `x` with the probability that puts it under e^(−x).
    #[inline(never)]
    fn exp1_wedge(&mut self, i: usize, x: f64) -> bool {
        use ziggurat::F;
        F[i + 1] + (F[i] - F[i + 1]) * self.unit() < libm::exp(-x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_libms_bit_for_bit() {
        let (x, f) = ziggurat::generate();
        for i in 0..257 {
            assert_eq!(x[i].to_bits(), ziggurat::X[i].to_bits(), "X[{i}]");
            assert_eq!(f[i].to_bits(), ziggurat::F[i].to_bits(), "F[{i}]");
        }
        assert_eq!(ziggurat::X[1], ziggurat::R);
        // The constants are rand's `ziggurat_tables.py` digits, to the bit.
        #[allow(clippy::excessive_precision)]
        let (r, v) = (7.69711747013104972f64, 0.0039496598225815571993f64);
        assert_eq!(
            (r.to_bits(), v.to_bits()),
            (ziggurat::R.to_bits(), ziggurat::V.to_bits())
        );
        assert_eq!(ziggurat::X[256], 0.0);
        assert_eq!(ziggurat::F[256], 1.0);
    }

    /// 2 × 10^6 draws with a fixed seed against Exp(1): Kolmogorov–Smirnov, chi-square over 200
    /// equiprobable bins, mean, variance and the tail beyond r. Every threshold is the
    /// statistic's critical value at about 10^−4 (5σ for the moments), so the test checks the
    /// distribution, not one run's numbers.
    #[test]
    fn ziggurat_draws_are_exp1() {
        const N: usize = 2_000_000;
        let mut rng = SimRng::seed(20_001);
        let mut xs: Vec<f64> = (0..N).map(|_| rng.exp1()).collect();
        assert!(xs.iter().all(|x| x.is_finite() && *x > 0.0));
        let n = N as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        // Exp(1): mean 1 and variance 1; the sample mean's σ is 1/√n, the sample variance's
        // √((μ₄ − σ⁴)/n) = √(8/n) (μ₄ = 9).
        assert!((mean - 1.0).abs() < 5.0 / n.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * (8.0 / n).sqrt(), "variance {var}");
        // The tail beyond r comes from its own path: P = e^−r (≈ 4.5 × 10^−4), binomial count.
        let beyond = xs.iter().filter(|&&x| x > ziggurat::R).count() as f64;
        let p = libm::exp(-ziggurat::R);
        assert!(
            (beyond - n * p).abs() < 5.0 * (n * p * (1.0 - p)).sqrt(),
            "{beyond} beyond r, expected {}",
            n * p
        );
        // Chi-square, 200 bins of probability 1/200 each: bin k is [−ln(1 − k/200), …).
        const BINS: usize = 200;
        let mut counts = [0u64; BINS];
        for &x in &xs {
            let cdf = -libm::expm1(-x);
            counts[((cdf * BINS as f64) as usize).min(BINS - 1)] += 1;
        }
        let expected = n / BINS as f64;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // 199 degrees of freedom: the 1 − 10^−4 quantile is about 282 (Wilson–Hilferty).
        assert!(chi2 < 282.0, "chi-square {chi2}");
        // Kolmogorov–Smirnov: √n·D beyond 2.0 has probability 2·Σ(−1)^(k−1)e^(−2k²·4) ≈ 6.7 × 10^−4,
        // beyond 2.2 about 1.3 × 10^−4.
        xs.sort_by(f64::total_cmp);
        let d = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let cdf = -libm::expm1(-x);
                (cdf - i as f64 / n).max((i + 1) as f64 / n - cdf)
            })
            .fold(0.0, f64::max);
        assert!(d * n.sqrt() < 2.2, "KS: √n·D = {}", d * n.sqrt());
    }
}

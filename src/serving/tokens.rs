//! How many tokens a request brings (its prompt) and asks for (its output).
//!
//! The presets sample the Azure LLM inference trace of 2023 (Patel et al., "Splitwise",
//! ISCA 2024; Azure/AzurePublicDataset `data/AzureLLMInferenceTrace_{conv,code}.csv` at commit
//! b469a113cedca53ddc3bdea71a143dc4b7d8700c, CC-BY): the empirical quantiles of its
//! `ContextTokens` and `GeneratedTokens` columns at p = 0, .05, .1, .2, … , .9, .95, .99, 1
//! (linear interpolation, rounded to whole tokens, as computed in notes/llm-serving.md §4.1),
//! sampled by inverse transform with straight lines between the quantiles. The trace's
//! distributions are multi-modal and capped (conversation outputs stop at 1000 tokens), which
//! a fitted lognormal misses, so the table is used as it is; `lognormal` (median and σ given)
//! is there for what-if runs, clamped to its maxima, and `fixed` gives every request the same
//! sizes (queueing theory's deterministic case).
//!
//! The tables' means are 1190 / 214 (conversation prompt / output) and 2079 / 35.5 (code)
//! tokens against the trace's 1155 / 211 and 2048 / 27.9: the straight line from p99 to the
//! maximum overstates a long thin tail, most for code outputs (+27 %).

use serde::Serialize;

use crate::rng::SimRng;
use crate::scenario::{Lengths, TokenConfig};

/// Probabilities of the quantile tables below.
pub const QUANTILE_P: [f64; 14] = [
    0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0,
];
/// Azure 2023 conversation trace, prompt (context) tokens at `QUANTILE_P`.
pub const CONV_PROMPT: [f64; 14] = [
    2.0, 181.0, 207.0, 387.0, 403.0, 703.0, 1020.0, 1071.0, 1130.0, 1315.0, 2734.0, 4083.0, 4142.0,
    14050.0,
];
/// Azure 2023 conversation trace, generated tokens.
pub const CONV_OUTPUT: [f64; 14] = [
    7.0, 41.0, 54.0, 77.0, 91.0, 103.0, 129.0, 177.0, 384.0, 400.0, 424.0, 451.0, 601.0, 1000.0,
];
/// Azure 2023 code trace, prompt tokens.
pub const CODE_PROMPT: [f64; 14] = [
    3.0, 75.0, 147.0, 386.0, 770.0, 1075.0, 1469.0, 1909.0, 2433.0, 3192.0, 5188.0, 7303.0, 7436.0,
    7437.0,
];
/// Azure 2023 code trace, generated tokens.
pub const CODE_OUTPUT: [f64; 14] = [
    6.0, 6.0, 7.0, 8.0, 9.0, 11.0, 13.0, 16.0, 20.0, 29.0, 55.0, 90.0, 251.0, 1899.0,
];

/// One length distribution.
#[derive(Debug, Clone, PartialEq)]
pub enum Length {
    Fixed(u32),
    /// Inverse transform over `(QUANTILE_P, values)`.
    Table(&'static [f64; 14]),
    /// exp(N(ln median, σ²)), rounded, clamped to [1, max].
    Lognormal {
        median: f64,
        sigma: f64,
        max: u32,
    },
}

impl Length {
    /// One draw (one uniform for tables, two for the lognormal, none when fixed).
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        match self {
            Length::Fixed(n) => *n,
            Length::Table(x) => {
                let u = rng.unit();
                let i = QUANTILE_P.partition_point(|&p| p <= u).clamp(1, 13) - 1;
                let (p0, p1) = (QUANTILE_P[i], QUANTILE_P[i + 1]);
                let v = x[i] + (u - p0) / (p1 - p0) * (x[i + 1] - x[i]);
                whole(v, x[13] as u32)
            }
            Length::Lognormal { median, sigma, max } => {
                // Box–Muller with libm: bit-identical natively and in wasm.
                let (u1, u2) = (rng.unit(), rng.unit());
                let z = libm::sqrt(-2.0 * libm::log(1.0 - u1))
                    * libm::cos(2.0 * std::f64::consts::PI * u2);
                whole(median * libm::exp(sigma * z), *max)
            }
        }
    }

    /// The largest value a draw can take.
    pub fn max(&self) -> u32 {
        match self {
            Length::Fixed(n) => *n,
            Length::Table(x) => x[13] as u32,
            Length::Lognormal { max, .. } => *max,
        }
    }

    /// The mean of the distribution sampled (before rounding to whole tokens; for a table, the
    /// mean of the piecewise-uniform distribution between its quantiles).
    pub fn mean(&self) -> f64 {
        match self {
            Length::Fixed(n) => f64::from(*n),
            Length::Table(x) => (0..13)
                .map(|i| (QUANTILE_P[i + 1] - QUANTILE_P[i]) * (x[i] + x[i + 1]) / 2.0)
                .sum(),
            Length::Lognormal { median, sigma, .. } => median * libm::exp(sigma * sigma / 2.0),
        }
    }
}

fn whole(v: f64, max: u32) -> u32 {
    let v = libm::floor(v + 0.5);
    if v.is_nan() || v < 1.0 {
        1
    } else if v > f64::from(max) {
        max.max(1)
    } else {
        v as u32
    }
}

/// The prompt and output length distributions a scenario asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSampler {
    pub prompt: Length,
    pub output: Length,
}

impl TokenSampler {
    pub fn new(c: &TokenConfig) -> Self {
        match c.lengths {
            Lengths::Fixed => TokenSampler {
                prompt: Length::Fixed(c.prompt_tokens),
                output: Length::Fixed(c.output_tokens),
            },
            Lengths::AzureConv => TokenSampler {
                prompt: Length::Table(&CONV_PROMPT),
                output: Length::Table(&CONV_OUTPUT),
            },
            Lengths::AzureCode => TokenSampler {
                prompt: Length::Table(&CODE_PROMPT),
                output: Length::Table(&CODE_OUTPUT),
            },
            Lengths::Lognormal => TokenSampler {
                prompt: Length::Lognormal {
                    median: f64::from(c.prompt_tokens),
                    sigma: c.prompt_sigma,
                    max: c.max_prompt_tokens,
                },
                output: Length::Lognormal {
                    median: f64::from(c.output_tokens),
                    sigma: c.output_sigma,
                    max: c.max_output_tokens,
                },
            },
        }
    }

    /// (prompt, output) for one request: the prompt is drawn first.
    pub fn sample(&self, rng: &mut SimRng) -> (u32, u32) {
        let prompt = self.prompt.sample(rng);
        let output = self.output.sample(rng);
        (prompt, output)
    }
}

/// A length distribution as the page shows it: its quantile table and mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LengthTable {
    pub p: Vec<f64>,
    pub tokens: Vec<f64>,
    pub mean: f64,
    pub max: u32,
}

impl LengthTable {
    pub fn of(length: &Length) -> LengthTable {
        let tokens = match length {
            Length::Table(x) => x.to_vec(),
            Length::Fixed(n) => vec![f64::from(*n); 14],
            Length::Lognormal { median, sigma, max } => QUANTILE_P
                .iter()
                .map(|&p| {
                    if p <= 0.0 {
                        1.0
                    } else if p >= 1.0 {
                        f64::from(*max)
                    } else {
                        (median * libm::exp(sigma * normal_quantile(p))).clamp(1.0, f64::from(*max))
                    }
                })
                .collect(),
        };
        LengthTable {
            p: QUANTILE_P.to_vec(),
            tokens,
            mean: length.mean(),
            max: length.max(),
        }
    }
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9),
/// for showing a lognormal's quantiles.
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p > 1.0 - 0.02425 {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_draws_reproduce_the_trace_quantiles() {
        // The fraction of draws at or below each tabulated value is its p (5 binomial sigmas).
        let mut rng = SimRng::seed(3);
        let n = 200_000u32;
        let draws: Vec<u32> = (0..n)
            .map(|_| Length::Table(&CONV_OUTPUT).sample(&mut rng))
            .collect();
        for (i, &p) in QUANTILE_P.iter().enumerate().skip(1).take(12) {
            // Draws rounded to whole tokens: count those below the value's half-token mark.
            let below = draws
                .iter()
                .filter(|&&d| f64::from(d) < CONV_OUTPUT[i] + 0.5)
                .count() as f64
                / f64::from(n);
            let sigma = (p * (1.0 - p) / f64::from(n)).sqrt();
            // A flat step of the table (x[i] == x[i+1]) puts extra mass at that value.
            let slack = if CONV_OUTPUT[i] == CONV_OUTPUT[i + 1] {
                0.05
            } else {
                0.0
            };
            assert!(
                below >= p - 5.0 * sigma - 1e-3 && below <= p + 5.0 * sigma + 1e-3 + slack,
                "p{p}: {below}"
            );
        }
        let mean = draws.iter().map(|&d| f64::from(d)).sum::<f64>() / f64::from(n);
        let expected = Length::Table(&CONV_OUTPUT).mean();
        assert!((mean - expected).abs() < 2.0, "{mean} vs {expected}");
        assert!(draws.iter().all(|&d| (7..=1000).contains(&d)));
    }

    #[test]
    fn table_means_against_the_trace_means() {
        // The sampler's mean is Σ Δp·(x_i + x_{i+1})/2 over the 13 segments: 1190.11, 214.495,
        // 2079.07 and 35.52 (computed by hand from the tables). The trace's own means (notes
        // §4.1) are 1154.7, 211.1, 2047.8 and 27.9: straight lines between 14 quantiles put
        // the last 1 % evenly between p99 and the maximum, which overstates a long thin tail —
        // by 27 % for code outputs (p99 251, maximum 1899), by 3 % or less elsewhere.
        for (table, sampler_mean, trace_mean, gap) in [
            (&CONV_PROMPT, 1190.11, 1154.7, 0.0307),
            (&CONV_OUTPUT, 214.495, 211.1, 0.0161),
            (&CODE_PROMPT, 2079.07, 2047.8, 0.0153),
            (&CODE_OUTPUT, 35.52, 27.9, 0.2731),
        ] {
            let m = Length::Table(table).mean();
            assert!((m - sampler_mean).abs() < 1e-9, "{m} vs {sampler_mean}");
            assert!(((m - trace_mean) / trace_mean - gap).abs() < 0.0005, "{m}");
        }
    }

    #[test]
    fn lognormal_median_and_clamp() {
        let l = Length::Lognormal {
            median: 129.0,
            sigma: 0.9926,
            max: 1000,
        };
        let mut rng = SimRng::seed(5);
        let mut draws: Vec<u32> = (0..100_001).map(|_| l.sample(&mut rng)).collect();
        draws.sort_unstable();
        let median = draws[50_000];
        assert!((125..=133).contains(&median), "{median}");
        assert!(*draws.last().unwrap() <= 1000 && draws[0] >= 1);
        // Quantiles shown: p50 is the median; Acklam's p99 z = 2.326348.
        let t = LengthTable::of(&l);
        assert!((t.tokens[6] - 129.0).abs() < 1e-6);
        assert!(
            (t.tokens[12] - (129.0 * (0.9926f64 * 2.326_347_874).exp()).min(1000.0)).abs() < 1e-3
        );
    }

    #[test]
    fn fixed_is_fixed() {
        let s = TokenSampler {
            prompt: Length::Fixed(100),
            output: Length::Fixed(7),
        };
        let mut rng = SimRng::seed(1);
        assert_eq!(s.sample(&mut rng), (100, 7));
    }
}

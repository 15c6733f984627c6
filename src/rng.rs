//! The simulation's single source of randomness: a seeded xoshiro256++ generator (the same
//! algorithm on every target, unlike `SmallRng`, which changes with pointer width) and the few
//! distributions the model needs, computed with `libm` so that native and wasm builds draw
//! bit-identical sequences.

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

    /// An exponential draw with the given mean (inverse transform; 1 - U keeps ln away from 0).
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(1.0 - self.unit())
    }
}

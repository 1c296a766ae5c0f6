//! Shared helpers: a seeded, dependency-free random source for reproducible tests.
#![allow(dead_code)]

use veris_zk::field::{E, F};

/// SplitMix64: tiny, seeded, good enough to draw test instances.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn f(&mut self) -> F {
        F::new(self.next_u64())
    }

    pub fn e(&mut self) -> E {
        E::new(self.f(), self.f())
    }

    pub fn fs(&mut self, n: usize) -> Vec<F> {
        (0..n).map(|_| self.f()).collect()
    }

    pub fn es(&mut self, n: usize) -> Vec<E> {
        (0..n).map(|_| self.e()).collect()
    }
}

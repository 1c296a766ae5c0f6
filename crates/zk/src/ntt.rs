//! Radix-2 number-theoretic transform over Goldilocks and Reed–Solomon encoding.
//!
//! The Reed–Solomon code `RS[n, k]` used by the commitment maps a message
//! `(a_0, …, a_{k−1})` (coefficients of `a(X) = Σ a_i X^i`) to the codeword
//! `(a(ω^0), a(ω^1), …, a(ω^{n−1}))` where `ω` is the primitive `n`-th root of
//! unity returned by [`crate::field::Goldilocks::two_adic_root`] and
//! `n = k·2^log_inv_rate`. Its minimum distance is `n − k + 1`. Encoding is
//! `F`-linear, so a message over `E` is encoded coordinate-wise.

use core::ops::Mul;

use crate::field::{F, Field};

/// Precomputed powers of a primitive `2^log_n`-th root of unity.
#[derive(Debug, Clone)]
pub struct Radix2Domain {
    log_n: u32,
    /// `twiddles[j] = ω^j` for `j < n/2`.
    twiddles: Vec<F>,
}

impl Radix2Domain {
    /// The domain of size `2^log_n` (`log_n <= 32`).
    pub fn new(log_n: u32) -> Self {
        let n = 1usize << log_n;
        let omega = F::two_adic_root(log_n);
        let mut twiddles = Vec::with_capacity(n / 2);
        let mut w = F::ONE;
        for _ in 0..n / 2 {
            twiddles.push(w);
            w *= omega;
        }
        Self { log_n, twiddles }
    }

    /// The domain size `n`.
    pub fn size(&self) -> usize {
        1 << self.log_n
    }

    /// Replaces coefficients `values` (length `n`) by evaluations at `ω^0..ω^{n−1}`.
    pub fn ntt<K: Field + Mul<F, Output = K>>(&self, values: &mut [K]) {
        let n = self.size();
        assert_eq!(values.len(), n, "ntt: input length must equal the domain size");
        bit_reverse_permute(values, self.log_n);
        let mut len = 2;
        while len <= n {
            let half = len / 2;
            let step = n / len;
            for block in values.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for (j, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                    let v = *b * self.twiddles[j * step];
                    let u = *a;
                    *a = u + v;
                    *b = u - v;
                }
            }
            len *= 2;
        }
    }

    /// The Reed–Solomon codeword of `message` (`message.len() · 2^log_inv_rate == n`).
    pub fn encode<K: Field + Mul<F, Output = K>>(&self, message: &[K]) -> Vec<K> {
        let mut out = vec![K::ZERO; self.size()];
        out[..message.len()].copy_from_slice(message);
        self.ntt(&mut out);
        out
    }
}

fn bit_reverse_permute<K>(values: &mut [K], log_n: u32) {
    if log_n == 0 {
        return;
    }
    for i in 0..values.len() {
        let j = i.reverse_bits() >> (usize::BITS - log_n);
        if i < j {
            values.swap(i, j);
        }
    }
}

//! Fields: the Goldilocks base field [`F`] and its quadratic extension [`E`].
//!
//! Everything else in the crate names only the aliases [`F`] and [`E`] and the
//! [`Field`] trait, so the concrete implementation can change in one place.
//! Witness values (weights, activations, table entries) live in `F`; every
//! verifier challenge lives in `E` (|E| ≈ 2^128), which is what makes the
//! Schwartz–Zippel terms of the soundness analysis small.

mod ext;
mod goldilocks;

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

pub use ext::GoldilocksExt2;
pub use goldilocks::{Goldilocks, MODULUS};

use crate::error::DecodeError;

/// The base field (Goldilocks).
pub type F = Goldilocks;
/// The challenge field (degree-2 extension of Goldilocks).
pub type E = GoldilocksExt2;

/// The arithmetic the generic code of this crate needs from a field.
pub trait Field:
    Copy
    + Clone
    + Debug
    + Default
    + PartialEq
    + Eq
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + core::iter::Sum
{
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    /// Bytes of the canonical encoding.
    const ENCODED_LEN: usize;

    /// `v` mapped into the field (reduced mod p).
    fn from_u64(v: u64) -> Self;

    /// The multiplicative inverse, `None` for zero.
    fn inverse(self) -> Option<Self>;

    /// Appends the canonical encoding.
    fn write_bytes(&self, out: &mut Vec<u8>);

    /// Decodes exactly `ENCODED_LEN` bytes, rejecting non-canonical encodings.
    fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError>;

    /// `self^exp` by square-and-multiply.
    fn pow(self, mut exp: u64) -> Self {
        let mut base = self;
        let mut acc = Self::ONE;
        while exp > 0 {
            if exp & 1 == 1 {
                acc *= base;
            }
            base *= base;
            exp >>= 1;
        }
        acc
    }

    /// `self²`.
    fn square(self) -> Self {
        self * self
    }

    /// `2·self`.
    fn double(self) -> Self {
        self + self
    }
}

/// Inverts every non-zero element of `values` in place with one field
/// inversion (Montgomery's trick). Returns `false`, leaving `values`
/// unchanged, if any element is zero.
pub fn batch_inverse<K: Field>(values: &mut [K]) -> bool {
    let mut prefix = Vec::with_capacity(values.len());
    let mut acc = K::ONE;
    for v in values.iter() {
        if *v == K::ZERO {
            return false;
        }
        prefix.push(acc);
        acc *= *v;
    }
    let Some(mut inv) = acc.inverse() else {
        return false;
    };
    for (v, before) in values.iter_mut().zip(prefix).rev() {
        let next = inv * *v;
        *v = inv * before;
        inv = next;
    }
    true
}

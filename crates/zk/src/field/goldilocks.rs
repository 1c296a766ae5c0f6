//! The Goldilocks prime field, p = 2^64 − 2^32 + 1.
//!
//! Invariant: the stored `u64` is always canonical (`< p`), so equality,
//! hashing and serialization work on the raw value. Reduction uses
//! 2^64 ≡ 2^32 − 1 and 2^96 ≡ −1 (mod p).

use core::fmt;
use core::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::Field;
use crate::error::DecodeError;

/// The modulus p = 2^64 − 2^32 + 1.
pub const MODULUS: u64 = 0xffff_ffff_0000_0001;
/// 2^64 mod p = 2^32 − 1.
const EPSILON: u64 = 0xffff_ffff;

/// An element of the Goldilocks field, always in canonical form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Goldilocks(u64);

impl Goldilocks {
    /// Number of bytes of the canonical encoding (little-endian `u64`).
    pub const ENCODED_LEN: usize = 8;
    /// A generator of the multiplicative group (order p − 1).
    pub const MULTIPLICATIVE_GENERATOR: Self = Self(7);
    /// The largest k with 2^k | p − 1.
    pub const TWO_ADICITY: u32 = 32;

    /// The element `v mod p` (any `u64` is accepted and reduced).
    pub const fn new(v: u64) -> Self {
        Self(if v >= MODULUS { v - MODULUS } else { v })
    }

    /// `v mod p` for a 128-bit value (used for wide, nearly unbiased reduction).
    pub fn from_u128(v: u128) -> Self {
        reduce128(v)
    }

    /// A signed integer mapped to the field (negative values wrap to p − |v|).
    pub fn from_i64(v: i64) -> Self {
        if v < 0 {
            -Self::new(v.unsigned_abs())
        } else {
            Self::new(v as u64)
        }
    }

    /// The canonical representative in `[0, p)`.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The canonical 8-byte little-endian encoding.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }

    /// Decodes the canonical encoding; values `>= p` are rejected.
    pub fn from_bytes(bytes: [u8; 8]) -> Result<Self, DecodeError> {
        let v = u64::from_le_bytes(bytes);
        if v >= MODULUS {
            Err(DecodeError::NonCanonicalField)
        } else {
            Ok(Self(v))
        }
    }

    /// A primitive 2^`log_n`-th root of unity, `log_n <= 32`.
    ///
    /// Panics if `log_n > TWO_ADICITY` (a programming error: no such root exists).
    pub fn two_adic_root(log_n: u32) -> Self {
        assert!(
            log_n <= Self::TWO_ADICITY,
            "no 2^{log_n}-th root of unity in Goldilocks"
        );
        // g^((p−1)/2^32) has order exactly 2^32 because g generates F*.
        let root32 = Self::MULTIPLICATIVE_GENERATOR.pow((MODULUS - 1) >> Self::TWO_ADICITY);
        root32.pow(1u64 << (Self::TWO_ADICITY - log_n))
    }
}

/// Reduces a 128-bit value modulo p into canonical form.
#[inline]
fn reduce128(x: u128) -> Goldilocks {
    let lo = x as u64;
    let hi = (x >> 64) as u64;
    let hi_hi = hi >> 32;
    let hi_lo = hi & EPSILON;
    // x = lo + hi_lo·2^64 + hi_hi·2^96 and 2^96 ≡ −1, so start with lo − hi_hi.
    let (mut t0, borrow) = lo.overflowing_sub(hi_hi);
    if borrow {
        // t0 = lo − hi_hi + 2^64 ≥ 2^64 − 2^32 + 1, so subtracting 2^64 ≡ ε cannot underflow.
        t0 -= EPSILON;
    }
    // hi_lo·2^64 ≡ hi_lo·ε, which fits in u64.
    let t1 = hi_lo * EPSILON;
    let (mut t2, carry) = t0.overflowing_add(t1);
    if carry {
        // The wrapped sum is < t1 ≤ 2^64 − 2^33 + 1, so adding ε cannot overflow.
        t2 += EPSILON;
    }
    Goldilocks::new(t2)
}

impl Add for Goldilocks {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        let (s, over) = self.0.overflowing_add(rhs.0);
        if over {
            // s + 2^64 ≡ s + ε, and s + ε ≤ p − 1 because a + b ≤ 2p − 2.
            Self(s + EPSILON)
        } else {
            Self::new(s)
        }
    }
}

impl Sub for Goldilocks {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        let (d, borrow) = self.0.overflowing_sub(rhs.0);
        // On borrow d = a − b + 2^64 and a − b + p = d − ε, with d > ε.
        if borrow { Self(d - EPSILON) } else { Self(d) }
    }
}

impl Mul for Goldilocks {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        reduce128(u128::from(self.0) * u128::from(rhs.0))
    }
}

impl Neg for Goldilocks {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        if self.0 == 0 { self } else { Self(MODULUS - self.0) }
    }
}

impl AddAssign for Goldilocks {
    #[inline]
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl SubAssign for Goldilocks {
    #[inline]
    fn sub_assign(&mut self, rhs: Self) {
        *self = *self - rhs;
    }
}

impl MulAssign for Goldilocks {
    #[inline]
    fn mul_assign(&mut self, rhs: Self) {
        *self = *self * rhs;
    }
}

impl core::iter::Sum for Goldilocks {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl From<u32> for Goldilocks {
    fn from(v: u32) -> Self {
        Self(u64::from(v))
    }
}

impl fmt::Debug for Goldilocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Goldilocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Field for Goldilocks {
    const ZERO: Self = Self(0);
    const ONE: Self = Self(1);
    const ENCODED_LEN: usize = 8;

    fn from_u64(v: u64) -> Self {
        Self::new(v)
    }

    fn inverse(self) -> Option<Self> {
        if self.0 == 0 { None } else { Some(self.pow(MODULUS - 2)) }
    }

    fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let arr: [u8; 8] = bytes.try_into().map_err(|_| DecodeError::Truncated)?;
        Self::from_bytes(arr)
    }
}

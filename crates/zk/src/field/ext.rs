//! The quadratic extension E = F[X]/(X² − 7) of Goldilocks.
//!
//! 7 is a quadratic non-residue mod p (checked by a test with Euler's
//! criterion), so X² − 7 is irreducible and |E| = p² ≈ 2^128.
//! An element is `c0 + c1·X`; its canonical encoding is `c0 ‖ c1`, each as the
//! canonical 8-byte encoding of [`Goldilocks`].

use core::fmt;
use core::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Field, Goldilocks};
use crate::error::DecodeError;

/// The non-residue W with X² = W.
pub const NON_RESIDUE: Goldilocks = Goldilocks::new(7);

/// An element `c0 + c1·X` of the quadratic extension.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GoldilocksExt2 {
    /// Coefficient of 1.
    pub c0: Goldilocks,
    /// Coefficient of X.
    pub c1: Goldilocks,
}

impl GoldilocksExt2 {
    /// `c0 + c1·X`.
    pub const fn new(c0: Goldilocks, c1: Goldilocks) -> Self {
        Self { c0, c1 }
    }

    /// The base-field element `c` embedded in the extension.
    pub const fn from_base(c: Goldilocks) -> Self {
        Self {
            c0: c,
            c1: Goldilocks::new(0),
        }
    }

    /// Whether the element lies in the base field.
    pub fn is_base(self) -> bool {
        self.c1 == Goldilocks::ZERO
    }

    /// Multiplies by a base-field element (2 base multiplications).
    #[inline]
    pub fn mul_base(self, b: Goldilocks) -> Self {
        Self {
            c0: self.c0 * b,
            c1: self.c1 * b,
        }
    }
}

impl From<Goldilocks> for GoldilocksExt2 {
    fn from(c: Goldilocks) -> Self {
        Self::from_base(c)
    }
}

impl Add for GoldilocksExt2 {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        Self {
            c0: self.c0 + rhs.c0,
            c1: self.c1 + rhs.c1,
        }
    }
}

impl Sub for GoldilocksExt2 {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        Self {
            c0: self.c0 - rhs.c0,
            c1: self.c1 - rhs.c1,
        }
    }
}

impl Mul for GoldilocksExt2 {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        // Karatsuba: 3 base multiplications plus one by the constant W.
        let a0b0 = self.c0 * rhs.c0;
        let a1b1 = self.c1 * rhs.c1;
        let cross = (self.c0 + self.c1) * (rhs.c0 + rhs.c1) - a0b0 - a1b1;
        Self {
            c0: a0b0 + mul_by_non_residue(a1b1),
            c1: cross,
        }
    }
}

/// `7·x` as `8x − x` (three doublings and a subtraction, cheaper than a multiplication).
#[inline]
fn mul_by_non_residue(x: Goldilocks) -> Goldilocks {
    x.double().double().double() - x
}

impl Mul<Goldilocks> for GoldilocksExt2 {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Goldilocks) -> Self {
        self.mul_base(rhs)
    }
}

impl Neg for GoldilocksExt2 {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self {
            c0: -self.c0,
            c1: -self.c1,
        }
    }
}

impl AddAssign for GoldilocksExt2 {
    #[inline]
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl SubAssign for GoldilocksExt2 {
    #[inline]
    fn sub_assign(&mut self, rhs: Self) {
        *self = *self - rhs;
    }
}

impl MulAssign for GoldilocksExt2 {
    #[inline]
    fn mul_assign(&mut self, rhs: Self) {
        *self = *self * rhs;
    }
}

impl core::iter::Sum for GoldilocksExt2 {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

impl fmt::Debug for GoldilocksExt2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({} + {}·X)", self.c0, self.c1)
    }
}

impl Field for GoldilocksExt2 {
    const ZERO: Self = Self::new(Goldilocks::new(0), Goldilocks::new(0));
    const ONE: Self = Self::new(Goldilocks::new(1), Goldilocks::new(0));
    const ENCODED_LEN: usize = 16;

    fn from_u64(v: u64) -> Self {
        Self::from_base(Goldilocks::new(v))
    }

    fn inverse(self) -> Option<Self> {
        // (c0 + c1X)(c0 − c1X) = c0² − W·c1², a base-field norm that is zero only for 0.
        let norm = self.c0.square() - NON_RESIDUE * self.c1.square();
        let inv = norm.inverse()?;
        Some(Self {
            c0: self.c0 * inv,
            c1: -self.c1 * inv,
        })
    }

    fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.c0.to_bytes());
        out.extend_from_slice(&self.c1.to_bytes());
    }

    fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != 16 {
            return Err(DecodeError::Truncated);
        }
        let (lo, hi) = bytes.split_at(8);
        Ok(Self {
            c0: Goldilocks::read_bytes(lo)?,
            c1: Goldilocks::read_bytes(hi)?,
        })
    }
}

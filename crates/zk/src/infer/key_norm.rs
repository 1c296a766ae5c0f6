//! The `LayerNorm` stage (engine tag 34, key tag 20) and the integer bounds
//! that keep its field identities exact (`docs/proof-system.md` §9.11.4).
//!
//! Per block (one row of `n` elements, the normalized trailing axes):
//! `s = Σx`, `Q = Σx²`, `D = n·Q − s² + eps·n²`, `r = isqrt_inv(D, K)`,
//! `c_j = n·x_j − s`, `t_j = shr(c_j·r, K − F)`, `y_j = sat(rq_j(t_j·g_j + h_j))`.
//! Every committed quantity is an integer of known width (8-bit limbs); the
//! checks of [`NormKey::check`] make every identity the proof checks in the
//! field hold over the integers too. Wider blocks or precisions (e.g. MiniLM's
//! `n = 384`, `K = 32`) would need a limb-wise product for `r·D` and are refused.

use super::circuit::ceil_log2;
use super::key::RequantParams;
use super::{LIMB_BITS, QMAX};
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;

/// The verifying-key stage tag of a [`NormKey`].
pub(crate) const TAG_NORM: u8 = 20;

/// Largest `K` (so `2^(2K) < 2^63` and `r < 2^32`).
pub const MAX_NORM_SQRT_BITS: u8 = 31;
/// Largest `D = n·Q − s² + eps·n²` a block may reach: `r·D` then stays below 2^63.
pub const MAX_NORM_D: u128 = 1 << 31;
/// Largest `|identity term|` admitted in any field identity of the stage (below `p/2`).
pub(crate) const MAX_NORM_TERM: u128 = 1 << 62;

/// 8-bit limbs of the per-block committed integers: `r < 2^32`, `A = r·D < 2^48`,
/// `u = 2^(2K) − r·A < 2^64`, `w = 2A + D − 1 − u < 2^48`, and three carries `< 2^24`.
pub(crate) const R_LIMBS: usize = 4;
pub(crate) const A_LIMBS: usize = 6;
pub(crate) const U_LIMBS: usize = 8;
pub(crate) const W_LIMBS: usize = 6;
pub(crate) const CARRIES: usize = 3;
pub(crate) const CARRY_LIMBS: usize = 3;
/// Per-block columns that are not limbs: `s`, `Q`, `z` (the constant-block flag).
pub(crate) const ROW_VALUES: usize = 3;
/// All per-block limbs.
pub(crate) const ROW_LIMBS: usize = R_LIMBS + A_LIMBS + U_LIMBS + W_LIMBS + CARRIES * CARRY_LIMBS;

/// A LayerNorm over blocks of `n` elements with per-position `g_j`, `h_j`, `rq_j`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormKey {
    /// The first normalized axis (negative counts from the end, `|axis| ≤ 8`).
    pub axis: i64,
    /// Elements per block.
    pub n: u32,
    /// `eps` in units of `s_in²`.
    pub eps: i64,
    /// `K`, the inverse square root's precision.
    pub sqrt_bits: u8,
    /// `F`, the fraction bits of `t`.
    pub frac_bits: u8,
    /// `g_j ∈ [−127, 127]`.
    pub gamma: Vec<i64>,
    /// `h_j`.
    pub beta: Vec<i64>,
    /// `rq_j`.
    pub requant: Vec<RequantParams>,
}

fn limbs_for(bound: u128) -> usize {
    let bits = 128 - bound.leading_zeros();
    (bits as usize).div_ceil(LIMB_BITS as usize).max(1)
}

impl NormKey {
    /// `T = ceil(sqrt(n))·2^F + 1 ≥ |t|` (`docs/exact-semantics.md`, LayerNorm).
    pub fn t_bound(&self) -> u64 {
        let n = u64::from(self.n);
        let mut root = (n as f64).sqrt() as u64;
        while root * root < n {
            root += 1;
        }
        while root > 0 && (root - 1) * (root - 1) >= n {
            root -= 1;
        }
        (root << self.frac_bits) + 1
    }

    /// 8-bit limbs of a value in `[0, 2T + 2]` (the threshold differences of `t`).
    pub fn limbs(&self) -> usize {
        limbs_for(2 * u128::from(self.t_bound()) + 2)
    }

    /// Limbs of the shift remainder: `8·Λρ ≥ K − F`.
    pub(crate) fn rho_limbs(&self) -> usize {
        usize::from(self.sqrt_bits - self.frac_bits).div_ceil(LIMB_BITS as usize)
    }

    /// `D`'s bound `n²·(2^14 + eps)` (8-bit activations: `Q ≤ n·2^14`).
    pub fn d_bound(&self) -> u128 {
        let n = u128::from(self.n);
        n * n * ((1 << 14) + self.eps.max(0) as u128)
    }

    /// Variables of a block (the padded column count).
    pub(crate) fn col_vars(&self) -> usize {
        ceil_log2(self.n as usize)
    }

    /// Every invariant the verifier relies on, the integer bounds included.
    pub fn check(&self) -> Result<(), String> {
        let n = self.n as usize;
        if self.axis.unsigned_abs() > super::MAX_RANK as u64 {
            return Err(format!("layernorm axis {} outside −8..=8", self.axis));
        }
        if !(1..=1u32 << 16).contains(&self.n) {
            return Err(format!("layernorm block of {} elements outside 1..=2^16", self.n));
        }
        if self.gamma.len() != n || self.beta.len() != n || self.requant.len() != n {
            return Err("layernorm needs one g, h and requantizer per position".into());
        }
        if self.eps < 0 {
            return Err("layernorm eps below 0".into());
        }
        if !(self.frac_bits >= 1 && self.frac_bits < self.sqrt_bits && self.sqrt_bits <= MAX_NORM_SQRT_BITS) {
            return Err(format!(
                "layernorm precisions F = {}, K = {}: the proof needs 1 ≤ F < K ≤ {MAX_NORM_SQRT_BITS} \
                 (wider K needs a limb-wise product for r²·D)",
                self.frac_bits, self.sqrt_bits
            ));
        }
        if self.d_bound() > MAX_NORM_D {
            return Err(format!(
                "layernorm D ≤ n²·(2^14 + eps) = {} exceeds 2^31 (n = {}, eps = {}): r·D would not stay \
                 below the field's modulus without a limb-wise product",
                self.d_bound(),
                self.n,
                self.eps
            ));
        }
        if self.gamma.iter().any(|g| g.abs() > QMAX) {
            return Err("layernorm g outside [−127, 127]".into());
        }
        if !self.requant.iter().all(|r| r.is_valid()) {
            return Err("invalid layernorm requantizer".into());
        }
        let t = u128::from(self.t_bound());
        let acc = t * QMAX as u128
            + self
                .beta
                .iter()
                .map(|h| u128::from(h.unsigned_abs()))
                .max()
                .unwrap_or(0);
        if acc > 1 << 62 {
            return Err("layernorm accumulator bound exceeds 2^62".into());
        }
        // The shift identity 2^k·(c·r + 2^(K−F−1)) = 2^(8Λρ)·t + ρ̃, with |c| ≤ 255·n, r < 2^32 and
        // |t| < T + 2 + 2^(8Λt), must hold over the integers.
        let rho_bits = 8 * self.rho_limbs() as u32;
        let k = rho_bits - u32::from(self.sqrt_bits - self.frac_bits);
        let lhs = (255 * u128::from(self.n) * (1 << 32) + (1 << 32)) << k;
        let rhs = (t + 2 + (1u128 << (8 * self.limbs()))) << rho_bits;
        if lhs + rhs > MAX_NORM_TERM {
            return Err(format!(
                "layernorm shift identity reaches {} > 2^62 (n = {}, K = {}, F = {})",
                lhs + rhs,
                self.n,
                self.sqrt_bits,
                self.frac_bits
            ));
        }
        Ok(())
    }

    /// Encoding after the tag and operand: `i64 axis ‖ u32 n ‖ i64 eps ‖ u8 K ‖ u8 F ‖ n × i8 g ‖ n × i64 h ‖ n × (u32 M ‖ u8 s)`.
    pub(crate) fn write(&self, w: &mut Writer) {
        w.i64(self.axis);
        w.u32(self.n);
        w.i64(self.eps);
        w.u8(self.sqrt_bits);
        w.u8(self.frac_bits);
        let g: Vec<u8> = self.gamma.iter().map(|&g| g as i8 as u8).collect();
        w.bytes(&g);
        self.beta.iter().for_each(|&h| w.i64(h));
        for r in &self.requant {
            w.u32(r.multiplier);
            w.u8(r.shift);
        }
    }

    /// Reads a key body; `channels` counts positions against the key's channel limit.
    pub(crate) fn read(r: &mut Reader<'_>, channels: &mut usize, max_channels: usize) -> Result<Self, DecodeError> {
        let axis = r.i64()?;
        let n = r.u32()?;
        let eps = r.i64()?;
        let (sqrt_bits, frac_bits) = (r.u8()?, r.u8()?);
        *channels = channels.saturating_add(n as usize);
        if *channels > max_channels || n > 1 << 16 {
            return Err(DecodeError::TooLarge {
                what: "layernorm positions",
                got: *channels as u64,
                max: max_channels.min(1 << 16) as u64,
            });
        }
        // Each position takes 14 bytes: refuse counts the input cannot back.
        if (n as usize).saturating_mul(14) > r.remaining() {
            return Err(DecodeError::Truncated);
        }
        let gamma = r.bytes(n as usize)?.iter().map(|&b| i64::from(b as i8)).collect();
        let beta = (0..n).map(|_| r.i64()).collect::<Result<_, _>>()?;
        let requant = (0..n)
            .map(|_| {
                Ok(RequantParams {
                    multiplier: r.u32()?,
                    shift: r.u8()?,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Self {
            axis,
            n,
            eps,
            sqrt_bits,
            frac_bits,
            gamma,
            beta,
            requant,
        })
    }
}

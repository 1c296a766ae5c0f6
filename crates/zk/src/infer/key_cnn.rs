//! The verifying-key stages of the CNN ops: `Conv` (with groups) and
//! `AveragePool` (constant window count), their windows, shape rules,
//! invariants and encodings (`docs/proof-system.md` §9.8).
//!
//! Both ops are "requantized window sums": an accumulator per output element
//! (a weighted sum over a 2-D window of the input, plus a bias for Conv)
//! mapped by a non-decreasing per-channel function to an 8-bit value, so
//! they are proved like `Linear` (threshold lookup, limbs) with a
//! window-structured claim reduction in place of the matmul.

use super::key::{LinearKey, RequantParams};
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;

/// Largest kernel size, stride, dilation and pad of a window along one axis (the semantics' limit).
pub const MAX_WINDOW: u32 = 1 << 12;
/// Largest requantizer shift of an average (the semantics' limit).
pub const MAX_AVERAGE_SHIFT: u8 = 64;

/// A 2-D window with explicit pads and `ceil_mode = 0` (`docs/exact-semantics.md` §3, Windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowKey {
    /// `[kh, kw]`.
    pub kernel: [u32; 2],
    /// `[sh, sw]`.
    pub strides: [u32; 2],
    /// `[dh, dw]`.
    pub dilations: [u32; 2],
    /// `[top, left, bottom, right]`.
    pub pads: [u32; 4],
}

impl WindowKey {
    pub(crate) fn check(&self) -> Result<(), String> {
        let positive = self.kernel.iter().chain(&self.strides).chain(&self.dilations);
        if positive.clone().any(|&v| v == 0) || positive.chain(&self.pads).any(|&v| v > MAX_WINDOW) {
            return Err(format!("window {self:?} outside the allowed ranges"));
        }
        Ok(())
    }

    /// Whether every pad is smaller than its axis's extent (the semantics' rule for pools).
    pub fn pads_below_extent(&self) -> bool {
        (0..2).all(|axis| {
            let e = self.extent(axis);
            (self.pads[axis] as usize) < e && (self.pads[axis + 2] as usize) < e
        })
    }

    /// `d·(k − 1) + 1` along `axis` (0 = H, 1 = W).
    pub fn extent(&self, axis: usize) -> usize {
        self.dilations[axis] as usize * (self.kernel[axis] as usize - 1) + 1
    }

    /// The output length along `axis` for input length `len` (`None` if the window does not fit).
    pub fn out_len(&self, axis: usize, len: usize) -> Option<usize> {
        let total = len + self.pads[axis] as usize + self.pads[axis + 2] as usize;
        Some(total.checked_sub(self.extent(axis))? / self.strides[axis] as usize + 1)
    }

    /// Input position read by tap `t` of output position `o` along `axis` (padding if outside `[0, len)`).
    pub fn pos(&self, axis: usize, o: usize, t: usize) -> i64 {
        (o * self.strides[axis] as usize + t * self.dilations[axis] as usize) as i64 - i64::from(self.pads[axis])
    }

    /// Taps of one window.
    pub fn taps(&self) -> u64 {
        u64::from(self.kernel[0]) * u64::from(self.kernel[1])
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        for v in self
            .kernel
            .iter()
            .chain(&self.strides)
            .chain(&self.dilations)
            .chain(&self.pads)
        {
            w.u32(*v);
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut v = [0u32; 10];
        for slot in &mut v {
            *slot = r.u32()?;
        }
        Ok(Self {
            kernel: [v[0], v[1]],
            strides: [v[2], v[3]],
            dilations: [v[4], v[5]],
            pads: [v[6], v[7], v[8], v[9]],
        })
    }
}

/// A 2-D convolution `[N, c_in, H, W] → [N, n, OH, OW]` in `group` groups:
/// output channel `m` reads input channels `γ·c_in/g + c`, `γ = m / (n/g)`,
/// `c < c_in/g`. `channels` holds the per-output-channel part exactly as for
/// a linear layer with `k = (c_in/g)·kh·kw` (bias, requantizer, ReLU flag,
/// bound `B`); the weights `w[m][(c·kh + i)·kw + j]` are committed, not listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConvKey {
    /// Input channels.
    pub c_in: u32,
    /// Groups `g ≥ 1` (dividing `c_in` and `n`).
    pub group: u32,
    /// The window (stride, dilation, padding).
    pub window: WindowKey,
    /// Output channels, bias, requantizers, ReLU flag and accumulator bound.
    pub channels: LinearKey,
}

/// `AveragePool` whose every window counts `kh·kw` positions (no padding,
/// or padding counted): `y = sat(round(S·M / (kh·kw·2^s)))` of the window sum `S`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The window.
    pub window: WindowKey,
    /// `(M, s)`, `s ≤ 64`.
    pub requant: RequantParams,
}

impl PoolKey {
    /// `B = 128·kh·kw ≥ |S|`.
    pub fn acc_bound(&self) -> u64 {
        128 * self.window.taps()
    }

    /// 8-bit limbs needed for a value in `[0, 2B]`.
    pub fn limbs(&self) -> usize {
        let bits = 64 - (2 * self.acc_bound() + 1).leading_zeros();
        (bits as usize).div_ceil(super::LIMB_BITS as usize).max(1)
    }
}

impl ConvKey {
    /// Input channels per group.
    pub fn group_channels(&self) -> u32 {
        self.c_in / self.group.max(1)
    }
}

pub(crate) fn check_conv(c: &ConvKey) -> Result<(), String> {
    c.window.check()?;
    let g = c.group;
    if g == 0 || c.c_in == 0 || !c.c_in.is_multiple_of(g) || !c.channels.n.is_multiple_of(g) {
        return Err(format!("conv: {} → {} channels in {g} groups", c.c_in, c.channels.n));
    }
    let k = u64::from(c.group_channels()) * c.window.taps();
    if k != u64::from(c.channels.k) {
        return Err(format!("conv: k = {} is not (c_in/g)·kh·kw = {k}", c.channels.k));
    }
    Ok(())
}

pub(crate) fn check_pool(p: &PoolKey) -> Result<(), String> {
    p.window.check()?;
    if !p.window.pads_below_extent() {
        return Err(format!(
            "pool window {:?}: a pad is not smaller than the extent",
            p.window
        ));
    }
    if !p.requant.is_valid() || p.requant.shift > MAX_AVERAGE_SHIFT {
        return Err("invalid average requantizer".into());
    }
    Ok(())
}

pub(crate) fn write_pool(w: &mut Writer, p: &PoolKey) {
    p.window.write(w);
    w.u32(p.requant.multiplier);
    w.u8(p.requant.shift);
}

pub(crate) fn read_pool(r: &mut Reader<'_>) -> Result<PoolKey, DecodeError> {
    let window = WindowKey::read(r)?;
    let requant = RequantParams {
        multiplier: r.u32()?,
        shift: r.u8()?,
    };
    Ok(PoolKey { window, requant })
}

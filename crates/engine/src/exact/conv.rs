//! The integer 2-D convolution (`Conv`, tag 6): parameters, invariants,
//! encoding and the runner: im2col (one row of patch values per output
//! pixel of the whole batch, in chunks of bounded size) feeding
//! [`linear_acc`](super::kernels::linear_acc).

use super::codec::{Reader, Writer};
use super::kernels::{fits_i32, linear_acc};
use super::model::{Bits, IntTensor};
use super::op::{Budget, IntOp, check_requants, check_work, floor, read_window, write_window};
use super::quant::Requant;
use super::shape::elements;
use super::validate::ACC_BOUND;
use super::window::{Window2d, nchw};

/// Encoding tag of [`Conv`].
pub const TAG_CONV: u8 = 6;

/// Most im2col entries built at once (bounds the runner's scratch memory).
const IM2COL_CHUNK: usize = 1 << 20;

/// A 2-D convolution over an NCHW input `[N, c_in, H, W]`, producing
/// `[N, c_out, OH, OW]`. Channels split into `group` groups; output
/// channel `m` belongs to group `g = m / (c_out / group)` and reads input
/// channels `g · c_in/group ..`. Per output channel: `k = c_in/group · kh ·
/// kw` weights in `(channel, row, column)` order, an i64 bias and a
/// requantizer. Padded positions read 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conv {
    pub input: u32,
    pub c_in: u32,
    pub c_out: u32,
    pub group: u32,
    pub window: Window2d,
    pub relu: bool,
    /// `c_out × k`, row `m` = output channel `m`; each in `[-qmax, qmax]`.
    pub weights: Vec<i16>,
    pub bias: Vec<i64>,
    pub requant: Vec<Requant>,
}

impl Conv {
    /// `k`: the length of one output channel's dot product.
    pub fn k(&self) -> usize {
        (self.c_in / self.group.max(1)) as usize * self.window.kernel[0] as usize * self.window.kernel[1] as usize
    }

    /// The worst-case `|accumulator|`: `k · 2^(b−1) · qmax + max |bias|`.
    pub fn acc_bound(&self, qmax: i64) -> i128 {
        let max_bias = self
            .bias
            .iter()
            .map(|b| i128::from(b.unsigned_abs()))
            .max()
            .unwrap_or(0);
        self.k() as i128 * i128::from(qmax + 1) * i128::from(qmax) + max_bias
    }

    pub(crate) fn decode(r: &mut Reader<'_>, bits: Bits, budget: &mut Budget<'_>) -> Result<Conv, String> {
        let input = r.u32("conv input")?;
        let (c_in, c_out, group) = (r.u32("conv c_in")?, r.u32("conv c_out")?, r.u32("conv group")?);
        let window = read_window(r)?;
        let relu = r.bool("conv relu")?;
        let mut conv = Conv {
            input,
            c_in,
            c_out,
            group,
            window,
            relu,
            weights: Vec::new(),
            bias: Vec::new(),
            requant: Vec::new(),
        };
        if group == 0 || window.check().is_err() {
            return Err(format!("conv group {group} or window {window:?} out of range"));
        }
        let n = c_out as usize;
        let count = conv.k().checked_mul(n).ok_or("conv size overflows")?;
        budget(count.saturating_add(n))?;
        conv.weights = r
            .values(bits, count, "conv weights")?
            .into_iter()
            .map(|v| v as i16)
            .collect();
        if n.saturating_mul(13) > r.0.len() {
            return Err("truncated conv bias and multipliers".into());
        }
        conv.bias = (0..n).map(|_| r.i64("conv bias")).collect::<Result<_, _>>()?;
        conv.requant = (0..n).map(|_| r.requant("conv multiplier")).collect::<Result<_, _>>()?;
        Ok(conv)
    }
}

impl IntOp for Conv {
    fn name(&self) -> &'static str {
        "Conv"
    }

    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }

    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }

    fn check(&self, bits: Bits) -> Result<(), String> {
        let (g, c_in, c_out) = (self.group, self.c_in, self.c_out);
        if g == 0 || c_in == 0 || c_out == 0 || c_in % g != 0 || c_out % g != 0 {
            return Err(format!("conv with {c_in} → {c_out} channels in {g} groups"));
        }
        self.window.check()?;
        if self.window.ceil_mode {
            return Err("conv with ceil_mode".into());
        }
        let n = c_out as usize;
        if Some(self.weights.len()) != self.k().checked_mul(n) || self.bias.len() != n || self.requant.len() != n {
            return Err("conv with inconsistent parameter counts".into());
        }
        let qmax = bits.qmax();
        if self.weights.iter().any(|&w| i64::from(w).abs() > qmax) {
            return Err(format!("conv weight outside [-{qmax}, {qmax}]"));
        }
        check_requants(&self.requant)?;
        if self.acc_bound(qmax) > ACC_BOUND {
            return Err("conv accumulator bound exceeds 2^62".into());
        }
        Ok(())
    }

    fn tag(&self) -> u8 {
        TAG_CONV
    }

    fn encode(&self, w: &mut Writer, bits: Bits) {
        w.u32(self.input);
        w.u32(self.c_in);
        w.u32(self.c_out);
        w.u32(self.group);
        write_window(w, &self.window);
        w.u8(u8::from(self.relu));
        self.weights.iter().for_each(|&v| w.value(bits, i64::from(v)));
        self.bias.iter().for_each(|&b| w.i64(b));
        self.requant.iter().for_each(|&r| w.requant(r));
    }

    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let [n, c, h, w] = nchw(&x.shape)?;
        if c != self.c_in as usize {
            return Err(format!("conv input has {c} channels, expected {}", self.c_in));
        }
        let [oh, ow] = self.window.out_hw(h, w)?;
        let (m, g) = (self.c_out as usize, self.group as usize);
        let shape = vec![n, m, oh, ow];
        check_work(elements(&shape)?, self.k())?;
        let mut out = vec![0i64; elements(&shape)?];
        let xs: Vec<i16> = x
            .data
            .iter()
            .map(|&v| i16::try_from(v).map_err(|_| format!("value {v} outside int16")))
            .collect::<Result<_, _>>()?;
        let (k, cg, mg, pixels) = (self.k(), c / g, m / g, oh * ow);
        let (lo, hi) = (floor(self.relu, bits), bits.qmax());
        let wide = !fits_i32(k, -bits.qmin(), hi);
        // Rows are output pixels of every sample, (sample, y, x) in order,
        // taken in chunks that bound the scratch memory.
        let total = n * pixels;
        let chunk = (IM2COL_CHUNK / k.max(1)).clamp(1, total.max(1));
        let mut col = vec![0i16; chunk * k];
        let mut acc = vec![0i64; chunk * mg];
        for gi in 0..g {
            let wg = &self.weights[gi * mg * k..][..mg * k];
            for r0 in (0..total).step_by(chunk) {
                let rows = chunk.min(total - r0);
                for (r, patch) in col[..rows * k].chunks_exact_mut(k).enumerate() {
                    let (ni, p) = ((r0 + r) / pixels, (r0 + r) % pixels);
                    let xg = &xs[(ni * c + gi * cg) * h * w..][..cg * h * w];
                    im2col_row(xg, [cg, h, w], &self.window, [p / ow, p % ow], patch);
                }
                linear_acc(&col[..rows * k], rows, k, wg, mg, wide, &mut acc[..rows * mg]);
                for (r, row) in acc[..rows * mg].chunks_exact(mg).enumerate() {
                    let (ni, p) = ((r0 + r) / pixels, (r0 + r) % pixels);
                    for (j, &a) in row.iter().enumerate() {
                        let ch = gi * mg + j;
                        out[(ni * m + ch) * pixels + p] = self.requant[ch].apply_sat(a + self.bias[ch], lo, hi);
                    }
                }
            }
        }
        Ok(IntTensor { shape, data: out })
    }
}

/// Fills `patch` (length `k`) with the input values under the window of
/// output pixel `(oy, ox)` in `(channel, row, column)` order, 0 where the
/// window lies in the padding.
fn im2col_row(x: &[i16], [c, h, w]: [usize; 3], win: &Window2d, [oy, ox]: [usize; 2], patch: &mut [i16]) {
    let (kh, kw) = (win.kernel[0] as usize, win.kernel[1] as usize);
    let x0 = win.pos(1, ox, 0);
    // The common case: the whole row of taps lies inside the input.
    let contiguous = win.dilations[1] == 1 && x0 >= 0 && x0 as usize + kw <= w;
    for (ci, taps) in patch.chunks_exact_mut(kh * kw).enumerate().take(c) {
        let plane = &x[ci * h * w..][..h * w];
        for (i, out) in taps.chunks_exact_mut(kw).enumerate() {
            let iy = win.pos(0, oy, i);
            if iy < 0 || iy >= h as i64 {
                out.fill(0);
            } else if contiguous {
                out.copy_from_slice(&plane[iy as usize * w + x0 as usize..][..kw]);
            } else {
                let line = &plane[iy as usize * w..][..w];
                for (j, v) in out.iter_mut().enumerate() {
                    let ix = win.pos(1, ox, j);
                    *v = if ix >= 0 && ix < w as i64 { line[ix as usize] } else { 0 };
                }
            }
        }
    }
}

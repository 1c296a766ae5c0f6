//! Integer pooling: `MaxPool` (tag 7), `AveragePool` (tag 8) and
//! `GlobalAveragePool` (tag 9). An average is the exact integer window sum
//! rescaled and divided by the window count in one rounding step
//! ([`rq_div`]), so it is provable with one range check on the remainder.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::{IntOp, check_requants, check_work, read_window, write_window};
use super::quant::Requant;
use super::shape::elements;
use super::window::{Window2d, nchw};

pub const TAG_MAX_POOL: u8 = 7;
pub const TAG_AVERAGE_POOL: u8 = 8;
pub const TAG_GLOBAL_AVERAGE_POOL: u8 = 9;

/// Largest requantizer shift of an average (keeps `c · 2^s` far inside i128).
pub const MAX_AVERAGE_SHIFT: u8 = 64;

/// `floor((x · M + c · 2^(s−1)) / (c · 2^s))`: `x · M / (2^s · c)` rounded
/// to nearest, ties toward +∞, in i128 (`c ≥ 1`, `s ≤ 64`, `|x| < 2^63`).
pub fn rq_div(r: Requant, x: i64, c: i64) -> i128 {
    let d = i128::from(c) << r.shift;
    (i128::from(x) * i128::from(r.multiplier) + d / 2).div_euclid(d)
}

/// Max over each window; padded positions never win.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaxPool {
    pub input: u32,
    pub window: Window2d,
}

/// Average over each window: `sat(rq_div(requant, Σ valid x, count))`,
/// where `count` is the number of in-input positions, or with
/// `count_include_pad` the number of positions before the end of the end
/// padding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AvgPool {
    pub input: u32,
    pub window: Window2d,
    pub count_include_pad: bool,
    pub requant: Requant,
}

/// Average over all axes after the first two (`[N, C, ...]` → `[N, C, 1, ...]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlobalAvgPool {
    pub input: u32,
    pub requant: Requant,
}

/// Window checks shared by both pools: valid ranges and every pad smaller
/// than the window extent.
fn check_pool_window(w: &Window2d) -> Result<(), String> {
    w.check()?;
    for axis in 0..2 {
        if w.pad(axis, false) >= w.extent(axis) || w.pad(axis, true) >= w.extent(axis) {
            return Err(format!(
                "pool window {w:?}: a pad is not smaller than the window extent"
            ));
        }
    }
    Ok(())
}

fn check_average_requant(r: Requant) -> Result<(), String> {
    check_requants([&r])?;
    if r.shift > MAX_AVERAGE_SHIFT {
        return Err(format!(
            "average multiplier shift {} exceeds {MAX_AVERAGE_SHIFT}",
            r.shift
        ));
    }
    Ok(())
}

/// For every output position of every plane: calls `f(values, counted)`
/// with the in-input values under the window and the count of positions
/// before the end of the end padding. Output `[N, C, OH, OW]`.
fn pool_planes(
    x: &IntTensor,
    win: &Window2d,
    mut f: impl FnMut(&mut dyn Iterator<Item = i64>, usize) -> Result<i64, String>,
) -> Result<IntTensor, String> {
    let [n, c, h, w] = nchw(&x.shape)?;
    let [oh, ow] = win.out_hw(h, w)?;
    let shape = vec![n, c, oh, ow];
    let (kh, kw) = (win.kernel[0] as usize, win.kernel[1] as usize);
    check_work(elements(&shape)?, kh * kw)?;
    let mut out = Vec::with_capacity(elements(&shape)?);
    let (end_h, end_w) = ((h + win.pad(0, true)) as i64, (w + win.pad(1, true)) as i64);
    for p in 0..n * c {
        let plane = &x.data[p * h * w..][..h * w];
        for oy in 0..oh {
            for ox in 0..ow {
                let taps = (0..kh).flat_map(|i| (0..kw).map(move |j| (win.pos(0, oy, i), win.pos(1, ox, j))));
                let counted = taps.clone().filter(|&(y, x)| y < end_h && x < end_w).count();
                let mut values = taps
                    .filter(|&(y, x)| y >= 0 && x >= 0 && y < h as i64 && x < w as i64)
                    .map(|(y, x)| plane[y as usize * w + x as usize]);
                out.push(f(&mut values, counted)?);
            }
        }
    }
    Ok(IntTensor { shape, data: out })
}

impl MaxPool {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<MaxPool, String> {
        Ok(MaxPool {
            input: r.u32("max pool input")?,
            window: read_window(r)?,
        })
    }
}

impl IntOp for MaxPool {
    fn name(&self) -> &'static str {
        "MaxPool"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_pool_window(&self.window)
    }
    fn tag(&self) -> u8 {
        TAG_MAX_POOL
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_window(w, &self.window);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        pool_planes(args[0], &self.window, |values, _| {
            values
                .max()
                .ok_or_else(|| "a pooling window covers no input position".to_string())
        })
    }
}

impl AvgPool {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<AvgPool, String> {
        Ok(AvgPool {
            input: r.u32("average pool input")?,
            window: read_window(r)?,
            count_include_pad: r.bool("average pool count_include_pad")?,
            requant: r.requant("average pool multiplier")?,
        })
    }
}

impl IntOp for AvgPool {
    fn name(&self) -> &'static str {
        "AveragePool"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_pool_window(&self.window)?;
        check_average_requant(self.requant)
    }
    fn tag(&self) -> u8 {
        TAG_AVERAGE_POOL
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_window(w, &self.window);
        w.u8(u8::from(self.count_include_pad));
        w.requant(self.requant);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let (lo, hi) = (i128::from(bits.qmin()), i128::from(bits.qmax()));
        pool_planes(args[0], &self.window, |values, counted| {
            let (mut sum, mut valid) = (0i64, 0usize);
            for v in values {
                sum += v;
                valid += 1;
            }
            let count = if self.count_include_pad { counted } else { valid };
            if count == 0 {
                return Err("a pooling window covers no input position".into());
            }
            Ok(rq_div(self.requant, sum, count as i64).clamp(lo, hi) as i64)
        })
    }
}

impl GlobalAvgPool {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<GlobalAvgPool, String> {
        Ok(GlobalAvgPool {
            input: r.u32("global average pool input")?,
            requant: r.requant("global average pool multiplier")?,
        })
    }
}

impl IntOp for GlobalAvgPool {
    fn name(&self) -> &'static str {
        "GlobalAveragePool"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_average_requant(self.requant)
    }
    fn tag(&self) -> u8 {
        TAG_GLOBAL_AVERAGE_POOL
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.requant(self.requant);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        if x.shape.len() < 3 {
            return Err(format!("global average pool of shape {:?}", x.shape));
        }
        let count: usize = x.shape[2..].iter().product();
        if count == 0 {
            return Err(format!("global average pool of an empty tensor {:?}", x.shape));
        }
        let mut shape = x.shape.clone();
        shape[2..].iter_mut().for_each(|d| *d = 1);
        let (lo, hi) = (i128::from(bits.qmin()), i128::from(bits.qmax()));
        let data = x
            .data
            .chunks_exact(count)
            .map(|p| rq_div(self.requant, p.iter().sum(), count as i64).clamp(lo, hi) as i64)
            .collect();
        Ok(IntTensor { shape, data })
    }
}

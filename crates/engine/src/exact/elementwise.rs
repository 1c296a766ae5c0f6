//! Integer element-wise ops: `Sub` (tag 10), `Mul` (tag 11), `LeakyRelu`
//! (tag 12) and `Clip` (tag 13). Binary ops broadcast like numpy.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::{IntOp, check_requants, floor};
use super::quant::Requant;
use super::shape::{broadcast, broadcast_indices, elements};

pub const TAG_SUB: u8 = 10;
pub const TAG_MUL: u8 = 11;
pub const TAG_LEAKY_RELU: u8 = 12;
pub const TAG_CLIP: u8 = 13;

/// `y = sat(requant_a(a) − requant_b(b))`, lower bound 0 when `relu`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sub {
    pub a: u32,
    pub b: u32,
    pub requant_a: Requant,
    pub requant_b: Requant,
    pub relu: bool,
}

/// `y = sat(requant(a · b))` (the exact product, one rounding), lower
/// bound 0 when `relu`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mul {
    pub a: u32,
    pub b: u32,
    pub requant: Requant,
    pub relu: bool,
}

/// `y = x` for `x ≥ 0`, else `sat(requant(x))` (`requant ≈ alpha`); same scale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeakyRelu {
    pub input: u32,
    pub requant: Requant,
}

/// `y = min(max(x, lo), hi)`; same scale. `lo`, `hi` in `[qmin, qmax]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clip {
    pub input: u32,
    pub lo: i64,
    pub hi: i64,
}

/// `f(a, b)` over the numpy broadcast of two tensors.
pub(crate) fn broadcast_map(a: &IntTensor, b: &IntTensor, f: impl Fn(i64, i64) -> i64) -> Result<IntTensor, String> {
    let shape = broadcast(&a.shape, &b.shape)?;
    let mut data = Vec::with_capacity(elements(&shape)?);
    broadcast_indices(&shape, &a.shape, &b.shape, |i, j| data.push(f(a.data[i], b.data[j])));
    Ok(IntTensor { shape, data })
}

fn clamp(v: i128, lo: i64, hi: i64) -> i64 {
    v.clamp(i128::from(lo), i128::from(hi)) as i64
}

impl Sub {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Sub, String> {
        Ok(Sub {
            a: r.u32("sub a")?,
            b: r.u32("sub b")?,
            requant_a: r.requant("sub multiplier a")?,
            requant_b: r.requant("sub multiplier b")?,
            relu: r.bool("sub relu")?,
        })
    }
}

impl IntOp for Sub {
    fn name(&self) -> &'static str {
        "Sub"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.a, self.b]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.a, &mut self.b]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_requants([&self.requant_a, &self.requant_b])
    }
    fn tag(&self) -> u8 {
        TAG_SUB
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.a);
        w.u32(self.b);
        w.requant(self.requant_a);
        w.requant(self.requant_b);
        w.u8(u8::from(self.relu));
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let (lo, hi) = (floor(self.relu, bits), bits.qmax());
        broadcast_map(args[0], args[1], |a, b| {
            clamp(self.requant_a.apply(a) - self.requant_b.apply(b), lo, hi)
        })
    }
}

impl Mul {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Mul, String> {
        Ok(Mul {
            a: r.u32("mul a")?,
            b: r.u32("mul b")?,
            requant: r.requant("mul multiplier")?,
            relu: r.bool("mul relu")?,
        })
    }
}

impl IntOp for Mul {
    fn name(&self) -> &'static str {
        "Mul"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.a, self.b]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.a, &mut self.b]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_requants([&self.requant])
    }
    fn tag(&self) -> u8 {
        TAG_MUL
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.a);
        w.u32(self.b);
        w.requant(self.requant);
        w.u8(u8::from(self.relu));
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        // |a · b| ≤ 2^30: activations are within the model's width.
        let (lo, hi) = (floor(self.relu, bits), bits.qmax());
        broadcast_map(args[0], args[1], |a, b| {
            clamp(self.requant.apply(a.saturating_mul(b)), lo, hi)
        })
    }
}

impl LeakyRelu {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<LeakyRelu, String> {
        Ok(LeakyRelu {
            input: r.u32("leaky relu input")?,
            requant: r.requant("leaky relu multiplier")?,
        })
    }
}

impl IntOp for LeakyRelu {
    fn name(&self) -> &'static str {
        "LeakyRelu"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        check_requants([&self.requant])
    }
    fn tag(&self) -> u8 {
        TAG_LEAKY_RELU
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.requant(self.requant);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let (lo, hi) = (bits.qmin(), bits.qmax());
        let x = args[0];
        Ok(IntTensor {
            shape: x.shape.clone(),
            data: x
                .data
                .iter()
                .map(|&v| if v >= 0 { v } else { self.requant.apply_sat(v, lo, hi) })
                .collect(),
        })
    }
}

impl Clip {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Clip, String> {
        Ok(Clip {
            input: r.u32("clip input")?,
            lo: r.i64("clip lo")?,
            hi: r.i64("clip hi")?,
        })
    }
}

impl IntOp for Clip {
    fn name(&self) -> &'static str {
        "Clip"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, bits: Bits) -> Result<(), String> {
        let range = bits.qmin()..=bits.qmax();
        if !range.contains(&self.lo) || !range.contains(&self.hi) {
            return Err(format!("clip bounds [{}, {}] outside {range:?}", self.lo, self.hi));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_CLIP
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.i64(self.lo);
        w.i64(self.hi);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        Ok(IntTensor {
            shape: x.shape.clone(),
            data: x.data.iter().map(|&v| v.max(self.lo).min(self.hi)).collect(),
        })
    }
}

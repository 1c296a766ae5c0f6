//! `Reduce` (tag 35): ONNX `ReduceSum` and `ReduceMean` over a set of axes.
//!
//! With `acc = Σ x` over the `R` reduced elements (exact), requantizer
//! `(M, s)` and `R' = R` for a mean, `R' = 1` for a sum:
//!
//! ```text
//! y = sat(floor((2 · acc · M + R' · 2^s) / (R' · 2^(s+1))))  into [qmin, qmax]
//! ```
//!
//! that is `acc · M / (R' · 2^s)` rounded half up, one rounding in all
//! (AveragePool's [`rq_div`]).
//! Bounds: `R <= 2^26` (the element limit), `|acc| <= 2^41`, `M < 2^31`,
//! and validation requires `s <= 64`, so numerator and denominator stay
//! below `2^92` (i128). A mean over zero elements is a run-time error.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::{IntOp, read_i64s, write_i64s};
use super::pool::rq_div;
use super::quant::Requant;
use super::shape::{MAX_ELEMENTS, elements};
use super::validate::MAX_RANK;

pub const TAG_REDUCE: u8 = 35;

/// Largest requantizer shift of a reduction.
pub const MAX_REDUCE_SHIFT: u8 = 64;

/// Sum or mean over `axes` (empty: every axis), dropping them unless `keepdims`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reduce {
    pub input: u32,
    /// Negative counts from the end; no axis twice.
    pub axes: Vec<i64>,
    pub keepdims: bool,
    pub mean: bool,
    pub requant: Requant,
}

/// The reduced axes of a rank-`rank` tensor as flags (duplicates refused).
pub fn axis_flags(axes: &[i64], rank: usize) -> Result<Vec<bool>, String> {
    let mut flags = vec![axes.is_empty(); rank];
    for &a in axes {
        let r = rank as i64;
        let i = if a < 0 { a + r } else { a };
        if !(0..r).contains(&i) || flags[i as usize] {
            return Err(format!("reduce axes {axes:?} invalid for rank {rank}"));
        }
        flags[i as usize] = true;
    }
    Ok(flags)
}

/// The reduced shape with every reduced axis kept as 1, and how many input
/// elements fold into each output element.
pub fn reduced_shape(shape: &[usize], flags: &[bool]) -> (Vec<usize>, usize) {
    let kept = shape.iter().zip(flags).map(|(&d, &f)| if f { 1 } else { d }).collect();
    let count = shape.iter().zip(flags).filter(|(_, f)| **f).map(|(&d, _)| d).product();
    (kept, count)
}

impl Reduce {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Reduce, String> {
        Ok(Reduce {
            input: r.u32("reduce input")?,
            axes: read_i64s(r, MAX_RANK, "reduce axes")?,
            keepdims: r.bool("reduce keepdims")?,
            mean: r.bool("reduce mean")?,
            requant: r.requant("reduce multiplier")?,
        })
    }
}

impl IntOp for Reduce {
    fn name(&self) -> &'static str {
        if self.mean { "ReduceMean" } else { "ReduceSum" }
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        if self.axes.len() > MAX_RANK || self.axes.iter().any(|a| a.unsigned_abs() > MAX_RANK as u64) {
            return Err(format!("axes {:?}", self.axes));
        }
        if !self.requant.is_valid() || self.requant.shift > MAX_REDUCE_SHIFT {
            return Err(format!(
                "multiplier {:?} (shift at most {MAX_REDUCE_SHIFT})",
                self.requant
            ));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_REDUCE
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_i64s(w, &self.axes);
        w.u8(u8::from(self.keepdims));
        w.u8(u8::from(self.mean));
        w.requant(self.requant);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let flags = axis_flags(&self.axes, x.shape.len())?;
        let (kept, count) = reduced_shape(&x.shape, &flags);
        let out_len = elements(&kept)?;
        // Strides of the output (kept dims) seen from every input position.
        let mut acc = vec![0i64; out_len];
        let mut idx = vec![0usize; x.shape.len()];
        for &v in &x.data {
            let mut o = 0;
            for (d, (&i, &k)) in idx.iter().zip(&kept).enumerate() {
                o = o * k + if flags[d] { 0 } else { i };
            }
            acc[o] += v;
            for d in (0..idx.len()).rev() {
                idx[d] += 1;
                if idx[d] < x.shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        if count > MAX_ELEMENTS {
            return Err(format!("reduction over {count} elements exceeds {MAX_ELEMENTS}"));
        }
        let div = if self.mean { count as i64 } else { 1 };
        if div == 0 {
            return Err("mean over zero elements".into());
        }
        let (lo, hi) = (i128::from(bits.qmin()), i128::from(bits.qmax()));
        let data = acc
            .iter()
            .map(|&a| rq_div(self.requant, a, div).clamp(lo, hi) as i64)
            .collect();
        let shape = if self.keepdims {
            kept
        } else {
            x.shape
                .iter()
                .zip(&flags)
                .filter(|(_, f)| !**f)
                .map(|(&d, _)| d)
                .collect()
        };
        Ok(IntTensor { shape, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(axes: Vec<i64>, keepdims: bool, mean: bool) -> Reduce {
        Reduce {
            input: 0,
            axes,
            keepdims,
            mean,
            requant: Requant::for_ratio(1.0).unwrap(),
        }
    }

    #[test]
    fn sums_and_means_round_half_up() {
        let x = IntTensor {
            shape: vec![2, 3],
            data: vec![1, 2, 4, -1, -2, -6],
        };
        let sum = op(vec![1], false, false).run(&[&x], Bits::B8).unwrap();
        assert_eq!(
            (sum.shape.as_slice(), sum.data.as_slice()),
            (&[2usize][..], &[7i64, -9][..])
        );
        let mean = op(vec![-1], true, true).run(&[&x], Bits::B8).unwrap();
        // 7/3 = 2.33 → 2; −9/3 = −3.
        assert_eq!(
            (mean.shape.as_slice(), mean.data.as_slice()),
            (&[2usize, 1][..], &[2i64, -3][..])
        );
        let cols = op(vec![0], false, true).run(&[&x], Bits::B8).unwrap();
        // 0/2 = 0, 0/2 = 0, −2/2 = −1.
        assert_eq!(cols.data, [0, 0, -1]);
        let half = IntTensor {
            shape: vec![2],
            data: vec![-2, -1],
        };
        // −3/2 = −1.5 → −1 (half up).
        assert_eq!(op(vec![], false, true).run(&[&half], Bits::B8).unwrap().data, [-1]);
        let all = op(vec![], true, false).run(&[&x], Bits::B8).unwrap();
        assert_eq!(
            (all.shape.as_slice(), all.data.as_slice()),
            (&[1usize, 1][..], &[-2i64][..])
        );
        assert!(op(vec![2], false, true).run(&[&x], Bits::B8).is_err());
        assert!(op(vec![1, -1], false, true).run(&[&x], Bits::B8).is_err());
        let empty = IntTensor {
            shape: vec![0, 2],
            data: vec![],
        };
        assert!(op(vec![0], false, true).run(&[&empty], Bits::B8).is_err());
    }
}

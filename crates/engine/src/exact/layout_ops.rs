//! Integer layout ops: `Transpose` (tag 14), `Concat` (15), `Squeeze` (16),
//! `Unsqueeze` (17), `Slice` (18) and `Gather` with constant indices (19).
//! Values move unchanged (same scale), except that `Concat` rescales each
//! input to the output scale. The data rules are [`layout`]'s.

use super::codec::Writer;
use super::import_ops::MAX_CONCAT_INPUTS;
use super::layout;
use super::model::{Bits, IntTensor};
use super::op::{IntOp, check_requants, write_i64s};
use super::quant::Requant;
use super::validate::MAX_RANK;

pub const TAG_TRANSPOSE: u8 = 14;
pub const TAG_CONCAT: u8 = 15;
pub const TAG_SQUEEZE: u8 = 16;
pub const TAG_UNSQUEEZE: u8 = 17;
pub const TAG_SLICE: u8 = 18;
pub const TAG_GATHER: u8 = 19;

/// Output axis `i` is input axis `perm[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transpose {
    pub input: u32,
    pub perm: Vec<u8>,
}

/// `concat(sat(requant[i](inputs[i])))` along `axis`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Concat {
    pub inputs: Vec<u32>,
    pub requant: Vec<Requant>,
    pub axis: i64,
}

/// Removes the listed size-1 axes; an empty list removes every size-1 axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Squeeze {
    pub input: u32,
    pub axes: Vec<i64>,
}

/// Inserts size-1 axes at the listed output positions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unsqueeze {
    pub input: u32,
    pub axes: Vec<i64>,
}

/// ONNX Slice with constant parameters (equal lengths, at most 8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slice {
    pub input: u32,
    pub starts: Vec<i64>,
    pub ends: Vec<i64>,
    pub axes: Vec<i64>,
    pub steps: Vec<i64>,
}

/// `input[..., indices, ...]` along `axis`, with constant indices of shape
/// `index_shape`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gather {
    pub input: u32,
    pub axis: i64,
    pub index_shape: Vec<usize>,
    pub indices: Vec<i64>,
}

fn check_axes(axes: &[i64]) -> Result<(), String> {
    if axes.len() > MAX_RANK || axes.iter().any(|a| a.unsigned_abs() > MAX_RANK as u64) {
        return Err(format!("axes {axes:?} out of range"));
    }
    Ok(())
}

fn same_shape(x: &IntTensor, shape: Vec<usize>) -> IntTensor {
    IntTensor {
        shape,
        data: x.data.clone(),
    }
}

/// `impl IntOp` boilerplate for the one-input ops of this file.
macro_rules! one_input {
    ($name:literal, $tag:expr) => {
        fn name(&self) -> &'static str {
            $name
        }
        fn operands(&self) -> Vec<u32> {
            vec![self.input]
        }
        fn operands_mut(&mut self) -> Vec<&mut u32> {
            vec![&mut self.input]
        }
        fn tag(&self) -> u8 {
            $tag
        }
    };
}

impl IntOp for Transpose {
    one_input!("Transpose", TAG_TRANSPOSE);
    fn check(&self, _: Bits) -> Result<(), String> {
        let mut seen = [false; MAX_RANK];
        if self.perm.len() > MAX_RANK
            || self.perm.iter().any(|&p| {
                let p = usize::from(p);
                p >= self.perm.len() || std::mem::replace(&mut seen[p], true)
            })
        {
            return Err(format!("transpose perm {:?} is not a permutation", self.perm));
        }
        Ok(())
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.u8(self.perm.len() as u8);
        self.perm.iter().for_each(|&p| w.u8(p));
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let perm: Vec<usize> = self.perm.iter().map(|&p| usize::from(p)).collect();
        let (shape, data) = layout::transpose(&args[0].shape, &args[0].data, &perm)?;
        Ok(IntTensor { shape, data })
    }
}

impl IntOp for Concat {
    fn name(&self) -> &'static str {
        "Concat"
    }
    fn operands(&self) -> Vec<u32> {
        self.inputs.clone()
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        self.inputs.iter_mut().collect()
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        let n = self.inputs.len();
        if n == 0 || n > MAX_CONCAT_INPUTS || self.requant.len() != n {
            return Err(format!("concat of {n} inputs with {} multipliers", self.requant.len()));
        }
        check_axes(&[self.axis])?;
        check_requants(&self.requant)
    }
    fn tag(&self) -> u8 {
        TAG_CONCAT
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.len(self.inputs.len());
        for (&v, &r) in self.inputs.iter().zip(&self.requant) {
            w.u32(v);
            w.requant(r);
        }
        w.i64(self.axis);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let (lo, hi) = (bits.qmin(), bits.qmax());
        let scaled: Vec<Vec<i64>> = args
            .iter()
            .zip(&self.requant)
            .map(|(x, r)| x.data.iter().map(|&v| r.apply_sat(v, lo, hi)).collect())
            .collect();
        let parts: Vec<(&[usize], &[i64])> = args.iter().zip(&scaled).map(|(x, d)| (&x.shape[..], &d[..])).collect();
        let (shape, data) = layout::concat(&parts, self.axis)?;
        Ok(IntTensor { shape, data })
    }
}

impl IntOp for Squeeze {
    one_input!("Squeeze", TAG_SQUEEZE);
    fn check(&self, _: Bits) -> Result<(), String> {
        check_axes(&self.axes)
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_i64s(w, &self.axes);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let axes = (!self.axes.is_empty()).then_some(&self.axes[..]);
        Ok(same_shape(args[0], layout::squeeze_shape(&args[0].shape, axes)?))
    }
}

impl IntOp for Unsqueeze {
    one_input!("Unsqueeze", TAG_UNSQUEEZE);
    fn check(&self, _: Bits) -> Result<(), String> {
        check_axes(&self.axes)
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_i64s(w, &self.axes);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        Ok(same_shape(
            args[0],
            layout::unsqueeze_shape(&args[0].shape, &self.axes)?,
        ))
    }
}

impl IntOp for Slice {
    one_input!("Slice", TAG_SLICE);
    fn check(&self, _: Bits) -> Result<(), String> {
        let n = self.starts.len();
        if n > MAX_RANK || self.ends.len() != n || self.axes.len() != n || self.steps.len() != n {
            return Err("slice with inconsistent parameter counts".into());
        }
        check_axes(&self.axes)?;
        if self.steps.contains(&0) {
            return Err("slice step 0".into());
        }
        Ok(())
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.u8(self.starts.len() as u8);
        for i in 0..self.starts.len() {
            [self.starts[i], self.ends[i], self.axes[i], self.steps[i]]
                .iter()
                .for_each(|&v| w.i64(v));
        }
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let (shape, data) = layout::slice(
            &x.shape,
            &x.data,
            &self.starts,
            &self.ends,
            Some(&self.axes),
            Some(&self.steps),
        )?;
        Ok(IntTensor { shape, data })
    }
}

impl IntOp for Gather {
    one_input!("Gather", TAG_GATHER);
    fn check(&self, _: Bits) -> Result<(), String> {
        check_axes(&[self.axis])?;
        if self.index_shape.len() > MAX_RANK
            || self.index_shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(self.indices.len())
        {
            return Err(format!("gather indices of shape {:?}", self.index_shape));
        }
        Ok(())
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.i64(self.axis);
        w.u8(self.index_shape.len() as u8);
        self.index_shape.iter().for_each(|&d| w.u64(d as u64));
        self.indices.iter().for_each(|&i| w.i64(i));
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let (shape, data) = layout::gather(&x.shape, &x.data, self.axis, &self.index_shape, &self.indices)?;
        Ok(IntTensor { shape, data })
    }
}

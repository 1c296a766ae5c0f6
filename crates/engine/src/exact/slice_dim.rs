//! `SliceToDim` (tag 38): ONNX `Slice` with step 1 along one axis whose end
//! is a run-time dimension of another value, as exporters cut a position
//! table to the sequence length: `Slice(table, [start], Shape(ids)[a], [axis])`.
//! Only the shape of `like` is read, so `like` may be an index input.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::IntOp;
use super::validate::MAX_RANK;

pub const TAG_SLICE_TO_DIM: u8 = 38;

/// `input[.., start .. like.shape[like_axis], ..]` along `axis`, with ONNX's
/// clamping: a negative `start` counts from the end, then both bounds are
/// clamped to `[0, D]`; an end before the start gives an empty axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SliceToDim {
    pub input: u32,
    /// The value whose dimension is the end (its data is not read).
    pub like: u32,
    pub like_axis: i64,
    pub axis: i64,
    pub start: i64,
}

fn normalize(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if !(0..r).contains(&a) {
        return Err(format!("axis {axis} out of range for rank {rank}"));
    }
    Ok(a as usize)
}

impl SliceToDim {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<SliceToDim, String> {
        Ok(SliceToDim {
            input: r.u32("slice input")?,
            like: r.u32("slice like")?,
            like_axis: r.i64("slice like axis")?,
            axis: r.i64("slice axis")?,
            start: r.i64("slice start")?,
        })
    }
}

impl IntOp for SliceToDim {
    fn name(&self) -> &'static str {
        "SliceToDim"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input, self.like]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input, &mut self.like]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        if self.axis.unsigned_abs() > MAX_RANK as u64 || self.like_axis.unsigned_abs() > MAX_RANK as u64 {
            return Err(format!("axes {} and {}", self.axis, self.like_axis));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_SLICE_TO_DIM
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.u32(self.like);
        w.i64(self.like_axis);
        w.i64(self.axis);
        w.i64(self.start);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let (x, like) = (args[0], args[1]);
        let a = normalize(self.axis, x.shape.len())?;
        let end = like.shape[normalize(self.like_axis, like.shape.len())?];
        let d = x.shape[a];
        let start = if self.start < 0 {
            self.start.saturating_add(d as i64)
        } else {
            self.start
        };
        let start = start.clamp(0, d as i64) as usize;
        let end = end.min(d).max(start);
        let outer: usize = x.shape[..a].iter().product();
        let inner: usize = x.shape[a + 1..].iter().product();
        let mut data = Vec::with_capacity(outer * (end - start) * inner);
        for o in 0..outer {
            data.extend_from_slice(&x.data[(o * d + start) * inner..(o * d + end) * inner]);
        }
        let mut shape = x.shape.clone();
        shape[a] = end - start;
        Ok(IntTensor { shape, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_to_the_dimension_of_another_value() {
        let table = IntTensor {
            shape: vec![4, 2],
            data: (0..8).collect(),
        };
        let ids = |n: usize| IntTensor {
            shape: vec![1, n],
            data: vec![7; n],
        };
        let op = |start| SliceToDim {
            input: 0,
            like: 1,
            like_axis: 1,
            axis: 0,
            start,
        };
        let y = op(0).run(&[&table, &ids(3)], Bits::B8).unwrap();
        assert_eq!(
            (y.shape.as_slice(), y.data.as_slice()),
            (&[3usize, 2][..], &[0i64, 1, 2, 3, 4, 5][..])
        );
        // The end is clamped to the table; a start past it gives nothing.
        assert_eq!(op(0).run(&[&table, &ids(9)], Bits::B8).unwrap().shape, [4, 2]);
        assert_eq!(op(3).run(&[&table, &ids(2)], Bits::B8).unwrap().shape, [0, 2]);
        assert_eq!(op(-1).run(&[&table, &ids(4)], Bits::B8).unwrap().data, [6, 7]);
        let bad = SliceToDim { like_axis: 2, ..op(0) };
        assert!(bad.run(&[&table, &ids(2)], Bits::B8).is_err());
    }
}

//! `Embedding` (tag 37): ONNX `Gather` of a constant table by an int64
//! index input (token ids). The indices are model inputs taken as they are
//! (no quantization); the runner checks every index against the table
//! before the program runs, so a bad index is a typed error
//! ([`ExactError::IndexOutOfRange`](super::ExactError)), never a panic.

use super::codec::{Reader, Writer};
use super::model::{Bits, ExactModel, ExactOp, IntTensor};
use super::op::IntOp;
use super::shape::elements;
use super::validate::MAX_RANK;

pub const TAG_EMBEDDING: u8 = 37;

/// `y = table[..., indices, ...]` along `axis`: output shape
/// `table.shape[..axis] ++ indices.shape ++ table.shape[axis+1..]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Embedding {
    /// A constant value.
    pub table: u32,
    /// An index input.
    pub indices: u32,
    /// Negative counts from the end of the table's rank.
    pub axis: i64,
}

/// `axis` normalized against `rank`.
fn table_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

impl Embedding {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Embedding, String> {
        Ok(Embedding {
            table: r.u32("embedding table")?,
            indices: r.u32("embedding indices")?,
            axis: r.i64("embedding axis")?,
        })
    }
}

impl IntOp for Embedding {
    fn name(&self) -> &'static str {
        "Embedding"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.table, self.indices]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.table, &mut self.indices]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        if self.axis.unsigned_abs() > MAX_RANK as u64 {
            return Err(format!("axis {}", self.axis));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_EMBEDDING
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.table);
        w.u32(self.indices);
        w.i64(self.axis);
    }
    fn run(&self, args: &[&IntTensor], _: Bits) -> Result<IntTensor, String> {
        let (table, idx) = (args[0], args[1]);
        let a = table_axis(self.axis, table.shape.len()).ok_or("embedding axis out of range")?;
        let size = table.shape[a];
        let shape: Vec<usize> = table.shape[..a]
            .iter()
            .chain(&idx.shape)
            .chain(&table.shape[a + 1..])
            .copied()
            .collect();
        if shape.len() > MAX_RANK {
            return Err(format!("embedding result of rank {} exceeds {MAX_RANK}", shape.len()));
        }
        let mut data = Vec::with_capacity(elements(&shape)?);
        let outer: usize = table.shape[..a].iter().product();
        let inner: usize = table.shape[a + 1..].iter().product();
        for o in 0..outer {
            for &i in &idx.data {
                let row = if i < 0 { i + size as i64 } else { i };
                let row = usize::try_from(row)
                    .ok()
                    .filter(|&r| r < size)
                    .ok_or_else(|| format!("index {i} outside [-{size}, {size})"))?;
                data.extend_from_slice(&table.data[(o * size + row) * inner..][..inner]);
            }
        }
        Ok(IntTensor { shape, data })
    }
}

impl ExactModel {
    /// The size of the smallest table axis that index input `input` indexes
    /// (`None` if no op reads it).
    pub(crate) fn index_bound(&self, input: usize) -> Option<usize> {
        let n_in = self.inputs.len();
        self.ops
            .iter()
            .filter_map(|op| match op {
                ExactOp::Embedding(e) if e.indices as usize == input => {
                    let table = self.consts.get((e.table as usize).checked_sub(n_in)?)?;
                    table_axis(e.axis, table.shape.len()).map(|a| table.shape[a])
                }
                _ => None,
            })
            .min()
    }

    /// Index inputs are read only as `Embedding` indices or for their shape
    /// (`SliceToDim`'s `like`), never by another op or as an output;
    /// `Embedding` reads a constant table, with its axis in range, by an
    /// index input.
    pub(crate) fn check_index_inputs(&self) -> Result<(), String> {
        let n_in = self.inputs.len();
        let is_index = |v: u32| self.inputs.get(v as usize).is_some_and(|i| i.quant.is_none());
        for (i, op) in self.ops.iter().enumerate() {
            if let ExactOp::Embedding(e) = op {
                let table = (e.table as usize).checked_sub(n_in).and_then(|c| self.consts.get(c));
                let Some(table) = table else {
                    return Err(format!("op {i}: embedding table {} is not a constant", e.table));
                };
                if table_axis(e.axis, table.shape.len()).is_none() || !is_index(e.indices) {
                    return Err(format!("op {i}: embedding axis or indices invalid"));
                }
            } else if let ExactOp::SliceToDim(s) = op {
                if is_index(s.input) {
                    return Err(format!("op {i} slices an index input"));
                }
            } else if op.operands().into_iter().any(is_index) {
                return Err(format!("op {i} reads an index input"));
            }
        }
        match self.outputs.iter().find(|o| is_index(o.value)) {
            Some(o) => Err(format!("output `{}` is an index input", o.name)),
            None => Ok(()),
        }
    }

    /// The values of index input `input`, after checking each against the
    /// tables that read it.
    pub(crate) fn check_indices(&self, input: usize, ids: &[i64]) -> Result<Vec<i64>, super::ExactError> {
        if let Some(size) = self.index_bound(input) {
            let bound = size as i64;
            if let Some((position, &value)) = ids.iter().enumerate().find(|(_, i)| !(-bound..bound).contains(*i)) {
                return Err(super::ExactError::IndexOutOfRange {
                    input: self.inputs[input].spec.name.clone(),
                    position,
                    value,
                    size,
                });
            }
        }
        Ok(ids.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use veris_core::{DType, Dim, ModelId, TensorSpec};

    use super::*;
    use crate::exact::model::{ExactInput, ExactOutput};

    /// `ids` (index input, value 0) → Embedding of const 1 ([4, 2]) → output.
    fn model(ops: Vec<ExactOp>, output: u32) -> ExactModel {
        ExactModel {
            source: ModelId::of_bytes(b"test"),
            bits: Bits::B8,
            inputs: vec![ExactInput {
                spec: TensorSpec {
                    name: "ids".into(),
                    dtype: DType::Int64,
                    shape: vec![Dim::Symbol("seq".into())],
                },
                quant: None,
            }],
            consts: vec![IntTensor {
                shape: vec![4, 2],
                data: (0..8).collect(),
            }],
            ops,
            outputs: vec![ExactOutput {
                name: "y".into(),
                value: output,
                scale: 1.0,
            }],
        }
    }

    fn embed(table: u32, indices: u32, axis: i64) -> ExactOp {
        ExactOp::Embedding(Embedding { table, indices, axis })
    }

    #[test]
    fn index_inputs_are_read_only_by_embeddings() {
        let good = model(vec![embed(1, 0, 0)], 2);
        good.validate().unwrap();
        assert_eq!(good.index_bound(0), Some(4));
        assert_eq!(good.check_indices(0, &[3, -4]).unwrap(), [3, -4]);
        assert!(matches!(
            good.check_indices(0, &[4]),
            Err(super::super::ExactError::IndexOutOfRange { .. })
        ));
        // Another op reading the index input, an output that is one, a
        // table that is not a constant, indices that are not an index input,
        // an axis outside the table.
        assert!(model(vec![ExactOp::Relu { input: 0 }], 2).validate().is_err());
        assert!(model(vec![embed(1, 0, 0)], 0).validate().is_err());
        assert!(model(vec![embed(1, 0, 0), embed(2, 0, 0)], 3).validate().is_err());
        assert!(model(vec![embed(1, 1, 0)], 2).validate().is_err());
        assert!(model(vec![embed(1, 0, 2)], 2).validate().is_err());
        assert!(model(vec![embed(1, 0, -2)], 2).validate().is_ok());
    }
}

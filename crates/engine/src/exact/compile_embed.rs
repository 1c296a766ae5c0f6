//! Compiling the inputs-side transformer ops: `Gather` of a constant table
//! by an int64 model input ([`Embedding`]) and a `Slice` that ends at a
//! run-time dimension taken with `Shape` ([`SliceToDim`]).

use veris_core::DType;

use super::ExactError;
use super::compile::{Compiler, unsupported};
use super::embed::Embedding;
use super::ir::Node;
use super::model::ExactOp;
use super::slice_dim::SliceToDim;

impl Compiler<'_> {
    /// Whether `name` is an int64 model input.
    pub(super) fn is_index_input(&self, name: &str) -> bool {
        self.graph
            .inputs
            .iter()
            .any(|s| s.name == name && s.dtype == DType::Int64)
    }

    /// `Gather` of a constant float table by an index input.
    pub(super) fn embedding(&mut self, node: &Node, axis: i64) -> Result<(), ExactError> {
        if self.float_const(&node.inputs[0]).is_none() {
            return Err(unsupported(
                node,
                "Gather by an index input needs a constant float table",
            ));
        }
        let table = self.operand(node, &node.inputs[0])?;
        let indices = self.values[&node.inputs[1]];
        let op = Embedding {
            table: table.id,
            indices: indices.id,
            axis,
        };
        self.push_op(ExactOp::Embedding(op), &node.output, table.scale);
        Ok(())
    }

    /// `Shape` of a value whose shape is not static: recorded when it is one
    /// axis (the end of a `SliceToDim`), refused otherwise.
    pub(super) fn dynamic_shape(&mut self, node: &Node, start: i64, end: Option<i64>) -> Result<(), ExactError> {
        let x = &node.inputs[0];
        let rank = match self.graph.inputs.iter().find(|s| &s.name == x) {
            Some(spec) => spec.shape.len(),
            None => self.shape_of(node, x)?.len(),
        } as i64;
        let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank);
        let (s, e) = (clamp(start), clamp(end.unwrap_or(rank)));
        let value = self.values.get(x).copied();
        match value {
            Some(v) if e - s == 1 => {
                self.dims.insert(node.output.clone(), (v.id, s));
                Ok(())
            }
            _ => Err(unsupported(
                node,
                "Shape of an activation whose shape depends on a symbolic input dimension \
                 (only one axis, used as a Slice end, is supported)",
            )),
        }
    }

    /// `Slice(data, [start], Shape(x)[a], [axis][, [1]])`: a [`SliceToDim`].
    pub(super) fn slice_to_dim(&mut self, node: &Node) -> Result<(), ExactError> {
        let one = |i: usize, default: i64| -> Result<i64, ExactError> {
            match node.inputs.get(i).filter(|n| !n.is_empty()) {
                None => Ok(default),
                Some(n) => match self.int_const(n) {
                    Some(&[v]) => Ok(v),
                    _ => Err(unsupported(
                        node,
                        "Slice to a run-time end needs one constant start, axis and step",
                    )),
                },
            }
        };
        let (start, axis, step) = (one(1, 0)?, one(3, 0)?, one(4, 1)?);
        if step != 1 {
            return Err(unsupported(node, "Slice to a run-time end with a step other than 1"));
        }
        let (like, like_axis) = self.dims[&node.inputs[2]];
        let data = self.operand(node, &node.inputs[0])?;
        let op = SliceToDim {
            input: data.id,
            like,
            like_axis,
            axis,
            start,
        };
        self.push_op(ExactOp::SliceToDim(op), &node.output, data.scale);
        Ok(())
    }
}

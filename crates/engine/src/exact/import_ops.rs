//! Import of the CNN and general operators: their ONNX attributes as
//! [`IrOp`]s, and how many inputs each takes. Attribute values the engine
//! cannot honour are refused here, naming the node.

use std::ops::RangeInclusive;

use tract_onnx::pb::NodeProto;

use super::ExactError;
use super::import::{attr, attr_f, attr_i};
use super::ir::{AutoPad, IrOp, SliceAttrs, WindowAttrs};

/// ONNX `TensorProto.DataType` codes a `Cast` may target.
pub(super) const CAST_TARGETS: [i32; 2] = [1, 7];

fn unsupported(node: &str, reason: impl Into<String>) -> ExactError {
    ExactError::Unsupported {
        node: node.to_string(),
        reason: reason.into(),
    }
}

fn ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

fn window(n: &NodeProto, node: &str, ceil_mode: bool) -> Result<WindowAttrs, ExactError> {
    let auto_pad = match attr(n, "auto_pad").map(|a| a.s.as_slice()) {
        None | Some(b"NOTSET") | Some(b"") => AutoPad::NotSet,
        Some(b"VALID") => AutoPad::Valid,
        Some(b"SAME_UPPER") => AutoPad::SameUpper,
        Some(b"SAME_LOWER") => AutoPad::SameLower,
        Some(other) => {
            return Err(unsupported(
                node,
                format!("auto_pad `{}`", String::from_utf8_lossy(other)),
            ));
        }
    };
    let ceil = attr_i(n, "ceil_mode", 0);
    if !(ceil == 0 || (ceil == 1 && ceil_mode)) {
        return Err(unsupported(node, format!("ceil_mode {ceil}")));
    }
    Ok(WindowAttrs {
        kernel_shape: ints(n, "kernel_shape").unwrap_or_default(),
        strides: ints(n, "strides").unwrap_or_default(),
        pads: ints(n, "pads").unwrap_or_default(),
        dilations: ints(n, "dilations").unwrap_or_default(),
        auto_pad,
        ceil_mode: ceil == 1,
    })
}

/// The IR op of a CNN or general ONNX operator, `None` if `op_type` is not
/// one of them.
pub(super) fn convert(n: &NodeProto, op_type: &str, node: &str) -> Result<Option<IrOp>, ExactError> {
    Ok(Some(match op_type {
        "Conv" => IrOp::Conv {
            window: window(n, node, false)?,
            group: attr_i(n, "group", 1),
        },
        "BatchNormalization" => {
            if attr_i(n, "training_mode", 0) != 0 || attr_i(n, "spatial", 1) != 1 || n.output.len() > 1 {
                return Err(unsupported(
                    node,
                    "BatchNormalization in training mode or with spatial=0",
                ));
            }
            IrOp::BatchNorm {
                epsilon: attr_f(n, "epsilon", 1e-5),
            }
        }
        "MaxPool" => {
            if n.output.len() > 1 {
                return Err(unsupported(node, "MaxPool with an Indices output"));
            }
            IrOp::MaxPool {
                window: window(n, node, true)?,
            }
        }
        "AveragePool" => IrOp::AveragePool {
            window: window(n, node, true)?,
            count_include_pad: attr_i(n, "count_include_pad", 0) != 0,
        },
        "GlobalAveragePool" => IrOp::GlobalAveragePool,
        "Sub" => IrOp::Sub,
        "Mul" => IrOp::Mul,
        "Div" => IrOp::Div,
        "LeakyRelu" => IrOp::LeakyRelu {
            alpha: attr_f(n, "alpha", 0.01),
        },
        "Clip" => IrOp::Clip {
            min: attr(n, "min").map(|a| a.f),
            max: attr(n, "max").map(|a| a.f),
        },
        "Transpose" => IrOp::Transpose { perm: ints(n, "perm") },
        "Concat" => IrOp::Concat {
            axis: attr(n, "axis")
                .map(|a| a.i)
                .ok_or_else(|| unsupported(node, "Concat without an axis"))?,
        },
        "Squeeze" => IrOp::Squeeze { axes: ints(n, "axes") },
        "Unsqueeze" => IrOp::Unsqueeze { axes: ints(n, "axes") },
        "Slice" => IrOp::Slice {
            attrs: match (ints(n, "starts"), ints(n, "ends")) {
                (Some(starts), Some(ends)) => Some(SliceAttrs {
                    starts,
                    ends,
                    axes: ints(n, "axes"),
                }),
                _ => None,
            },
        },
        "Gather" => IrOp::Gather {
            axis: attr_i(n, "axis", 0),
        },
        "Shape" => IrOp::Shape {
            start: attr_i(n, "start", 0),
            end: attr(n, "end").map(|a| a.i),
        },
        "Cast" => {
            let to = attr_i(n, "to", 0) as i32;
            if !CAST_TARGETS.contains(&to) {
                return Err(unsupported(
                    node,
                    format!("Cast to type code {to} (float32 and int64 are supported)"),
                ));
            }
            IrOp::Cast { to }
        }
        _ => return Ok(None),
    }))
}

/// How many inputs (including omitted optional ones before present ones)
/// each op of this module takes.
pub(super) fn arity(op: &IrOp) -> RangeInclusive<usize> {
    match op {
        IrOp::Conv { .. } => 2..=3,
        IrOp::BatchNorm { .. } => 5..=5,
        IrOp::Sub | IrOp::Mul | IrOp::Div | IrOp::Gather { .. } => 2..=2,
        IrOp::Clip { .. } => 1..=3,
        IrOp::Concat { .. } => 1..=MAX_CONCAT_INPUTS,
        IrOp::Squeeze { .. } | IrOp::Unsqueeze { .. } => 1..=2,
        IrOp::Slice { attrs: Some(_) } => 1..=1,
        IrOp::Slice { attrs: None } => 3..=5,
        _ => 1..=1,
    }
}

/// Most inputs of one `Concat`.
pub const MAX_CONCAT_INPUTS: usize = 4096;

/// Whether `op` may have omitted (empty-named) optional inputs between
/// present ones.
pub(super) fn allows_gaps(op: &IrOp) -> bool {
    matches!(op, IrOp::Clip { .. } | IrOp::Slice { .. })
}

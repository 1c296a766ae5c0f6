//! The float graph IR the importer builds and the compiler consumes: named
//! tensors, constants, and nodes in topological order.

use std::collections::BTreeMap;

use veris_core::TensorSpec;

use super::nonlinear::Pointwise;

/// A constant tensor of the source model (an initializer or a `Constant`).
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    /// float32 values, row-major.
    Float { shape: Vec<usize>, data: Vec<f32> },
    /// int64 values (shape operands), row-major.
    Int { shape: Vec<usize>, data: Vec<i64> },
}

impl Const {
    pub fn shape(&self) -> &[usize] {
        match self {
            Const::Float { shape, .. } | Const::Int { shape, .. } => shape,
        }
    }
}

/// The operators the exact engine imports, with their attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum IrOp {
    /// `Y = alpha · A' · B' + beta · C`, `'` = optional transpose.
    Gemm {
        alpha: f32,
        beta: f32,
        trans_a: bool,
        trans_b: bool,
    },
    /// numpy-style matrix product (here: with a constant 2-D right operand).
    MatMul,
    /// Element-wise sum with numpy broadcasting.
    Add,
    /// `max(x, 0)`.
    Relu,
    /// `[d0..d(axis-1)] x [d(axis)..]` as a 2-D tensor.
    Flatten { axis: i64 },
    /// Reshape to a constant int64 shape (`0` copies, `-1` infers).
    Reshape,
    /// The input, unchanged.
    Identity,
    /// A pointwise non-linear function: Sigmoid, Tanh, Erf, Gelu.
    Pointwise(Pointwise),
    /// Softmax along `axis`; `legacy` (opset < 13): over the input
    /// flattened to 2-D at `axis`.
    Softmax { axis: i64, legacy: bool },
    /// `LayerNormalization(X, scale[, B])` over the axes from `axis` on.
    LayerNorm { axis: i64, epsilon: f32 },
    /// `ReduceSum` / `ReduceMean`; `axes` from the attribute, else input 1
    /// (absent: every axis, or none with `noop_with_empty_axes`).
    Reduce {
        mean: bool,
        axes: Option<Vec<i64>>,
        keepdims: bool,
        noop_with_empty_axes: bool,
    },
    /// 2-D convolution `(X, W[, B])`, NCHW.
    Conv { window: WindowAttrs, group: i64 },
    /// Inference-mode batch normalization `(X, scale, B, mean, var)` along axis 1.
    BatchNorm { epsilon: f32 },
    /// Max over each window (padded positions never win).
    MaxPool { window: WindowAttrs },
    /// Mean over each window.
    AveragePool {
        window: WindowAttrs,
        count_include_pad: bool,
    },
    /// Mean over all spatial axes (2..), keeping them as 1.
    GlobalAveragePool,
    /// Element-wise difference with numpy broadcasting.
    Sub,
    /// Element-wise product with numpy broadcasting.
    Mul,
    /// Element-wise quotient with numpy broadcasting.
    Div,
    /// `x` if `x >= 0`, else `alpha · x`.
    LeakyRelu { alpha: f32 },
    /// `min(max(x, min), max)`; bounds from the attributes (opset < 11) or
    /// from inputs 1 and 2.
    Clip { min: Option<f32>, max: Option<f32> },
    /// Axis permutation (`None`: reverse the axes).
    Transpose { perm: Option<Vec<i64>> },
    /// Concatenation along `axis`.
    Concat { axis: i64 },
    /// Removes size-1 axes: from the attribute (opset < 13), input 1, or all.
    Squeeze { axes: Option<Vec<i64>> },
    /// Inserts size-1 axes: from the attribute (opset < 13) or input 1.
    Unsqueeze { axes: Option<Vec<i64>> },
    /// Strided slice; `starts`, `ends`, `axes` from the attributes (opset <
    /// 10) or from inputs 1.. (then `None`).
    Slice { attrs: Option<SliceAttrs> },
    /// `data[..., indices, ...]` along `axis`.
    Gather { axis: i64 },
    /// The shape of the input as int64, `[start, end)` of its axes.
    Shape { start: i64, end: Option<i64> },
    /// Element type conversion to ONNX type code `to` (float32 or int64).
    Cast { to: i32 },
}

/// `auto_pad` of Conv and the pooling ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoPad {
    NotSet,
    Valid,
    SameUpper,
    SameLower,
}

/// The window attributes of Conv and the pooling ops, as written in the
/// model (empty lists mean the ONNX defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowAttrs {
    pub kernel_shape: Vec<i64>,
    pub strides: Vec<i64>,
    /// `[begin.., end..]`, one per spatial axis each.
    pub pads: Vec<i64>,
    pub dilations: Vec<i64>,
    pub auto_pad: AutoPad,
    pub ceil_mode: bool,
}

/// The attribute form of `Slice` (opset 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceAttrs {
    pub starts: Vec<i64>,
    pub ends: Vec<i64>,
    pub axes: Option<Vec<i64>>,
}

impl IrOp {
    /// Ops that only move, select or describe data: evaluated alike for
    /// float and int64 tensors (the float reference's generic path, and
    /// constant folding of int64 shape arithmetic).
    pub fn is_data_movement(&self) -> bool {
        matches!(
            self,
            IrOp::Identity
                | IrOp::Reshape
                | IrOp::Flatten { .. }
                | IrOp::Transpose { .. }
                | IrOp::Concat { .. }
                | IrOp::Squeeze { .. }
                | IrOp::Unsqueeze { .. }
                | IrOp::Slice { .. }
                | IrOp::Gather { .. }
                | IrOp::Shape { .. }
                | IrOp::Cast { .. }
        )
    }

    /// The ONNX operator name.
    pub fn name(&self) -> &'static str {
        match self {
            IrOp::Gemm { .. } => "Gemm",
            IrOp::MatMul => "MatMul",
            IrOp::Add => "Add",
            IrOp::Relu => "Relu",
            IrOp::Flatten { .. } => "Flatten",
            IrOp::Reshape => "Reshape",
            IrOp::Identity => "Identity",
            IrOp::Pointwise(p) => p.name(),
            IrOp::Softmax { .. } => "Softmax",
            IrOp::LayerNorm { .. } => "LayerNormalization",
            IrOp::Reduce { mean: true, .. } => "ReduceMean",
            IrOp::Reduce { mean: false, .. } => "ReduceSum",
            IrOp::Conv { .. } => "Conv",
            IrOp::BatchNorm { .. } => "BatchNormalization",
            IrOp::MaxPool { .. } => "MaxPool",
            IrOp::AveragePool { .. } => "AveragePool",
            IrOp::GlobalAveragePool => "GlobalAveragePool",
            IrOp::Sub => "Sub",
            IrOp::Mul => "Mul",
            IrOp::Div => "Div",
            IrOp::LeakyRelu { .. } => "LeakyRelu",
            IrOp::Clip { .. } => "Clip",
            IrOp::Transpose { .. } => "Transpose",
            IrOp::Concat { .. } => "Concat",
            IrOp::Squeeze { .. } => "Squeeze",
            IrOp::Unsqueeze { .. } => "Unsqueeze",
            IrOp::Slice { .. } => "Slice",
            IrOp::Gather { .. } => "Gather",
            IrOp::Shape { .. } => "Shape",
            IrOp::Cast { .. } => "Cast",
        }
    }
}

/// One node: an op reading named tensors and writing one named tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub op: IrOp,
    /// Input tensor names (empty optional inputs removed from the end).
    pub inputs: Vec<String>,
    pub output: String,
}

/// A float model as a graph: boundary specs, constants, nodes sorted so that
/// every node comes after the producers of its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<String>,
    pub consts: BTreeMap<String, Const>,
    pub nodes: Vec<Node>,
}

impl Graph {
    /// How many nodes read `tensor` (counting each use), plus one if it is a
    /// graph output.
    pub fn uses(&self, tensor: &str) -> usize {
        let reads: usize = self
            .nodes
            .iter()
            .map(|n| n.inputs.iter().filter(|i| *i == tensor).count())
            .sum();
        reads + usize::from(self.outputs.iter().any(|o| o == tensor))
    }
}

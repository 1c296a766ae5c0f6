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

/// The operators of this increment, with their attributes.
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
}

impl IrOp {
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

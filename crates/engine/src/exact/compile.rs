//! The compiler: float graph + calibration ranges → integer program.
//!
//! Scales (all symmetric, zero point 0): a tensor with calibrated range
//! `max |x| = m` gets scale `m / qmax` (`1` when `m = 0`); weights get one
//! scale per output channel, `max_p |w[j, p]| / qmax`. Rounding of weights,
//! biases and constants is half away from zero.
//!
//! Pipeline: import, calibration (ranges and shapes), constant folding
//! ([`fold`]), then one pass over the remaining nodes. Linear layers live in
//! `compile_linear`, Conv and BatchNormalization in `compile_conv`, the
//! other ops in `compile_ops`.

use std::collections::{BTreeMap, BTreeSet};

use veris_core::{DType, ModelId, TensorMap};

use super::ExactError;
use super::calibrate::{Calibrated, ranges};
use super::fold::fold;
use super::import::import;
use super::ir::{Const, Graph, IrOp, Node};
use super::model::{Bits, ExactInput, ExactModel, ExactOp, ExactOutput, IntTensor};
use super::quant::Requant;
use super::validate::ACC_BOUND;

/// Compiles float ONNX bytes into an exact model, calibrated on
/// `calibration` (each map one set of model inputs, any batch size; see
/// [`default_calibration`](super::default_calibration) when there are none).
pub fn compile(
    onnx: &[u8],
    source_id: ModelId,
    calibration: &[TensorMap],
    bits: Bits,
) -> Result<ExactModel, ExactError> {
    let graph = import(onnx)?;
    let calibrated = ranges(&graph, calibration)?;
    let folded = fold(&graph, &calibrated.shapes)?;
    let mut c = Compiler {
        graph: &folded.graph,
        cal: &calibrated,
        static_axes: &folded.static_axes,
        bits,
        values: BTreeMap::new(),
        consts: Vec::new(),
        ops: Vec::new(),
        skip: BTreeSet::new(),
        dims: BTreeMap::new(),
    };
    c.program(source_id)
}

/// Provisional value numbers while compiling: consts and op outputs are
/// renumbered once their counts are known.
pub(super) const CONST_BASE: u32 = 1 << 30;
pub(super) const OP_BASE: u32 = 1 << 31;

/// A compiled value: its provisional number and its scale.
#[derive(Debug, Clone, Copy)]
pub(super) struct Val {
    pub id: u32,
    pub scale: f64,
}

impl Val {
    pub fn is_const(self) -> bool {
        (CONST_BASE..OP_BASE).contains(&self.id)
    }
}

pub(super) struct Compiler<'g> {
    pub graph: &'g Graph,
    pub cal: &'g Calibrated,
    pub static_axes: &'g BTreeMap<String, Vec<bool>>,
    /// Outputs of `Shape` nodes that stand for one run-time dimension:
    /// `(value, axis)`.
    pub dims: BTreeMap<String, (u32, i64)>,
    pub bits: Bits,
    pub values: BTreeMap<String, Val>,
    pub consts: Vec<IntTensor>,
    pub ops: Vec<ExactOp>,
    /// Nodes fused into an earlier op.
    pub skip: BTreeSet<usize>,
}

pub(super) fn unsupported(node: &Node, reason: impl Into<String>) -> ExactError {
    ExactError::Unsupported {
        node: node.name.clone(),
        reason: reason.into(),
    }
}

pub(super) fn round_to_i64(x: f64, what: &str) -> Result<i64, ExactError> {
    let r = x.round();
    if !(r.is_finite() && r.abs() <= ACC_BOUND as f64) {
        return Err(ExactError::Quantization {
            tensor: what.to_string(),
            reason: format!("value {x} out of range"),
        });
    }
    Ok(r as i64)
}

impl<'g> Compiler<'g> {
    pub fn qmax(&self) -> f64 {
        self.bits.qmax() as f64
    }

    /// The activation scale of a calibrated tensor.
    pub fn scale_of(&self, tensor: &str) -> f64 {
        let m = self.cal.max.get(tensor).copied().unwrap_or(0.0);
        if m > 0.0 { m / self.qmax() } else { 1.0 }
    }

    /// The calibrated shape of a float tensor.
    pub fn shape_of(&self, node: &Node, tensor: &str) -> Result<&'g [usize], ExactError> {
        self.cal
            .shapes
            .get(tensor)
            .map(Vec::as_slice)
            .ok_or_else(|| unsupported(node, format!("`{tensor}` has no calibrated shape")))
    }

    /// `[H, W]` of an NCHW activation when both are static.
    pub fn static_hw(&self, tensor: &str) -> Option<[usize; 2]> {
        let shape = self.cal.shapes.get(tensor)?;
        let axes = self.static_axes.get(tensor)?;
        match (shape.as_slice(), axes.as_slice()) {
            (&[_, _, h, w], &[_, _, true, true]) => Some([h, w]),
            _ => None,
        }
    }

    pub fn ratio(&self, ratio: f64, tensor: &str) -> Result<Requant, ExactError> {
        Requant::for_ratio(ratio).ok_or_else(|| ExactError::Quantization {
            tensor: tensor.to_string(),
            reason: format!("rescale ratio {ratio} outside [2^-96, 2^30)"),
        })
    }

    pub fn float_const(&self, name: &str) -> Option<(&'g [usize], &'g [f32])> {
        match self.graph.consts.get(name) {
            Some(Const::Float { shape, data }) => Some((shape, data)),
            _ => None,
        }
    }

    pub fn int_const(&self, name: &str) -> Option<&'g [i64]> {
        match self.graph.consts.get(name) {
            Some(Const::Int { data, .. }) => Some(data),
            _ => None,
        }
    }

    /// The one node reading `tensor`, if exactly one does and it is not a
    /// graph output (only then may it be fused).
    pub fn sole_consumer(&self, tensor: &str) -> Option<usize> {
        if self.graph.uses(tensor) != 1 {
            return None;
        }
        self.graph
            .nodes
            .iter()
            .position(|n| n.inputs.iter().any(|i| i == tensor))
    }

    /// Fuses a following Relu, or a Clip with constant bounds `[0, max]`
    /// (Relu6): returns the fused output name and `true`. The fused output
    /// takes that node's calibrated scale, so for a Clip the saturation at
    /// `qmax` stands for `max` (the Clip output's range never exceeds it).
    pub fn fuse_relu(&mut self, out: String) -> (String, bool) {
        let Some(i) = self.sole_consumer(&out) else {
            return (out, false);
        };
        let next = &self.graph.nodes[i];
        let relu_like = match next.op {
            IrOp::Relu => true,
            IrOp::Clip { .. } if next.inputs[0] == out => {
                matches!(self.clip_bounds(next), Ok([Some(lo), hi]) if lo == 0.0 && hi.is_none_or(|h| h >= 0.0))
            }
            _ => false,
        };
        if !relu_like {
            return (out, false);
        }
        self.skip.insert(i);
        (next.output.clone(), true)
    }

    pub fn activation(&self, node: &Node, name: &str) -> Result<Val, ExactError> {
        self.values.get(name).copied().ok_or_else(|| {
            unsupported(
                node,
                format!("`{name}` must be computed from the inputs, not a constant"),
            )
        })
    }

    pub fn push_op(&mut self, op: ExactOp, out: &str, scale: f64) {
        let id = OP_BASE + self.ops.len() as u32;
        self.ops.push(op);
        self.values.insert(out.to_string(), Val { id, scale });
    }

    /// A float constant quantized with its own max-abs scale, stored as a
    /// program constant.
    pub fn quantize_const(&mut self, shape: &[usize], data: &[f32]) -> Val {
        let m = data.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
        let scale = if m > 0.0 { m / self.qmax() } else { 1.0 };
        let q = data.iter().map(|&v| (f64::from(v) / scale).round() as i64).collect();
        let id = CONST_BASE + self.consts.len() as u32;
        self.consts.push(IntTensor {
            shape: shape.to_vec(),
            data: q,
        });
        Val { id, scale }
    }

    /// An activation, or a float constant quantized with its own max-abs scale.
    pub fn operand(&mut self, node: &Node, name: &str) -> Result<Val, ExactError> {
        if let Some(v) = self.values.get(name) {
            return Ok(*v);
        }
        let (shape, data) = self
            .float_const(name)
            .ok_or_else(|| unsupported(node, format!("`{name}` is not a float tensor")))?;
        let v = self.quantize_const(shape, data);
        self.values.insert(name.to_string(), v);
        Ok(v)
    }

    fn program(&mut self, source: ModelId) -> Result<ExactModel, ExactError> {
        let mut inputs = Vec::new();
        for (i, spec) in self.graph.inputs.iter().enumerate() {
            let scale = self.scale_of(&spec.name);
            let quant = match spec.dtype {
                DType::Int64 => None,
                _ => Some(self.ratio(1.0 / scale, &spec.name)?),
            };
            inputs.push(ExactInput {
                spec: spec.clone(),
                quant,
            });
            self.values.insert(spec.name.clone(), Val { id: i as u32, scale });
        }
        let graph = self.graph;
        for (i, node) in graph.nodes.iter().enumerate() {
            if !self.skip.contains(&i) {
                self.node(node)?;
            }
        }
        let mut outputs = Vec::new();
        for name in &self.graph.outputs {
            let v = self.values.get(name).ok_or_else(|| ExactError::InvalidModel {
                reason: format!("output `{name}` is a constant, not computed from the inputs"),
            })?;
            outputs.push(ExactOutput {
                name: name.clone(),
                value: v.id,
                scale: v.scale,
            });
        }
        let (n_in, n_const) = (inputs.len() as u32, self.consts.len() as u32);
        let remap = |v: u32| match v {
            v if v >= OP_BASE => v - OP_BASE + n_in + n_const,
            v if v >= CONST_BASE => v - CONST_BASE + n_in,
            v => v,
        };
        let mut ops = std::mem::take(&mut self.ops);
        for op in &mut ops {
            op.map_operands(remap);
        }
        outputs.iter_mut().for_each(|o| o.value = remap(o.value));
        let model = ExactModel {
            source,
            bits: self.bits,
            inputs,
            consts: std::mem::take(&mut self.consts),
            ops,
            outputs,
        };
        model.validate().map_err(|reason| ExactError::Quantization {
            tensor: "(model)".into(),
            reason,
        })?;
        Ok(model)
    }

    fn node(&mut self, node: &Node) -> Result<(), ExactError> {
        match &node.op {
            IrOp::Gemm { .. } => self.gemm(node),
            IrOp::MatMul if self.float_const(&node.inputs[1]).is_none() => self.act_matmul(node),
            IrOp::MatMul => self.matmul(node),
            IrOp::Add | IrOp::Sub | IrOp::Mul | IrOp::Div => self.arith(node),
            IrOp::Relu | IrOp::Identity => self.unary(node),
            IrOp::Conv { window, group } => self.conv(node, window, *group),
            IrOp::BatchNorm { epsilon } => self.batch_norm(node, *epsilon),
            IrOp::MaxPool { .. } | IrOp::AveragePool { .. } | IrOp::GlobalAveragePool => self.pool(node),
            IrOp::LeakyRelu { alpha } => self.leaky_relu(node, *alpha),
            IrOp::Clip { .. } => self.clip(node),
            IrOp::Pointwise(p) => self.pointwise(node, *p),
            IrOp::Softmax { axis, legacy } => self.softmax(node, *axis, *legacy),
            IrOp::LayerNorm { axis, epsilon } => self.layer_norm(node, *axis, *epsilon),
            IrOp::Reduce { .. } => self.reduce(node),
            IrOp::Gather { axis } if self.is_index_input(&node.inputs[1]) => self.embedding(node, *axis),
            IrOp::Slice { attrs: None } if self.dims.contains_key(&node.inputs[2]) => self.slice_to_dim(node),
            IrOp::Flatten { .. }
            | IrOp::Reshape
            | IrOp::Transpose { .. }
            | IrOp::Concat { .. }
            | IrOp::Squeeze { .. }
            | IrOp::Unsqueeze { .. }
            | IrOp::Slice { .. }
            | IrOp::Gather { .. }
            | IrOp::Cast { .. } => self.layout(node),
            IrOp::Shape { start, end } => self.dynamic_shape(node, *start, *end),
        }
    }
}

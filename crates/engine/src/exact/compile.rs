//! The compiler: float graph + calibration ranges → integer program.
//!
//! Scales (all symmetric, zero point 0): a tensor with calibrated range
//! `max |x| = m` gets scale `m / qmax` (`1` when `m = 0`); weights get one
//! scale per output channel, `max_p |w[j, p]| / qmax`. Rounding of weights,
//! biases and constants is half away from zero.

use std::collections::{BTreeMap, BTreeSet};

use veris_core::{DType, ModelId, TensorMap};

use super::ExactError;
use super::calibrate::{Calibrated, ranges};
use super::import::import;
use super::ir::{Const, Graph, IrOp, Node};
use super::model::{Bits, ExactInput, ExactModel, ExactOp, ExactOutput, IntTensor, Linear};
use super::quant::Requant;
use super::validate::{ACC_BOUND, acc_bound};

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
    let mut c = Compiler {
        graph: &graph,
        cal: &calibrated,
        bits,
        values: BTreeMap::new(),
        consts: Vec::new(),
        ops: Vec::new(),
        skip: BTreeSet::new(),
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

pub(super) struct Compiler<'g> {
    pub graph: &'g Graph,
    pub cal: &'g Calibrated,
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

    /// Fuses a following Relu: returns the fused output name and `true`.
    fn fuse_relu(&mut self, out: String) -> (String, bool) {
        match self.sole_consumer(&out) {
            Some(i) if self.graph.nodes[i].op == IrOp::Relu => {
                self.skip.insert(i);
                (self.graph.nodes[i].output.clone(), true)
            }
            _ => (out, false),
        }
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
            IrOp::Gemm {
                alpha,
                beta,
                trans_a,
                trans_b,
            } => {
                if *trans_a {
                    return Err(unsupported(node, "Gemm with transA=1"));
                }
                let x = self.activation(node, &node.inputs[0])?;
                let (shape, b) = self
                    .float_const(&node.inputs[1])
                    .ok_or_else(|| unsupported(node, "Gemm needs a constant float B"))?;
                if shape.len() != 2 {
                    return Err(unsupported(node, format!("Gemm B of shape {shape:?}")));
                }
                let (k, n) = if *trans_b {
                    (shape[1], shape[0])
                } else {
                    (shape[0], shape[1])
                };
                let w = transpose_to_nk(b, k, n, *trans_b, f64::from(*alpha));
                let mut bias = vec![0f64; n];
                if let Some(c) = node.inputs.get(2) {
                    let (cs, cd) = self
                        .float_const(c)
                        .ok_or_else(|| unsupported(node, "Gemm needs a constant float C"))?;
                    let cb = bias_from(cs, cd, n, true)
                        .ok_or_else(|| unsupported(node, format!("Gemm C of shape {cs:?}")))?;
                    bias.iter_mut().zip(cb).for_each(|(b, c)| *b = f64::from(*beta) * c);
                }
                self.linear(node, x, w, bias, k, n, true)
            }
            IrOp::MatMul if self.float_const(&node.inputs[1]).is_none() => self.act_matmul(node),
            IrOp::MatMul => {
                let x = self.activation(node, &node.inputs[0])?;
                let (shape, b) = self
                    .float_const(&node.inputs[1])
                    .ok_or_else(|| unsupported(node, "MatMul needs a constant float right operand"))?;
                if shape.len() != 2 {
                    return Err(unsupported(node, format!("MatMul weight of shape {shape:?}")));
                }
                let (k, n) = (shape[0], shape[1]);
                let w = transpose_to_nk(b, k, n, false, 1.0);
                self.linear(node, x, w, vec![0.0; n], k, n, false)
            }
            IrOp::Add => self.add(node),
            IrOp::Relu => {
                let x = self.activation(node, &node.inputs[0])?;
                self.push_op(ExactOp::Relu { input: x.id }, &node.output, x.scale);
                Ok(())
            }
            IrOp::Identity => {
                let x = self.activation(node, &node.inputs[0])?;
                self.values.insert(node.output.clone(), x);
                Ok(())
            }
            IrOp::Flatten { axis } => {
                let x = self.activation(node, &node.inputs[0])?;
                self.push_op(
                    ExactOp::Flatten {
                        input: x.id,
                        axis: *axis,
                    },
                    &node.output,
                    x.scale,
                );
                Ok(())
            }
            IrOp::Pointwise(p) => self.pointwise(node, *p),
            IrOp::Softmax { axis, legacy } => self.softmax(node, *axis, *legacy),
            IrOp::LayerNorm { axis, epsilon } => self.layer_norm(node, *axis, *epsilon),
            IrOp::Reduce { .. } => self.reduce(node),
            IrOp::Reshape => {
                let x = self.activation(node, &node.inputs[0])?;
                let Some(Const::Int { data, .. }) = self.graph.consts.get(&node.inputs[1]) else {
                    return Err(unsupported(node, "Reshape needs a constant int64 shape"));
                };
                let op = ExactOp::Reshape {
                    input: x.id,
                    shape: data.clone(),
                };
                self.push_op(op, &node.output, x.scale);
                Ok(())
            }
        }
    }

    /// Emits a linear layer, folding a following constant Add into its bias
    /// and a following Relu into its clamp.
    #[allow(clippy::too_many_arguments)]
    fn linear(
        &mut self,
        node: &Node,
        x: Val,
        w: Vec<f64>,
        mut bias: Vec<f64>,
        k: usize,
        n: usize,
        rank2: bool,
    ) -> Result<(), ExactError> {
        let mut out = node.output.clone();
        let graph = self.graph;
        if let Some(i) = self.sole_consumer(&out) {
            let add = &graph.nodes[i];
            if add.op == IrOp::Add {
                let other = if add.inputs[0] == out {
                    &add.inputs[1]
                } else {
                    &add.inputs[0]
                };
                if let Some(extra) = self.float_const(other).and_then(|(s, d)| bias_from(s, d, n, rank2)) {
                    bias.iter_mut().zip(extra).for_each(|(b, e)| *b += e);
                    self.skip.insert(i);
                    out = add.output.clone();
                }
            }
        }
        let (out, relu) = self.fuse_relu(out);
        let s_out = self.scale_of(&out);
        let qmax = self.qmax();
        let mut weights = Vec::with_capacity(n * k);
        let mut qbias = Vec::with_capacity(n);
        let mut requant = Vec::with_capacity(n);
        for j in 0..n {
            let row = &w[j * k..][..k];
            let m = row.iter().fold(0f64, |m, v| m.max(v.abs()));
            let s_w = if m > 0.0 { m / qmax } else { 1.0 };
            for &v in row {
                weights.push((v / s_w).round().clamp(-qmax, qmax) as i16);
            }
            qbias.push(round_to_i64(bias[j] / (x.scale * s_w), &format!("{} bias", node.name))?);
            requant.push(self.ratio(x.scale * s_w / s_out, &out)?);
        }
        let layer = Linear {
            input: x.id,
            k: u32::try_from(k).map_err(|_| unsupported(node, "k too large"))?,
            n: u32::try_from(n).map_err(|_| unsupported(node, "n too large"))?,
            weights,
            bias: qbias,
            requant,
            relu,
        };
        let bound = acc_bound(&layer, self.bits.qmax());
        if bound > ACC_BOUND {
            return Err(ExactError::Quantization {
                tensor: out,
                reason: format!("accumulator bound {bound} exceeds 2^62"),
            });
        }
        self.push_op(ExactOp::Linear(layer), &out, s_out);
        Ok(())
    }

    fn add(&mut self, node: &Node) -> Result<(), ExactError> {
        let a = self.operand(node, &node.inputs[0])?;
        let b = self.operand(node, &node.inputs[1])?;
        if a.id >= CONST_BASE && a.id < OP_BASE && b.id >= CONST_BASE && b.id < OP_BASE {
            return Err(unsupported(node, "Add of two constants"));
        }
        let (out, relu) = self.fuse_relu(node.output.clone());
        let s_out = self.scale_of(&out);
        let op = ExactOp::Add {
            a: a.id,
            b: b.id,
            requant_a: self.ratio(a.scale / s_out, &out)?,
            requant_b: self.ratio(b.scale / s_out, &out)?,
            relu,
        };
        self.push_op(op, &out, s_out);
        Ok(())
    }

    /// An activation, or a float constant quantized with its own max-abs scale.
    pub fn operand(&mut self, node: &Node, name: &str) -> Result<Val, ExactError> {
        if let Some(v) = self.values.get(name) {
            return Ok(*v);
        }
        let (shape, data) = self
            .float_const(name)
            .ok_or_else(|| unsupported(node, format!("`{name}` is not a float tensor")))?;
        let m = data.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
        let scale = if m > 0.0 { m / self.qmax() } else { 1.0 };
        let q = data.iter().map(|&v| (f64::from(v) / scale).round() as i64).collect();
        let id = CONST_BASE + self.consts.len() as u32;
        self.consts.push(IntTensor {
            shape: shape.to_vec(),
            data: q,
        });
        let v = Val { id, scale };
        self.values.insert(name.to_string(), v);
        Ok(v)
    }
}

/// `alpha · B` as `n × k` rows (one per output channel), from `B` stored
/// `k × n`, or `n × k` when `trans`.
fn transpose_to_nk(b: &[f32], k: usize, n: usize, trans: bool, alpha: f64) -> Vec<f64> {
    let mut w = vec![0f64; n * k];
    for j in 0..n {
        for p in 0..k {
            let v = if trans { b[j * k + p] } else { b[p * n + j] };
            w[j * k + p] = alpha * f64::from(v);
        }
    }
    w
}

/// A constant that broadcasts along the last axis only (`[]`, `[1]`, `[n]`,
/// and with `rank2` also `[1, 1]`, `[1, n]`) as `n` bias values.
fn bias_from(shape: &[usize], data: &[f32], n: usize, rank2: bool) -> Option<Vec<f64>> {
    let ok_rank = shape.len() <= 1 || (rank2 && shape.len() == 2 && shape[0] == 1);
    if !ok_rank {
        return None;
    }
    match data.len() {
        1 => Some(vec![f64::from(data[0]); n]),
        len if len == n && shape.last() == Some(&n) => Some(data.iter().map(|&v| f64::from(v)).collect()),
        _ => None,
    }
}

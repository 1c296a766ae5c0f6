//! Compiling Gemm and MatMul into `Linear`, and what Linear and Conv share:
//! the fused affine tail (BatchNormalization and constant Add / Sub / Mul /
//! Div per output channel, then Relu) and per-channel weight quantization.

use super::ExactError;
use super::compile::{Compiler, Val, round_to_i64, unsupported};
use super::ir::{IrOp, Node};
use super::model::{ExactOp, Linear};
use super::quant::Requant;
use super::validate::{ACC_BOUND, acc_bound};

/// What follows a linear layer and folds into it: the final output name,
/// `y = acc_float · mul[j] + add[j]` per channel `j`, and a Relu clamp.
#[derive(Debug)]
pub(super) struct Tail {
    pub out: String,
    pub mul: Vec<f64>,
    pub add: Vec<f64>,
    pub relu: bool,
}

/// Per-channel quantized weights, biases and multipliers.
pub(super) type Channels = (Vec<i16>, Vec<i64>, Vec<Requant>);

impl Compiler<'_> {
    pub(super) fn gemm(&mut self, node: &Node) -> Result<(), ExactError> {
        let IrOp::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        } = node.op
        else {
            return Err(unsupported(node, "not a Gemm"));
        };
        if trans_a {
            return Err(unsupported(node, "Gemm with transA=1"));
        }
        let x = self.activation(node, &node.inputs[0])?;
        let (shape, b) = self
            .float_const(&node.inputs[1])
            .ok_or_else(|| unsupported(node, "Gemm needs a constant float B"))?;
        if shape.len() != 2 {
            return Err(unsupported(node, format!("Gemm B of shape {shape:?}")));
        }
        let (k, n) = if trans_b {
            (shape[1], shape[0])
        } else {
            (shape[0], shape[1])
        };
        let w = transpose_to_nk(b, k, n, trans_b, f64::from(alpha));
        let mut bias = vec![0f64; n];
        if let Some(c) = node.inputs.get(2) {
            let (cs, cd) = self
                .float_const(c)
                .ok_or_else(|| unsupported(node, "Gemm needs a constant float C"))?;
            let cb =
                per_channel(cs, cd, 2, 1, n).ok_or_else(|| unsupported(node, format!("Gemm C of shape {cs:?}")))?;
            bias.iter_mut().zip(cb).for_each(|(b, c)| *b = f64::from(beta) * c);
        }
        self.linear(node, x, w, bias, k, n)
    }

    pub(super) fn matmul(&mut self, node: &Node) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let (shape, b) = self
            .float_const(&node.inputs[1])
            .ok_or_else(|| unsupported(node, "MatMul needs a constant float right operand"))?;
        if shape.len() != 2 {
            return Err(unsupported(node, format!("MatMul weight of shape {shape:?}")));
        }
        let (k, n) = (shape[0], shape[1]);
        let w = transpose_to_nk(b, k, n, false, 1.0);
        self.linear(node, x, w, vec![0.0; n], k, n)
    }

    /// Emits a linear layer (channels on the last axis) with its fused tail.
    fn linear(
        &mut self,
        node: &Node,
        x: Val,
        mut w: Vec<f64>,
        bias: Vec<f64>,
        k: usize,
        n: usize,
    ) -> Result<(), ExactError> {
        let rank = self.shape_of(node, &node.output)?.len();
        let tail = self.fuse_tail(node.output.clone(), bias, n, rank, rank.saturating_sub(1));
        let s_out = self.scale_of(&tail.out);
        scale_rows(&mut w, k, &tail.mul);
        let (weights, bias, requant) = self.quantize_channels(node, &tail.out, &w, k, &tail.add, x.scale, s_out)?;
        let layer = Linear {
            input: x.id,
            k: u32::try_from(k).map_err(|_| unsupported(node, "k too large"))?,
            n: u32::try_from(n).map_err(|_| unsupported(node, "n too large"))?,
            weights,
            bias,
            requant,
            relu: tail.relu,
        };
        let bound = acc_bound(&layer, self.bits.qmax());
        if bound > ACC_BOUND {
            return Err(ExactError::Quantization {
                tensor: tail.out,
                reason: format!("accumulator bound {bound} exceeds 2^62"),
            });
        }
        self.push_op(ExactOp::Linear(layer), &tail.out, s_out);
        Ok(())
    }

    /// Folds the chain of sole consumers after `out` that act per channel
    /// (`n` channels on `axis` of a rank-`rank` output): BatchNormalization
    /// (`axis` 1 only), then any of Add / Sub / Mul / Div with a constant
    /// that varies along `axis` only, then a Relu.
    pub(super) fn fuse_tail(&mut self, mut out: String, bias: Vec<f64>, n: usize, rank: usize, axis: usize) -> Tail {
        let (mut mul, mut add) = (vec![1f64; n], bias);
        let graph = self.graph;
        while let Some(i) = self.sole_consumer(&out) {
            let next = &graph.nodes[i];
            let first = next.inputs.first() == Some(&out);
            let other = |j: usize| {
                self.float_const(next.inputs.get(j)?)
                    .and_then(|(s, d)| per_channel(s, d, rank, axis, n))
            };
            match &next.op {
                IrOp::BatchNorm { epsilon } if first && axis == 1 => {
                    let Some([scale, b, mean, var]) = self.bn_params(next, n) else {
                        break;
                    };
                    for j in 0..n {
                        let f = scale[j] / (var[j] + f64::from(*epsilon)).sqrt();
                        mul[j] *= f;
                        add[j] = (add[j] - mean[j]) * f + b[j];
                    }
                }
                IrOp::Add | IrOp::Sub | IrOp::Mul | IrOp::Div if next.inputs.len() == 2 => {
                    let Some(c) = other(usize::from(first)) else { break };
                    match (&next.op, first) {
                        (IrOp::Add, _) => add.iter_mut().zip(&c).for_each(|(a, c)| *a += c),
                        (IrOp::Sub, true) => add.iter_mut().zip(&c).for_each(|(a, c)| *a -= c),
                        (IrOp::Sub, false) => {
                            mul.iter_mut().for_each(|m| *m = -*m);
                            add.iter_mut().zip(&c).for_each(|(a, c)| *a = c - *a);
                        }
                        (IrOp::Mul, _) => {
                            for j in 0..n {
                                mul[j] *= c[j];
                                add[j] *= c[j];
                            }
                        }
                        (IrOp::Div, true) if c.iter().all(|&v| v != 0.0 && v.is_finite()) => {
                            for j in 0..n {
                                mul[j] /= c[j];
                                add[j] /= c[j];
                            }
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
            self.skip.insert(i);
            out = next.output.clone();
        }
        let (out, relu) = self.fuse_relu(out);
        Tail { out, mul, add, relu }
    }

    /// The `[scale, bias, mean, var]` inputs of a BatchNormalization node,
    /// if all are float constants of `n` values.
    pub(super) fn bn_params(&self, node: &Node, n: usize) -> Option<[Vec<f64>; 4]> {
        let p = |j: usize| {
            let (_, d) = self.float_const(node.inputs.get(j)?)?;
            (d.len() == n).then(|| d.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>())
        };
        Some([p(1)?, p(2)?, p(3)?, p(4)?])
    }

    /// Quantizes `n` rows of `k` weights per output channel: `s_w[j] =
    /// max_p |w[j][p]| / qmax` (1 if zero), `w_q = round(w / s_w)` clamped
    /// to `±qmax`, `bias_q = round(bias / (s_in · s_w))`, `requant ≈ s_in ·
    /// s_w / s_out`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn quantize_channels(
        &self,
        node: &Node,
        out: &str,
        w: &[f64],
        k: usize,
        bias: &[f64],
        s_in: f64,
        s_out: f64,
    ) -> Result<Channels, ExactError> {
        let qmax = self.qmax();
        let n = bias.len();
        let (mut weights, mut qbias, mut requant) =
            (Vec::with_capacity(n * k), Vec::with_capacity(n), Vec::with_capacity(n));
        for j in 0..n {
            let row = &w[j * k..][..k];
            let m = row.iter().fold(0f64, |m, v| m.max(v.abs()));
            let s_w = if m > 0.0 { m / qmax } else { 1.0 };
            for &v in row {
                weights.push((v / s_w).round().clamp(-qmax, qmax) as i16);
            }
            qbias.push(round_to_i64(bias[j] / (s_in * s_w), &format!("{} bias", node.name))?);
            requant.push(self.ratio(s_in * s_w / s_out, out)?);
        }
        Ok((weights, qbias, requant))
    }
}

/// Multiplies row `j` (of `k` values) by `mul[j]`.
pub(super) fn scale_rows(w: &mut [f64], k: usize, mul: &[f64]) {
    for (row, &m) in w.chunks_exact_mut(k.max(1)).zip(mul) {
        row.iter_mut().for_each(|v| *v *= m);
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

/// A constant that, broadcast against an output of rank `rank`, varies
/// only along `axis` (which has `n` entries) and does not change the
/// output's shape: every dimension is 1 except possibly the one aligned with
/// `axis`, which is `n`. Returns its `n` per-channel values.
pub(super) fn per_channel(shape: &[usize], data: &[f32], rank: usize, axis: usize, n: usize) -> Option<Vec<f64>> {
    if shape.len() > rank {
        return None;
    }
    let offset = rank - shape.len();
    let fits = shape
        .iter()
        .enumerate()
        .all(|(d, &len)| len == 1 || (d + offset == axis && len == n));
    match data.len() {
        _ if !fits => None,
        1 => Some(vec![f64::from(data[0]); n]),
        len if len == n => Some(data.iter().map(|&v| f64::from(v)).collect()),
        _ => None,
    }
}

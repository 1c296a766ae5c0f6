//! Compiling the transformer ops: pointwise functions to lookup tables,
//! Softmax, LayerNormalization, ReduceSum / ReduceMean and the `MatMul` of
//! two activations (embeddings: `compile_embed.rs`). Parameter choices are documented in
//! `docs/exact-semantics.md` §4.

use super::ExactError;
use super::batch_matmul::BatchMatMul;
use super::compile::{Compiler, round_to_i64, unsupported};
use super::float_nn::{broadcast_map, norm_axes};
use super::ir::{IrOp, Node};
use super::layernorm::LayerNorm;
use super::lut::Lut;
use super::model::{Bits, ExactOp};
use super::nonlinear::Pointwise;
use super::op::IntOp;
use super::reduce::{MAX_REDUCE_SHIFT, Reduce};
use super::softmax::{Softmax, exp_bits_for, exp_table};

/// Largest `|h_j|` the LayerNorm compiler produces: `2^40`.
const MAX_NORM_BIAS: f64 = (1u64 << 40) as f64;

/// LayerNorm precisions `(F, K)` for a block of `n` elements: `F = b`
/// fraction bits; `K = F + b + ceil(1.5 · bitlen(n)) + 2` (at most 63, with
/// `bitlen(n) = floor(log2 n) + 1`) keeps the error that the floor of the
/// inverse square root causes below 1/8 of a unit of `t`.
pub fn norm_precision(bits: Bits, n: usize) -> (u8, u8) {
    let b = bits.width();
    let bitlen = usize::BITS - n.max(1).leading_zeros();
    let k = u32::from(2 * b) + (3 * bitlen).div_ceil(2) + 2;
    (b, k.min(63) as u8)
}

impl Compiler<'_> {
    /// A pointwise function as a [`Lut`] over the input's whole domain.
    pub(super) fn pointwise(&mut self, node: &Node, p: Pointwise) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let (table, s_out) = Lut::tabulate(self.bits, x.scale, |v| p.eval(v));
        self.push_op(ExactOp::Lut(Lut { input: x.id, table }), &node.output, s_out);
        Ok(())
    }

    /// Softmax with an exp table for the input's scale; output scale `1/qmax`.
    pub(super) fn softmax(&mut self, node: &Node, axis: i64, legacy: bool) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        if legacy {
            // Opset < 13 flattens from `axis` on: the same as one axis when
            // every later axis has size 1.
            let shape = self.shape_of(node, &node.inputs[0])?;
            let (a, tail) = norm_axes(shape, axis).map_err(|e| unsupported(node, e))?;
            if tail[1..].iter().any(|&d| d != 1) {
                return Err(unsupported(
                    node,
                    format!("Softmax (opset < 13) over axes {a}.. of {shape:?}"),
                ));
            }
        }
        let exp_bits = exp_bits_for(self.bits);
        let op = Softmax {
            input: x.id,
            axis,
            exp_bits,
            exp_table: exp_table(self.bits, x.scale, exp_bits),
        };
        let s_out = 1.0 / self.qmax();
        self.push_op(ExactOp::Softmax(op), &node.output, s_out);
        Ok(())
    }

    /// LayerNormalization with per-element `gamma`/`beta` folded into
    /// `(g_j, h_j, rq_j)`.
    pub(super) fn layer_norm(&mut self, node: &Node, axis: i64, eps: f32) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let shape = self.shape_of(node, &node.inputs[0])?;
        let (first, norm) = norm_axes(shape, axis).map_err(|e| unsupported(node, e))?;
        let static_axes = self.static_axes.get(&node.inputs[0]);
        if !static_axes.is_some_and(|s| s.len() == shape.len() && s[first..].iter().all(|&a| a)) {
            return Err(unsupported(node, "LayerNormalization over an axis of run-time size"));
        }
        let n: usize = norm.iter().product();
        let per_element = |name: &str| -> Result<Vec<f64>, ExactError> {
            let (s, d) = self
                .float_const(name)
                .ok_or_else(|| unsupported(node, format!("LayerNormalization needs a constant `{name}`")))?;
            let map = broadcast_map(norm, s).map_err(|e| unsupported(node, e))?;
            Ok(map.iter().map(|&i| f64::from(d[i])).collect())
        };
        let gamma = per_element(&node.inputs[1])?;
        let beta = match node.inputs.get(2) {
            Some(b) => per_element(b)?,
            None => vec![0.0; n],
        };
        let (f, k) = norm_precision(self.bits, n);
        let qmax = self.qmax();
        let s_y = self.scale_of(&node.output);
        let eps_q = (f64::from(eps) / (x.scale * x.scale))
            .round()
            .clamp(0.0, (1u64 << 62) as f64) as i64;
        let unit = 2f64.powi(i32::from(f));
        let mut op = LayerNorm {
            input: x.id,
            axis,
            n: u32::try_from(n).map_err(|_| unsupported(node, "normalized block too large"))?,
            eps: eps_q,
            sqrt_bits: k,
            frac_bits: f,
            gamma: Vec::with_capacity(n),
            beta: Vec::with_capacity(n),
            requant: Vec::with_capacity(n),
        };
        for (&g, &b) in gamma.iter().zip(&beta) {
            // Scale of g_j: |gamma| / qmax, raised if needed so that |h_j| <= 2^40
            // and the requantizer ratio is at least 2^-60 (a smaller gamma
            // rounds to g_j = 0).
            let s = (g.abs() / qmax)
                .max(b.abs() * unit / MAX_NORM_BIAS)
                .max(s_y * unit * 2f64.powi(-60));
            op.gamma.push((g / s).round().clamp(-qmax, qmax) as i16);
            op.beta
                .push(round_to_i64(b * unit / s, &format!("{} beta", node.name))?);
            op.requant.push(self.ratio(s / unit / s_y, &node.output)?);
        }
        op.check(self.bits).map_err(|reason| ExactError::Quantization {
            tensor: node.output.clone(),
            reason,
        })?;
        self.push_op(ExactOp::LayerNorm(op), &node.output, s_y);
        Ok(())
    }

    /// ReduceSum / ReduceMean; the mean's division happens at run time.
    pub(super) fn reduce(&mut self, node: &Node) -> Result<(), ExactError> {
        let IrOp::Reduce {
            mean,
            axes,
            keepdims,
            noop_with_empty_axes,
        } = &node.op
        else {
            return Err(unsupported(node, "not a reduction"));
        };
        let x = self.activation(node, &node.inputs[0])?;
        let axes = match (axes, node.inputs.get(1)) {
            (Some(a), _) => a.clone(),
            (None, Some(name)) => self
                .int_const(name)
                .ok_or_else(|| unsupported(node, "reduce axes must be a constant int64 tensor"))?
                .to_vec(),
            (None, None) => Vec::new(),
        };
        if axes.is_empty() && *noop_with_empty_axes {
            self.values.insert(node.output.clone(), x);
            return Ok(());
        }
        let s_y = self.scale_of(&node.output);
        let requant = self.ratio(x.scale / s_y, &node.output)?;
        if requant.shift > MAX_REDUCE_SHIFT {
            return Err(ExactError::Quantization {
                tensor: node.output.clone(),
                reason: format!("rescale ratio {} below 2^-33", x.scale / s_y),
            });
        }
        let op = Reduce {
            input: x.id,
            axes,
            keepdims: *keepdims,
            mean: *mean,
            requant,
        };
        self.push_op(ExactOp::Reduce(op), &node.output, s_y);
        Ok(())
    }

    /// `MatMul` whose right operand is not a float constant. A following
    /// `Div` or `Mul` by a positive scalar constant (attention's `/ √d`),
    /// when it is the only reader, folds into the requantizer.
    pub(super) fn act_matmul(&mut self, node: &Node) -> Result<(), ExactError> {
        let a = self.operand(node, &node.inputs[0])?;
        let b = self.operand(node, &node.inputs[1])?;
        let (mut out, mut factor) = (node.output.clone(), 1.0);
        let graph = self.graph;
        if let Some(i) = self.sole_consumer(&out) {
            let next = &graph.nodes[i];
            let other = next.inputs.iter().find(|n| **n != out);
            let c = match (other.and_then(|n| self.float_const(n)), &next.op) {
                (Some((_, &[c])), IrOp::Div) if next.inputs[0] == out => Some(1.0 / f64::from(c)),
                (Some((_, &[c])), IrOp::Mul) => Some(f64::from(c)),
                _ => None,
            };
            if let Some(c) = c.filter(|c| c.is_finite() && *c > 0.0) {
                self.skip.insert(i);
                (out, factor) = (next.output.clone(), c);
            }
        }
        let s_out = self.scale_of(&out);
        let op = BatchMatMul {
            a: a.id,
            b: b.id,
            requant: self.ratio(a.scale * b.scale * factor / s_out, &out)?,
        };
        self.push_op(ExactOp::BatchMatMul(op), &out, s_out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_precision_grows_with_the_block() {
        assert_eq!(norm_precision(Bits::B16, 384), (16, 16 + 16 + 14 + 2));
        assert_eq!(norm_precision(Bits::B8, 16), (8, 8 + 8 + 8 + 2));
        assert_eq!(norm_precision(Bits::B16, 1 << 16).1, 60);
    }
}

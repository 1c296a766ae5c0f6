//! The invariants every [`ExactModel`] satisfies, whether compiled here or
//! decoded from untrusted bytes. The runner relies on them: with them, no
//! accumulator overflows and every value fits its width.

use std::collections::BTreeSet;

use veris_core::{DType, Dim};

use super::model::{ExactModel, ExactOp, Linear};

/// `|Σ x·w + bias|` must stay at or below this for every linear layer
/// (so i64 accumulation cannot overflow, with room to spare).
pub const ACC_BOUND: i128 = 1 << 62;
/// Longest input or output name, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// Highest rank of a declared input or a reshape target.
pub const MAX_RANK: usize = 8;
/// Most inputs or outputs.
pub const MAX_BOUNDARY: usize = 64;

/// The worst-case `|accumulator|` of a layer: `k · 2^(b−1) · qmax + max|bias|`.
pub fn acc_bound(l: &Linear, qmax: i64) -> i128 {
    let max_bias = l.bias.iter().map(|b| i128::from(b.unsigned_abs())).max().unwrap_or(0);
    i128::from(l.k) * i128::from(qmax + 1) * i128::from(qmax) + max_bias
}

impl ExactModel {
    /// Checks every invariant of the semantics; the message names the first
    /// violation.
    pub fn validate(&self) -> Result<(), String> {
        let (qmin, qmax) = (self.bits.qmin(), self.bits.qmax());
        if self.inputs.is_empty() || self.inputs.len() > MAX_BOUNDARY {
            return Err(format!("{} inputs (1 to {MAX_BOUNDARY} allowed)", self.inputs.len()));
        }
        if self.outputs.is_empty() || self.outputs.len() > MAX_BOUNDARY {
            return Err(format!("{} outputs (1 to {MAX_BOUNDARY} allowed)", self.outputs.len()));
        }
        let mut names = BTreeSet::new();
        for input in &self.inputs {
            check_name(&input.spec.name)?;
            if !names.insert(input.spec.name.as_str()) {
                return Err(format!("duplicate input `{}`", input.spec.name));
            }
            if input.spec.shape.len() > MAX_RANK {
                return Err(format!("input `{}` has rank above {MAX_RANK}", input.spec.name));
            }
            for d in &input.spec.shape {
                if let Dim::Symbol(s) = d {
                    check_name(s)?;
                }
            }
            match (input.spec.dtype, input.quant) {
                (DType::Float32, Some(q)) if q.is_valid() => {}
                (DType::Int64, None) => {}
                (dtype, q) => return Err(format!("input `{}`: {dtype} with multiplier {q:?}", input.spec.name)),
            }
        }
        for (i, c) in self.consts.iter().enumerate() {
            if c.shape.len() > MAX_RANK || c.shape.iter().product::<usize>() != c.data.len() {
                return Err(format!(
                    "const {i}: shape {:?} does not hold {} values",
                    c.shape,
                    c.data.len()
                ));
            }
            if c.data.iter().any(|&v| v < qmin || v > qmax) {
                return Err(format!("const {i}: value outside [{qmin}, {qmax}]"));
            }
        }
        let first_op = self.inputs.len() + self.consts.len();
        for (i, op) in self.ops.iter().enumerate() {
            let defined = first_op + i;
            if let Some(v) = op.operands().into_iter().find(|&v| v as usize >= defined) {
                return Err(format!("op {i} reads value {v}, not yet defined"));
            }
            check_op(i, op, qmax)?;
            if let Some(ext) = op.ext() {
                ext.check(self.bits)
                    .map_err(|e| format!("op {i} ({}): {e}", ext.name()))?;
            }
        }
        self.check_index_inputs()?;
        let total = first_op + self.ops.len();
        let mut out_names = BTreeSet::new();
        for o in &self.outputs {
            check_name(&o.name)?;
            if !out_names.insert(o.name.as_str()) {
                return Err(format!("duplicate output `{}`", o.name));
            }
            if o.value as usize >= total {
                return Err(format!("output `{}` reads undefined value {}", o.name, o.value));
            }
            if !(o.scale.is_finite() && o.scale > 0.0) {
                return Err(format!("output `{}` has scale {}", o.name, o.scale));
            }
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("name of {} bytes (1 to {MAX_NAME_LEN} allowed)", name.len()));
    }
    Ok(())
}

fn check_op(i: usize, op: &ExactOp, qmax: i64) -> Result<(), String> {
    match op {
        ExactOp::Linear(l) => {
            let (k, n) = (l.k as usize, l.n as usize);
            if k == 0 || n == 0 || l.weights.len() != k * n || l.bias.len() != n || l.requant.len() != n {
                return Err(format!("op {i}: linear {k}x{n} with inconsistent parameter counts"));
            }
            if l.weights.iter().any(|&w| i64::from(w).abs() > qmax) {
                return Err(format!("op {i}: weight outside [-{qmax}, {qmax}]"));
            }
            if let Some(r) = l.requant.iter().find(|r| !r.is_valid()) {
                return Err(format!("op {i}: invalid multiplier {r:?}"));
            }
            if acc_bound(l, qmax) > ACC_BOUND {
                return Err(format!("op {i}: accumulator bound exceeds 2^62"));
            }
        }
        ExactOp::Add {
            requant_a, requant_b, ..
        } => {
            if !requant_a.is_valid() || !requant_b.is_valid() {
                return Err(format!("op {i}: invalid multiplier"));
            }
        }
        ExactOp::Relu { .. } => {}
        ExactOp::Reshape { shape, .. } => {
            if shape.len() > MAX_RANK || shape.iter().any(|&d| d < -1) || shape.iter().filter(|&&d| d == -1).count() > 1
            {
                return Err(format!("op {i}: invalid reshape target {shape:?}"));
            }
        }
        ExactOp::Flatten { axis, .. } => {
            if axis.unsigned_abs() > MAX_RANK as u64 {
                return Err(format!("op {i}: flatten axis {axis}"));
            }
        }
        // Checked through `ExactOp::ext` by the caller.
        ExactOp::Conv(_)
        | ExactOp::MaxPool(_)
        | ExactOp::AvgPool(_)
        | ExactOp::GlobalAvgPool(_)
        | ExactOp::Sub(_)
        | ExactOp::Mul(_)
        | ExactOp::LeakyRelu(_)
        | ExactOp::Clip(_)
        | ExactOp::Transpose(_)
        | ExactOp::Concat(_)
        | ExactOp::Squeeze(_)
        | ExactOp::Unsqueeze(_)
        | ExactOp::Slice(_)
        | ExactOp::Gather(_)
        | ExactOp::Lut(_)
        | ExactOp::Softmax(_)
        | ExactOp::LayerNorm(_)
        | ExactOp::Reduce(_)
        | ExactOp::BatchMatMul(_)
        | ExactOp::Embedding(_)
        | ExactOp::SliceToDim(_) => {}
    }
    Ok(())
}

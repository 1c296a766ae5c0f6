//! Setup: from an exact model to its proving and verifying keys.
//!
//! Deterministic (anyone holding the model recomputes the same verifying
//! key) and transparent (no secrets). The model commitment packs, per linear
//! layer, the weights and both threshold tables (`docs/proof-system.md` §9.3) into one
//! polynomial; it is made once per model and reused by every proof.

use thiserror::Error;
use veris_core::spec::Dim;
use veris_engine::exact::{Bits, ExactModel, ExactOp, Linear, Requant};

use super::circuit::Circuit;
use super::error::StatementError;
use super::key::{Boundary, InputDim, LinearKey, RequantParams, Stage, VerifyingKey};
use super::key_add::{AddKey, arity};
use super::key_norm::NormKey;
use super::matmul_act::prover::matmul_tables;
use super::model_slots::model_layout;
use super::norm_prover::norm_tables;
use super::pointwise::LutKey;
use super::setup_cnn::{conv_key, global_pool_key, linear_input_grid, max_pool_key, pool_key};
use super::setup_matmul::matmul_key;
use super::softmax::SoftmaxKey;
use super::tables::{RequantTables, conv_tables, linear_tables, pool_tables};
use super::{MAX_ACC_BOUND, SEMANTICS_VERSION};
use crate::error::ProverError;
use crate::field::{F, Field};
use crate::hash::Hasher;
use crate::pcs::prover::{CommittedData, commit};
use crate::pcs::{Commitment, PcsParams};

/// Why a model cannot be set up for proving.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SetupError {
    /// The model uses something this proof system does not handle yet.
    #[error("not yet provable: {0}")]
    NotYetProvable(String),
    /// A layer's accumulators could exceed the bound that keeps field arithmetic exact.
    #[error("op {op}: accumulator bound {bound} exceeds 2^40")]
    AccumulatorBound {
        /// The op index.
        op: usize,
        /// `max_j (128·Σ|w_jp| + |bias_j|)`.
        bound: u128,
    },
    /// The model's program does not fit the circuit limits.
    #[error("circuit: {0}")]
    Circuit(#[from] StatementError),
    /// Committing failed.
    #[error("commitment: {0}")]
    Commit(#[from] ProverError),
}

/// What the prover needs besides the model: the verifying key, the model's
/// tables and the committed model polynomial.
#[derive(Debug, Clone)]
pub struct ProverKey<H: Hasher> {
    pub(crate) vk: VerifyingKey,
    /// One per requantized stage (Linear, Conv, AvgPool), in order.
    pub(crate) tables: Vec<RequantTables>,
    pub(crate) model_poly: Vec<F>,
    pub(crate) model_commitment: Commitment,
    pub(crate) model_data: CommittedData<H>,
}

impl<H: Hasher> ProverKey<H> {
    /// The matching verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }
}

/// Derives both keys from `model`; refuses programs v1 cannot prove.
pub fn setup<H: Hasher>(model: &ExactModel, params: PcsParams) -> Result<(ProverKey<H>, VerifyingKey), SetupError> {
    let (stages, operands) = stages_of(model)?;
    let layout = model_layout(&stages)?;
    let mut poly = vec![F::ZERO; 1 << layout.num_vars];
    let mut tables = Vec::new();
    let mut slots = layout.layers.iter();
    for (op, stage) in model.ops().iter().zip(&stages) {
        let t = match (op, stage) {
            (ExactOp::Linear(l), Stage::Linear(key)) => linear_tables(l, key),
            (ExactOp::Conv(c), Stage::Conv(key)) => conv_tables(c, key),
            (ExactOp::AvgPool(p), Stage::AvgPool(key)) => pool_tables(p.requant, key),
            (ExactOp::GlobalAvgPool(p), Stage::AvgPool(key)) => pool_tables(p.requant, key),
            (ExactOp::BatchMatMul(_), Stage::MatMul(key)) => matmul_tables(key),
            (ExactOp::LayerNorm(_), Stage::LayerNorm(key)) => norm_tables(key),
            _ => continue,
        };
        let s = slots.next().expect("model slots per requantized stage");
        if let Some(w) = s.weights {
            for (dst, &v) in poly[w.range()].iter_mut().zip(&t.padded_weights) {
                *dst = F::from_i64(v);
            }
        }
        for (slot, values) in [(s.lower_table, &t.lower), (s.upper_table, &t.upper)] {
            for (dst, &v) in poly[slot.range()].iter_mut().zip(values) {
                *dst = F::from_i64(v);
            }
        }
        tables.push(t);
    }
    let (model_commitment, model_data) = commit::<H>(std::slice::from_ref(&poly), params)?;
    let vk = VerifyingKey {
        hash: H::NAME.to_string(),
        model_id: model.id().to_cid_bytes(),
        semantics_version: SEMANTICS_VERSION,
        params,
        input: model.inputs()[0]
            .spec
            .shape
            .iter()
            .map(|d| match d {
                Dim::Fixed(v) => InputDim::Fixed(*v),
                Dim::Symbol(_) => InputDim::Symbolic,
            })
            .collect(),
        boundary: boundary_of(model)?,
        stages,
        operands,
        model_root: model_commitment.root,
        model_vars: layout.num_vars,
    };
    vk.check().map_err(SetupError::NotYetProvable)?;
    // The circuit must exist for some input: try every symbolic dimension at 1.
    let probe: Vec<usize> = vk
        .input
        .iter()
        .map(|d| match d {
            InputDim::Fixed(v) => *v as usize,
            InputDim::Symbolic => 1,
        })
        .collect();
    Circuit::new(&vk, &probe)?;
    let pk = ProverKey {
        vk: vk.clone(),
        tables,
        model_poly: poly,
        model_commitment,
        model_data,
    };
    Ok((pk, vk))
}

/// The program as stages and the values each reads, or why v1 cannot prove it.
fn stages_of(model: &ExactModel) -> Result<(Vec<Stage>, Vec<Vec<u32>>), SetupError> {
    let refuse = |what: String| Err(SetupError::NotYetProvable(what));
    if model.bits() != Bits::B8 {
        return refuse("16-bit models (the threshold tables would have 2^16 rows per channel)".into());
    }
    if model.inputs().len() != 1 || model.outputs().len() != 1 {
        return refuse("models with several inputs or outputs".into());
    }
    // Engine values: input 0, constants 1..=C, op i at base + i; key values: input 0, stage i at i + 1.
    let base = (model.inputs().len() + model.consts().len()) as u32;
    let key_value = |i: usize, v: u32| -> Result<u32, SetupError> {
        match v {
            0 => Ok(0),
            v if v >= base => Ok(v - base + 1),
            _ => Err(SetupError::NotYetProvable(format!("op {i} reads a constant tensor"))),
        }
    };
    let mut stages = Vec::with_capacity(model.ops().len());
    let mut operands = Vec::with_capacity(model.ops().len());
    let mut shapes = None;
    for (i, op) in model.ops().iter().enumerate() {
        let reads = op.operands();
        let stage = match op {
            ExactOp::Linear(l) => Stage::Linear(LinearKey {
                input_grid: linear_input_grid(model, i, l.k, &mut shapes),
                ..linear_key(i, l)?
            }),
            ExactOp::Relu { .. } => Stage::Relu,
            ExactOp::Lut(l) => Stage::Lut(LutKey { table: l.table.clone() }),
            ExactOp::Softmax(s) => Stage::Softmax(SoftmaxKey {
                axis: s.axis,
                exp_bits: s.exp_bits,
                exp_table: s.exp_table.clone(),
            }),
            ExactOp::Reshape { shape, .. } => Stage::Reshape(shape.clone()),
            ExactOp::Flatten { axis, .. } => Stage::Flatten(*axis),
            ExactOp::Transpose(t) => Stage::Transpose(t.perm.clone()),
            ExactOp::BatchMatMul(m) => Stage::MatMul(matmul_key(model, i, m, &mut shapes)?),
            ExactOp::LayerNorm(ln) => Stage::LayerNorm(norm_key(i, ln)?),
            ExactOp::Conv(c) => Stage::Conv(conv_key(i, c)?),
            ExactOp::AvgPool(p) => Stage::AvgPool(pool_key(p)?),
            ExactOp::MaxPool(p) => Stage::MaxPool(max_pool_key(i, p)?),
            ExactOp::GlobalAvgPool(p) => Stage::AvgPool(global_pool_key(model, i, p, &mut shapes)?),
            ExactOp::Add {
                requant_a,
                requant_b,
                relu,
                ..
            } => Stage::Add(AddKey {
                requant_a: requant_params(*requant_a),
                requant_b: requant_params(*requant_b),
                relu: *relu,
            }),
            other => return refuse(format!("op {i} ({})", other.name())),
        };
        if reads.len() != arity(&stage) {
            return refuse(format!("op {i} ({}) reads {} values", op.name(), reads.len()));
        }
        operands.push(reads.iter().map(|&v| key_value(i, v)).collect::<Result<_, _>>()?);
        stages.push(stage);
    }
    if model.outputs()[0].value != base + stages.len() as u32 - 1 {
        return refuse("the output is not the last op's value".into());
    }
    Ok((stages, operands))
}

fn requant_params(r: Requant) -> RequantParams {
    RequantParams {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

/// The float boundary of a one-input, one-output model (checked by `stages_of`).
fn boundary_of(model: &ExactModel) -> Result<Boundary, SetupError> {
    let (input, output) = (&model.inputs()[0], &model.outputs()[0]);
    let quant = input
        .quant
        .ok_or_else(|| SetupError::NotYetProvable("integer (index) inputs".into()))?;
    Ok(Boundary {
        input_name: input.spec.name.clone(),
        input_quant: RequantParams {
            multiplier: quant.multiplier,
            shift: quant.shift,
        },
        output_name: output.name.clone(),
        output_scale_bits: output.scale.to_bits(),
    })
}

fn linear_key(op: usize, l: &Linear) -> Result<LinearKey, SetupError> {
    channel_key(op, [l.k, l.n], l.relu, &l.weights, &l.bias, &l.requant)
}

/// The per-channel part of a linear map `k → n` (Linear, or Conv with `k = c_in·kh·kw`).
pub(crate) fn channel_key(
    op: usize,
    [k, n]: [u32; 2],
    relu: bool,
    weights: &[i16],
    bias: &[i64],
    requant: &[Requant],
) -> Result<LinearKey, SetupError> {
    // Activations lie in [−128, 127], so |x·w| ≤ 128·|w|.
    let bound = weights
        .chunks_exact(k as usize)
        .zip(bias)
        .map(|(row, b)| {
            let s: u128 = row.iter().map(|w| u128::from(w.unsigned_abs())).sum();
            128 * s + u128::from(b.unsigned_abs())
        })
        .max()
        .unwrap_or(0);
    if bound > u128::from(MAX_ACC_BOUND) {
        return Err(SetupError::AccumulatorBound { op, bound });
    }
    Ok(LinearKey {
        k,
        n,
        relu,
        acc_bound: bound as u64,
        bias: bias.to_vec(),
        requant: requant.iter().copied().map(requant_params).collect(),
        input_grid: None,
    })
}

/// The key of a LayerNorm op, refused when its integer bounds do not fit the field (§9.11.4).
fn norm_key(op: usize, ln: &veris_engine::exact::LayerNorm) -> Result<NormKey, SetupError> {
    let key = NormKey {
        axis: ln.axis,
        n: ln.n,
        eps: ln.eps,
        sqrt_bits: ln.sqrt_bits,
        frac_bits: ln.frac_bits,
        gamma: ln.gamma.iter().map(|&g| i64::from(g)).collect(),
        beta: ln.beta.clone(),
        requant: ln.requant.iter().copied().map(requant_params).collect(),
    };
    key.check()
        .map_err(|e| SetupError::NotYetProvable(format!("op {op} (LayerNorm): {e}")))?;
    Ok(key)
}

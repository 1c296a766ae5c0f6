//! The public model key: everything a verifier needs about an exact model.
//!
//! A [`VerifyingKey`] lists the program's stages (layer shapes, biases,
//! requantizers, ReLU flags, accumulator bounds), the input's dimensions, the
//! float boundary (input quantizer, output scale) and
//! the commitment to the model's private-to-the-prover tables (weights and
//! requantization thresholds, see [`crate::infer`]). It is derived
//! deterministically from the exact model by `setup`, so anyone holding the
//! model can recompute it; its digest is absorbed by every proof.
//! Keys are built only by `setup` or [`VerifyingKey::decode`], both of which
//! run [`VerifyingKey::check`]: a key in hand is always internally consistent.

use super::key_add::{AddKey, check_operands};
use super::key_cnn::{ConvKey, PoolKey, check_conv, check_pool};
use super::model_slots::model_layout;
use super::pointwise::LutKey;
use super::{MAX_ACC_BOUND, SEMANTICS_VERSION};
use crate::hash::{Digest, Hasher};
use crate::pcs::{Commitment, PcsParams, Shape};

/// Largest `k` or `n` of a linear layer.
pub const MAX_LAYER_DIM: u32 = 1 << 20;
/// Largest number of stages.
pub const MAX_STAGES: usize = 256;
/// Largest number of variables of the model commitment.
pub const MAX_MODEL_VARS: usize = 28;

/// One input dimension as the model declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputDim {
    /// This exact size.
    Fixed(u64),
    /// Any size (e.g. a batch dimension).
    Symbolic,
}

/// A requantizer `(M, s)` standing for `M / 2^s` (`docs/exact-semantics.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequantParams {
    /// `1 ≤ M ≤ 2^31 − 1`.
    pub multiplier: u32,
    /// `1 ≤ s ≤ 126`.
    pub shift: u8,
}

impl RequantParams {
    /// Whether the semantics' ranges hold.
    pub fn is_valid(self) -> bool {
        (1..=(1u32 << 31) - 1).contains(&self.multiplier) && (1..=126).contains(&self.shift)
    }
}

/// A fully connected layer `y = sat(rq_j(x·wᵀ + bias))` (weights are committed, not listed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinearKey {
    /// Input features.
    pub k: u32,
    /// Output channels.
    pub n: u32,
    /// Lower clamp 0 instead of −128.
    pub relu: bool,
    /// `B ≥ |acc|` for every accumulator of the layer: `max_j (128·Σ_p |w_jp| + |bias_j|)`.
    pub acc_bound: u64,
    /// One per channel.
    pub bias: Vec<i64>,
    /// One per channel.
    pub requant: Vec<RequantParams>,
    /// `Some([C, H, W])`: the input features are an `[N, C, H, W]` grid flattened at
    /// axis 1 (`k = C·H·W`) and the weights are laid out over that grid's padded
    /// layout, so the layer reads its producer's grid table directly
    /// (`docs/proof-system.md` §9.8). `None`: a row-major `rows × k` matrix.
    pub input_grid: Option<[u32; 3]>,
}

impl LinearKey {
    /// 8-bit limbs needed for a value in `[0, 2B]`.
    pub fn limbs(&self) -> usize {
        let bits = 64 - (2 * self.acc_bound + 1).leading_zeros();
        (bits as usize).div_ceil(super::LIMB_BITS as usize).max(1)
    }
}

/// One step of the program, in order; which values each step reads is the
/// key's operand list ([`VerifyingKey::operands`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A linear layer (proved).
    Linear(LinearKey),
    /// `max(x, 0)` (proved by lookup).
    Relu,
    /// ONNX Reshape (no data movement; shape rule only).
    Reshape(Vec<i64>),
    /// ONNX Flatten (no data movement; shape rule only).
    Flatten(i64),
    /// A 2-D convolution (proved; see [`super::key_cnn`]).
    Conv(ConvKey),
    /// An average pool with a constant window count (proved).
    AvgPool(PoolKey),
    /// A max pool over the window (proved by differences and a one-hot
    /// selector; see [`super::window_max`]).
    MaxPool(super::key_cnn::WindowKey),
    /// A residual addition of two values (proved by lookup; see [`super::key_add`]).
    Add(AddKey),
    /// A pointwise function by public table (Sigmoid, Tanh, Erf, GELU, …; proved by lookup).
    Lut(LutKey),
    /// ONNX Transpose (output axis `i` is input axis `perm[i]`): no table of its
    /// own, its consumer's claims are re-indexed onto its producer ([`super::view`]).
    Transpose(Vec<u8>),
    /// `MatMul` of two activations, its operands the two values the operand
    /// list names (attention; [`super::matmul_act`]).
    MatMul(super::matmul_act::MatMulKey),
    /// `Softmax` along the last axis (lane maximum, exp table, rounded
    /// division; [`super::softmax`]).
    Softmax(super::softmax::SoftmaxKey),
    /// LayerNorm over blocks of the trailing axes ([`super::key_norm`], [`super::norm`]).
    LayerNorm(super::key_norm::NormKey),
}

/// Longest tensor name a key records.
pub const MAX_TENSOR_NAME: usize = 255;

/// How the model's float boundary maps to the quantized statement: the
/// input rule `q = sat(round(x · M / 2^s))` (`veris_core::quant`) and the
/// output view `float32(q · scale)`. It lets a verifier tie a receipt's float
/// tensors to the proof's integer statement without the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    /// The model input's name.
    pub input_name: String,
    /// The input quantizer (standing for `1 / scale`).
    pub input_quant: RequantParams,
    /// The model output's name.
    pub output_name: String,
    /// `f64::to_bits` of the output scale (finite, positive).
    pub output_scale_bits: u64,
}

impl Boundary {
    /// The output scale.
    pub fn output_scale(&self) -> f64 {
        f64::from_bits(self.output_scale_bits)
    }

    fn check(&self) -> Result<(), String> {
        for name in [&self.input_name, &self.output_name] {
            if name.is_empty() || name.len() > MAX_TENSOR_NAME {
                return Err(format!("tensor names must be 1..={MAX_TENSOR_NAME} bytes"));
            }
        }
        if !self.input_quant.is_valid() {
            return Err("invalid input quantizer".into());
        }
        let scale = self.output_scale();
        if !(scale.is_finite() && scale > 0.0) {
            return Err("output scale must be finite and positive".into());
        }
        Ok(())
    }
}

/// The verifier's view of a compiled exact model (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    pub(crate) hash: String,
    pub(crate) model_id: [u8; super::MODEL_ID_BYTES],
    pub(crate) semantics_version: u32,
    pub(crate) params: PcsParams,
    pub(crate) input: Vec<InputDim>,
    pub(crate) boundary: Boundary,
    pub(crate) stages: Vec<Stage>,
    /// Per stage, the values it reads: 0 is the input, `j + 1` stage `j`'s output.
    pub(crate) operands: Vec<Vec<u32>>,
    pub(crate) model_root: Digest,
    pub(crate) model_vars: usize,
}

impl VerifyingKey {
    /// The exact model this key is for (binary CIDv1).
    pub fn model_id(&self) -> &[u8; super::MODEL_ID_BYTES] {
        &self.model_id
    }

    /// The name of the hash the commitments and transcript use.
    pub fn hash_name(&self) -> &str {
        &self.hash
    }

    /// The program's stages.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Per stage, the values it reads (0 = the input, `j + 1` = stage `j`'s
    /// output); the program's output is the last stage's.
    pub fn operands(&self) -> &[Vec<u32>] {
        &self.operands
    }

    /// The input's declared dimensions.
    pub fn input_dims(&self) -> &[InputDim] {
        &self.input
    }

    /// The float boundary: input quantizer and output scale.
    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// Commitment parameters (used for the model and for every proof's witness).
    pub fn params(&self) -> PcsParams {
        self.params
    }

    /// The commitment to the model's weights and threshold tables.
    pub fn model_commitment(&self) -> Commitment {
        Commitment {
            root: self.model_root,
            shape: Shape::new(self.model_vars, 1, self.params),
        }
    }

    /// `H("veris/inference/vk" ‖ encoding)`: what proofs bind.
    pub fn digest<H: Hasher>(&self) -> Digest {
        H::hash_parts(&[b"veris/inference/vk", &self.encode()])
    }

    /// Every invariant the verifier relies on.
    pub fn check(&self) -> Result<(), String> {
        if self.hash.is_empty() || self.hash.len() > 32 || !self.hash.is_ascii() {
            return Err("hash name must be 1..=32 ASCII bytes".into());
        }
        if self.semantics_version != SEMANTICS_VERSION {
            return Err(format!(
                "semantics version {} is not {SEMANTICS_VERSION}",
                self.semantics_version
            ));
        }
        let provable = [
            PcsParams::PROVABLE_RATE_1_2,
            PcsParams::PROVABLE_RATE_1_4,
            PcsParams::PROVABLE_RATE_1_8,
        ];
        if !provable.contains(&self.params) {
            return Err("commitment parameters are not one of the provable sets".into());
        }
        if self.input.len() > super::MAX_RANK {
            return Err("input rank above 8".into());
        }
        self.boundary.check()?;
        if self.stages.is_empty() || self.stages.len() > MAX_STAGES {
            return Err(format!("1..={MAX_STAGES} stages required"));
        }
        self.stages.iter().try_for_each(check_stage)?;
        check_operands(&self.stages, &self.operands)?;
        let layout = model_layout(&self.stages).map_err(|e| e.to_string())?;
        if layout.num_vars != self.model_vars {
            return Err(format!(
                "model commitment has {} variables, the stages need {}",
                self.model_vars, layout.num_vars
            ));
        }
        Ok(())
    }
}

fn check_stage(stage: &Stage) -> Result<(), String> {
    match stage {
        Stage::Linear(l) => check_linear(l),
        Stage::Conv(c) => {
            check_conv(c)?;
            if c.channels.input_grid.is_some() {
                return Err("a conv's channels take no input grid".into());
            }
            check_linear(&c.channels)
        }
        Stage::AvgPool(p) => check_pool(p),
        Stage::MaxPool(w) => super::window_max::check_max_pool(w),
        Stage::Add(a) => a.check(),
        Stage::Lut(l) => l.check(),
        Stage::Relu | Stage::Flatten(_) => Ok(()),
        Stage::Transpose(perm) => super::view::check_perm(perm),
        Stage::MatMul(m) => m.check(),
        Stage::Softmax(s) => s.check(),
        Stage::LayerNorm(k) => k.check(),
        Stage::Reshape(dims) => {
            if dims.len() > super::MAX_RANK || dims.iter().any(|&d| d < -1) {
                return Err("reshape target: rank ≤ 8, entries ≥ −1".into());
            }
            if dims.iter().filter(|&&d| d == -1).count() > 1 {
                return Err("reshape target: at most one −1".into());
            }
            Ok(())
        }
    }
}

fn check_linear(l: &LinearKey) -> Result<(), String> {
    if !(1..=MAX_LAYER_DIM).contains(&l.k) || !(1..=MAX_LAYER_DIM).contains(&l.n) {
        return Err(format!("linear dimensions k = {}, n = {} outside 1..=2^20", l.k, l.n));
    }
    if l.bias.len() != l.n as usize || l.requant.len() != l.n as usize {
        return Err("linear layer needs one bias and one requantizer per channel".into());
    }
    if l.acc_bound > MAX_ACC_BOUND {
        return Err(format!("accumulator bound {} above 2^40", l.acc_bound));
    }
    if l.bias.iter().any(|b| b.unsigned_abs() > l.acc_bound) {
        return Err("a bias exceeds the accumulator bound".into());
    }
    if !l.requant.iter().all(|r| r.is_valid()) {
        return Err("invalid requantizer".into());
    }
    if let Some(grid) = l.input_grid {
        let features = grid
            .iter()
            .try_fold(1u32, |acc, &d| acc.checked_mul(d).filter(|_| d > 0));
        if features != Some(l.k) {
            return Err(format!("linear input grid {grid:?} does not hold k = {} features", l.k));
        }
    }
    Ok(())
}

//! The compiled integer program: [`ExactModel`] and its ops.

use veris_core::{ModelId, TensorSpec};

use super::batch_matmul::BatchMatMul;
use super::conv::Conv;
use super::elementwise::{Clip, LeakyRelu, Mul, Sub};
use super::embed::Embedding;
use super::layernorm::LayerNorm;
use super::layout_ops::{Concat, Gather, Slice, Squeeze, Transpose, Unsqueeze};
use super::lut::Lut;
use super::op::IntOp;
use super::pool::{AvgPool, GlobalAvgPool, MaxPool};
use super::quant::Requant;
use super::reduce::Reduce;
use super::slice_dim::SliceToDim;
use super::softmax::Softmax;

/// The semantics version this engine implements (see `docs/exact-semantics.md`).
pub const SEMANTICS_VERSION: u32 = 1;

/// Activation width of a compiled model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bits {
    /// Activations in `[-128, 127]`, weights in `[-127, 127]`.
    B8,
    /// Activations in `[-32768, 32767]`, weights in `[-32767, 32767]`.
    B16,
}

impl Bits {
    /// 8 or 16.
    pub fn width(self) -> u8 {
        match self {
            Bits::B8 => 8,
            Bits::B16 => 16,
        }
    }

    pub fn from_width(w: u8) -> Option<Bits> {
        match w {
            8 => Some(Bits::B8),
            16 => Some(Bits::B16),
            _ => None,
        }
    }

    /// Largest activation and weight magnitude: 127 or 32767.
    pub fn qmax(self) -> i64 {
        (1 << (self.width() - 1)) - 1
    }

    /// Smallest activation: −128 or −32768.
    pub fn qmin(self) -> i64 {
        -(1 << (self.width() - 1))
    }
}

/// An integer tensor of the program. Values are activations of the model's
/// width (stored in i64 so that wider intermediate tensors fit later).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntTensor {
    pub shape: Vec<usize>,
    pub data: Vec<i64>,
}

/// A fully connected layer: `y[r, j] = sat(requant_j(Σ_p x[r, p] · w[j, p] + bias[j]))`,
/// lower bound 0 instead of `qmin` when `relu`. The input is `[.., k]`
/// (leading dimensions are rows); the output `[.., n]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Linear {
    pub input: u32,
    pub k: u32,
    pub n: u32,
    /// `n × k`, row `j` = output channel `j`; each in `[-qmax, qmax]`.
    pub weights: Vec<i16>,
    /// One per output channel, at scale `s_in · s_w[j]`.
    pub bias: Vec<i64>,
    /// One per output channel: `s_in · s_w[j] / s_out`.
    pub requant: Vec<Requant>,
    pub relu: bool,
}

/// One instruction of the integer program. Instruction `i` reads earlier
/// values and defines value `inputs + consts + i`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExactOp {
    Linear(Linear),
    /// `y = sat(requant_a(a) + requant_b(b))` with numpy broadcasting,
    /// lower bound 0 when `relu`.
    Add {
        a: u32,
        b: u32,
        requant_a: Requant,
        requant_b: Requant,
        relu: bool,
    },
    /// `y = max(x, 0)`; same scale.
    Relu {
        input: u32,
    },
    /// ONNX Reshape (`0` copies, `-1` infers); same values.
    Reshape {
        input: u32,
        shape: Vec<i64>,
    },
    /// ONNX Flatten; same values.
    Flatten {
        input: u32,
        axis: i64,
    },
    Conv(Conv),
    MaxPool(MaxPool),
    AvgPool(AvgPool),
    GlobalAvgPool(GlobalAvgPool),
    Sub(Sub),
    Mul(Mul),
    LeakyRelu(LeakyRelu),
    Clip(Clip),
    Transpose(Transpose),
    Concat(Concat),
    Squeeze(Squeeze),
    Unsqueeze(Unsqueeze),
    Slice(Slice),
    Gather(Gather),
    Lut(Lut),
    Softmax(Softmax),
    LayerNorm(LayerNorm),
    Reduce(Reduce),
    BatchMatMul(BatchMatMul),
    Embedding(Embedding),
    SliceToDim(SliceToDim),
}

/// `Some(op as &(mut) dyn IntOp)` for the variants that wrap an [`IntOp`],
/// `None` for the five ops of the first increment: one list for
/// [`ExactOp::ext`] and [`ExactOp::ext_mut`].
macro_rules! int_op_variants {
    ($op:expr) => {
        match $op {
            ExactOp::Conv(op) => Some(op),
            ExactOp::MaxPool(op) => Some(op),
            ExactOp::AvgPool(op) => Some(op),
            ExactOp::GlobalAvgPool(op) => Some(op),
            ExactOp::Sub(op) => Some(op),
            ExactOp::Mul(op) => Some(op),
            ExactOp::LeakyRelu(op) => Some(op),
            ExactOp::Clip(op) => Some(op),
            ExactOp::Transpose(op) => Some(op),
            ExactOp::Concat(op) => Some(op),
            ExactOp::Squeeze(op) => Some(op),
            ExactOp::Unsqueeze(op) => Some(op),
            ExactOp::Slice(op) => Some(op),
            ExactOp::Gather(op) => Some(op),
            ExactOp::Lut(op) => Some(op),
            ExactOp::Softmax(op) => Some(op),
            ExactOp::LayerNorm(op) => Some(op),
            ExactOp::Reduce(op) => Some(op),
            ExactOp::BatchMatMul(op) => Some(op),
            ExactOp::Embedding(op) => Some(op),
            ExactOp::SliceToDim(op) => Some(op),
            ExactOp::Linear(_)
            | ExactOp::Add { .. }
            | ExactOp::Relu { .. }
            | ExactOp::Reshape { .. }
            | ExactOp::Flatten { .. } => None,
        }
    };
}

impl ExactOp {
    /// A short name for errors and traces.
    pub fn name(&self) -> &'static str {
        match self {
            ExactOp::Linear(_) => "Linear",
            ExactOp::Add { .. } => "Add",
            ExactOp::Relu { .. } => "Relu",
            ExactOp::Reshape { .. } => "Reshape",
            ExactOp::Flatten { .. } => "Flatten",
            other => other.ext().map_or("", |op| op.name()),
        }
    }

    /// The values the op reads, in order.
    pub fn operands(&self) -> Vec<u32> {
        match self {
            ExactOp::Linear(l) => vec![l.input],
            ExactOp::Add { a, b, .. } => vec![*a, *b],
            ExactOp::Relu { input } | ExactOp::Reshape { input, .. } | ExactOp::Flatten { input, .. } => vec![*input],
            other => other.ext().map_or_else(Vec::new, |op| op.operands()),
        }
    }

    /// Renumbers every value the op reads.
    pub(crate) fn map_operands(&mut self, f: impl Fn(u32) -> u32) {
        match self {
            ExactOp::Linear(l) => l.input = f(l.input),
            ExactOp::Add { a, b, .. } => (*a, *b) = (f(*a), f(*b)),
            ExactOp::Relu { input } | ExactOp::Reshape { input, .. } | ExactOp::Flatten { input, .. } => {
                *input = f(*input)
            }
            other => {
                if let Some(op) = other.ext_mut() {
                    op.operands_mut().into_iter().for_each(|v| *v = f(*v));
                }
            }
        }
    }

    /// The op as an [`IntOp`], for every op of the CNN/general and the
    /// transformer groups (`None` for the five ops of the first increment).
    pub(crate) fn ext(&self) -> Option<&dyn IntOp> {
        int_op_variants!(self)
    }

    fn ext_mut(&mut self) -> Option<&mut dyn IntOp> {
        int_op_variants!(self)
    }
}

/// A model input: a float32 tensor quantized by `q = rule(x, 1/scale)`, or
/// an int64 index tensor (token ids) taken as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactInput {
    /// Its dtype is float32 for a quantized input, int64 for an index input.
    pub spec: TensorSpec,
    /// Stands for `1 / scale`; `None` for an index input.
    pub quant: Option<Requant>,
}

/// A model output: the value it reads and the scale of its float view.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactOutput {
    pub name: String,
    pub value: u32,
    /// Dequantization: `float = q · scale` (outside the integer program).
    pub scale: f64,
}

/// A compiled exact model: an integer program with its boundary rules.
/// Immutable and `Send + Sync`; identified by [`ExactModel::id`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExactModel {
    pub(crate) source: ModelId,
    pub(crate) bits: Bits,
    pub(crate) inputs: Vec<ExactInput>,
    pub(crate) consts: Vec<IntTensor>,
    pub(crate) ops: Vec<ExactOp>,
    pub(crate) outputs: Vec<ExactOutput>,
}

impl ExactModel {
    /// The id of the float ONNX model this was compiled from.
    pub fn source(&self) -> ModelId {
        self.source
    }

    pub fn bits(&self) -> Bits {
        self.bits
    }

    pub fn inputs(&self) -> &[ExactInput] {
        &self.inputs
    }

    /// Constant tensors; value `inputs().len() + i` is `consts()[i]`.
    pub fn consts(&self) -> &[IntTensor] {
        &self.consts
    }

    pub fn ops(&self) -> &[ExactOp] {
        &self.ops
    }

    pub fn outputs(&self) -> &[ExactOutput] {
        &self.outputs
    }

    /// The input specs (float32, as in the source model).
    pub fn input_specs(&self) -> Vec<TensorSpec> {
        self.inputs.iter().map(|i| i.spec.clone()).collect()
    }

    /// CIDv1 of the canonical encoding ([`ExactModel::encode`]).
    pub fn id(&self) -> ModelId {
        ModelId::of_bytes(&self.encode())
    }
}

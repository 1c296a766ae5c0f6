//! # The exact engine
//!
//! Compiles a float ONNX model into a quantized **integer program** whose
//! result is the same bits on every machine, thread count and build, and
//! runs it. The semantics is written down in `docs/exact-semantics.md`
//! ([`SEMANTICS_VERSION`]); this module follows it.
//!
//! ```no_run
//! use veris_core::ModelId;
//! use veris_engine::exact::{Bits, ExactModel, compile, default_calibration};
//! # fn demo(onnx: &[u8], inputs: veris_core::TensorMap) -> Result<(), veris_engine::exact::ExactError> {
//! let graph_specs = veris_engine::exact::input_specs(onnx)?;
//! let calibration = default_calibration(&graph_specs)?; // or real samples
//! let model = compile(onnx, ModelId::of_bytes(onnx), &calibration, Bits::B8)?;
//! let bytes = model.encode(); // canonical; model.id() = CID of these bytes
//! let model = ExactModel::decode(&bytes)?;
//! let out = model.run(&inputs)?; // out.quantized (ints), out.dequantized (f32 view)
//! # let _ = out; Ok(()) }
//! ```
//!
//! Pipeline: [`import`](import()) (ONNX protobuf → [`ir::Graph`]) →
//! calibration with the float reference interpreter ([`float_ref`]: ranges
//! and shapes) → constant folding (constant subgraphs, exporter shape
//! arithmetic) → [`compile()`] (scales, per-channel weights, integer
//! multipliers, fusion of bias Adds, BatchNormalization and Relus) →
//! [`ExactModel`] (canonical encoding, content id) → [`ExactModel::run`] /
//! [`ExactModel::run_traced`] with a [`TraceObserver`].
//!
//! Ops: `Linear`, `Add`, `Relu`, `Reshape`, `Flatten`; the CNN/general
//! group, one file each for the op, its
//! invariants, encoding and runner ([`Conv`] in `conv.rs`; [`MaxPool`],
//! [`AvgPool`], [`GlobalAvgPool`] in `pool.rs`; [`Sub`], [`Mul`],
//! [`LeakyRelu`], [`Clip`] in `elementwise.rs`; [`Transpose`], [`Concat`],
//! [`Squeeze`], [`Unsqueeze`], [`Slice`], [`Gather`] in `layout_ops.rs`),
//! compiled by `compile_conv.rs` / `compile_ops.rs`. The data-movement
//! rules ([`layout`]) and window geometry ([`window`]) are shared by the
//! float reference and the runner. The transformer group: [`Lut`] (Sigmoid,
//! Tanh, Erf, Gelu as lookup tables, `lut.rs`), [`Softmax`], [`LayerNorm`],
//! [`Reduce`], [`BatchMatMul`] (two activations), [`Embedding`] (Gather by an
//! int64 index input) and [`SliceToDim`], one file each, with the exact
//! integer functions they use in [`intmath`], the functions behind the
//! tables in [`nonlinear`], the table encoding in `table.rs`, import (and
//! GELU fusion) in `import_nn.rs`, the float reference in `float_nn.rs` and
//! the compiler in `compile_nn.rs` and `compile_embed.rs`.
//!
//! Floats exist only in the compiler. At run time the only float steps are
//! at the boundary and outside the program: reading the bits of the f32
//! inputs (the quantization itself is integer-only, [`quantize_input`]) and
//! the optional dequantized view of the outputs.

mod batch_matmul;
mod calibrate;
mod codec;
mod codec_ext;
mod codec_io;
mod codec_ops;
mod compile;
mod compile_conv;
mod compile_embed;
mod compile_linear;
mod compile_nn;
mod compile_ops;
mod conv;
#[cfg(test)]
mod conv_tests;
mod elementwise;
mod embed;
mod error;
mod float_nn;
mod float_ops;
pub mod float_ref;
mod fold;
mod fold_sym;
mod import;
mod import_nn;
mod import_ops;
pub mod intmath;
pub mod ir;
pub mod kernels;
mod layernorm;
pub mod layout;
mod layout_ops;
mod lut;
mod model;
pub mod nonlinear;
mod op;
mod pool;
mod quant;
mod reduce;
pub mod reference;
mod run;
pub mod shape;
mod slice_dim;
mod softmax;
mod table;
mod trace;
mod validate;
mod value_ops;
pub mod window;

pub use batch_matmul::BatchMatMul;
pub use calibrate::{DEFAULT_CALIBRATION_SAMPLES, DEFAULT_CALIBRATION_SEED, default_calibration};
pub use codec::{ExactLimits, MAGIC};
pub use compile::compile;
pub use conv::Conv;
pub use elementwise::{Clip, LeakyRelu, Mul, Sub};
pub use embed::Embedding;
pub use error::ExactError;
pub use import::import;
pub use layernorm::LayerNorm;
pub use layout_ops::{Concat, Gather, Slice, Squeeze, Transpose, Unsqueeze};
pub use lut::Lut;
pub use model::{Bits, ExactInput, ExactModel, ExactOp, ExactOutput, IntTensor, Linear, SEMANTICS_VERSION};
pub use pool::{AvgPool, GlobalAvgPool, MaxPool, rq_div};
pub use quant::{Requant, quantize_input};
pub use reduce::Reduce;
pub use run::ExactOutputs;
pub use slice_dim::SliceToDim;
pub use softmax::Softmax;
pub use trace::{NoTrace, TraceObserver};
pub use validate::{ACC_BOUND, MAX_BOUNDARY, MAX_NAME_LEN, MAX_RANK};

/// The float32 input specs an ONNX model declares, as the exact engine
/// reads them (e.g. to build a [`default_calibration`]).
pub fn input_specs(onnx: &[u8]) -> Result<Vec<veris_core::TensorSpec>, ExactError> {
    Ok(import(onnx)?.inputs)
}

/// Identifies the exact engine in receipts.
pub const EXACT_ENGINE_ID: &str = "veris-exact";

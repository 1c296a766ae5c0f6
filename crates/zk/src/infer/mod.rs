//! # Proofs of exact-engine inference
//!
//! A succinct, transparent proof that a committed exact model (an integer
//! program, `docs/exact-semantics.md`) maps a public quantized input to a
//! public quantized output. Specified in `docs/proof-system.md` §9.
//!
//! Supported programs (v1): 8-bit chains of `Linear` and `Conv` (any groups,
//! strides, dilations and pads; with or without fused ReLU),
//! `AveragePool` with a constant window count, `GlobalAveragePool` (as the
//! whole-plane average pool), `MaxPool` (by differences and a selector),
//! `Relu`, `Lut` (the engine's tabulated Sigmoid, Tanh, Erf, GELU, by one
//! lookup into the public table, [`pointwise`]), `Reshape`,
//! `Flatten`, `Transpose` (a re-indexing of claims when the moved axes are
//! powers of two), the `MatMul` of two earlier activations ([`matmul_act`]),
//! `Softmax` along the last axis ([`softmax`]: lane maximum, exp table,
//! rounded division), the residual `Add` (two operands of one shape, each rescaled, §9.10) and
//! `LayerNorm` within the bounds of [`key_norm`] (§9.11.5),
//! wired as a graph: every stage names the values it reads (the input or any
//! earlier stage's output; a value may feed several layers), with one input
//! and one output. Anything else is refused at setup with a typed "not yet
//! provable" error.
//!
//! **Arithmetization.** Each value between layers is a `rows × cols` matrix
//! zero-padded to powers of two. For a linear layer with accumulators
//! `acc = x·wᵀ + bias` and output `y = g_j(acc)` (requantize, round,
//! saturate, optional ReLU), `g_j` is non-decreasing, so
//! `y = v ⇔ L_j(v) ≤ acc ≤ U_j(v)` for public thresholds computed at setup.
//! The prover commits `y` (unless it is the public output), the looked-up
//! thresholds `Lc, Uc`, the 8-bit limbs of `e = acc − Lc` and `f = Uc − acc`,
//! and all lookup multiplicities; then proves
//! - `(j, y, Lc, Uc)` lies in the layer's threshold table (LogUp),
//! - every limb lies in `[0, 256)` (one LogUp for all layers),
//! - `Lc + Σ 2^(8i) e_i = acc = Uc − Σ 2^(8i) f_i` at a random point, where
//!   `acc(r) − bias(r_col)·mask(r_row) = Σ_p x(r_row, p)·w(r_col, p)` by sumcheck.
//!
//! Conv and AveragePool are requantized layers too, on NCHW grids; their
//! accumulators reduce to the input through the im2col matrix as a virtual
//! polynomial (a kernel sumcheck, then a window sumcheck whose selector the
//! verifier evaluates itself), see [`key_cnn`] and `docs/proof-system.md` §9.8.
//!
//! Bounds checked at setup (`|acc| ≤ B ≤ 2^40`) keep every one of these
//! identities free of wrap-around modulo the Goldilocks prime, so they hold
//! over the integers. Claims on committed tables are batched into one
//! opening of the proof's witness commitment and one of the model commitment.
//!
//! | module | what it is |
//! |---|---|
//! | [`key`] | the verifying key (public model key) and its stages |
//! | [`key_cnn`] | the Conv and AveragePool stages and their windows |
//! | [`key_add`] | the residual Add stage and the value graph's invariants |
//! | `window_max` | `MaxPool`: window maxima by range-checked differences and a one-hot selector |
//! | [`pointwise`] | pointwise layers (ReLU, `Lut`) and their public tables |
//! | [`softmax`] | the Softmax stage (with `lane_max`, the lane-maximum argument) |
//! | [`key_norm`] | the LayerNorm stage and the integer bounds its proof needs (§9.11.5) |
//! | [`statement`] | model id, quantized input and output |
//! | [`proof`] | the proof object and its canonical encoding |
//! | [`verify`](mod@verify) | the verifier (no prover, no engine) |
//! | `setup`, `witness`, `prove`, `profile` | key generation, proving, time per proving phase (feature `prover`) |

mod circuit;
mod claims;
mod columns;
pub mod error;
pub mod key;
pub mod key_add;
pub mod key_cnn;
mod key_codec;
pub mod key_norm;
mod lane_max;
mod layout;
pub mod matmul_act;
mod model_slots;
mod norm;
mod opening;
pub mod pointwise;
pub mod proof;
mod shape;
mod slots;
pub mod softmax;
#[cfg(feature = "prover")]
mod softmax_prover;
pub mod statement;
pub mod verify;
mod view;
mod walk;
mod walk_matmul;
mod window;
mod window_grouped;
mod window_max;

#[cfg(feature = "prover")]
mod norm_prover;
#[cfg(feature = "prover")]
pub mod profile;
#[cfg(feature = "prover")]
pub mod prove;
#[cfg(feature = "prover")]
pub mod setup;
#[cfg(feature = "prover")]
mod setup_cnn;
#[cfg(feature = "prover")]
mod setup_matmul;
#[cfg(feature = "prover")]
mod tables;
#[cfg(feature = "prover")]
mod window_prover;
#[cfg(feature = "prover")]
pub mod witness;
#[cfg(feature = "prover")]
mod witness_acc;
#[cfg(feature = "prover")]
mod witness_lookup;

pub use circuit::MAX_WITNESS_VARS;
pub use error::{InferVerifyError, StatementError};
pub use key::{Boundary, InputDim, LinearKey, MAX_TENSOR_NAME, RequantParams, Stage, VerifyingKey};
pub use key_add::AddKey;
pub use key_cnn::{ConvKey, PoolKey, WindowKey};
pub use key_codec::{VK_FORMAT_VERSION, VK_MAGIC, VkLimits};
pub use key_norm::NormKey;
pub use pointwise::LutKey;
pub use proof::{MAX_PROOF_BYTES, PROOF_FORMAT_VERSION, Proof};
pub use softmax::SoftmaxKey;
pub use statement::{MAX_RANK, MODEL_ID_BYTES, QuantTensor, Statement, StatementLimits};
pub use verify::{verify, verify_bytes};

/// The transcript's protocol label.
pub const PROTOCOL: &[u8] = b"veris/inference/v1";
/// The exact-engine semantics version this circuit implements.
pub const SEMANTICS_VERSION: u32 = 1;
/// Width of the limbs of range-checked differences.
pub const LIMB_BITS: u32 = 8;
/// Largest accumulator bound `B` a layer may have (see `docs/proof-system.md` §9.3).
pub const MAX_ACC_BOUND: u64 = 1 << 40;
/// Smallest 8-bit activation.
pub const QMIN: i64 = -128;
/// Largest 8-bit activation.
pub const QMAX: i64 = 127;
/// Variables of a 256-entry value table.
pub(crate) const VALUE_VARS: usize = 8;
/// Columns of a requantized layer's threshold lookup: channel, output, lower, upper.
pub(crate) const LOOKUP_COLUMNS_LINEAR: usize = 4;

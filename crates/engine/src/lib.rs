//! # veris-engine
//!
//! The engines that execute Veris models:
//!
//! - the **float engine**: ONNX models imported and run by
//!   [tract](https://github.com/sonos/tract) (`tract-onnx`
//!   [`FLOAT_ENGINE_VERSION`]), used by `signed` mode; nothing about it is a
//!   specification of results;
//! - the **exact engine** ([`exact`]): a float ONNX model compiled into a
//!   quantized integer program with written semantics
//!   (`docs/exact-semantics.md`), the same bits on every machine, with a
//!   trace hook ([`exact::TraceObserver`]) through which a prover observes
//!   execution. It compiles MLPs, CNNs (Conv, pooling, folded
//!   BatchNormalization, residual Adds) and transformer encoders (lookup-table
//!   non-linearities, Softmax, LayerNorm, attention MatMuls, embeddings).
//!
//! ## Using it
//!
//! ```no_run
//! use std::sync::Arc;
//! use veris_engine::{FloatModel, run_with_deadline};
//! # fn demo(bytes: &[u8], inputs: veris_core::TensorMap) -> Result<(), veris_engine::EngineError> {
//! let model = Arc::new(FloatModel::load(bytes)?);
//! println!("{:?} -> {:?}", model.inputs(), model.outputs());
//! let outputs = model.run(&inputs)?; // synchronous, from any thread
//! let timeout = model.limits().timeout;
//! let outputs = run_with_deadline(model, inputs, timeout)?; // bounded in time
//! # let _ = outputs; Ok(()) }
//! ```
//!
//! ## What the float engine guarantees
//!
//! - **Loading never crashes on hostile bytes.** Files over
//!   [`EngineLimits::max_model_bytes`] (512 MiB by default) are refused before
//!   parsing. Parse, type and optimisation failures are
//!   [`EngineError::InvalidModel`] carrying tract's whole error chain; an
//!   operator tract cannot run is [`EngineError::UnsupportedOp`] naming the
//!   operator and its node; a boundary tensor whose dtype Veris does not carry
//!   is [`EngineError::UnsupportedDType`] naming the tensor. Panics inside
//!   tract are caught. Tensors stored as ONNX external data are refused (the
//!   engine never reads files named by a model).
//! - **Symbolic dimensions stay symbolic.** A model declared `[N, 64]` is
//!   typed and optimised once and then runs with any `N`.
//! - **Inputs are validated before tract sees them**: names, dtypes, shapes
//!   and finiteness, each failure an [`EngineError::Input`] naming the tensor.
//!   Input *sizes* are bounded where tensors are decoded
//!   ([`veris_core::TensorLimits`]), not here.
//! - **One plan, many threads.** [`FloatModel`] is immutable and
//!   `Send + Sync`; each run gets its own state over the shared plan.
//! - **Determinism on one machine only.** The same model, inputs and binary
//!   on the same CPU give the same bits, run after run and across threads.
//!   Different CPUs (SIMD kernels chosen at run time), batch sizes or tract
//!   versions may change the last bits of a float result. Cross-machine
//!   agreement is the exact engine's job.
//! - **Deadlines.** [`run_with_deadline`] returns [`EngineError::Timeout`]
//!   after [`EngineLimits::timeout`] (30 s by default) or any chosen duration;
//!   tract cannot be interrupted, so the late run finishes on a detached
//!   thread and its result is dropped.
//!
//! Panics are contained only with `panic = "unwind"` (Rust's default); a
//! build with `panic = "abort"` loses that guarantee. A contained panic still
//! goes through the process's panic hook (by default a message on stderr). An allocation failure
//! aborts the process whatever the panic strategy, which is why model size
//! is bounded up front.
//!
//! ## Versioning
//!
//! [`FLOAT_ENGINE_ID`] and [`FLOAT_ENGINE_VERSION`] identify the float
//! engine in receipts. The version must equal the pinned `tract-onnx`
//! version (`=0.23.9` in the workspace manifest); a test compares it with
//! `Cargo.lock`.

mod deadline;
mod error;
pub mod exact;
mod float;
mod guard;
mod limits;

pub use deadline::{run_with_deadline, with_deadline};
pub use error::EngineError;
pub use float::FloatModel;
pub use limits::EngineLimits;

/// Identifies the float engine in receipts.
pub const FLOAT_ENGINE_ID: &str = "tract-onnx";

/// The version of `tract-onnx` this crate is pinned to.
pub const FLOAT_ENGINE_VERSION: &str = "0.23.9";

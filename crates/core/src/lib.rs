//! # veris-core
//!
//! The vocabulary every other Veris crate speaks, with no I/O and no async:
//!
//! - [`ModelId`]: content ids (CIDv1, raw codec, sha2-256) of model blobs.
//! - [`Tensor`], [`TensorMap`], [`TensorSpec`]: tensors at model boundaries,
//!   their JSON form ([`tensor_json`]) and canonical binary form and digest
//!   ([`tensor_codec`]), all decoded under explicit [`TensorLimits`].
//! - [`OperatorKey`], [`Address`], [`Signature`]: secp256k1 operator keys whose
//!   signatures an EVM contract can check with `ecrecover`.
//! - [`Receipt`]: the signed record of one inference, its EIP-712 hash
//!   ([`eip712`]), its canonical binary encoding ([`receipt_codec`]) and
//!   offline verification ([`verify`]); the zero-knowledge evidence of `zk`
//!   receipts ([`zk_proof`]), checked by `veris-zk` through [`verify::ProofChecker`].
//! - [`quant`]: the exact engine's input quantization rule.
//! - Replicated execution: the [`job`] statement k operators sign alike,
//!   [`quorum`] certificates of those that agreed, [`replicated`] receipts,
//!   and [`fraud`] evidence against those that lied, all checkable offline.
//!
//! Every decoder here treats its input as hostile: sizes are bounded before
//! allocation and every failure is a typed error.

pub mod api;
pub mod api_replicated;
pub mod digest;
pub mod eip712;
pub mod fraud;
pub mod id;
pub mod job;
pub mod key;
pub mod model;
pub mod published_job;
pub mod quant;
pub mod quorum;
pub mod receipt;
pub mod receipt_codec;
pub mod replicated;
pub mod spec;
pub mod tensor;
pub mod tensor_codec;
pub mod tensor_json;
pub mod verify;
pub mod zk_proof;

pub use digest::{Digest32, HexError, Nonce};
pub use id::{IdError, ModelId};
pub use key::{Address, KeyError, OperatorKey, PublicKey, Signature};
pub use model::{ModelRecord, Version, VersionError};
pub use receipt::{EngineId, Evidence, Mode, Operator, RECEIPT_FORMAT_VERSION, Receipt, Statement};

pub use spec::{Dim, TensorSpec};
pub use tensor::{DType, Tensor, TensorData, TensorError, TensorLimits, TensorMap};
pub use zk_proof::ZkProof;

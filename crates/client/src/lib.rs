//! # veris-client
//!
//! A blocking Rust client for the HTTP API of a Veris node, and offline
//! verification of the receipts it returns.
//!
//! ```no_run
//! use std::path::Path;
//! use veris_client::{Client, verify};
//! use veris_client::api::InferRequest;
//! use veris_core::{Mode, TensorLimits};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let node = Client::new("http://127.0.0.1:7878")?;
//! let added = node.add_model_file(Path::new("digits-mlp.onnx"), "digits", None, "")?;
//! println!("model id {}", added.id);
//!
//! let response = node.infer(&InferRequest {
//!     model: "digits".into(),
//!     // A bare nested array for a single-input model: one 8x8 image.
//!     inputs: serde_json::json!([vec![0.0; 64]]),
//!     mode: Some(Mode::Signed),
//!     embed_inputs: true,
//! })?;
//! // Check the receipt without trusting the node...
//! let report = verify(&response.receipt, &TensorLimits::default());
//! assert!(report.ok());
//! # Ok(())
//! # }
//! ```
//!
//! ## Endpoints
//!
//! | method | endpoint | returns |
//! |---|---|---|
//! | [`Client::health`] | `GET /healthz` | [`api::Health`] |
//! | [`Client::metrics`] | `GET /metrics` | Prometheus text |
//! | [`Client::add_model_file`], [`Client::add_model`] | `POST /v1/models?name=&version=&description=` | [`api::AddModelResponse`] |
//! | [`Client::list_models`] | `GET /v1/models` | model records |
//! | [`Client::show_model`] | `GET /v1/models/{ref}` | [`veris_core::ModelRecord`] |
//! | [`Client::model_bytes`], [`Client::download_model`] | `GET /v1/models/{id}/file` | model bytes, checked against the id |
//! | [`Client::remove_model`] | `DELETE /v1/models/{ref}` | the removed records |
//! | [`Client::infer`] | `POST /v1/infer` | [`api::InferResponse`] |
//! | [`Client::verify`] | `POST /v1/verify` | [`Report`] (with `replay`: re-executed by the node) |
//!
//! A model reference `{ref}` is a content id, a name (its latest version)
//! or `NAME@MAJOR.MINOR`; the client percent-encodes it in the path.
//!
//! ## Limits and errors
//!
//! Every request has a timeout and every response body is read under a
//! size limit ([`ClientOptions`]). Uploads stream from disk; downloads
//! stream to a temporary file beside the target, are hashed on the way and
//! renamed into place only when they match the model's content id.
//! Failures are [`ClientError`]s: [`ClientError::Api`] carries the node's
//! HTTP status and stable error code; the others say what went wrong locally
//! or on the wire.
//!
//! ## Offline verification
//!
//! [`verify`] (from `veris-core`) checks a receipt's format, digests,
//! operator identity and signature with no network and no model.

mod calls;
mod client;
mod error;
mod models;

pub use client::{Client, ClientOptions};
pub use error::ClientError;
pub use veris_core::api;
pub use veris_core::verify::{Check, Report, verify};

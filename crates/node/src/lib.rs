//! # veris-node
//!
//! The composition root of a Veris node: it wires the model hub
//! (`veris-store`), the float and exact engines (`veris-engine`) and the operator key
//! into a [`Service`], and serves it over HTTP ([`http`]).
//!
//! - [`Service`] is the embedded node: every CLI command can use it
//!   directly on a home directory, with no server running.
//! - [`RunningNode`] serves the API on a background runtime (tests, the
//!   quickstart, benchmarks); [`run_until_signal`] serves until SIGINT or
//!   SIGTERM (`veris node start`). Both shut down gracefully.
//!
//! - [`peer`] joins the libp2p network (`veris-net`): [`peer::start_network`]
//!   serves the hub's blobs and the node's inference to peers through
//!   [`peer::ServiceProvider`] and announces the hub's models.
//!
//! - [`replicate`] runs `mode: replicated` inferences: one exact-engine job
//!   on k distinct operators, a quorum certificate of those that agreed,
//!   and fraud evidence ([`evidence`]) against those that did not.
//!
//! ## Limits
//!
//! Everything from outside is bounded by [`NodeLimits`]: request bodies
//! (64 MiB), model files (512 MiB), tensor shapes and counts, the time of
//! one inference (30 s) and the number running at once (64; more get
//! `503 busy`). Inference runs behind `catch_unwind` on a worker thread, so
//! a hostile model cannot crash the node; a run past its deadline gets
//! `504 inference_timeout` and finishes in the background.
//!
//! ## Errors
//!
//! Every failure is a [`NodeError`] with a stable [`NodeError::code`] and an
//! HTTP [`NodeError::status`]; the API returns them as
//! `{"error": {"code": "...", "message": "..."}}`.

pub mod audit;
pub mod bench;
mod bundled;
mod cache;
mod compile;
mod config;
mod error;
pub mod evidence;
pub mod http;
mod loaded;
mod metrics;
pub mod peer;
mod pin;
mod prove_queue;
pub mod replicate;
mod route;
mod select;
mod service;
mod verify;
mod zk;

pub use bundled::{BUNDLED_MODEL, BUNDLED_SAMPLES};
pub use config::{AuditConfig, AuditFraction, AuditFractionError, NodeConfig, NodeLimits};
pub use error::NodeError;
pub use http::{PeerIdentity, PeerNetwork, RunningNode, router, router_with_network, run_until_signal};
pub use loaded::{EXACT_FORMAT, ONNX_FORMAT, exact_engine, float_engine};
pub use metrics::Metrics;
pub use service::{AddModel, Service};
/// The peer layer, re-exported for the node's embedders (addresses, configuration).
pub use veris_net as net;

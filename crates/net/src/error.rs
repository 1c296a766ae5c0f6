//! Errors of the network handle.

use libp2p::PeerId;
use veris_core::ModelId;

use crate::config::ConfigError;
use crate::wire::messages::Refusal;

/// Why a network operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetError {
    #[error("the network task has stopped")]
    Stopped,
    #[error("invalid network configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("cannot dial: {0}")]
    Dial(String),
    #[error("request to {peer} failed: {reason}")]
    Request { peer: PeerId, reason: String },
    #[error("{peer} refused the request: {why:?}")]
    Refused { peer: PeerId, why: Refusal },
    #[error("{peer} could not serve the request: {message}")]
    Remote { peer: PeerId, message: String },
    #[error("{peer} sent an invalid response: {reason}")]
    InvalidResponse { peer: PeerId, reason: String },
    #[error("no peer provides {0}")]
    NoProviders(ModelId),
    #[error("fetch of {id} stopped with {verified} of {total} chunks verified (kept for resuming): {reason}")]
    FetchIncomplete {
        id: ModelId,
        verified: u32,
        total: u32,
        reason: String,
    },
    #[error("too many blob fetches in progress")]
    TooManyFetches,
    #[error("invalid receipt: {0}")]
    InvalidReceipt(String),
    #[error("invalid fraud evidence: {0}")]
    InvalidEvidence(String),
    #[error("invalid job statement: {0}")]
    InvalidJob(String),
    #[error("cannot publish: {0}")]
    Publish(String),
}

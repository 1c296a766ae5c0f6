//! Request and response messages of the three request-response protocols.
//!
//! ```text
//! blob request      kind 1 manifest  := cid
//!                   kind 2 chunk     := cid, u32 index
//! blob response     kind 1 manifest  := u64 size, u32 count, digest * count
//!                   kind 2 chunk     := bytes data (<= CHUNK_SIZE)
//!                   kind 3 not found
//!                   kind 4 refused   := u8 refusal
//! infer request     kind 1           := cid model, bytes body
//! infer response    kind 1 output    := bytes body
//!                   kind 2 failed    := bytes message (UTF-8, <= 1 KiB)
//!                   kind 3 refused   := u8 refusal
//! receipt request   kind 1           := digest id
//! receipt response  kind 1 found     := bytes receipt
//!                   kind 2 not found
//!                   kind 3 refused   := u8 refusal
//! refusal           1 rate limited, 2 busy
//! ```

use super::{Reader, WireError};
use crate::config::Limits;

pub use super::blob::{BlobRequest, BlobResponse};
pub use super::rpc::{InferRequest, InferResponse, ReceiptRequest, ReceiptResponse};

/// Longest error text in an inference failure.
pub const MAX_ERROR_TEXT: usize = 1024;

/// A message of one protocol direction: canonical encoding, limited decoding.
pub trait WireMessage: Sized + Send + 'static {
    /// The largest body this message may have under `limits`.
    fn max_body(limits: &Limits) -> usize;
    fn encode(&self) -> Vec<u8>;
    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError>;
}

/// Why a peer declined to serve a request; not an offence on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    RateLimited,
    Busy,
}

impl Refusal {
    pub(crate) fn code(self) -> u8 {
        match self {
            Refusal::RateLimited => 1,
            Refusal::Busy => 2,
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.u8("refusal")? {
            1 => Ok(Refusal::RateLimited),
            2 => Ok(Refusal::Busy),
            tag => Err(WireError::UnknownTag { what: "refusal", tag }),
        }
    }
}

/// Frame overhead beyond a message's largest field: version, kind, lengths, ids.
pub(crate) const OVERHEAD: usize = 128;

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;

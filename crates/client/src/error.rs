//! Why a call to a node failed.

use std::io;
use std::path::PathBuf;

use veris_core::ModelId;

/// Every failure of [`crate::Client`]. `Display` is one line; the
/// underlying cause, where there is one, is the error's `source`.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL is not an absolute `http://` or `https://` URL.
    #[error("invalid node URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The node answered with an error status and (usually) an
    /// [`veris_core::api::ErrorBody`].
    #[error("node answered {status} {code}: {message}")]
    Api { status: u16, code: String, message: String },
    /// The request could not be sent or the response not received
    /// (connection refused, timeout, ...).
    #[error("request to the node failed")]
    Transport(#[source] reqwest::Error),
    /// Reading the response body failed part way.
    #[error("reading the node's response failed")]
    Body(#[source] io::Error),
    /// A response body is larger than the client accepts.
    #[error("{what} from the node exceeds the limit of {limit} bytes")]
    TooLarge { what: &'static str, limit: u64 },
    /// A response body is not the JSON document the endpoint promises.
    #[error("node sent an invalid {what}")]
    Decode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// Downloaded model bytes do not hash to the id the node named.
    #[error("downloaded model bytes hash to {got}, expected {expected}")]
    Integrity { expected: ModelId, got: ModelId },
    /// A local file could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ClientError {
    /// The HTTP status of an [`ClientError::Api`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The node's machine-readable error code of an [`ClientError::Api`] error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> ClientError {
        let path = path.into();
        move |source| ClientError::Io { action, path, source }
    }
}

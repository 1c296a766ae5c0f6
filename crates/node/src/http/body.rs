//! Reading request bodies under a size limit, and decoding JSON with
//! errors in the API's error format.

use axum::body::{Body, Bytes};
use http_body_util::BodyExt as _;
use serde::de::DeserializeOwned;

use crate::error::NodeError;

/// Reads the whole body, refusing it as soon as it exceeds `limit` bytes
/// (a declared `Content-Length` over the limit is refused before reading).
pub async fn read_limited(body: Body, limit: u64) -> Result<Bytes, NodeError> {
    let mut body = body;
    if let Some(declared) = http_body::Body::size_hint(&body).exact()
        && declared > limit
    {
        return Err(NodeError::TooLarge { limit });
    }
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| NodeError::BadRequest(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if (buf.len() + data.len()) as u64 > limit {
                return Err(NodeError::TooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Reads and decodes a JSON body of at most `limit` bytes.
pub async fn read_json<T: DeserializeOwned>(body: Body, limit: u64) -> Result<T, NodeError> {
    let bytes = read_limited(body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|e| NodeError::BadRequest(format!("invalid JSON body: {e}")))
}

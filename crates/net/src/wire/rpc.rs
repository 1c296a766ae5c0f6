//! Inference and receipt messages (`/veris/infer/1`, `/veris/receipt/1`); see
//! [`super::messages`] for the layout.

use veris_core::{Digest32, ModelId};

use super::messages::{MAX_ERROR_TEXT, OVERHEAD, Refusal, WireMessage};
use super::{Reader, WireError, Writer};
use crate::config::Limits;

/// An inference request: the model and a body whose format the embedding node defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferRequest {
    pub model: ModelId,
    pub body: Vec<u8>,
}

impl WireMessage for InferRequest {
    fn max_body(limits: &Limits) -> usize {
        limits.max_infer_request_bytes.saturating_add(OVERHEAD)
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::message(1);
        w.cid(&self.model);
        w.bytes(&self.body);
        w.finish()
    }

    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        if kind != 1 {
            return Err(WireError::UnknownTag {
                what: "infer request",
                tag: kind,
            });
        }
        let msg = InferRequest {
            model: r.cid("model id")?,
            body: r.bytes(limits.max_infer_request_bytes, "infer request body")?.to_vec(),
        };
        r.finish()?;
        Ok(msg)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InferResponse {
    Output(Vec<u8>),
    Failed(String),
    Refused(Refusal),
}

impl WireMessage for InferResponse {
    fn max_body(limits: &Limits) -> usize {
        limits
            .max_infer_response_bytes
            .max(MAX_ERROR_TEXT)
            .saturating_add(OVERHEAD)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            InferResponse::Output(body) => {
                let mut w = Writer::message(1);
                w.bytes(body);
                w.finish()
            }
            InferResponse::Failed(text) => {
                let mut w = Writer::message(2);
                w.bytes(truncate_utf8(text, MAX_ERROR_TEXT).as_bytes());
                w.finish()
            }
            InferResponse::Refused(why) => {
                let mut w = Writer::message(3);
                w.u8(why.code());
                w.finish()
            }
        }
    }

    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        let msg = match kind {
            1 => InferResponse::Output(r.bytes(limits.max_infer_response_bytes, "infer output")?.to_vec()),
            2 => InferResponse::Failed(r.text(MAX_ERROR_TEXT, "infer error")?),
            3 => InferResponse::Refused(Refusal::read(&mut r)?),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "infer response",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_utf8(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A request for a receipt by its id (its EIP-712 hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest {
    pub id: Digest32,
}

impl WireMessage for ReceiptRequest {
    fn max_body(_: &Limits) -> usize {
        OVERHEAD
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::message(1);
        w.raw(&self.id.0);
        w.finish()
    }

    fn decode(body: &[u8], _: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        if kind != 1 {
            return Err(WireError::UnknownTag {
                what: "receipt request",
                tag: kind,
            });
        }
        let msg = ReceiptRequest {
            id: Digest32(r.array("receipt id")?),
        };
        r.finish()?;
        Ok(msg)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptResponse {
    Found(Vec<u8>),
    NotFound,
    Refused(Refusal),
}

impl WireMessage for ReceiptResponse {
    fn max_body(limits: &Limits) -> usize {
        limits.max_receipt_bytes.saturating_add(OVERHEAD)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ReceiptResponse::Found(bytes) => {
                let mut w = Writer::message(1);
                w.bytes(bytes);
                w.finish()
            }
            ReceiptResponse::NotFound => Writer::message(2).finish(),
            ReceiptResponse::Refused(why) => {
                let mut w = Writer::message(3);
                w.u8(why.code());
                w.finish()
            }
        }
    }

    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        let msg = match kind {
            1 => ReceiptResponse::Found(r.bytes(limits.max_receipt_bytes, "receipt")?.to_vec()),
            2 => ReceiptResponse::NotFound,
            3 => ReceiptResponse::Refused(Refusal::read(&mut r)?),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "receipt response",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

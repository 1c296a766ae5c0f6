//! Blob transfer messages (`/veris/blob/1`); see [`super::messages`] for the layout.

use veris_core::ModelId;

use super::messages::{OVERHEAD, Refusal, WireMessage};
use super::{Reader, WireError, Writer};
use crate::config::Limits;
use crate::manifest::{CHUNK_SIZE, Manifest, chunk_count};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobRequest {
    Manifest(ModelId),
    Chunk { id: ModelId, index: u32 },
}

impl WireMessage for BlobRequest {
    fn max_body(_: &Limits) -> usize {
        OVERHEAD
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            BlobRequest::Manifest(id) => {
                let mut w = Writer::message(1);
                w.cid(id);
                w.finish()
            }
            BlobRequest::Chunk { id, index } => {
                let mut w = Writer::message(2);
                w.cid(id);
                w.u32(*index);
                w.finish()
            }
        }
    }

    fn decode(body: &[u8], _: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        let msg = match kind {
            1 => BlobRequest::Manifest(r.cid("blob id")?),
            2 => BlobRequest::Chunk {
                id: r.cid("blob id")?,
                index: r.u32("chunk index")?,
            },
            tag => {
                return Err(WireError::UnknownTag {
                    what: "blob request",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobResponse {
    Manifest(Manifest),
    Chunk(Vec<u8>),
    NotFound,
    Refused(Refusal),
}

impl WireMessage for BlobResponse {
    fn max_body(limits: &Limits) -> usize {
        let manifest = chunk_count(limits.max_blob_bytes).saturating_mul(32) as usize;
        manifest.max(CHUNK_SIZE).saturating_add(OVERHEAD)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            BlobResponse::Manifest(m) => {
                let mut w = Writer::message(1);
                w.u64(m.size());
                w.u32(m.chunk_count());
                for h in m.chunk_hashes() {
                    w.raw(h);
                }
                w.finish()
            }
            BlobResponse::Chunk(data) => {
                let mut w = Writer::message(2);
                w.bytes(data);
                w.finish()
            }
            BlobResponse::NotFound => Writer::message(3).finish(),
            BlobResponse::Refused(why) => {
                let mut w = Writer::message(4);
                w.u8(why.code());
                w.finish()
            }
        }
    }

    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        let msg = match kind {
            1 => {
                let size = r.u64("blob size")?;
                let count = r.u32("chunk count")?;
                if size > limits.max_blob_bytes {
                    return Err(WireError::Oversized {
                        max: limits.max_blob_bytes as usize,
                        got: size,
                    });
                }
                if count as u64 != chunk_count(size) {
                    return Err(WireError::Invalid {
                        what: "manifest",
                        why: format!("a blob of {size} bytes has {} chunks, not {count}", chunk_count(size)),
                    });
                }
                // Taken in one piece first, so the count cannot make us allocate past the body.
                let raw = r.take(count as usize * 32, "chunk hashes")?;
                let hashes = raw
                    .chunks_exact(32)
                    .map(|h| h.try_into().unwrap_or_else(|_| unreachable!("chunks_exact(32)")))
                    .collect();
                let manifest = Manifest::new(size, hashes, limits.max_blob_bytes).map_err(|e| WireError::Invalid {
                    what: "manifest",
                    why: e.to_string(),
                })?;
                BlobResponse::Manifest(manifest)
            }
            2 => BlobResponse::Chunk(r.bytes(CHUNK_SIZE, "chunk")?.to_vec()),
            3 => BlobResponse::NotFound,
            4 => BlobResponse::Refused(Refusal::read(&mut r)?),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "blob response",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

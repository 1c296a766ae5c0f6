//! Evidence sync messages (`/veris/evidence-sync/1`): a node that connects
//! to a peer pages through the fraud evidence the peer holds, so that a
//! node joining late still learns of evidence gossiped before it joined.
//!
//! ```text
//! sync request   kind 1           := u8 has_cursor (0|1), [digest after]
//! sync response  kind 1 page      := u32 count, bytes item * count, u8 more (0|1)
//!                kind 2 refused   := u8 refusal
//! ```
//!
//! Items are encoded fraud evidence (JSON) in ascending id order, each with
//! an id greater than the request's cursor. A page holds at most
//! [`Limits::evidence_sync_items`] items of at most
//! [`Limits::max_receipt_bytes`] each and at most
//! [`Limits::evidence_sync_page_bytes`] in all; every item is verified by
//! the requester before it is delivered.

use veris_core::Digest32;

use super::messages::{OVERHEAD, Refusal, WireMessage};
use super::{Reader, WireError, Writer};
use crate::config::Limits;

/// A request for the evidence after `after` (from the start if `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    pub after: Option<Digest32>,
}

impl WireMessage for SyncRequest {
    fn max_body(_: &Limits) -> usize {
        OVERHEAD
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::message(1);
        match &self.after {
            None => w.u8(0),
            Some(id) => {
                w.u8(1);
                w.raw(&id.0);
            }
        }
        w.finish()
    }

    fn decode(body: &[u8], _: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        if kind != 1 {
            return Err(WireError::UnknownTag {
                what: "sync request",
                tag: kind,
            });
        }
        let after = match r.u8("cursor flag")? {
            0 => None,
            1 => Some(Digest32(r.array("cursor")?)),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "cursor flag",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(SyncRequest { after })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// Encoded evidence in ascending id order; `more` when the peer holds more after the last.
    Page {
        items: Vec<Vec<u8>>,
        more: bool,
    },
    Refused(Refusal),
}

impl WireMessage for SyncResponse {
    fn max_body(limits: &Limits) -> usize {
        let framing = limits.evidence_sync_items.saturating_mul(4);
        limits
            .evidence_sync_page_bytes
            .saturating_add(framing)
            .saturating_add(OVERHEAD)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            SyncResponse::Page { items, more } => {
                let mut w = Writer::message(1);
                w.u32(u32::try_from(items.len()).unwrap_or(u32::MAX));
                for item in items {
                    w.bytes(item);
                }
                w.u8(u8::from(*more));
                w.finish()
            }
            SyncResponse::Refused(why) => {
                let mut w = Writer::message(2);
                w.u8(why.code());
                w.finish()
            }
        }
    }

    fn decode(body: &[u8], limits: &Limits) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        let msg = match kind {
            1 => {
                let count = r.u32("item count")? as usize;
                if count > limits.evidence_sync_items {
                    return Err(WireError::Oversized {
                        max: limits.evidence_sync_items,
                        got: count as u64,
                    });
                }
                let mut items = Vec::with_capacity(count);
                let mut total = 0usize;
                for _ in 0..count {
                    let item = r.bytes(limits.max_receipt_bytes, "evidence item")?;
                    total = total.saturating_add(item.len());
                    if total > limits.evidence_sync_page_bytes {
                        return Err(WireError::Oversized {
                            max: limits.evidence_sync_page_bytes,
                            got: total as u64,
                        });
                    }
                    items.push(item.to_vec());
                }
                let more = match r.u8("more flag")? {
                    0 => false,
                    1 => true,
                    tag => return Err(WireError::UnknownTag { what: "more flag", tag }),
                };
                SyncResponse::Page { items, more }
            }
            2 => SyncResponse::Refused(Refusal::read(&mut r)?),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "sync response",
                    tag,
                });
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_limits_hold() {
        let limits = Limits::default();
        for request in [
            SyncRequest { after: None },
            SyncRequest {
                after: Some(Digest32([7; 32])),
            },
        ] {
            assert_eq!(SyncRequest::decode(&request.encode(), &limits), Ok(request));
        }
        let page = SyncResponse::Page {
            items: vec![b"{}".to_vec(), vec![1; 300]],
            more: true,
        };
        assert_eq!(SyncResponse::decode(&page.encode(), &limits), Ok(page));
        let refused = SyncResponse::Refused(Refusal::Busy);
        assert_eq!(SyncResponse::decode(&refused.encode(), &limits), Ok(refused));

        let small = Limits {
            evidence_sync_items: 1,
            ..Limits::default()
        };
        let two = SyncResponse::Page {
            items: vec![vec![1], vec![2]],
            more: false,
        };
        assert!(SyncResponse::decode(&two.encode(), &small).unwrap_err().is_oversized());
        let tight = Limits {
            evidence_sync_page_bytes: 10,
            ..Limits::default()
        };
        let big = SyncResponse::Page {
            items: vec![vec![0; 6], vec![0; 6]],
            more: false,
        };
        assert!(SyncResponse::decode(&big.encode(), &tight).unwrap_err().is_oversized());
        let mut trailing = SyncRequest { after: None }.encode();
        trailing.push(0);
        assert_eq!(SyncRequest::decode(&trailing, &limits), Err(WireError::Trailing(1)));
        // A count far beyond the body is refused before any allocation.
        let mut lying = Writer::message(1);
        lying.u32(u32::MAX);
        assert!(SyncResponse::decode(&lying.finish(), &limits).is_err());
    }
}

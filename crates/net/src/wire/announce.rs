//! The announcement a node gossips about itself: which models it serves and
//! how much inference capacity it has.
//!
//! ```text
//! announcement := version 1, kind 1, u64 seq, u32 capacity, u32 count, cid * count
//! ```
//! Models are sorted ascending by their binary CID with no duplicates, so
//! one set of models has one encoding. The author is the gossip message's
//! signed source (the operator's peer id); `seq` (milliseconds since the
//! Unix epoch at publication, strictly increasing per author) lets receivers
//! drop replays and stale copies.

use veris_core::ModelId;
use veris_core::id::CID_BYTES;

use super::{Reader, WireError, Writer};

/// A node's statement of what it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub seq: u64,
    pub capacity: u32,
    /// Sorted, unique.
    pub models: Vec<ModelId>,
}

impl Announcement {
    /// An announcement with `models` put in canonical order.
    pub fn new(seq: u64, capacity: u32, mut models: Vec<ModelId>) -> Self {
        models.sort_by_key(|m| m.to_cid_bytes());
        models.dedup();
        Announcement { seq, capacity, models }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::message(1);
        w.u64(self.seq);
        w.u32(self.capacity);
        w.u32(u32::try_from(self.models.len()).unwrap_or(u32::MAX));
        for m in &self.models {
            w.cid(m);
        }
        w.finish()
    }

    /// Decodes an announcement of at most `max_models` models.
    pub fn decode(body: &[u8], max_models: usize) -> Result<Self, WireError> {
        let (mut r, kind) = Reader::message(body)?;
        if kind != 1 {
            return Err(WireError::UnknownTag {
                what: "announcement",
                tag: kind,
            });
        }
        let seq = r.u64("sequence number")?;
        let capacity = r.u32("capacity")?;
        let count = r.u32("model count")? as usize;
        if count > max_models {
            return Err(WireError::Oversized {
                max: max_models,
                got: count as u64,
            });
        }
        let mut models = Vec::with_capacity(count);
        let mut previous: Option<[u8; CID_BYTES]> = None;
        for _ in 0..count {
            let model = r.cid("model id")?;
            let key = model.to_cid_bytes();
            if previous.is_some_and(|p| p >= key) {
                return Err(WireError::Invalid {
                    what: "announcement",
                    why: "models are not sorted and unique".into(),
                });
            }
            previous = Some(key);
            models.push(model);
        }
        r.finish()?;
        Ok(Announcement { seq, capacity, models })
    }

    /// Largest encoding of an announcement of `max_models` models.
    pub fn max_encoded_len(max_models: usize) -> usize {
        2 + 8 + 4 + 4 + max_models.saturating_mul(CID_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_canonically_and_refuses_disorder() {
        let a = ModelId::of_bytes(b"a");
        let b = ModelId::of_bytes(b"b");
        let ann = Announcement::new(5, 3, vec![b, a, b]);
        assert_eq!(ann.models.len(), 2);
        let bytes = ann.encode();
        assert_eq!(bytes.len(), Announcement::max_encoded_len(2));
        assert_eq!(Announcement::decode(&bytes, 2), Ok(ann.clone()));
        assert!(Announcement::decode(&bytes, 1).unwrap_err().is_oversized());

        let swapped = Announcement {
            models: vec![ann.models[1], ann.models[0]],
            ..ann
        };
        assert!(matches!(
            Announcement::decode(&swapped.encode(), 4),
            Err(WireError::Invalid { .. })
        ));
    }
}

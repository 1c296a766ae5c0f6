//! Content identifiers for models and other blobs.
//!
//! A [`ModelId`] is a CIDv1 with the `raw` codec (0x55) over a sha2-256
//! multihash (code 0x12, length 32) of the blob's bytes, written as
//! multibase base32 (lower case, no padding, prefix `b`) — the same string
//! `ipfs add --cid-version 1 --raw-leaves` or any multiformats library gives
//! for a single-block file. sha2-256 is chosen because every multiformats
//! implementation supports it, it is an EVM precompile (so a contract can
//! recompute an id from bytes), and it is the IPFS default.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::digest::Digest32;

const CID_VERSION: u8 = 0x01;
const CODEC_RAW: u8 = 0x55;
const MULTIHASH_SHA2_256: u8 = 0x12;
const DIGEST_LEN: u8 = 32;
/// Binary length of a CID: version, codec, hash code, hash length, digest.
pub const CID_BYTES: usize = 4 + DIGEST_LEN as usize;

/// Why a string or byte slice is not a valid [`ModelId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("content id must start with the multibase prefix 'b' (base32 lower case)")]
    Multibase,
    #[error("content id is not valid base32: {0}")]
    Base32(String),
    #[error("content id must be {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
    #[error("unsupported content id header {0:02x?}: expected CIDv1, raw codec, sha2-256")]
    Header([u8; 4]),
}

/// Content id of a blob: CIDv1(raw, sha2-256(bytes)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId(Digest32);

impl ModelId {
    /// The id of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        ModelId(Digest32(Sha256::digest(bytes).into()))
    }

    /// The id whose sha2-256 digest is `digest`.
    pub fn from_digest(digest: Digest32) -> Self {
        ModelId(digest)
    }

    /// The sha2-256 digest of the blob.
    pub fn digest(&self) -> Digest32 {
        self.0
    }

    /// Whether `bytes` hash to this id.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        Self::of_bytes(bytes) == *self
    }

    /// Binary CID: `0x01 0x55 0x12 0x20 || digest`.
    pub fn to_cid_bytes(&self) -> [u8; CID_BYTES] {
        let mut out = [0u8; CID_BYTES];
        out[..4].copy_from_slice(&[CID_VERSION, CODEC_RAW, MULTIHASH_SHA2_256, DIGEST_LEN]);
        out[4..].copy_from_slice(&self.0.0);
        out
    }

    /// Parses a binary CID, accepting only CIDv1 / raw / sha2-256.
    pub fn from_cid_bytes(bytes: &[u8]) -> Result<Self, IdError> {
        if bytes.len() != CID_BYTES {
            return Err(IdError::Length {
                expected: CID_BYTES,
                got: bytes.len(),
            });
        }
        let header = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if header != [CID_VERSION, CODEC_RAW, MULTIHASH_SHA2_256, DIGEST_LEN] {
            return Err(IdError::Header(header));
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&bytes[4..]);
        Ok(ModelId(Digest32(digest)))
    }

    /// Whether `s` looks like a content id rather than a model name.
    pub fn looks_like_id(s: &str) -> bool {
        s.len() == 59 && s.starts_with("bafkrei")
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b32 = data_encoding::BASE32_NOPAD.encode(&self.to_cid_bytes());
        write!(f, "b{}", b32.to_ascii_lowercase())
    }
}

impl fmt::Debug for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelId({self})")
    }
}

impl FromStr for ModelId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        let rest = s.strip_prefix('b').ok_or(IdError::Multibase)?;
        // 36 bytes of base32 is 58 characters; refuse anything longer before decoding.
        if rest.len() > 64 {
            return Err(IdError::Length {
                expected: CID_BYTES,
                got: rest.len() * 5 / 8,
            });
        }
        let bytes = data_encoding::BASE32_NOPAD
            .decode(rest.to_ascii_uppercase().as_bytes())
            .map_err(|e| IdError::Base32(e.to_string()))?;
        Self::from_cid_bytes(&bytes)
    }
}

impl Serialize for ModelId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_multiformats_id_of_a_known_blob() {
        // `echo -n hello | ipfs add --cid-version 1 --raw-leaves` gives this id.
        let id = ModelId::of_bytes(b"hello");
        assert_eq!(
            id.to_string(),
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
        );
        assert!(ModelId::looks_like_id(&id.to_string()));
    }

    #[test]
    fn round_trips_through_text_and_bytes() {
        let id = ModelId::of_bytes(b"veris");
        assert_eq!(id.to_string().parse::<ModelId>(), Ok(id));
        assert_eq!(ModelId::from_cid_bytes(&id.to_cid_bytes()), Ok(id));
        assert!(id.matches(b"veris"));
        assert!(!id.matches(b"veriS"));
    }

    #[test]
    fn rejects_malformed_ids() {
        let good = ModelId::of_bytes(b"x").to_string();
        assert_eq!("".parse::<ModelId>(), Err(IdError::Multibase));
        assert_eq!(good[1..].parse::<ModelId>(), Err(IdError::Multibase));
        assert!(matches!(format!("{good}!").parse::<ModelId>(), Err(IdError::Base32(_))));
        assert!(good[..good.len() - 2].parse::<ModelId>().is_err());
        let mut other_codec = ModelId::of_bytes(b"x").to_cid_bytes();
        other_codec[1] = 0x70;
        assert!(matches!(ModelId::from_cid_bytes(&other_codec), Err(IdError::Header(_))));
        let long = format!("b{}", "a".repeat(500));
        assert!(matches!(long.parse::<ModelId>(), Err(IdError::Length { .. })));
    }
}

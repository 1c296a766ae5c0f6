//! The zero-knowledge evidence a [`Mode::Zk`](crate::Mode::Zk) receipt carries.
//!
//! A [`ZkProof`] holds the verifying key (and its content id), the proof's
//! public statement and the proof, as opaque bytes: `veris-zk` defines and
//! checks them. In JSON the byte fields are standard base64 strings.
//!
//! The verifying key's content id is the trust anchor. The key names the
//! exact model it was made for and commits to its weights; anyone holding
//! the model recomputes it deterministically, and a node records it when it
//! compiles the model. A verifier must compare the id against one it trusts
//! for the receipt's model: a key the receipt merely states proves nothing.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::id::ModelId;

/// Largest encoded verifying key a receipt may carry.
pub const MAX_ZK_KEY_BYTES: usize = 16 << 20;
/// Largest encoded statement a receipt may carry.
pub const MAX_ZK_STATEMENT_BYTES: usize = 64 << 20;
/// Largest encoded proof a receipt may carry.
pub const MAX_ZK_PROOF_BYTES: usize = 64 << 20;
/// Longest proof-system name.
pub const MAX_ZK_SYSTEM_LEN: usize = 64;

/// A proof of inference and what is needed to check it without the weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZkProof {
    /// The proof system and version, e.g. `veris-zk/inference/v1`.
    pub system: String,
    /// Content id of `key`.
    pub verifying_key: ModelId,
    /// The encoded verifying key.
    #[serde(with = "base64_bytes")]
    pub key: Vec<u8>,
    /// The encoded public statement (model id, quantized input and output).
    #[serde(with = "base64_bytes")]
    pub statement: Vec<u8>,
    /// The encoded proof.
    #[serde(with = "base64_bytes")]
    pub proof: Vec<u8>,
}

impl ZkProof {
    /// Whether every field is within the limits above.
    pub fn within_limits(&self) -> Result<(), String> {
        let checks = [
            ("proof system name", self.system.len(), MAX_ZK_SYSTEM_LEN),
            ("verifying key", self.key.len(), MAX_ZK_KEY_BYTES),
            ("statement", self.statement.len(), MAX_ZK_STATEMENT_BYTES),
            ("proof", self.proof.len(), MAX_ZK_PROOF_BYTES),
        ];
        for (what, got, max) in checks {
            if got > max {
                return Err(format!("{what} is {got} bytes, above the limit of {max}"));
            }
        }
        Ok(())
    }
}

mod base64_bytes {
    use data_encoding::BASE64;

    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        BASE64
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

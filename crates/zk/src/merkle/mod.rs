//! Binary Merkle trees over [`Hasher`] with compressed multi-openings.
//!
//! - leaf digest `= H(0x00 ‖ leaf bytes)`, node `= H(0x01 ‖ left ‖ right)`
//!   (distinct prefixes, so a leaf can never be passed off as a node);
//! - the number of leaves is `2^depth`;
//! - a [`MultiProof`] for a sorted, duplicate-free index set lists, level by
//!   level from the leaves up and left to right, the sibling digests the
//!   verifier cannot compute itself. Its length is determined by the index set,
//!   and the verifier rejects a proof with missing or extra digests.

#[cfg(feature = "prover")]
mod tree;
mod verify;

#[cfg(feature = "prover")]
pub use tree::MerkleTree;
pub use verify::verify_multi;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::hash::{Digest, Hasher};

/// The largest tree depth accepted.
pub const MAX_DEPTH: usize = 40;

/// Digest of a leaf's bytes.
pub fn leaf_hash<H: Hasher>(data: &[u8]) -> Digest {
    H::hash_parts(&[&[0x00], data])
}

/// Digest of an inner node.
pub fn node_hash<H: Hasher>(left: &Digest, right: &Digest) -> Digest {
    H::hash_parts(&[&[0x01], left, right])
}

/// Sibling digests authenticating several leaves at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiProof {
    /// The siblings in the order the verifier consumes them.
    pub siblings: Vec<Digest>,
}

impl MultiProof {
    /// Appends `u32 count ‖ digests`.
    pub fn write(&self, w: &mut Writer) {
        w.length(self.siblings.len());
        for d in &self.siblings {
            w.digest(d);
        }
    }

    /// Reads a proof for `num_leaves_opened` leaves of a tree of depth `depth`
    /// (at most `num_leaves_opened · depth` siblings).
    pub fn read(r: &mut Reader<'_>, num_leaves_opened: usize, depth: usize) -> Result<Self, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooLarge {
                what: "Merkle depth",
                got: depth as u64,
                max: MAX_DEPTH as u64,
            });
        }
        let n = r.len("Merkle siblings", num_leaves_opened.saturating_mul(depth), 32)?;
        Ok(Self {
            siblings: r.digests(n)?,
        })
    }
}

/// Sorted, de-duplicated copy of `indices`.
pub fn sorted_unique(indices: &[usize]) -> Vec<usize> {
    let mut v = indices.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

//! Building a Merkle tree and producing multi-openings (prover side).

use rayon::prelude::*;

use super::{MultiProof, node_hash};
use crate::error::ProverError;
use crate::hash::{Digest, Hasher};
use crate::mle::PARALLEL_THRESHOLD;

/// A complete tree: `levels[0]` are the leaf digests, the last level is the root.
#[derive(Debug, Clone)]
pub struct MerkleTree<H: Hasher> {
    levels: Vec<Vec<Digest>>,
    _hash: core::marker::PhantomData<H>,
}

impl<H: Hasher> MerkleTree<H> {
    /// Builds the tree over `2^depth` leaf digests.
    pub fn new(leaves: Vec<Digest>) -> Result<Self, ProverError> {
        if !leaves.len().is_power_of_two() {
            return Err(ProverError::InvalidInput {
                what: "Merkle leaves",
                detail: format!("{} leaves; a power of two is required", leaves.len()),
            });
        }
        let mut levels = vec![leaves];
        while levels.last().map_or(0, Vec::len) > 1 {
            let prev = levels.last().expect("at least the leaf level");
            let hash_pair = |pair: &[Digest]| node_hash::<H>(&pair[0], &pair[1]);
            let next: Vec<Digest> = if prev.len() >= PARALLEL_THRESHOLD / 16 {
                prev.par_chunks_exact(2).map(hash_pair).collect()
            } else {
                prev.chunks_exact(2).map(hash_pair).collect()
            };
            levels.push(next);
        }
        Ok(Self {
            levels,
            _hash: core::marker::PhantomData,
        })
    }

    /// The root digest.
    pub fn root(&self) -> Digest {
        self.levels.last().expect("a tree has a root")[0]
    }

    /// The depth (number of levels above the leaves).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// A multi-opening of `indices`, which must be sorted, unique and in range.
    pub fn open(&self, indices: &[usize]) -> MultiProof {
        debug_assert!(
            indices.windows(2).all(|w| w[0] < w[1]),
            "indices must be sorted and unique"
        );
        let mut known: Vec<usize> = indices.to_vec();
        let mut siblings = Vec::new();
        for level in &self.levels[..self.depth()] {
            let mut k = 0;
            while k < known.len() {
                let idx = known[k];
                if idx.is_multiple_of(2) && known.get(k + 1) == Some(&(idx + 1)) {
                    k += 2;
                } else {
                    siblings.push(level[idx ^ 1]);
                    k += 1;
                }
            }
            known = parents(&known);
        }
        MultiProof { siblings }
    }
}

/// Parent indices of a sorted index list, de-duplicated (stays sorted).
pub(super) fn parents(known: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = known.iter().map(|i| i / 2).collect();
    out.dedup();
    out
}

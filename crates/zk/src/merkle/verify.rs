//! Checking multi-openings against a root (verifier side).

use super::{MAX_DEPTH, MultiProof, node_hash};
use crate::error::VerifyError;
use crate::hash::{Digest, Hasher};

/// Checks that `leaves[k]` is the leaf digest at `indices[k]` of the tree of
/// depth `depth` with root `root`. `indices` must be strictly increasing and
/// `< 2^depth`; every sibling in `proof` must be consumed.
pub fn verify_multi<H: Hasher>(
    root: &Digest,
    depth: usize,
    indices: &[usize],
    leaves: &[Digest],
    proof: &MultiProof,
) -> Result<(), VerifyError> {
    if depth > MAX_DEPTH || indices.len() != leaves.len() || indices.is_empty() {
        return Err(VerifyError::MerklePath);
    }
    let strictly_increasing = indices.windows(2).all(|w| w[0] < w[1]);
    if !strictly_increasing || indices.last().is_some_and(|&i| (i as u128) >> depth != 0) {
        return Err(VerifyError::MerklePath);
    }
    let mut layer: Vec<(usize, Digest)> = indices.iter().copied().zip(leaves.iter().copied()).collect();
    let mut siblings = proof.siblings.iter();
    for _ in 0..depth {
        let mut next: Vec<(usize, Digest)> = Vec::with_capacity(layer.len());
        let mut k = 0;
        while k < layer.len() {
            let (idx, digest) = layer[k];
            let parent = if idx.is_multiple_of(2) && layer.get(k + 1).is_some_and(|&(j, _)| j == idx + 1) {
                let right = layer[k + 1].1;
                k += 2;
                node_hash::<H>(&digest, &right)
            } else {
                let sibling = siblings.next().ok_or(VerifyError::MerklePath)?;
                k += 1;
                if idx.is_multiple_of(2) {
                    node_hash::<H>(&digest, sibling)
                } else {
                    node_hash::<H>(sibling, &digest)
                }
            };
            next.push((idx / 2, parent));
        }
        layer = next;
    }
    if siblings.next().is_some() || layer.len() != 1 || layer[0].1 != *root {
        return Err(VerifyError::MerklePath);
    }
    Ok(())
}

//! Merkle multi-openings: completeness for random index sets, tampering rejected, hostile decoding.

mod common;

use common::Rng;
use veris_zk::codec::{Reader, Writer};
use veris_zk::hash::{Blake3, Digest, Keccak256};
use veris_zk::merkle::{MerkleTree, MultiProof, leaf_hash, sorted_unique, verify_multi};

fn leaves(rng: &mut Rng, n: usize) -> Vec<Digest> {
    (0..n)
        .map(|_| leaf_hash::<Blake3>(&rng.next_u64().to_le_bytes()))
        .collect()
}

#[test]
fn random_multi_openings_verify() {
    let mut rng = Rng::new(1000);
    for depth in 0..12 {
        let l = leaves(&mut rng, 1 << depth);
        let tree = MerkleTree::<Blake3>::new(l.clone()).unwrap();
        for _ in 0..5 {
            let count = 1 + rng.below(1 << depth);
            let idx = sorted_unique(&(0..count).map(|_| rng.below(1 << depth)).collect::<Vec<_>>());
            let proof = tree.open(&idx);
            let opened: Vec<Digest> = idx.iter().map(|&i| l[i]).collect();
            verify_multi::<Blake3>(&tree.root(), depth, &idx, &opened, &proof).unwrap();
            // Decoding what was encoded gives the same proof.
            let mut w = Writer::new();
            proof.write(&mut w);
            let bytes = w.finish();
            let mut r = Reader::new(&bytes);
            assert_eq!(MultiProof::read(&mut r, idx.len(), depth).unwrap(), proof);
            r.finish().unwrap();
        }
    }
}

#[test]
fn tampering_is_rejected() {
    let mut rng = Rng::new(1001);
    let depth = 8;
    let l = leaves(&mut rng, 1 << depth);
    let tree = MerkleTree::<Blake3>::new(l.clone()).unwrap();
    let idx = vec![3, 4, 5, 100, 200, 255];
    let opened: Vec<Digest> = idx.iter().map(|&i| l[i]).collect();
    let proof = tree.open(&idx);
    let root = tree.root();
    verify_multi::<Blake3>(&root, depth, &idx, &opened, &proof).unwrap();

    for s in 0..proof.siblings.len() {
        for byte in [0usize, 17, 31] {
            let mut bad = proof.clone();
            bad.siblings[s][byte] ^= 1;
            assert!(
                verify_multi::<Blake3>(&root, depth, &idx, &opened, &bad).is_err(),
                "sibling {s}"
            );
        }
    }
    for k in 0..opened.len() {
        let mut bad = opened.clone();
        bad[k][5] ^= 0x80;
        assert!(
            verify_multi::<Blake3>(&root, depth, &idx, &bad, &proof).is_err(),
            "leaf {k}"
        );
    }
    let mut bad_root = root;
    bad_root[0] ^= 1;
    assert!(verify_multi::<Blake3>(&bad_root, depth, &idx, &opened, &proof).is_err());
    // Wrong positions, unsorted or duplicated indices, wrong depth, missing or extra siblings.
    assert!(verify_multi::<Blake3>(&root, depth, &[3, 4, 5, 100, 200, 254], &opened, &proof).is_err());
    assert!(verify_multi::<Blake3>(&root, depth, &[4, 3, 5, 100, 200, 255], &opened, &proof).is_err());
    assert!(verify_multi::<Blake3>(&root, depth, &[3, 3, 5, 100, 200, 255], &opened, &proof).is_err());
    assert!(verify_multi::<Blake3>(&root, depth + 1, &idx, &opened, &proof).is_err());
    assert!(verify_multi::<Blake3>(&root, depth, &[3, 4, 5, 100, 200, 256], &opened, &proof).is_err());
    let mut short = proof.clone();
    short.siblings.pop();
    assert!(verify_multi::<Blake3>(&root, depth, &idx, &opened, &short).is_err());
    let mut long = proof.clone();
    long.siblings.push([0; 32]);
    assert!(verify_multi::<Blake3>(&root, depth, &idx, &opened, &long).is_err());
    // The same tree under another hash does not verify.
    assert!(verify_multi::<Keccak256>(&root, depth, &idx, &opened, &proof).is_err());
    // A leaf digest cannot be presented as an inner node (a shorter tree).
    let level1: Vec<usize> = vec![1];
    assert!(verify_multi::<Blake3>(&root, depth - 1, &level1, &[l[2]], &MultiProof::default()).is_err());
}

#[test]
fn hostile_sibling_counts_are_refused_before_allocation() {
    let mut w = Writer::new();
    w.u32(u32::MAX);
    let bytes = w.finish();
    assert!(MultiProof::read(&mut Reader::new(&bytes), 10, 10).is_err());
    let mut w = Writer::new();
    w.u32(50);
    let bytes = w.finish();
    // Within the count limit but the input does not hold 50 digests.
    assert!(MultiProof::read(&mut Reader::new(&bytes), 10, 10).is_err());
    assert!(MultiProof::read(&mut Reader::new(&[]), 10, 10).is_err());
    assert!(MultiProof::read(&mut Reader::new(&bytes), 10, 1000).is_err());
    assert!(MerkleTree::<Blake3>::new(vec![[0; 32]; 3]).is_err());
}

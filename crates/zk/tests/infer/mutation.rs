//! Hostile proof bytes: single-byte mutations, truncations, garbage and
//! trailing bytes are all rejected with an error, never a panic.

use veris_zk::infer::{InferVerifyError, MAX_PROOF_BYTES, verify_bytes};

use crate::support::*;

#[test]
fn a_thousand_single_byte_mutations_are_all_rejected() {
    let (_, vk) = digits_keys();
    let (statement, proof) = digits_proof();
    let mut rng = Rng(7);
    let len = proof.len();
    // Half evenly spread (every region of the proof), half at random positions.
    let positions: Vec<usize> = (0..500)
        .map(|i| i * len / 500)
        .chain((0..500).map(|_| rng.below(len as u64) as usize))
        .collect();
    for (n, &pos) in positions.iter().enumerate() {
        let mut bad = proof.clone();
        bad[pos] ^= 1 + rng.below(255) as u8;
        assert!(
            verify_bytes::<H>(vk, statement, &bad).is_err(),
            "mutation {n} at byte {pos} of {len} accepted"
        );
    }
}

#[test]
fn truncated_extended_and_garbage_bytes_are_errors() {
    let (_, vk) = digits_keys();
    let (statement, proof) = digits_proof();
    let mut rng = Rng(9);
    let mut cuts: Vec<usize> = (0..48)
        .chain((0..150).map(|_| rng.below(proof.len() as u64) as usize))
        .collect();
    cuts.push(proof.len() - 1);
    for cut in cuts {
        let r = verify_bytes::<H>(vk, statement, &proof[..cut]);
        assert!(
            matches!(r, Err(InferVerifyError::Decode(_))),
            "truncated at {cut}: {r:?}"
        );
    }
    let mut longer = proof.clone();
    longer.push(0);
    assert!(matches!(
        verify_bytes::<H>(vk, statement, &longer),
        Err(InferVerifyError::Decode(_))
    ));
    for len in [0, 1, 12, 100, 4096, proof.len()] {
        let garbage: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        assert!(
            verify_bytes::<H>(vk, statement, &garbage).is_err(),
            "garbage of {len} bytes"
        );
        let mut framed = proof[..12.min(len)].to_vec();
        framed.extend_from_slice(&garbage[framed.len()..]);
        assert!(
            verify_bytes::<H>(vk, statement, &framed).is_err(),
            "framed garbage of {len} bytes"
        );
    }
    let huge = vec![0u8; MAX_PROOF_BYTES + 1];
    assert!(matches!(
        verify_bytes::<H>(vk, statement, &huge),
        Err(InferVerifyError::Decode(_))
    ));
}

#[test]
fn hostile_keys_and_statements_decode_to_errors() {
    use veris_zk::infer::{Statement, StatementLimits, VerifyingKey, VkLimits};
    let (_, vk) = digits_keys();
    let bytes = vk.encode();
    let mut rng = Rng(11);
    for _ in 0..300 {
        let mut bad = bytes.clone();
        let pos = rng.below(bad.len() as u64) as usize;
        bad[pos] ^= 1 + rng.below(255) as u8;
        // Either refused, or a different, self-consistent key (e.g. another bias value).
        if let Ok(k) = VerifyingKey::decode(&bad, VkLimits::default()) {
            assert_ne!(&k, vk);
            assert_eq!(k.encode(), bad);
        }
    }
    for cut in 0..bytes.len() {
        assert!(VerifyingKey::decode(&bytes[..cut], VkLimits::default()).is_err());
    }
    let (statement, _) = digits_proof();
    let s = statement.encode();
    for cut in 0..s.len() {
        assert!(Statement::decode(&s[..cut], StatementLimits::default()).is_err());
    }
    let mut huge = s[..36].to_vec();
    huge.push(2);
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(Statement::decode(&huge, StatementLimits::default()).is_err());
}

#[test]
fn a_verifier_with_another_hash_refuses_the_key() {
    let (_, vk) = digits_keys();
    let (statement, proof) = digits_proof();
    let r = verify_bytes::<veris_zk::hash::Keccak256>(vk, statement, proof);
    assert!(matches!(r, Err(InferVerifyError::HashMismatch { .. })), "{r:?}");
}

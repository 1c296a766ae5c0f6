//! Shared byte-mutation checks: a proof with one byte changed or cut short
//! never verifies, and a verifying key with one byte changed is either refused
//! or decodes to another, self-consistent key.

use veris_zk::infer::{Statement, VerifyingKey, VkLimits, verify_bytes};

use crate::support::{H, Rng};

/// Changes one byte of `proof` at `spread` evenly spaced positions, then at
/// `spread` random ones, and cuts it at each of `cuts`: no variant verifies.
pub fn assert_proof_mutations_rejected(
    vk: &VerifyingKey,
    statement: &Statement,
    proof: &[u8],
    rng: &mut Rng,
    spread: usize,
    cuts: &[usize],
) {
    let len = proof.len();
    for n in 0..2 * spread {
        let pos = if n < spread {
            n * len / spread
        } else {
            rng.below(len as u64) as usize
        };
        let mut bad = proof.to_vec();
        bad[pos] ^= 1 + rng.below(255) as u8;
        assert!(
            verify_bytes::<H>(vk, statement, &bad).is_err(),
            "mutation at byte {pos} of {len}"
        );
    }
    for &cut in cuts {
        assert!(verify_bytes::<H>(vk, statement, &proof[..cut]).is_err(), "cut at {cut}");
    }
}

/// Changes one random byte of `vk`'s encoding `count` times; every variant
/// that still decodes must differ from `vk` and re-encode to its own bytes,
/// and is then handed to `check` with the changed position.
pub fn for_each_decodable_key_mutation(
    vk: &VerifyingKey,
    rng: &mut Rng,
    count: usize,
    mut check: impl FnMut(usize, &VerifyingKey),
) {
    let bytes = vk.encode();
    for _ in 0..count {
        let mut bad = bytes.clone();
        let pos = rng.below(bad.len() as u64) as usize;
        bad[pos] ^= 1 + rng.below(255) as u8;
        if let Ok(k) = VerifyingKey::decode(&bad, VkLimits::default()) {
            assert_ne!(&k, vk);
            assert_eq!(k.encode(), bad);
            check(pos, &k);
        }
    }
}

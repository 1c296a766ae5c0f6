//! Format pins: the verifying key and the proof for a fixed small model and
//! input keep their exact bytes (both are deterministic). A change here is a
//! deliberate format or protocol change: bump `VK_FORMAT_VERSION` /
//! `PROOF_FORMAT_VERSION` and re-pin.

use veris_zk::hash::{Blake3, Hasher};
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::setup;
use veris_zk::pcs::PcsParams;

use crate::support::*;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn key_and_proof_bytes_are_pinned() {
    let mut rng = Rng(2024);
    let mut b = ExactBuilder::default();
    let (w1, b1, r1) = random_linear(&mut rng, 5, 4);
    b.op(Op::Linear {
        k: 5,
        n: 4,
        relu: true,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    let (w2, b2, r2) = random_linear(&mut rng, 4, 3);
    b.op(Op::Linear {
        k: 4,
        n: 3,
        relu: false,
        weights: &w2,
        bias: &b2,
        requant: &r2,
    });
    let model = b.build(&[Some(2), Some(5)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).unwrap();
    let proved = prove(&pk, &model, &random_input(&mut rng, &[2, 5])).unwrap();
    let vk_bytes = vk.encode();
    let proof_bytes = proved.proof.encode();
    assert_eq!(
        (vk_bytes.len(), hex(&Blake3::hash_parts(&[&vk_bytes]))),
        (
            264,
            "3a31d65f00ceb6d39df4bc913fa92e42d4b1b4f5125e11b85ff820163ffc1a4d".to_string()
        ),
        "verifying key pin"
    );
    assert_eq!(
        (proof_bytes.len(), hex(&Blake3::hash_parts(&[&proof_bytes]))),
        (
            115_404,
            "1ceb59779e91fe137962aa7380c06f51648cd688b560d7c4885b7159f493d58b".to_string()
        ),
        "proof pin"
    );
}

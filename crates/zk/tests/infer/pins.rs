//! Format pins: the verifying key and the proof for a fixed small MLP and a
//! fixed small CNN (grouped conv, pool, conv, linear) and input keep their
//! exact bytes (both are deterministic). A change here is a
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
            272,
            "7f64463e902503c8ba749dfaaa881b30e14c13156b15b19540873e6d9d627114".to_string()
        ),
        "verifying key pin"
    );
    assert_eq!(
        (proof_bytes.len(), hex(&Blake3::hash_parts(&[&proof_bytes]))),
        (
            113_772,
            "aa456ae37f90caf8e7d5cdb473fce9b33d19f898f94177d885359d809f202a34".to_string()
        ),
        "proof pin"
    );
}

#[test]
fn cnn_key_and_proof_bytes_are_pinned() {
    // conv 2 → 4 (2 groups, 3×3, stride 2, pad 1, ReLU) → avgpool 2×2 → conv 4 → 2 (2×2) → flatten → linear 2 → 3.
    let mut rng = Rng(2025);
    let mut b = ExactBuilder::default();
    let (w1, b1, r1) = random_linear(&mut rng, 9, 4);
    b.op(Op::Conv {
        c_in: 2,
        c_out: 4,
        group: 2,
        window: crate::cnn_support::square(3, 2, 1),
        relu: true,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    b.op(Op::AvgPool {
        window: crate::cnn_support::square(2, 2, 0),
        count_include_pad: false,
        requant: (1 << 30, 30),
    });
    let (w2, b2, r2) = random_linear(&mut rng, 16, 2);
    b.op(Op::Conv {
        c_in: 4,
        c_out: 2,
        group: 1,
        window: crate::cnn_support::square(2, 1, 0),
        relu: false,
        weights: &w2,
        bias: &b2,
        requant: &r2,
    });
    b.op(Op::Flatten(1));
    let (w3, b3, r3) = random_linear(&mut rng, 2, 3);
    b.op(Op::Linear {
        k: 2,
        n: 3,
        relu: false,
        weights: &w3,
        bias: &b3,
        requant: &r3,
    });
    let model = b.build(&[Some(1), Some(2), Some(9), Some(9)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).unwrap();
    let proved = prove(&pk, &model, &random_input(&mut rng, &[1, 2, 9, 9])).unwrap();
    let vk_bytes = vk.encode();
    let proof_bytes = proved.proof.encode();
    assert_eq!(
        (vk_bytes.len(), hex(&Blake3::hash_parts(&[&vk_bytes]))),
        (
            497,
            "d7bd4bb385afe5cbebba9e551c444bd3ac432fecab6ce0030782c457fea2117c".to_string()
        ),
        "cnn verifying key pin"
    );
    assert_eq!(
        (proof_bytes.len(), hex(&Blake3::hash_parts(&[&proof_bytes]))),
        (
            148_572,
            "7c9c92a5d7147672468bdd067f1d9e241bad975fb6bc5eff4a1468df480e75fc".to_string()
        ),
        "cnn proof pin"
    );
}

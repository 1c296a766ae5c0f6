//! `Softmax` (stage tag 19, `docs/proof-system.md` §9.11.4): lanes of 10
//! (not a power of two) after a projection, of the public input, as the last
//! layer (public output), and attention `softmax(Q·Kᵀ)·V` prove and match
//! the engine; the malicious prover (wrong maxima, exp values, outputs ±1,
//! remainders, selectors) is rejected; proof bytes mutations and keys with
//! another exp table are rejected; a Softmax over another axis is refused.

use std::sync::OnceLock;

use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::witness::LayerWitness;
use veris_zk::infer::{Stage, StatementError, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::assert_proof_mutations_rejected;
use crate::soundness::never_accepted_in;
use crate::support::*;

const RQ: (u32, u8) = (3, 12);

fn linear_on(b: &mut ExactBuilder, rng: &mut Rng, input: u32, k: u32, n: u32) {
    let (weights, bias, requant) = random_linear(rng, k, n);
    let op = Op::Linear {
        k,
        n,
        relu: false,
        weights: &weights,
        bias: &bias,
        requant: &requant,
    };
    b.op_reading(input, op);
}

fn softmax(b: &mut ExactBuilder, axis: i64, scale: f64) {
    let table = exp_table(scale, 14);
    b.op(Op::Softmax {
        axis,
        exp_bits: 14,
        table: &table,
    });
}

/// `x [N, 3, 16]` → Linear 16 → 10 → Softmax (lanes of 10) → [Linear 10 → 8].
fn projected(seed: u64, tail: bool) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    linear_on(&mut b, &mut rng, 0, 16, 10);
    softmax(&mut b, -1, 0.04);
    if tail {
        linear_on(&mut b, &mut rng, 2, 10, 8);
    }
    b.build(&[None, Some(3), Some(16)])
}

/// Two-head self-attention with softmax on `x [N, 8, 16]`: ops 0–8 the `Q`,
/// `K`, `V` projections and head splits (`Kᵀ` by (0,2,3,1)), 9 `Q·Kᵀ`,
/// 10 Softmax, 11 probabilities·`V`, 12–13 merge, 14 out projection.
fn attention(seed: u64) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    for perm in [&[0u8, 2, 1, 3], &[0, 2, 3, 1], &[0, 2, 1, 3]] {
        linear_on(&mut b, &mut rng, 0, 16, 16);
        b.op(Op::Reshape(&[-1, 8, 2, 8]));
        b.op(Op::Transpose(perm));
    }
    b.op(Op::MatMul {
        a: Some(3),
        b: 6,
        requant: RQ,
    });
    softmax(&mut b, -1, 0.05);
    b.op(Op::MatMul {
        a: None,
        b: 9,
        requant: (1, 7),
    });
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    b.op(Op::Reshape(&[-1, 8, 16]));
    linear_on(&mut b, &mut rng, 14, 16, 16);
    b.build(&[None, Some(8), Some(16)])
}

type Keys = (ExactModel, ProverKey<H>, VerifyingKey);

fn keys_of(model: ExactModel) -> Keys {
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    (model, pk, vk)
}

fn attention_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| keys_of(attention(31)))
}

fn proves_like_the_engine((model, pk, vk): &Keys, shape: &[usize], seed: u64) -> (veris_zk::infer::Statement, Vec<u8>) {
    let input = random_input(&mut Rng(seed), shape);
    let proved = prove(pk, model, &input).expect("prove");
    assert_eq!(proved.outputs, model.run(&input).expect("run"), "{shape:?}");
    let bytes = proved.proof.encode();
    verify_bytes::<H>(vk, &proved.statement, &bytes).expect("honest proof verifies");
    eprintln!("input {shape:?}: proof {} bytes", bytes.len());
    (proved.statement, bytes)
}

#[test]
fn softmax_over_lanes_of_ten_proves_and_matches_the_engine() {
    let keys = keys_of(projected(40, true));
    assert!(keys.2.stages().iter().any(|s| matches!(s, Stage::Softmax(_))));
    for (seed, n) in [(41, 1), (42, 3)] {
        proves_like_the_engine(&keys, &[n, 3, 16], seed);
    }
    // The last layer (public output): probabilities at scale 1/127, each lane summing to about 127.
    let keys = keys_of(projected(43, false));
    let (statement, _) = proves_like_the_engine(&keys, &[2, 3, 16], 44);
    for lane in statement.output.data.chunks(10) {
        let sum: i64 = lane.iter().sum();
        assert!((117..=137).contains(&sum), "lane {lane:?}");
    }
    // The public input itself, lanes of 5.
    let mut b = ExactBuilder::default();
    softmax(&mut b, 1, 0.1);
    let keys = keys_of(b.build(&[None, Some(5)]));
    proves_like_the_engine(&keys, &[3, 5], 45);
    let bytes = keys.2.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
    assert_eq!((&decoded, decoded.encode()), (&keys.2, bytes));
}

#[test]
fn attention_with_softmax_proves() {
    let keys = attention_keys();
    for (seed, n) in [(32, 1), (33, 3)] {
        proves_like_the_engine(keys, &[n, 8, 16], seed);
    }
}

fn is_softmax(w: &LayerWitness) -> bool {
    matches!(w, LayerWitness::Softmax(_))
}

#[test]
fn malicious_prover_on_softmax_is_rejected() {
    // Softmax as the last layer (a false statement too), then in the middle of a chain.
    for tail in [false, true] {
        let (model, pk, vk) = keys_of(projected(46, tail));
        let input = random_input(&mut Rng(47), &[3, 3, 16]);
        let runs = never_accepted_in(&model, &input, &pk, &vk, is_softmax);
        // 11 tampers at 3 entries; not all apply (a false statement only for the last layer,
        // no remainder or selector to move at a padding entry).
        assert!(runs >= 27, "only {runs} tampered runs");
    }
    let (model, pk, vk) = attention_keys();
    let runs = never_accepted_in(model, &random_input(&mut Rng(34), &[1, 8, 16]), pk, vk, is_softmax);
    assert!(runs >= 27, "only {runs} tampered runs");
}

#[test]
fn softmax_proof_mutations_and_other_tables_are_rejected() {
    let keys = attention_keys();
    let (statement, proof) = proves_like_the_engine(keys, &[1, 8, 16], 35);
    let mut rng = Rng(36);
    let cuts: Vec<usize> = (0..20).map(|_| rng.below(proof.len() as u64) as usize).collect();
    assert_proof_mutations_rejected(&keys.2, &statement, &proof, &mut rng, 100, &cuts);
    // The key with one exp entry changed (still a valid table) refuses the proof.
    let bytes = keys.2.encode();
    let body = bytes
        .windows(9)
        .position(|w| w[..8] == (-1i64).to_le_bytes() && w[8] == 14)
        .expect("softmax stage body");
    for entry in [1usize, 20, 255] {
        let at = body + 9 + 4 * entry;
        let mut other = bytes.clone();
        other[at] ^= 1;
        let key = VerifyingKey::decode(&other, VkLimits::default()).expect("another valid table");
        assert!(verify_bytes::<H>(&key, &statement, &proof).is_err(), "entry {entry}");
    }
    // E[0] ≠ 2^P, or an entry above 2^P: the key does not decode.
    for at in [body + 9, body + 9 + 4 * 7 + 3] {
        let mut other = bytes.clone();
        other[at] ^= 0x40;
        assert!(VerifyingKey::decode(&other, VkLimits::default()).is_err(), "byte {at}");
    }
}

#[test]
fn softmax_over_another_axis_is_refused() {
    let mut b = ExactBuilder::default();
    softmax(&mut b, 1, 0.1);
    match setup::<H>(&b.build(&[None, Some(4), Some(8)]), PcsParams::default()) {
        Err(SetupError::Circuit(StatementError::NotYetProvable(why))) => {
            assert!(why.contains("only the last axis"), "{why}")
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

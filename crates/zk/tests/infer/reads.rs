//! Ops reading an earlier value or the public input (the key's per-stage
//! operand indices, `docs/proof-system.md` §9.10 and §9.11): self-attention
//! without softmax, whose `Q`, `K` and `V` projections all read the public
//! input, proves and matches the engine; a malicious prover is rejected in
//! every layer; a key re-pointing an operand refuses the proof; keys with
//! forward or self reads, or a stage re-tagged to read more values, do not
//! decode; `x + attention(x)` (a residual `Add`) proves; a program whose
//! output is not the last proved layer's is refused.

use std::sync::OnceLock;

use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::verify_bytes;
use veris_zk::infer::{Stage, Statement, StatementError, VerifyingKey, VkLimits};
use veris_zk::pcs::PcsParams;

use crate::soundness::never_accepted_in;
use crate::support::Rng;
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

/// Two-head self-attention without softmax on `x [N, 8, 16]`; values: x = 0, op `i` = `i + 1`.
/// ops 0–2 `Q` = x·Wq, split, (0,2,1,3); 3–5 `K` = x·Wk, split, (0,2,3,1) (`Kᵀ` per head);
/// 6–8 `V` = x·Wv, split, (0,2,1,3); 9 `Q·Kᵀ`; 10 scores·`V`; 11–12 merge; 13 out projection.
fn attention(seed: u64) -> ExactModel {
    let mut b = ExactBuilder::default();
    attention_block(&mut b, &mut Rng(seed));
    b.build(&[None, Some(8), Some(16)])
}

/// The 14 ops of [`attention`], appended to `b` (whose value 0 is `x`).
fn attention_block(b: &mut ExactBuilder, rng: &mut Rng) {
    for perm in [&[0u8, 2, 1, 3], &[0, 2, 3, 1], &[0, 2, 1, 3]] {
        linear_on(b, rng, 0, 16, 16);
        b.op(Op::Reshape(&[-1, 8, 2, 8]));
        b.op(Op::Transpose(perm));
    }
    b.op(Op::MatMul {
        a: Some(3),
        b: 6,
        requant: RQ,
    });
    b.op(Op::MatMul {
        a: None,
        b: 9,
        requant: RQ,
    });
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    b.op(Op::Reshape(&[-1, 8, 16]));
    linear_on(b, rng, 13, 16, 16);
}

fn keys() -> &'static (ExactModel, ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ExactModel, ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let model = attention(21);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        (model, pk, vk)
    })
}

fn proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (model, pk, _) = keys();
        let proved = prove(pk, model, &random_input(&mut Rng(22), &[1, 8, 16])).expect("prove");
        (proved.statement, proved.proof.encode())
    })
}

#[test]
fn self_attention_with_three_projections_of_the_input_proves() {
    let (model, pk, vk) = keys();
    // The projections' operands: Q, K and V read the input, the out projection the merged heads.
    let reads: Vec<u32> = vk
        .stages()
        .iter()
        .zip(vk.operands())
        .filter_map(|(s, ops)| matches!(s, Stage::Linear(_)).then_some(ops[0]))
        .collect();
    assert_eq!(reads, [0, 0, 0, 13], "{:?}", vk.operands());
    for (seed, n) in [(23, 1), (24, 3)] {
        let input = random_input(&mut Rng(seed), &[n, 8, 16]);
        let proved = prove(pk, model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"), "batch {n}");
        assert!(proved.statement.output.data.iter().any(|&v| v != 0));
        verify_bytes::<H>(vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
    }
    let bytes = vk.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
    assert_eq!((&decoded, decoded.encode()), (vk, bytes));
}

#[test]
fn malicious_prover_on_self_attention_is_rejected() {
    let (model, pk, vk) = keys();
    // Batch 1 (padded batches are covered by `matmul_act`): keeps the 6 × 3 × 7+ proofs affordable.
    let runs = never_accepted_in(model, &random_input(&mut Rng(25), &[1, 8, 16]), pk, vk, |_| true);
    assert!(runs >= 6 * 3 * 7, "only {runs} tampered runs");
}

/// Offset of the `n`-th 16 → 16 Linear stage reading the input (tag 1, operand 0, k = 16):
/// 0 is Q (stage 0), 1 is K (stage 3), 2 is V (stage 6).
fn reads_at(bytes: &[u8], n: usize) -> usize {
    let needle = [1u8, 0, 0, 0, 0, 16, 0, 0, 0];
    let mut hits = bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle);
    hits.nth(n).expect("Linear stage bytes").0
}

#[test]
fn re_pointed_nested_or_forward_reads_are_rejected() {
    let (_, _, vk) = keys();
    let (statement, proof) = proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    let bytes = vk.encode();
    // K (stage 3) may instead project Q's output (value 1); V (stage 6) Q's or K's (value 4).
    for (n, stage, sources) in [(1, 3u32, &[1u32][..]), (2, 6, &[1, 4])] {
        let at = reads_at(&bytes, n);
        for &source in sources {
            let mut other = bytes.clone();
            other[at + 1..at + 5].copy_from_slice(&source.to_le_bytes());
            let key = VerifyingKey::decode(&other, VkLimits::default()).expect("decodes");
            assert!(
                verify_bytes::<H>(&key, statement, proof).is_err(),
                "Reads {n} from {source}"
            );
        }
        // Its own or a later stage's value, or no value at all: the key does not decode.
        for source in [stage + 1, 9, 14, u32::MAX] {
            let mut other = bytes.clone();
            other[at + 1..at + 5].copy_from_slice(&source.to_le_bytes());
            assert!(
                VerifyingKey::decode(&other, VkLimits::default()).is_err(),
                "Reads {n} from {source}"
            );
        }
        // Re-tagged as a two-operand stage (Add, MatMul), its first field (k = 16) becomes a
        // second, forward operand: the key does not decode.
        for tag in [9u8, 18] {
            let mut other = bytes.clone();
            other[at] = tag;
            assert!(
                VerifyingKey::decode(&other, VkLimits::default()).is_err(),
                "re-tagged {tag}"
            );
        }
    }
    let mut rng = Rng(26);
    for _ in 0..100 {
        let mut bad = proof.clone();
        let pos = rng.below(bad.len() as u64) as usize;
        bad[pos] ^= 1 + rng.below(255) as u8;
        assert!(
            verify_bytes::<H>(vk, statement, &bad).is_err(),
            "mutation at byte {pos}"
        );
    }
}

#[test]
fn an_output_that_is_not_the_last_layer_is_refused() {
    let mut rng = Rng(27);
    // op 0 Linear (value 1), op 1 Linear on x (value 2), op 2 Reshape of value 1: the output is
    // op 0's value, but the last proved layer is op 1.
    let mut b = ExactBuilder::default();
    linear_on(&mut b, &mut rng, 0, 8, 8);
    linear_on(&mut b, &mut rng, 0, 8, 8);
    b.op_reading(1, Op::Reshape(&[-1, 8]));
    match setup::<H>(&b.build(&[Some(2), Some(8)]), PcsParams::default()) {
        Err(SetupError::Circuit(StatementError::NotYetProvable(why))) => {
            assert!(why.contains("not its last proved layer"), "{why}")
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_pointwise_layer_reading_an_earlier_value_proves() {
    let mut rng = Rng(28);
    // op 0 Linear (value 1), op 1 Linear of it (value 2, unused), op 2 ReLU of value 1.
    let mut b = ExactBuilder::default();
    linear_on(&mut b, &mut rng, 0, 8, 8);
    linear_on(&mut b, &mut rng, 1, 8, 8);
    b.op_reading(1, Op::Relu);
    let model = b.build(&[None, Some(8)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    assert!(matches!(vk.stages()[2], Stage::Relu), "{:?}", vk.stages());
    assert_eq!(vk.operands(), [[0], [1], [1]]);
    let input = random_input(&mut rng, &[3, 8]);
    let proved = prove(&pk, &model, &input).expect("prove");
    assert_eq!(proved.outputs, model.run(&input).expect("run"));
    verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
    let runs = never_accepted_in(&model, &input, &pk, &vk, |_| true);
    assert!(runs >= 2 * 3 * 7, "only {runs} tampered runs");
}

#[test]
fn self_attention_with_a_residual_add_proves() {
    // x + attention(x): the Add (op 14, value 15) reads the input (value 0) and the out projection
    // (value 14), both `[N, 8, 16]`, each halved.
    let mut rng = Rng(29);
    let mut b = ExactBuilder::default();
    attention_block(&mut b, &mut rng);
    b.add(0, 14, (1 << 30, 31), (1 << 30, 31), false);
    let model = b.build(&[None, Some(8), Some(16)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    assert!(matches!(vk.stages()[14], Stage::Add(_)), "{:?}", vk.stages());
    assert_eq!(vk.operands()[14], [0, 14]);
    let input = random_input(&mut rng, &[3, 8, 16]);
    let proved = prove(&pk, &model, &input).expect("prove");
    assert_eq!(proved.outputs, model.run(&input).expect("run"));
    let proof = proved.proof.encode();
    verify_bytes::<H>(&vk, &proved.statement, &proof).expect("honest proof verifies");
    // The Add re-pointed at another `[N, 8, 16]` value (Q, value 1), at the input twice, or at
    // the merged heads (value 13, a transposed view) refuses the proof.
    let bytes = vk.encode();
    let needle = [9u8, 0, 0, 0, 0, 14, 0, 0, 0];
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("Add stage bytes");
    for (offset, value) in [(1, 1u32), (5, 1), (5, 0), (1, 13)] {
        let mut other = bytes.clone();
        other[at + offset..at + offset + 4].copy_from_slice(&value.to_le_bytes());
        let key = VerifyingKey::decode(&other, VkLimits::default()).expect("decodes");
        assert!(
            verify_bytes::<H>(&key, &proved.statement, &proof).is_err(),
            "operand {offset} = {value}"
        );
    }
}

/// Format pin of a graph program using tags 17 (Transpose) and 18 (MatMul) and operand indices
/// other than the previous value: the attention key and its batch-1 proof keep their exact bytes
/// (a change is a deliberate format change, as in `pins.rs`).
#[test]
fn attention_key_and_proof_bytes_are_pinned() {
    use veris_zk::hash::{Blake3, Hasher};
    let hex = |d: &[u8]| -> String { d.iter().map(|b| format!("{b:02x}")).collect() };
    let (_, _, vk) = keys();
    let (_, proof) = proof();
    let vk_bytes = vk.encode();
    let pins = (
        (vk_bytes.len(), hex(&Blake3::hash_parts(&[&vk_bytes]))),
        (proof.len(), hex(&Blake3::hash_parts(&[proof]))),
    );
    let expected = (
        (
            1278,
            "9497d638c6161b422e0b3861df4909749cb5af63a994e6b7623bbed156e979ad".to_string(),
        ),
        (
            282_172,
            "1b0377a5194dd6bf0ded48865761dea03f4ddcde2ec3eacc3515de1c3392a0ac".to_string(),
        ),
    );
    assert_eq!(pins, expected, "attention pins");
}

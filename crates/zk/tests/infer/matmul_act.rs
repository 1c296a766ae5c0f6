//! Activation × activation `MatMul` (attention's `Q·Kᵀ` and `P·V`,
//! `docs/proof-system.md` §9.11.3): honest proofs verify and match the engine
//! bit for bit (padded batch rows included), operands read through transposed
//! views and from earlier values; a malicious prover is rejected in every
//! layer; proof bytes and keys are hostile-safe; a key naming other operands
//! or another requantizer refuses the proof; swapped statements and models
//! are rejected; operands the circuit cannot read are refused at setup.

use std::sync::OnceLock;

use veris_engine::exact::ExactModel;
use veris_zk::infer::matmul_act::MatMulKey;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::verify_bytes;
use veris_zk::infer::{Stage, Statement, StatementError, VerifyingKey, VkLimits};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::soundness::never_accepted_in;
use crate::support::Rng;
use crate::support::*;

fn linear(b: &mut ExactBuilder, rng: &mut Rng, k: u32, n: u32) {
    let (weights, bias, requant) = random_linear(rng, k, n);
    b.op(Op::Linear {
        k,
        n,
        relu: false,
        weights: &weights,
        bias: &bias,
        requant: &requant,
    });
}

/// Two-head attention without softmax, `x [N, 8, 16]`:
/// op 0 Linear 16→16 (Q), 1 Reshape `[N, 8, 2, 8]`, 2 Transpose (0,2,1,3),
/// 3 Linear 8→8 per head (K = V), 4 Transpose (0,1,3,2) (Kᵀ),
/// 5 MatMul(op 2, op 4) (scores), 6 MatMul(scores, op 3) (mixing),
/// 7 Transpose (0,2,1,3), 8 Reshape `[N, 8, 16]`, 9 Linear 16→4.
fn attention_model(seed: u64, requant: (u32, u8)) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    linear(&mut b, &mut rng, 16, 16);
    b.op(Op::Reshape(&[-1, 8, 2, 8]));
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    linear(&mut b, &mut rng, 8, 8);
    b.op(Op::Transpose(&[0, 1, 3, 2]));
    b.op(Op::MatMul {
        a: Some(3),
        b: 5,
        requant,
    });
    b.op(Op::MatMul { a: None, b: 4, requant });
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    b.op(Op::Reshape(&[-1, 8, 16]));
    linear(&mut b, &mut rng, 16, 4);
    b.build(&[None, Some(8), Some(16)])
}

const RQ: (u32, u8) = (3, 12);

fn keys() -> &'static (ExactModel, ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ExactModel, ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let model = attention_model(5, RQ);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        (model, pk, vk)
    })
}

fn proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (model, pk, _) = keys();
        let proved = prove(pk, model, &random_input(&mut Rng(6), &[1, 8, 16])).expect("prove");
        (proved.statement, proved.proof.encode())
    })
}

#[test]
fn attention_matmuls_prove_and_match_the_engine() {
    let (model, pk, vk) = keys();
    // Operands are value indices: value `i + 1` is stage `i`'s output.
    let matmuls: Vec<(&MatMulKey, &[u32])> = vk
        .stages()
        .iter()
        .zip(vk.operands())
        .filter_map(|(s, ops)| {
            if let Stage::MatMul(m) = s {
                Some((m, &ops[..]))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(matmuls.len(), 2);
    assert_eq!((matmuls[0].1, matmuls[0].0.k), (&[3, 5][..], 8));
    assert_eq!((matmuls[1].1, matmuls[1].0.k), (&[6, 4][..], 8));
    // N = 3 pads the batch axis; the scores are not all zero (the requantizer keeps signal).
    for (seed, n) in [(7, 1), (8, 3), (9, 2)] {
        let input = random_input(&mut Rng(seed), &[n, 8, 16]);
        let proved = prove(pk, model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"), "batch {n}");
        assert_eq!(proved.statement.output.shape, vec![n, 8, 4]);
        assert!(proved.statement.output.data.iter().any(|&v| v != 0));
        verify_bytes::<H>(vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
    }
    let bytes = vk.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
    assert_eq!(&decoded, vk);
    assert_eq!(decoded.encode(), bytes);
}

#[test]
fn malicious_prover_around_matmuls_is_rejected() {
    let (model, pk, vk) = keys();
    let runs = never_accepted_in(model, &random_input(&mut Rng(10), &[3, 8, 16]), pk, vk, |_| true);
    assert!(runs >= 5 * 3 * 7, "only {runs} tampered runs");
}

/// Offset of the MatMul stage (tag 18) reading values `a`, `b` in the key encoding
/// (tag ‖ u32 a ‖ u32 b ‖ u32 K ‖ u32 M ‖ u8 s).
fn matmul_at(bytes: &[u8], a: u32, b: u32) -> usize {
    let mut needle = vec![18u8];
    needle.extend_from_slice(&a.to_le_bytes());
    needle.extend_from_slice(&b.to_le_bytes());
    needle.extend_from_slice(&8u32.to_le_bytes());
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("matmul stage bytes")
}

#[test]
fn a_key_with_other_operands_or_requantizer_refuses_the_proof() {
    let (_, _, vk) = keys();
    let (statement, proof) = proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    let bytes = vk.encode();
    let at = matmul_at(&bytes, 3, 5);
    // Operands of the same shape ([N, 2, 8, 8]) but other values: values 4 (K) and 6 (scores).
    for (a, b) in [(5u32, 3u32), (4, 5), (3, 4), (3, 3)] {
        let mut other = bytes.clone();
        other[at + 1..at + 5].copy_from_slice(&a.to_le_bytes());
        other[at + 5..at + 9].copy_from_slice(&b.to_le_bytes());
        let key = VerifyingKey::decode(&other, VkLimits::default()).expect("decodes");
        assert!(verify_bytes::<H>(&key, statement, proof).is_err(), "operands {a}, {b}");
    }
    // Another requantizer: the threshold tables (the model commitment) no longer match.
    let mut other = bytes.clone();
    other[at + 13] ^= 1;
    let key = VerifyingKey::decode(&other, VkLimits::default()).expect("decodes");
    assert!(verify_bytes::<H>(&key, statement, proof).is_err(), "requantizer");
    // The public input, a later, its own or an absent operand value, or K = 0: refused when
    // the key is decoded (forward reads) or when the circuit is built.
    for (offset, value) in [(1, 0u32), (5, 0), (1, 10), (5, 6), (5, u32::MAX), (9, 0)] {
        let mut other = bytes.clone();
        other[at + offset..at + offset + 4].copy_from_slice(&value.to_le_bytes());
        if let Ok(key) = VerifyingKey::decode(&other, VkLimits::default()) {
            assert!(
                verify_bytes::<H>(&key, statement, proof).is_err(),
                "field {offset} = {value}"
            );
        }
    }
}

#[test]
fn mutated_matmul_proofs_and_keys_are_rejected() {
    let (_, _, vk) = keys();
    let (statement, proof) = proof();
    let mut rng = Rng(29);
    let len = proof.len();
    assert_proof_mutations_rejected(vk, statement, proof, &mut rng, 100, &[0, len / 3, len - 1]);
    for_each_decodable_key_mutation(vk, &mut rng, 200, |pos, k| {
        assert!(verify_bytes::<H>(k, statement, proof).is_err(), "mutated key at {pos}");
    });
}

#[test]
fn swapped_inputs_outputs_and_models_are_rejected() {
    let (model, pk, vk) = keys();
    let (statement, proof) = proof();
    let other = prove(pk, model, &random_input(&mut Rng(40), &[1, 8, 16])).expect("prove");
    assert_ne!(other.statement.output, statement.output);
    assert!(
        verify_bytes::<H>(vk, &other.statement, proof).is_err(),
        "another statement"
    );
    let mut s = statement.clone();
    s.input = other.statement.input.clone();
    assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "another input");
    let mut s = statement.clone();
    s.output = other.statement.output.clone();
    assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "another output");
    // The same program with another matmul requantizer, and with other weights.
    for b in [attention_model(5, (3, 11)), attention_model(12, RQ)] {
        assert_ne!(b.id(), model.id());
        let (_, vk_b) = setup::<H>(&b, PcsParams::default()).expect("setup B");
        let mut s = statement.clone();
        s.model_id = vk_b.model_id().to_owned();
        assert!(verify_bytes::<H>(&vk_b, &s, proof).is_err(), "A's proof under B's key");
    }
}

fn refusal(model: &ExactModel) -> String {
    match setup::<H>(model, PcsParams::default()) {
        Err(SetupError::Circuit(StatementError::NotYetProvable(why)) | SetupError::NotYetProvable(why)) => why,
        Err(SetupError::Circuit(e)) => e.to_string(),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn operands_the_circuit_cannot_read_are_refused() {
    let mut rng = Rng(31);
    // x · x: the public input as an operand (setup; a hostile key is refused by the walk).
    let mut b = ExactBuilder::default();
    b.op(Op::MatMul {
        a: Some(0),
        b: 0,
        requant: RQ,
    });
    linear(&mut b, &mut rng, 8, 2);
    let why = refusal(&b.build(&[Some(1), Some(8), Some(8)]));
    assert!(why.contains("not an earlier op's output"), "{why}");
    // An inner dimension of 6 (not a power of two).
    let mut b = ExactBuilder::default();
    linear(&mut b, &mut rng, 6, 6);
    b.op(Op::MatMul {
        a: None,
        b: 1,
        requant: RQ,
    });
    let why = refusal(&b.build(&[Some(1), Some(6), Some(6)]));
    assert!(why.contains("powers of two"), "{why}");
    // Broadcast batch axes ([2, 4, 4] × [4, 8]).
    let mut b = ExactBuilder::default();
    linear(&mut b, &mut rng, 4, 4);
    b.op(Op::Reshape(&[-1, 8]));
    b.op(Op::MatMul {
        a: Some(1),
        b: 2,
        requant: RQ,
    });
    let why = refusal(&b.build(&[Some(2), Some(4), Some(4)]));
    assert!(why.contains("batch"), "{why}");
}

//! `Transpose` proved as a re-indexing of claims (the encoder's head split
//! and merge, `docs/proof-system.md` §9.11.2): honest proofs verify and match
//! the engine bit for bit (padded batch rows included), a malicious prover is
//! rejected in the layers that read transposed values, proof bytes and keys
//! are hostile-safe, a key with another permutation refuses the proof, and
//! transposes the re-indexing cannot express are refused at setup.

use std::sync::OnceLock;

use proptest::prelude::{ProptestConfig, any, prop_assert_eq, proptest};
use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::verify_bytes;
use veris_zk::infer::{Stage, Statement, StatementError, VerifyingKey, VkLimits};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::soundness::never_accepted_in;
use crate::support::Rng;
use crate::support::*;

/// Attention's head split, a `Kᵀ`-style inner transpose, a linear map per
/// head, the head merge and a pointwise layer reading a transpose:
/// `x [N, 4, 16]` → Linear 16→16 → Reshape `[N, 4, 2, 8]` → Transpose
/// (0,2,1,3) → Transpose (0,1,3,2) → Linear 4→4 → Transpose (0,1,3,2) →
/// ReLU → Reshape `[N, 64]` → Linear 64→4.
fn heads_model(seed: u64) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    let mut linear = |b: &mut ExactBuilder, k: u32, n: u32| {
        let (weights, bias, requant) = random_linear(&mut rng, k, n);
        b.op(Op::Linear {
            k,
            n,
            relu: false,
            weights: &weights,
            bias: &bias,
            requant: &requant,
        });
    };
    linear(&mut b, 16, 16);
    b.op(Op::Reshape(&[-1, 4, 2, 8]));
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    b.op(Op::Transpose(&[0, 1, 3, 2]));
    linear(&mut b, 4, 4);
    b.op(Op::Transpose(&[0, 1, 3, 2]));
    b.op(Op::Relu);
    b.op(Op::Reshape(&[-1, 64]));
    linear(&mut b, 64, 4);
    b.build(&[None, Some(4), Some(16)])
}

fn heads() -> &'static (ExactModel, ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ExactModel, ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let model = heads_model(3);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        (model, pk, vk)
    })
}

fn heads_proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (model, pk, _) = heads();
        let proved = prove(pk, model, &random_input(&mut Rng(4), &[1, 4, 16])).expect("prove");
        (proved.statement, proved.proof.encode())
    })
}

#[test]
fn transposed_heads_prove_and_match_the_engine() {
    let (model, pk, vk) = heads();
    let transposes = vk.stages().iter().filter(|s| matches!(s, Stage::Transpose(_))).count();
    assert_eq!(transposes, 3, "{:?}", vk.stages());
    // N = 3 pads the leading axis (rows 12 → 16 of the first table).
    for (seed, n) in [(5, 1), (6, 3), (7, 2)] {
        let input = random_input(&mut Rng(seed), &[n, 4, 16]);
        let proved = prove(pk, model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"), "batch {n}");
        assert_eq!(proved.statement.output.shape, vec![n, 4]);
        verify_bytes::<H>(vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
    }
    let bytes = vk.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
    assert_eq!(&decoded, vk);
    assert_eq!(decoded.encode(), bytes);
}

/// A random chain over `[N, dims..]` (axes 1, 2 or 4 long): Linear 3 → the
/// last axis, Reshape to `[N, dims..]`, one or two random transposes keeping
/// axis 0, Linear over the last axis to 4, Reshape to 2-D, Linear to 3.
fn random_program(seed: u64) -> (ExactModel, Vec<usize>) {
    let mut rng = Rng(seed);
    let dims: Vec<i64> = (0..2 + rng.below(2)).map(|_| 1 << rng.below(3)).collect();
    let rows: i64 = dims[..dims.len() - 1].iter().product();
    let inner: i64 = dims.iter().product();
    let mut b = ExactBuilder::default();
    let linear = |b: &mut ExactBuilder, rng: &mut Rng, k: i64, n: i64| {
        let (weights, bias, requant) = random_linear(rng, k as u32, n as u32);
        b.op(Op::Linear {
            k: k as u32,
            n: n as u32,
            relu: rng.below(2) == 0,
            weights: &weights,
            bias: &bias,
            requant: &requant,
        });
    };
    linear(&mut b, &mut rng, 3, dims[dims.len() - 1]);
    let spec: Vec<i64> = std::iter::once(-1).chain(dims.iter().copied()).collect();
    b.op(Op::Reshape(&spec));
    let mut shape: Vec<i64> = std::iter::once(0).chain(dims.iter().copied()).collect();
    for _ in 0..1 + rng.below(2) {
        let mut perm: Vec<u8> = (1..shape.len() as u8).collect();
        for i in (1..perm.len()).rev() {
            perm.swap(i, rng.below(i as u64 + 1) as usize);
        }
        perm.insert(0, 0);
        shape = perm.iter().map(|&p| shape[usize::from(p)]).collect();
        b.op(Op::Transpose(&perm));
    }
    let last = shape[shape.len() - 1];
    linear(&mut b, &mut rng, last, 4);
    b.op(Op::Reshape(&[-1, inner / last * 4]));
    linear(&mut b, &mut rng, inner / last * 4, 3);
    let batch = 1 + rng.below(3) as usize;
    (
        b.build(&[None, Some(rows as u64), Some(3)]),
        vec![batch, rows as usize, 3],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn random_transposed_chains_prove_and_verify(seed in any::<u64>()) {
        let (model, shape) = random_program(seed);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        let input = random_input(&mut Rng(seed ^ 0x7a), &shape);
        let proved = prove(&pk, &model, &input).expect("prove");
        prop_assert_eq!(&proved.outputs, &model.run(&input).expect("run"));
        prop_assert_eq!(verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()), Ok(()));
    }
}

#[test]
fn malicious_prover_around_transposes_is_rejected() {
    let (model, pk, vk) = heads();
    // Every layer: the ones reading a transpose (Linear 4→4, ReLU) and the ones producing one.
    let runs = never_accepted_in(model, &random_input(&mut Rng(8), &[3, 4, 16]), pk, vk, |_| true);
    assert!(runs >= 4 * 3, "only {runs} tampered runs");
}

#[test]
fn a_key_with_another_permutation_refuses_the_proof() {
    let (_, _, vk) = heads();
    let (statement, proof) = heads_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    let bytes = vk.encode();
    // The first Transpose stage: tag 17, its operand (u32), rank 4, perm (0, 2, 1, 3).
    let needle = [4u8, 0, 2, 1, 3];
    let at = (5..bytes.len() - needle.len())
        .find(|&i| bytes[i - 5] == 17 && bytes[i..i + needle.len()] == needle)
        .expect("perm bytes")
        + 1;
    for perm in [[0u8, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2]] {
        let mut other = bytes.clone();
        other[at..at + 4].copy_from_slice(&perm);
        match VerifyingKey::decode(&other, VkLimits::default()) {
            Ok(key) => assert!(verify_bytes::<H>(&key, statement, proof).is_err(), "perm {perm:?}"),
            Err(e) => panic!("perm {perm:?} is a permutation, the key should decode: {e}"),
        }
    }
    for perm in [[0u8, 1, 1, 3], [0, 2, 1, 4], [9, 2, 1, 3]] {
        let mut other = bytes.clone();
        other[at..at + 4].copy_from_slice(&perm);
        assert!(
            VerifyingKey::decode(&other, VkLimits::default()).is_err(),
            "perm {perm:?}"
        );
    }
}

#[test]
fn mutated_transpose_proofs_and_keys_are_rejected() {
    let (_, _, vk) = heads();
    let (statement, proof) = heads_proof();
    let mut rng = Rng(29);
    let len = proof.len();
    assert_proof_mutations_rejected(vk, statement, proof, &mut rng, 100, &[0, len / 3, len - 1]);
    for_each_decodable_key_mutation(vk, &mut rng, 200, |_, _| {});
}

fn not_provable(model: &ExactModel) -> String {
    match setup::<H>(model, PcsParams::default()) {
        Err(SetupError::Circuit(StatementError::NotYetProvable(why))) => why,
        other => panic!("expected NotYetProvable, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn transposes_the_reindexing_cannot_express_are_refused() {
    let mut rng = Rng(31);
    let (w, bias, rq) = random_linear(&mut rng, 4, 8);
    let (w2, bias2, rq2) = random_linear(&mut rng, 4, 2);
    let lin = |k, n, weights, bias, requant| Op::Linear {
        k,
        n,
        relu: false,
        weights,
        bias,
        requant,
    };
    // Moves an axis of length 3 (not a power of two) behind another.
    let mut b = ExactBuilder::default();
    b.op(lin(4, 8, &w, &bias, &rq));
    b.op(Op::Reshape(&[-1, 3, 2, 4]));
    b.op(Op::Transpose(&[0, 2, 1, 3]));
    b.op(lin(4, 2, &w2, &bias2, &rq2));
    let why = not_provable(&b.build(&[Some(1), Some(3), Some(4)]));
    assert!(why.contains("axis 1") && why.contains("power of two"), "{why}");
    // A transpose of the model input.
    let mut b = ExactBuilder::default();
    b.op(Op::Transpose(&[0, 2, 1]));
    b.op(lin(4, 2, &w2, &bias2, &rq2));
    assert!(not_provable(&b.build(&[Some(1), Some(4), Some(4)])).contains("model input"));
    // A transpose after the last proved layer.
    let mut b = ExactBuilder::default();
    b.op(lin(4, 2, &w2, &bias2, &rq2));
    b.op(Op::Transpose(&[0, 2, 1]));
    assert!(not_provable(&b.build(&[Some(1), Some(4), Some(4)])).contains("after the last"));
}

#[test]
fn swapped_inputs_outputs_and_models_are_rejected() {
    let (model, pk, vk) = heads();
    let (statement, proof) = heads_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    // Another input's statement (same shape), then A's input with B's output and vice versa.
    let other = prove(pk, model, &random_input(&mut Rng(40), &[1, 4, 16])).expect("prove");
    assert_ne!(other.statement.input, statement.input);
    assert_ne!(
        other.statement.output, statement.output,
        "distinct inputs, distinct outputs"
    );
    assert!(
        verify_bytes::<H>(vk, &other.statement, proof).is_err(),
        "another statement"
    );
    let mut swapped = statement.clone();
    swapped.input = other.statement.input.clone();
    assert!(verify_bytes::<H>(vk, &swapped, proof).is_err(), "another input");
    let mut swapped = statement.clone();
    swapped.output = other.statement.output.clone();
    assert!(verify_bytes::<H>(vk, &swapped, proof).is_err(), "another output");
    // The same program with other weights: a proof for A does not verify under B's key.
    let b = heads_model(11);
    assert_ne!(b.id(), model.id());
    let (_, vk_b) = setup::<H>(&b, PcsParams::default()).expect("setup B");
    let mut s = statement.clone();
    s.model_id = vk_b.model_id().to_owned();
    assert!(verify_bytes::<H>(&vk_b, &s, proof).is_err(), "A's proof under B's key");
    assert!(
        verify_bytes::<H>(&vk_b, statement, proof).is_err(),
        "A's statement under B's key"
    );
}

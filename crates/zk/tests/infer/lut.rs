//! Pointwise functions the exact engine computes by table (Sigmoid, Tanh,
//! Erf, Gelu → `Lut`): honest proofs verify and match the engine bit for bit, a
//! malicious prover is rejected in every layer, proof bytes and keys are
//! hostile-safe, and a key with one table entry changed refuses the proof.

use std::sync::OnceLock;

use veris_core::{ModelId, TensorData};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::witness::LayerWitness;
use veris_zk::infer::{Stage, Statement, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::mlp_onnx::{Uniform, activation_mlp};
use crate::soundness::never_accepted_in;
use crate::support::*;

const ACTIVATIONS: [&str; 4] = ["Sigmoid", "Tanh", "Erf", "Gelu"];

fn rows(seed: u64, n: usize) -> veris_core::TensorMap {
    let mut u = Uniform(seed);
    float_input("input", vec![n, 16], (0..n * 16).map(|_| u.next(-2.0, 2.0)).collect())
}

/// The activation MLP compiled at 8 bits on 32 calibration rows, and its keys.
fn keyed(act: &str) -> (ExactModel, ProverKey<H>, VerifyingKey) {
    let onnx = activation_mlp(5, act, &[16, 32, 8, 4]);
    let model = compile(&onnx, ModelId::of_bytes(&onnx), &[rows(1, 32)], Bits::B8).expect("compile");
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    (model, pk, vk)
}

fn sigmoid_keys() -> &'static (ExactModel, ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ExactModel, ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| keyed("Sigmoid"))
}

fn sigmoid_proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (model, pk, _) = sigmoid_keys();
        let proved = prove(pk, model, &rows(9, 3)).expect("prove");
        (proved.statement, proved.proof.encode())
    })
}

#[test]
fn tabulated_activations_prove_and_match_the_engine() {
    for act in ACTIVATIONS {
        let (model, pk, vk) = &keyed(act);
        let luts = vk.stages().iter().filter(|s| matches!(s, Stage::Lut(_))).count();
        assert_eq!(luts, 2, "{act}: both activations compile to Lut stages");
        for (seed, n) in [(2, 1), (3, 3), (4, 5)] {
            let input = rows(seed, n);
            let proved = prove(pk, model, &input).expect("prove");
            let engine = model.run(&input).expect("run");
            let TensorData::Int8(y) = engine.quantized["y"].data() else {
                panic!("int8 output")
            };
            let y: Vec<i64> = y.iter().map(|&v| i64::from(v)).collect();
            assert_eq!(proved.statement.output.data, y, "{act}: statement = engine output");
            verify_bytes::<H>(vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
        }
        let bytes = vk.encode();
        let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
        assert_eq!(&decoded, vk);
        assert_eq!(decoded.encode(), bytes);
    }
}

#[test]
fn malicious_prover_on_lut_layers_is_rejected() {
    for act in ["Sigmoid", "Tanh"] {
        let (model, pk, vk) = keyed(act);
        let runs = never_accepted_in(&model, &rows(6, 3), &pk, &vk, |w| {
            matches!(w, LayerWitness::Pointwise(_))
        });
        assert!(runs >= 2 * 2 * 3, "{act}: only {runs} tampered runs");
    }
}

#[test]
fn a_key_with_one_table_entry_changed_refuses_the_proof() {
    let (_, _, vk) = sigmoid_keys();
    let (statement, proof) = sigmoid_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    let Some((index, Stage::Lut(lut))) = vk.stages().iter().enumerate().find(|(_, s)| matches!(s, Stage::Lut(_)))
    else {
        panic!("a Lut stage")
    };
    // The first Lut stage's encoding: tag 16, the u32 value it reads, then its 256 entries as i8.
    let mut needle = vec![16u8];
    needle.extend(vk.operands()[index][0].to_le_bytes());
    needle.extend(lut.table.iter().map(|&v| v as i8 as u8));
    let bytes = vk.encode();
    let at = 5 + bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("table bytes");
    for entry in [0usize, 128, 255] {
        let mut other = bytes.clone();
        let v = lut.table[entry];
        other[at + entry] = (if v < 127 { v + 1 } else { 126 }) as i8 as u8;
        let other = VerifyingKey::decode(&other, VkLimits::default()).expect("still a valid key");
        let Some(Stage::Lut(changed)) = other.stages().iter().find(|s| matches!(s, Stage::Lut(_))) else {
            panic!("a Lut stage")
        };
        assert_ne!(changed.table[entry], v);
        assert!(verify_bytes::<H>(&other, statement, proof).is_err(), "entry {entry}");
    }
}

#[test]
fn mutated_lut_proofs_are_rejected() {
    let (_, _, vk) = sigmoid_keys();
    let (statement, proof) = sigmoid_proof();
    let len = proof.len();
    assert_proof_mutations_rejected(vk, statement, proof, &mut Rng(17), 150, &[0, 12, len / 2, len - 1]);
}

#[test]
fn hostile_lut_keys_decode_to_errors_or_consistent_keys() {
    let (_, _, vk) = sigmoid_keys();
    for_each_decodable_key_mutation(vk, &mut Rng(23), 200, |_, _| {});
    let bytes = vk.encode();
    for cut in (0..bytes.len()).step_by(7) {
        assert!(VerifyingKey::decode(&bytes[..cut], VkLimits::default()).is_err());
    }
}

//! LeNet-5 (`models/lenet5`): its first Linear layer reads the flattened
//! `16 × 5 × 5` grid of the last pool, whose `H` and `W` are not powers of
//! two, through weights laid out over the padded `16 × 8 × 8` grid
//! (`docs/proof-system.md` §9.8). Held-out images prove and verify end to
//! end; mutated proofs and keys are refused. (The malicious-prover harness
//! runs on a small CNN with the same layer shape: `cnn.rs`.)

use std::sync::OnceLock;

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::{Stage, Statement, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::cnn_support::{f32s, read_json_in};
use crate::support::*;

const LENET5_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/lenet5");
const PIXELS: usize = 32 * 32;

/// LeNet-5 compiled at 8 bits on its 32 calibration images, once per binary.
fn lenet5() -> &'static ExactModel {
    static MODEL: OnceLock<ExactModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(format!("{LENET5_DIR}/lenet5.onnx")).expect("read lenet5");
        let rows = read_json_in(LENET5_DIR, "calibration.json");
        let rows = rows.as_array().expect("calibration rows");
        let data: Vec<f32> = rows.iter().flat_map(|r| f32s(&r["input"])).collect();
        let calib = float_input("input", vec![rows.len(), 1, 32, 32], data);
        compile(&bytes, ModelId::of_bytes(&bytes), &[calib], Bits::B8).expect("compile lenet5")
    })
}

fn lenet5_keys() -> &'static (ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| setup::<H>(lenet5(), PcsParams::default()).expect("lenet5 setup"))
}

/// The held-out samples of `samples.json` (`[1, 1, 32, 32]` images) with their labels.
fn lenet5_samples() -> Vec<(TensorMap, usize)> {
    let samples = read_json_in(LENET5_DIR, "samples.json");
    let samples = samples.as_array().expect("samples");
    samples
        .iter()
        .map(|s| {
            let image = f32s(&s["input"]["input"]);
            assert_eq!(image.len(), PIXELS);
            let label = s["label"].as_u64().expect("label") as usize;
            (float_input("input", vec![1, 1, 32, 32], image), label)
        })
        .collect()
}

fn lenet5_proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (input, _) = lenet5_samples().remove(0);
        let proved = prove(&lenet5_keys().0, lenet5(), &input).expect("prove lenet5");
        (proved.statement, proved.proof.encode())
    })
}

#[test]
fn lenet5_key_reads_the_pooled_grid_and_round_trips() {
    let (_, vk) = lenet5_keys();
    let grids: Vec<Option<[u32; 3]>> = vk
        .stages()
        .iter()
        .filter_map(|s| match s {
            Stage::Linear(l) => Some(l.input_grid),
            _ => None,
        })
        .collect();
    assert_eq!(grids, [Some([16, 5, 5]), None, None]);
    let bytes = vk.encode();
    assert_eq!(&VerifyingKey::decode(&bytes, VkLimits::default()).expect("decodes"), vk);
}

#[test]
fn lenet5_int8_classifies_every_sample() {
    // The CLI test proves sample 0 and checks its printed prediction.
    for (i, (input, label)) in lenet5_samples().iter().enumerate() {
        let out = lenet5().run(input).expect("engine run");
        let logits = out.dequantized["logits"].as_f32().expect("float logits").to_vec();
        let best = (0..10)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .expect("ten logits");
        assert_eq!(best, *label, "sample {i}: {logits:?}");
    }
}

#[test]
fn lenet5_proves_held_out_images_end_to_end() {
    let (pk, vk) = lenet5_keys();
    let mut correct = 0;
    let samples = lenet5_samples();
    for (input, label) in &samples[1..4] {
        let proved = prove(pk, lenet5(), input).expect("prove");
        assert_eq!(proved.outputs, lenet5().run(input).expect("engine run"));
        assert_eq!(proved.statement.output.shape, vec![1, 10]);
        let bytes = proved.proof.encode();
        verify_bytes::<H>(vk, &proved.statement, &bytes).expect("verifies");
        let mut other = proved.statement.clone();
        let logit = other.output.data[3];
        other.output.data[3] = if logit == 127 { 126 } else { logit + 1 };
        assert!(
            verify_bytes::<H>(vk, &other, &bytes).is_err(),
            "altered output accepted"
        );
        let out = &proved.statement.output.data;
        let best = (0..10).max_by_key(|&i| out[i]).expect("ten logits");
        correct += usize::from(best == *label);
    }
    assert!(correct >= 2, "{correct}/3 held-out images classified correctly");
}

#[test]
fn mutated_lenet5_proofs_and_keys_are_refused() {
    let (_, vk) = lenet5_keys();
    let (statement, proof) = lenet5_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest proof verifies");
    let mut rng = Rng(55);
    let len = proof.len();
    assert_proof_mutations_rejected(vk, statement, proof, &mut rng, 200, &[0, 12, len / 2, len - 1]);
    let mut decoded = 0;
    for_each_decodable_key_mutation(vk, &mut rng, 200, |pos, k| {
        decoded += 1;
        assert!(
            verify_bytes::<H>(k, statement, proof).is_err(),
            "mutated key at byte {pos}"
        );
    });
    eprintln!("{decoded} of 200 mutated keys decoded (all rejected the proof)");
}

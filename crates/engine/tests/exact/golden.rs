//! Bit-exactness: repeated runs, threads, batching, and golden vectors.
//!
//! `tests/fixtures/exact-golden.json` pins, per bit width, the id of the
//! compiled digits model (its canonical encoding) and the sha256 of the
//! quantized outputs for the 8 inputs of `samples.json`; and the same for the
//! LeNet and ResNet CNNs on their whole held-out batch (large enough that
//! the GEMM runs packed, tiled and on several threads). A change to any is a
//! change of format or semantics. `scripts/exactness.sh` checks the same
//! vectors in release builds for the baseline and the native CPU target.
//! Regenerate deliberately with
//! `cargo test -p veris-engine --test exact -- --ignored regenerate_golden`.

use std::sync::Arc;

use serde_json::{Value, json};
use veris_core::digest::sha256;
use veris_core::tensor_codec;
use veris_engine::exact::{Bits, SEMANTICS_VERSION};

use crate::cnn_models::{Data, compiled, lenet, resnet};
use crate::common::*;

const GOLDEN: &str = "exact-golden.json";

fn outputs_digest(bits: Bits) -> String {
    let m = digits_exact(bits);
    let encoded: Vec<Vec<u8>> = samples()
        .iter()
        .map(|(_, input)| tensor_codec::encode(&m.run(input).unwrap().quantized))
        .collect();
    let parts: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    sha256(&parts).to_string()
}

/// `{model_id, outputs_sha256}` of a CNN on its whole held-out batch.
fn cnn_entry(d: &Data, bits: Bits) -> Value {
    let m = compiled(d, bits);
    let out = tensor_codec::encode(&m.run(&d.input).unwrap().quantized);
    json!({
        "model_id": m.id().to_string(),
        "heldout_outputs_sha256": sha256(&[&out]).to_string(),
    })
}

fn current() -> Value {
    let entry = |bits: Bits| {
        json!({
            "model_id": digits_exact(bits).id().to_string(),
            "encoding_bytes": digits_exact(bits).encode().len(),
            "samples_outputs_sha256": outputs_digest(bits),
        })
    };
    json!({
        "semantics_version": SEMANTICS_VERSION,
        "model": "models/digits/digits-mlp.onnx",
        "calibration": "models/digits/calibration.json",
        "b8": entry(Bits::B8),
        "b16": entry(Bits::B16),
        "lenet_b8": cnn_entry(lenet(), Bits::B8),
        "lenet_b16": cnn_entry(lenet(), Bits::B16),
        "resnet_b8": cnn_entry(resnet(), Bits::B8),
        "resnet_b16": cnn_entry(resnet(), Bits::B16),
    })
}

#[test]
fn golden_vectors_match() {
    let text = String::from_utf8(fixture(GOLDEN)).unwrap();
    let golden: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(current(), golden, "exact semantics or encoding changed");
}

#[test]
#[ignore = "regenerates tests/fixtures/exact-golden.json"]
fn regenerate_golden() {
    let text = serde_json::to_string_pretty(&current()).unwrap() + "\n";
    std::fs::write(format!("{FIXTURES_DIR}/{GOLDEN}"), text).unwrap();
}

#[test]
fn repeated_runs_give_identical_bytes() {
    let m = digits_exact(Bits::B8);
    let (labels, data) = heldout();
    let input = input_map(labels.len(), data);
    let first = tensor_codec::encode(&m.run(&input).unwrap().quantized);
    for _ in 0..3 {
        assert_eq!(tensor_codec::encode(&m.run(&input).unwrap().quantized), first);
    }
}

#[test]
fn threads_and_batching_do_not_change_a_bit() {
    for bits in [Bits::B8, Bits::B16] {
        let m = Arc::new(digits_exact(bits).clone());
        let (labels, data) = heldout();
        let rows = labels.len();
        let batch = m.run(&input_map(rows, data.clone())).unwrap();
        let batch_q = tensor_codec::encode(&batch.quantized);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (m, data) = (m.clone(), data.clone());
                std::thread::spawn(move || tensor_codec::encode(&m.run(&input_map(rows, data)).unwrap().quantized))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), batch_q);
        }
        // Row by row equals the batch, exactly (integer rows are independent).
        let q = &batch.quantized["logits"];
        for i in (0..rows).step_by(37) {
            let one = m.run(&input_map(1, data[i * 64..][..64].to_vec())).unwrap();
            let row = &one.quantized["logits"];
            assert_eq!(row.dtype(), q.dtype());
            assert_eq!(slice_row(row.data(), 0), slice_row(q.data(), i), "row {i}");
        }
    }
}

fn slice_row(d: &veris_core::TensorData, i: usize) -> Vec<i64> {
    match d {
        veris_core::TensorData::Int8(v) => v[i * 10..][..10].iter().map(|&x| i64::from(x)).collect(),
        veris_core::TensorData::Int32(v) => v[i * 10..][..10].iter().map(|&x| i64::from(x)).collect(),
        _ => panic!("dtype"),
    }
}

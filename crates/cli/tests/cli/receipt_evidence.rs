//! `veris verify-evidence` on evidence against plain `exact` receipts
//! (format 2): checked offline, and replayed with the model file to settle
//! who lied.

use serde_json::Value;
use veris_core::any_evidence::AnyEvidence;
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};
use veris_core::{Mode, OperatorKey, Receipt, Statement, TensorData};

use crate::common::{p, samples};
use crate::infer::with_digits;

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).unwrap()
}

/// `receipt`'s computation signed by `key` with the first output element nudged.
fn lie(receipt: &Receipt, key: &OperatorKey, nonce: u8) -> ReceiptClaim {
    let mut outputs = receipt.outputs.clone();
    for tensor in outputs.values_mut() {
        let (shape, mut data) = tensor.clone().into_parts();
        match &mut data {
            TensorData::Float32(v) => v[0] += 1.0,
            TensorData::Int64(v) => v[0] += 1,
            _ => {}
        }
        *tensor = veris_core::Tensor::new("y", shape, data).unwrap();
    }
    let statement = Statement {
        model: receipt.model,
        engine: receipt.engine.clone(),
        inputs: receipt.inputs.clone().unwrap(),
        outputs,
        timestamp_ms: receipt.timestamp_ms + 1,
        nonce: veris_core::Nonce([nonce; 32]),
    };
    ReceiptClaim::of(&Receipt::sign_as(Mode::Exact, statement, key, false))
}

#[test]
fn receipt_evidence_verifies_offline_and_the_replay_settles_it() {
    let h = with_digits();
    let calibration: Vec<Value> = samples().iter().map(|s| s["input"].clone()).collect();
    let cal = h.write_json("calibration.json", &Value::Array(calibration));
    let compiled = h
        .veris(&["--json", "model", "compile", "digits", "--calibration", p(&cal)])
        .json();
    let id = compiled["id"].as_str().unwrap().to_string();
    let (receipt_file, model) = (h.file("exact.json"), h.file("exact.veris"));
    let input = h.sample_input(0);
    h.veris(&[
        "infer",
        &id,
        "--mode",
        "exact",
        "--input",
        p(&input),
        "--out",
        p(&receipt_file),
    ])
    .ok();
    h.veris(&["model", "get", &id, "-o", p(&model)]).ok();
    let receipt: Receipt = serde_json::from_slice(&std::fs::read(&receipt_file).unwrap()).unwrap();
    let honest = ReceiptClaim::of(&receipt);
    let liar = key(9);

    // The liar's receipt against the honest node's receipt as a signed replay.
    let evidence = AnyEvidence::from(ReceiptEvidence::new(
        lie(&receipt, &liar, 1),
        honest.clone(),
        Some(honest.output_digest),
        receipt.inputs.clone(),
    ));
    let file = h.write_json("evidence.json", &serde_json::to_value(&evidence).unwrap());
    let text = h.veris(&["verify-evidence", p(&file)]).ok().to_string();
    assert!(text.contains(&format!("wrong_output: {}", liar.address())), "{text}");
    let doc = h
        .veris(&["--json", "verify-evidence", p(&file), "--model-file", p(&model)])
        .json();
    assert_eq!(doc["ok"], true, "{doc}");
    assert_eq!(doc["id"], evidence.id().to_string());
    assert_eq!(doc["replay"]["accused_wrong"], true, "{doc}");
    assert_eq!(doc["replay"]["witness_wrong"], false, "{doc}");

    // Framed: the honest receipt accused, the lie as the "replay". It
    // verifies offline (two signed receipts conflict), the replay exposes it.
    let framed = AnyEvidence::from(ReceiptEvidence::new(
        honest.clone(),
        lie(&receipt, &liar, 1),
        Some(lie(&receipt, &liar, 1).output_digest),
        receipt.inputs.clone(),
    ));
    let framed = h.write_json("framed.json", &serde_json::to_value(&framed).unwrap());
    h.veris(&["verify-evidence", p(&framed)]).ok();
    let line = h
        .veris(&["verify-evidence", p(&framed), "--model-file", p(&model)])
        .fails(1)
        .to_string();
    assert!(line.contains("the evidence is false"), "{line}");

    // Equivocation: the liar signed two outputs for the same input.
    let twice = ReceiptClaim::of(&Receipt::sign_as(
        Mode::Exact,
        Statement {
            model: receipt.model,
            engine: receipt.engine.clone(),
            inputs: receipt.inputs.clone().unwrap(),
            outputs: receipt.outputs.clone(),
            timestamp_ms: receipt.timestamp_ms + 2,
            nonce: veris_core::Nonce([2; 32]),
        },
        &liar,
        false,
    ));
    let equivocation = AnyEvidence::from(ReceiptEvidence::new(lie(&receipt, &liar, 1), twice, None, None));
    let eq_file = h.write_json("equivocation.json", &serde_json::to_value(&equivocation).unwrap());
    let doc = h.veris(&["--json", "verify-evidence", p(&eq_file)]).json();
    assert_eq!(doc["verdict"]["kind"], "equivocation", "{doc}");
    assert_eq!(doc["conclusive"], true);

    // Tampered after signing: refused (exit 1), garbage is bad input (exit 2).
    let mut tampered = serde_json::to_value(&evidence).unwrap();
    tampered["accused"]["timestamp_ms"] = Value::from(1u64);
    let bad = h.write_json("tampered.json", &tampered);
    let line = h.veris(&["verify-evidence", p(&bad)]).fails(1).to_string();
    assert!(line.contains("accused receipt is invalid"), "{line}");
    let junk = h.write_json("junk.json", &serde_json::json!({"format": 2, "accused": 1}));
    h.veris(&["verify-evidence", p(&junk)]).fails(2);
}

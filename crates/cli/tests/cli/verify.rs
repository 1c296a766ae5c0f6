//! `veris verify` on the embedded node: honest receipts pass, tampered
//! ones fail with exit code 1.

use std::path::PathBuf;

use serde_json::Value;
use veris_core::ModelId;

use crate::common::{Home, model_file, p};
use crate::infer::with_digits;

/// A home with `digits` and a receipt for sample 0 (`receipt.json`).
fn with_receipt(extra: &[&str]) -> (Home, PathBuf) {
    let h = with_digits();
    let input = h.sample_input(0);
    let receipt = h.file("receipt.json");
    let mut args = vec!["infer", "digits", "--input", p(&input), "--out", p(&receipt)];
    args.extend(extra);
    h.veris(&args).ok();
    (h, receipt)
}

fn read(path: &PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn an_honest_receipt_verifies_offline_and_by_replay() {
    let (h, receipt) = with_receipt(&[]);
    let text = h.veris(&["verify", p(&receipt)]).ok().to_string();
    assert!(text.contains("✓ signature: "), "{text}");
    assert!(!text.contains('✗') && !text.contains("replay"), "{text}");
    assert!(text.trim_end().ends_with("verified"), "{text}");

    let text = h.veris(&["verify", p(&receipt), "--replay"]).ok().to_string();
    assert!(text.contains("✓ replay: "), "{text}");

    let report = h.veris(&["--json", "verify", p(&receipt), "--replay"]).json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["receipt_id"].as_str().unwrap().len(), 66);
    assert_eq!(report["checks"].as_array().unwrap().last().unwrap()["name"], "replay");

    let model = model_file();
    let text = h
        .veris(&["verify", p(&receipt), "--replay", "--model-file", p(&model)])
        .ok()
        .to_string();
    assert!(text.contains("✓ replay: "), "{text}");
}

/// Writes a tampered copy of the receipt; asserts that verify exits 1 and
/// that `check` is among the failed checks.
fn assert_tamper_detected(h: &Home, receipt: &PathBuf, name: &str, check: &str, tamper: impl Fn(&mut Value)) {
    let mut value = read(receipt);
    tamper(&mut value);
    let tampered = h.write_json(&format!("{name}.json"), &value);
    for replay in [false, true] {
        let mut args = vec!["verify", p(&tampered)];
        if replay {
            args.push("--replay");
        }
        let out = h.veris(&args);
        let line = out.fails(1);
        assert!(line.contains("verification failed"), "{name}: {line}");
        assert!(out.stdout.contains(&format!("✗ {check}: ")), "{name}: {out:?}");
        assert!(out.stdout.contains("NOT verified"), "{name}: {out:?}");
    }
}

#[test]
fn tampered_receipts_fail_verification() {
    let (h, receipt) = with_receipt(&[]);
    assert_tamper_detected(&h, &receipt, "output", "output_digest", |r| {
        let x = &mut r["outputs"]["logits"]["data"][2];
        *x = Value::from(x.as_f64().unwrap() + 1.0);
    });
    assert_tamper_detected(&h, &receipt, "model", "signature", |r| {
        r["model"] = Value::from(ModelId::of_bytes(b"another model").to_string());
    });
    assert_tamper_detected(&h, &receipt, "signature", "signature", |r| {
        let sig = r["evidence"]["signature"].as_str().unwrap();
        let mut chars: Vec<char> = sig.chars().collect();
        chars[20] = if chars[20] == '0' { '1' } else { '0' };
        r["evidence"]["signature"] = Value::from(chars.into_iter().collect::<String>());
    });
    assert_tamper_detected(&h, &receipt, "input", "input_digest", |r| {
        r["inputs"]["input"]["data"][0] = Value::from(0.5);
    });
}

#[test]
fn replay_of_a_receipt_without_inputs_needs_them() {
    let (h, receipt) = with_receipt(&["--no-embed-inputs"]);
    h.veris(&["verify", p(&receipt)]).ok();
    let out = h.veris(&["verify", p(&receipt), "--replay"]);
    out.fails(1);
    assert!(out.stdout.contains("✗ replay: "), "{out:?}");
    let input = h.sample_input(0);
    h.veris(&["verify", p(&receipt), "--replay", "--input", p(&input)]).ok();
    let other = h.sample_input(1);
    h.veris(&["verify", p(&receipt), "--replay", "--input", p(&other)])
        .fails(1);
}

#[test]
fn replay_with_another_model_file_fails() {
    let (h, receipt) = with_receipt(&[]);
    let junk = h.file("other.onnx");
    std::fs::write(&junk, b"not the model").unwrap();
    let out = h.veris(&["verify", p(&receipt), "--replay", "--model-file", p(&junk)]);
    out.fails(1);
    assert!(out.stdout.contains("✗ replay: the model file is not model"), "{out:?}");
}

#[test]
fn a_file_that_is_not_a_receipt_is_bad_input() {
    let (h, _) = with_receipt(&[]);
    let input = h.sample_input(0);
    let line = h.veris(&["verify", p(&input)]).fails(2).to_string();
    assert!(line.contains("is not a Veris receipt"), "{line}");
    h.veris(&["verify", p(&h.file("absent.json"))]).fails(2);
}

//! `veris model compile` and `veris infer --mode exact` on the embedded node.

use serde_json::Value;

use crate::common::{p, samples};
use crate::infer::with_digits;

#[test]
fn compiled_models_give_exact_receipts_that_replay() {
    let h = with_digits();
    let calibration: Vec<Value> = samples().iter().map(|s| s["input"].clone()).collect();
    let cal = h.write_json("calibration.json", &Value::Array(calibration));
    let compiled = h
        .veris(&["--json", "model", "compile", "digits", "--calibration", p(&cal)])
        .json();
    assert_eq!(compiled["model"]["name"], "digits-int8");
    assert_eq!(compiled["bits"], 8);
    let id = compiled["id"].as_str().unwrap().to_string();

    let receipt = h.file("exact.json");
    let input = h.sample_input(0);
    let out = h
        .veris(&[
            "infer",
            &id,
            "--mode",
            "exact",
            "--input",
            p(&input),
            "--out",
            p(&receipt),
        ])
        .ok()
        .to_string();
    assert!(out.contains(&format!("prediction: {}", samples()[0]["label"])), "{out}");
    let text = h.veris(&["verify", p(&receipt), "--replay"]).ok().to_string();
    assert!(
        text.contains("✓ mode: mode exact") && text.contains("✓ replay: "),
        "{text}"
    );

    let mut lie: Value = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    lie["outputs"]["logits"]["data"][3] = serde_json::json!(42.0);
    let lie_file = h.write_json("lie.json", &lie);
    h.veris(&["verify", p(&lie_file), "--replay"]).fails(1);
}

#[test]
fn compile_without_calibration_warns_and_bad_requests_fail() {
    let h = with_digits();
    let run = h.veris(&["model", "compile", "digits", "--bits", "16"]);
    run.ok();
    assert!(run.stderr.contains("warning: no calibration set given"), "{run:?}");
    assert_eq!(
        h.veris(&["--json", "model", "show", "digits-int16"]).json()["format"],
        "veris-exact"
    );
    assert_eq!(h.veris(&["model", "compile", "digits", "--bits", "4"]).code, Some(2));
    let line = h.veris(&["model", "compile", "digits-int16"]).fails(2).to_string();
    assert!(line.contains("only float ONNX models"), "{line}");
    let input = h.sample_input(1);
    let line = h
        .veris(&["infer", "digits", "--mode", "exact", "--input", p(&input)])
        .fails(2)
        .to_string();
    assert!(line.contains("compile it first"), "{line}");
}

//! `veris infer` on the embedded node.

use serde_json::{Value, json};

use crate::common::{Home, model_file, p, samples};

/// A home with the bundled model added as `digits`.
pub fn with_digits() -> Home {
    let h = Home::new();
    h.veris(&["model", "add", p(&model_file()), "--name", "digits"]).ok();
    h
}

#[test]
fn infer_prints_the_prediction_and_writes_the_receipt() {
    let h = with_digits();
    let input = h.sample_input(0);
    let receipt = h.file("receipt.json");
    let out = h.veris(&["infer", "digits", "--input", p(&input), "--out", p(&receipt)]);
    let text = out.ok();
    assert!(text.contains("logits: float32[1, 10] ["), "{text}");
    assert!(text.contains("prediction: 2\n"), "{text}");
    let written: Value = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    assert_eq!(written["mode"], "signed");
    assert_eq!(written["inputs"], samples()[0]["input"]);
    let id = written["evidence"]["signature"].as_str().unwrap();
    assert!(id.starts_with("0x") && id.len() == 132, "{id}");
}

#[test]
fn json_output_is_the_inference_response_and_every_sample_is_right() {
    let h = with_digits();
    for (i, sample) in samples().iter().enumerate() {
        let input = h.sample_input(i);
        let response = h
            .veris(&["--json", "infer", "digits", "-i", p(&input), "--mode", "signed"])
            .json();
        let logits: Vec<f64> = response["outputs"]["logits"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(logits.len(), 10);
        let predicted = (0..10).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
        assert_eq!(json!(predicted), sample["label"], "sample {i}");
        assert_eq!(response["receipt"]["model"], response["model"]);
        assert!(response["receipt_id"].as_str().unwrap().starts_with("0x"));
    }
}

#[test]
fn no_embed_inputs_leaves_them_out_of_the_receipt() {
    let h = with_digits();
    let input = h.sample_input(1);
    let response = h
        .veris(&["--json", "infer", "digits", "-i", p(&input), "--no-embed-inputs"])
        .json();
    assert!(response["receipt"].get("inputs").is_none(), "{response}");
    assert!(response["receipt"]["input_digest"].is_string());
}

#[test]
fn bad_inputs_are_refused_with_a_reason_naming_the_problem() {
    let h = with_digits();
    let mut renamed = samples()[0]["input"].clone();
    let tensor = renamed.as_object_mut().unwrap().remove("input").unwrap();
    renamed["pixels"] = tensor;
    let wrong_name = h.write_json("wrong-name.json", &renamed);
    let line = h
        .veris(&["infer", "digits", "--input", p(&wrong_name)])
        .fails(2)
        .to_string();
    assert!(line.contains("`pixels`"), "{line}");

    let wrong_shape = h.write_json(
        "wrong-shape.json",
        &json!({"input": {"dtype": "float32", "shape": [1, 3], "data": [0.0, 0.5, 1.0]}}),
    );
    let line = h
        .veris(&["infer", "digits", "--input", p(&wrong_shape)])
        .fails(2)
        .to_string();
    assert!(line.contains("expected shape [N, 64]"), "{line}");

    let malformed = h.file("malformed.json");
    std::fs::write(&malformed, b"{\"input\": [0.0, 1.0").unwrap();
    let line = h
        .veris(&["infer", "digits", "--input", p(&malformed)])
        .fails(2)
        .to_string();
    assert!(line.contains("malformed.json is not a JSON inputs file"), "{line}");

    let missing = h.file("missing.json");
    let line = h
        .veris(&["infer", "digits", "--input", p(&missing)])
        .fails(2)
        .to_string();
    assert!(line.contains("missing.json"), "{line}");
}

#[test]
fn inference_on_an_unknown_model_fails() {
    let h = with_digits();
    let input = h.sample_input(0);
    let line = h.veris(&["infer", "nosuch", "--input", p(&input)]).fails(2).to_string();
    assert!(line.contains("nosuch"), "{line}");
}

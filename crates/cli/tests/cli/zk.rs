//! `veris prove`, `veris infer --mode zk`, `veris model vk` and `veris verify`
//! on zk receipts, embedded and against a node.

use serde_json::{Value, json};

use crate::common::{Home, p, samples};
use crate::infer::with_digits;

/// Compiles `digits` to `digits-int8` on the calibration samples; returns the compile response.
fn compile(h: &Home, url: Option<&str>) -> Value {
    let calibration: Vec<Value> = samples().iter().map(|s| s["input"].clone()).collect();
    let cal = h.write_json("calibration.json", &Value::Array(calibration));
    let args = ["--json", "model", "compile", "digits", "--calibration", p(&cal)];
    match url {
        Some(url) => h.remote(url, &args).json(),
        None => h.veris(&args).json(),
    }
}

#[test]
fn proofs_verify_without_the_weights_and_lies_are_rejected() {
    let h = with_digits();
    let compiled = compile(&h, None);
    let key_id = compiled["model"]["verifying_key"]
        .as_str()
        .expect("a verifying key id")
        .to_string();

    let input = h.sample_input(0);
    let proof = h.file("proof.json");
    let run = h.veris(&["prove", "digits-int8", "--input", p(&input), "--out", p(&proof)]);
    let text = run.ok();
    assert!(
        text.contains(&format!("prediction: {}", samples()[0]["label"])),
        "{text}"
    );
    assert!(text.contains(&format!("verifying key {key_id}")), "{text}");
    let receipt: Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(receipt["mode"], "zk");
    assert_eq!(receipt["evidence"]["kind"], "zk");

    let text = h.veris(&["verify", p(&proof)]).ok().to_string();
    assert!(
        text.contains("✓ verifying_key: ") && text.contains("✓ proof: "),
        "{text}"
    );

    let vk = h.file("digits.vk");
    let doc = h
        .veris(&["--json", "model", "vk", "digits-int8", "--out", p(&vk)])
        .json();
    assert_eq!(doc["verifying_key"], key_id.as_str());

    // A verifier that holds nothing but the receipt and the key.
    let stranger = Home::new();
    let copy = stranger.write_json("proof.json", &receipt);
    let text = stranger.veris(&["verify", p(&copy)]).fails(1).to_string();
    assert!(text.contains("1 of"), "{text}");
    let run = stranger.veris(&["verify", p(&copy)]);
    assert!(
        run.stdout.contains("✗ verifying_key: no trusted verifying key"),
        "{run:?}"
    );
    let text = stranger.veris(&["verify", p(&copy), "--vk", p(&vk)]).ok().to_string();
    assert!(text.contains("✓ proof: zero-knowledge proof verified"), "{text}");

    // A key for another model (same network, other calibration) is refused.
    h.veris(&["model", "compile", "digits", "--name", "other"]).ok();
    let other_vk = h.file("other.vk");
    h.veris(&["model", "vk", "other", "--out", p(&other_vk)]).ok();
    let run = stranger.veris(&["verify", p(&copy), "--vk", p(&other_vk)]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("is not the trusted key"), "{run:?}");

    // A proof with one byte changed is refused.
    let mut bad = receipt.clone();
    let b64 = bad["evidence"]["proof"]["proof"].as_str().unwrap().to_string();
    let mid = b64.len() / 2;
    let flipped = if &b64[mid..mid + 1] == "A" { "B" } else { "A" };
    bad["evidence"]["proof"]["proof"] = Value::String(format!("{}{flipped}{}", &b64[..mid], &b64[mid + 1..]));
    let bad_file = stranger.write_json("bad.json", &bad);
    let run = stranger.veris(&["verify", p(&bad_file), "--vk", p(&vk)]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("✗ proof: proof rejected"), "{run:?}");
}

#[test]
fn zk_mode_needs_a_provable_exact_model() {
    let h = with_digits();
    let input = h.sample_input(1);
    let line = h
        .veris(&["infer", "digits", "--mode", "zk", "--input", p(&input)])
        .fails(2)
        .to_string();
    assert!(line.contains("compile it first"), "{line}");
    let run = h.veris(&["model", "compile", "digits", "--bits", "16"]);
    run.ok();
    assert!(
        run.stderr.contains("warning: no zero-knowledge proofs for this model"),
        "{run:?}"
    );
    let line = h
        .veris(&["prove", "digits-int16", "--input", p(&input)])
        .fails(2)
        .to_string();
    assert!(line.contains("cannot be proved yet"), "{line}");
    h.veris(&["model", "vk", "digits"]).fails(2);
}

#[test]
fn a_node_proves_and_vouches_for_its_keys() {
    let h = Home::new();
    let node = h.start_node();
    let url = node.url.clone();
    h.remote(
        &url,
        &["model", "add", p(&crate::common::model_file()), "--name", "digits"],
    )
    .ok();
    let compiled = compile(&h, Some(&url));
    let input = h.sample_input(2);
    let proof = h.file("proof.json");
    h.remote(
        &url,
        &[
            "infer",
            "digits-int8",
            "--mode",
            "zk",
            "--input",
            p(&input),
            "--out",
            p(&proof),
        ],
    )
    .ok();
    let text = h.remote(&url, &["verify", p(&proof), "--replay"]).ok().to_string();
    assert!(text.contains("✓ proof: ") && text.contains("✓ replay: "), "{text}");
    let doc = h.remote(&url, &["--json", "model", "vk", "digits-int8"]).json();
    assert_eq!(doc["verifying_key"], compiled["model"]["verifying_key"]);
    node.stop();
}

/// Adds `models/{dir}/{dir}.onnx`, compiles it on its calibration file, proves
/// its first sample with `veris prove` and verifies the receipt with `veris verify`.
fn cnn_proves_and_verifies(dir: &str) {
    let models = format!("{}/../../models/{dir}", env!("CARGO_MANIFEST_DIR"));
    let h = Home::new();
    h.veris(&["model", "add", &format!("{models}/{dir}.onnx"), "--name", dir])
        .ok();
    let compiled = h
        .veris(&[
            "--json",
            "model",
            "compile",
            dir,
            "--calibration",
            &format!("{models}/calibration.json"),
        ])
        .json();
    assert!(compiled["model"]["verifying_key"].is_string(), "{compiled}");
    let samples: Value = serde_json::from_slice(&std::fs::read(format!("{models}/samples.json")).unwrap()).unwrap();
    let input = h.write_json("input.json", &samples[0]["input"]);
    let proof = h.file("proof.json");
    let text = h
        .veris(&[
            "prove",
            &format!("{dir}-int8"),
            "--input",
            p(&input),
            "--out",
            p(&proof),
        ])
        .ok()
        .to_string();
    assert!(text.contains(&format!("prediction: {}", samples[0]["label"])), "{text}");
    let text = h.veris(&["verify", p(&proof)]).ok().to_string();
    assert!(text.contains("✓ proof: zero-knowledge proof verified"), "{text}");
}

#[test]
fn a_cnn_proves_and_verifies_through_the_cli() {
    cnn_proves_and_verifies("lenet");
}

/// LeNet-5's first Linear layer reads a `16 × 5 × 5` grid (not a power of two per axis).
#[test]
fn lenet5_proves_and_verifies_through_the_cli() {
    cnn_proves_and_verifies("lenet5");
}

/// The BERT-style encoder block of `models/encoder` (attention with Softmax,
/// GELU, two LayerNorms) through a node: compiled there, proved on its proving
/// queue, and the receipt verified against the node's key and by replay.
#[test]
fn a_node_proves_the_encoder_block() {
    let models = format!("{}/../../models/encoder", env!("CARGO_MANIFEST_DIR"));
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(format!("{models}/{name}")).expect("read")).expect("json")
    };
    let tensor = |shape: Value, data: &[Value]| json!({"x": {"dtype": "float32", "shape": shape, "data": data}});
    let calibration = read("calibration.json");
    let data = calibration["x"]["data"].as_array().expect("data");
    let sequences: Vec<Value> = data.chunks(8 * 64).map(|c| tensor(json!([1, 8, 64]), c)).collect();
    let sample = read("samples.json")[0]["x"].clone();
    let h = Home::new();
    let cal = h.write_json("calibration.json", &Value::Array(sequences));
    let input = h.write_json(
        "input.json",
        &tensor(sample["shape"].clone(), sample["data"].as_array().expect("data")),
    );
    let node = h.start_node();
    let url = node.url.clone();
    h.remote(
        &url,
        &["model", "add", &format!("{models}/encoder.onnx"), "--name", "encoder"],
    )
    .ok();
    let compiled = h
        .remote(
            &url,
            &["--json", "model", "compile", "encoder", "--calibration", p(&cal)],
        )
        .json();
    assert!(compiled["model"]["verifying_key"].is_string(), "{compiled}");
    let proof = h.file("proof.json");
    h.remote(
        &url,
        &[
            "infer",
            "encoder-int8",
            "--mode",
            "zk",
            "--input",
            p(&input),
            "--out",
            p(&proof),
        ],
    )
    .ok();
    let text = h.remote(&url, &["verify", p(&proof), "--replay"]).ok().to_string();
    assert!(text.contains("✓ proof: ") && text.contains("✓ replay: "), "{text}");
    node.stop();
}

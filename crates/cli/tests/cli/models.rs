//! `veris model ...` on the embedded node.

use veris_core::ModelId;

use crate::common::{Home, model_file, p};

fn bundled_id() -> String {
    ModelId::of_bytes(&std::fs::read(model_file()).unwrap()).to_string()
}

#[test]
fn add_prints_the_content_id_and_adding_again_creates_nothing() {
    let h = Home::new();
    let out = h.veris(&["model", "add", p(&model_file())]);
    assert_eq!(out.ok().trim(), bundled_id());
    assert!(out.stderr.contains("added digits-mlp@1.0"), "{out:?}");

    let again = h.veris(&["--json", "model", "add", p(&model_file())]).json();
    assert_eq!(again["id"], bundled_id());
    assert_eq!(again["created"], false);
    assert_eq!(again["model"]["name"], "digits-mlp");
    assert_eq!(again["model"]["version"], "1.0");
    assert_eq!(again["model"]["inputs"][0]["name"], "input");
}

#[test]
fn models_are_listed_shown_downloaded_and_removed() {
    let h = Home::new();
    let file = model_file();
    let file = file.to_str().unwrap();
    h.veris(&["model", "add", file]).ok();
    let added = h
        .veris(&[
            "model",
            "add",
            file,
            "--name",
            "digits",
            "--version",
            "2.0",
            "--description",
            "handwritten digits",
            "--json",
        ])
        .json();
    assert_eq!(added["created"], true);
    assert_eq!(added["id"], bundled_id());

    let list = h.veris(&["model", "list", "--json"]).json();
    let refs: Vec<String> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}@{}", m["name"].as_str().unwrap(), m["version"].as_str().unwrap()))
        .collect();
    assert_eq!(refs, ["digits@2.0", "digits-mlp@1.0"]);
    let text = h.veris(&["model", "list"]).ok().to_string();
    assert!(text.contains("digits@2.0") && text.contains(&bundled_id()), "{text}");

    for reference in ["digits", "digits@2.0"] {
        let shown = h.veris(&["model", "show", reference, "--json"]).json();
        assert_eq!(shown["name"], "digits", "{reference}");
        assert_eq!(shown["description"], "handwritten digits");
    }
    let by_id = h.veris(&["--json", "model", "show", &bundled_id()]).json();
    assert_eq!(by_id["id"], bundled_id());
    let text = h.veris(&["model", "show", "digits@2.0"]).ok().to_string();
    assert!(text.contains("model:       digits@2.0"), "{text}");
    assert!(text.contains("input: float32[N, 64]"), "{text}");

    let out = h.file("copy.onnx");
    h.veris(&["model", "get", "digits", "-o", p(&out)]).ok();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(model_file()).unwrap());

    let removed = h.veris(&["model", "rm", "digits@2.0", "--json"]).json();
    assert_eq!(removed["models"][0]["name"], "digits");
    h.veris(&["model", "show", "digits"]).fails(2);
    assert_eq!(
        h.veris(&["model", "list", "--json"]).json()["models"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let removed = h.veris(&["model", "rm", &bundled_id()]).ok().to_string();
    assert!(removed.contains("removed digits-mlp@1.0"), "{removed}");
    assert!(h.veris(&["model", "list"]).ok().contains("no models"));
}

#[test]
fn a_file_that_is_not_onnx_is_refused_with_a_reason() {
    let h = Home::new();
    let junk = h.file("junk.onnx");
    std::fs::write(&junk, b"this is not a protobuf").unwrap();
    let out = h.veris(&["model", "add", p(&junk)]);
    let line = out.fails(2);
    assert!(line.contains("cannot be loaded"), "{line}");
    assert!(h.veris(&["model", "list"]).ok().contains("no models"));
}

#[test]
fn a_missing_file_is_named() {
    let h = Home::new();
    let missing = h.file("missing.onnx");
    let line = h.veris(&["model", "add", p(&missing)]).fails(2).to_string();
    assert!(line.contains("missing.onnx"), "{line}");
}

#[test]
fn unknown_models_and_bad_references_are_usage_errors() {
    let h = Home::new();
    let line = h.veris(&["model", "show", "nosuch"]).fails(2).to_string();
    assert!(line.contains("nosuch"), "{line}");
    h.veris(&["model", "show", "nosuch@1.0"]).fails(2);
    h.veris(&["model", "rm", "nosuch@1.0"]).fails(2);
    let line = h.veris(&["model", "show", "bad name!"]).fails(2).to_string();
    assert!(line.contains("invalid model reference"), "{line}");
    let out = h.file("x.onnx");
    h.veris(&["model", "get", "nosuch", "-o", p(&out)]).fails(2);
    assert!(!out.exists());
}

#[test]
fn usage_errors_exit_2() {
    let h = Home::new();
    assert_eq!(h.veris(&["model", "frobnicate"]).code, Some(2));
    assert_eq!(h.veris(&["infer", "digits"]).code, Some(2), "--input is required");
    assert_eq!(h.veris(&["--version"]).code, Some(0));
    let help = h.veris(&["--help"]).ok().to_string();
    assert!(help.contains("Exit codes:"), "{help}");
}

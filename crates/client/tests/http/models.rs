use std::io::Write;

use serde_json::json;
use veris_client::{Client, ClientError, ClientOptions};
use veris_core::{ModelId, Version};

use crate::fake_node::{FakeNode, Reply};
use crate::record_json;

const MODEL: &[u8] = b"not really onnx, but bytes with an id";

#[test]
fn upload_streams_the_file_with_name_version_and_description() {
    let node = FakeNode::start(|req| {
        let record = record_json(&req.body, "digits");
        Reply::json(201, json!({"id": record["id"], "created": true, "model": record}))
    });
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(MODEL).unwrap();
    let client = Client::new(&node.url).unwrap();
    let version = Some(Version { major: 2, minor: 1 });
    let added = client
        .add_model_file(file.path(), "digits", version, "hand written & small")
        .unwrap();
    assert_eq!(added.id, ModelId::of_bytes(MODEL));
    assert!(added.created);
    let seen = node.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].target,
        "/v1/models?name=digits&version=2.1&description=hand+written+%26+small"
    );
    assert_eq!(seen[0].body, MODEL);
}

#[test]
fn uploading_a_missing_file_names_it() {
    let client = Client::new("http://127.0.0.1:9").unwrap();
    let err = client
        .add_model_file("/nonexistent/model.onnx".as_ref(), "m", None, "")
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/model.onnx"), "{err}");
}

#[test]
fn references_are_percent_encoded_in_the_path() {
    let node = FakeNode::start(|_| Reply::json(200, record_json(MODEL, "digits")));
    let client = Client::new(&format!("{}/base/", node.url)).unwrap();
    client.show_model("digits@1.0").unwrap();
    client.show_model("a/b c").unwrap();
    let targets: Vec<String> = node.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(targets, ["/base/v1/models/digits@1.0", "/base/v1/models/a%2Fb%20c"]);
}

fn serving(file: &'static [u8]) -> FakeNode {
    FakeNode::start(move |req| {
        if req.target.ends_with("/file") {
            Reply::bytes(200, file)
        } else {
            Reply::json(200, record_json(MODEL, "digits"))
        }
    })
}

#[test]
fn downloads_are_checked_against_the_content_id() {
    let node = serving(MODEL);
    let client = Client::new(&node.url).unwrap();
    let (record, bytes) = client.model_bytes("digits").unwrap();
    assert_eq!(bytes, MODEL);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.onnx");
    assert_eq!(client.download_model("digits", &out).unwrap(), record);
    assert_eq!(std::fs::read(&out).unwrap(), MODEL);
    let id = ModelId::of_bytes(MODEL).to_string();
    let targets: Vec<String> = node.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(targets[1], format!("/v1/models/{id}/file"));
}

#[test]
fn substituted_model_bytes_are_refused_and_not_written() {
    let node = serving(b"some other model");
    let client = Client::new(&node.url).unwrap();
    let err = client.model_bytes("digits").unwrap_err();
    assert!(matches!(err, ClientError::Integrity { .. }), "{err:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.onnx");
    let err = client.download_model("digits", &out).unwrap_err();
    assert!(matches!(err, ClientError::Integrity { .. }), "{err:?}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file left"
    );
}

#[test]
fn downloads_over_the_limit_are_refused() {
    let node = serving(MODEL);
    let options = ClientOptions {
        max_model_bytes: 8,
        ..ClientOptions::default()
    };
    let client = Client::with_options(&node.url, options).unwrap();
    let err = client.model_bytes("digits").unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { limit: 8, .. }), "{err:?}");
    let dir = tempfile::tempdir().unwrap();
    let err = client.download_model("digits", &dir.path().join("m")).unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { limit: 8, .. }), "{err:?}");
}

#[test]
fn list_and_remove_return_the_records() {
    let node = FakeNode::start(|_| Reply::json(200, json!({"models": [record_json(MODEL, "digits")]})));
    let client = Client::new(&node.url).unwrap();
    assert_eq!(client.list_models().unwrap()[0].name, "digits");
    assert_eq!(client.remove_model("digits@1.0").unwrap().len(), 1);
    let seen = node.seen();
    assert_eq!(
        (seen[1].method.as_str(), seen[1].target.as_str()),
        ("DELETE", "/v1/models/digits@1.0")
    );
}

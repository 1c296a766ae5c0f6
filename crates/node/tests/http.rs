//! The HTTP API against a real node on an ephemeral loopback port, driven
//! by a real HTTP client.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use veris_core::api::{AddModelResponse, InferResponse, ModelList};
use veris_core::verify::Report;
use veris_core::{ModelId, ModelRecord};
use veris_node::{BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, NodeLimits, RunningNode, Service};

struct Fixture {
    _home: tempfile::TempDir,
    node: RunningNode,
    http: Client,
}

impl Fixture {
    fn start(limits: NodeLimits) -> Self {
        let home = tempfile::tempdir().unwrap();
        let service = Service::open(NodeConfig {
            limits,
            ..NodeConfig::new(home.path())
        })
        .unwrap();
        let node = RunningNode::start(Arc::new(service), "127.0.0.1:0".parse().unwrap()).unwrap();
        Fixture {
            _home: home,
            node,
            http: Client::new(),
        }
    }

    fn with_digits() -> Self {
        let f = Fixture::start(NodeLimits::default());
        let r = f.post_model("digits", BUNDLED_MODEL.to_vec());
        assert_eq!(r.status(), StatusCode::CREATED);
        f
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node.url())
    }

    fn post_model(&self, name: &str, bytes: Vec<u8>) -> reqwest::blocking::Response {
        self.http
            .post(self.url(&format!("/v1/models?name={name}")))
            .body(bytes)
            .send()
            .unwrap()
    }

    fn post_json(&self, path: &str, body: &Value) -> reqwest::blocking::Response {
        self.http.post(self.url(path)).json(body).send().unwrap()
    }
}

fn samples() -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(BUNDLED_SAMPLES).unwrap()
}

/// Asserts an error response with `status` and `code`, returning its message.
fn expect_error(r: reqwest::blocking::Response, status: StatusCode, code: &str) -> String {
    assert_eq!(r.status(), status);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().unwrap().to_string()
}

#[test]
fn models_can_be_added_listed_shown_downloaded_and_removed() {
    let f = Fixture::start(NodeLimits::default());
    let r = f.post_model("digits", BUNDLED_MODEL.to_vec());
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: AddModelResponse = r.json().unwrap();
    assert_eq!(added.id, ModelId::of_bytes(BUNDLED_MODEL));
    assert_eq!(added.model.version.to_string(), "1.0");
    assert_eq!(added.model.inputs[0].describe(), "input: float32[N, 64]");
    assert_eq!(f.post_model("digits", BUNDLED_MODEL.to_vec()).status(), StatusCode::OK);

    let list: ModelList = f.http.get(f.url("/v1/models")).send().unwrap().json().unwrap();
    assert_eq!(list.models.len(), 1);
    for reference in [added.id.to_string(), "digits".into(), "digits@1.0".into()] {
        let shown: ModelRecord = f
            .http
            .get(f.url(&format!("/v1/models/{reference}")))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(shown.id, added.id);
    }
    let file = f.http.get(f.url("/v1/models/digits/file")).send().unwrap();
    assert_eq!(file.headers()["x-veris-model-id"], added.id.to_string().as_str());
    assert_eq!(file.bytes().unwrap().as_ref(), BUNDLED_MODEL);

    expect_error(
        f.http.delete(f.url("/v1/models/digits")).send().unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_reference",
    );
    let removed: ModelList = f
        .http
        .delete(f.url("/v1/models/digits@1.0"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(removed.models.len(), 1);
    expect_error(
        f.http.get(f.url("/v1/models/digits")).send().unwrap(),
        StatusCode::NOT_FOUND,
        "model_not_found",
    );
}

#[test]
fn bad_uploads_are_refused_with_reasons() {
    let f = Fixture::start(NodeLimits {
        max_model_bytes: 64 << 10,
        ..NodeLimits::default()
    });
    let msg = expect_error(
        f.post_model("junk", b"not an onnx file".to_vec()),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_model",
    );
    assert!(msg.contains("cannot be loaded"), "{msg}");
    expect_error(
        f.post_model("big", vec![0u8; 65 << 10]),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    expect_error(
        f.post_model("bad%20name", BUNDLED_MODEL.to_vec()),
        StatusCode::BAD_REQUEST,
        "invalid_reference",
    );
    let no_name = f
        .http
        .post(f.url("/v1/models"))
        .body(BUNDLED_MODEL.to_vec())
        .send()
        .unwrap();
    expect_error(no_name, StatusCode::BAD_REQUEST, "bad_request");
    let list: ModelList = f.http.get(f.url("/v1/models")).send().unwrap().json().unwrap();
    assert!(list.models.is_empty());
}

#[test]
fn inference_returns_outputs_and_a_receipt_that_verifies() {
    let f = Fixture::with_digits();
    for sample in samples() {
        let r = f.post_json("/v1/infer", &json!({"model": "digits", "inputs": sample["input"]}));
        assert_eq!(r.status(), StatusCode::OK);
        let resp: InferResponse = r.json().unwrap();
        let logits = resp.outputs["logits"].as_f32().unwrap();
        let predicted = (0..10).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
        assert_eq!(predicted as u64, sample["label"].as_u64().unwrap());
        assert_eq!(resp.receipt_id, resp.receipt.id());

        let report: Report = f
            .post_json("/v1/verify", &json!({"receipt": resp.receipt, "replay": true}))
            .json()
            .unwrap();
        assert!(report.ok(), "{report:?}");
        assert!(report.checks.iter().any(|c| c.name == "replay" && c.ok));
    }
}

#[test]
fn tampered_receipts_fail_verification() {
    let f = Fixture::with_digits();
    let sample = &samples()[0];
    let resp: Value = f
        .post_json("/v1/infer", &json!({"model": "digits", "inputs": sample["input"]}))
        .json()
        .unwrap();
    let mut receipt = resp["receipt"].clone();
    receipt["outputs"]["logits"]["data"][0] = json!(123.0);
    let report: Report = f
        .post_json("/v1/verify", &json!({"receipt": receipt, "replay": true}))
        .json()
        .unwrap();
    assert!(!report.ok());
    let mut lying = resp["receipt"].clone();
    lying["timestamp_ms"] = json!(1);
    let report: Report = f.post_json("/v1/verify", &json!({"receipt": lying})).json().unwrap();
    assert!(report.checks.iter().any(|c| c.name == "signature" && !c.ok));
}

#[test]
fn bad_requests_get_typed_errors() {
    let f = Fixture::with_digits();
    let raw = |body: &'static str| f.http.post(f.url("/v1/infer")).body(body).send().unwrap();
    expect_error(raw("{not json"), StatusCode::BAD_REQUEST, "bad_request");
    expect_error(raw("[]"), StatusCode::BAD_REQUEST, "bad_request");
    let msg = expect_error(
        f.post_json("/v1/infer", &json!({"model": "nope", "inputs": [[0.0]]})),
        StatusCode::NOT_FOUND,
        "model_not_found",
    );
    assert!(msg.contains("nope"));
    let cases = [
        (
            json!({"x": {"dtype": "float32", "shape": [1, 64], "data": vec![0.0; 64]}}),
            "unknown input tensor `x`",
        ),
        (
            json!({"input": {"dtype": "int64", "shape": [1, 64], "data": vec![0; 64]}}),
            "expected dtype float32, got int64",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1, 63], "data": vec![0.0; 63]}}),
            "expected shape [N, 64]",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1, 64], "data": vec![0.0; 60]}}),
            "holds 64 elements but data has 60",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1, 64], "data": ["NaN"]}}),
            "tensor `input`",
        ),
        (json!([[1.0, 2.0]]), "expected shape [N, 64]"),
    ];
    for (inputs, needle) in cases {
        let msg = expect_error(
            f.post_json("/v1/infer", &json!({"model": "digits", "inputs": inputs})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(msg.contains(needle), "expected `{needle}` in `{msg}`");
    }
    let mut nan = vec![json!(0.0); 64];
    nan[5] = json!("NaN");
    let msg = expect_error(
        f.post_json(
            "/v1/infer",
            &json!({"model": "digits", "inputs": {"input": {"dtype": "float32", "shape": [1, 64], "data": nan}}}),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert!(msg.contains("element 5 is not finite"), "{msg}");
    expect_error(
        f.http.get(f.url("/v2/whatever")).send().unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

#[test]
fn oversized_bodies_are_refused() {
    let f = Fixture::start(NodeLimits {
        max_body_bytes: 4096,
        ..NodeLimits::default()
    });
    f.post_model("digits", BUNDLED_MODEL.to_vec());
    let big = json!({"model": "digits", "inputs": {"input": {"dtype": "float32", "shape": [100, 64], "data": vec![0.5; 6400]}}});
    expect_error(
        f.post_json("/v1/infer", &big),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let too_many_elements = NodeLimits::default().tensors.max_elements + 64;
    let shape_bomb = json!({"model": "digits", "inputs": {"input": {"dtype": "float32", "shape": [too_many_elements / 64, 64], "data": []}}});
    let msg = expect_error(
        f.post_json("/v1/infer", &shape_bomb),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert!(msg.contains("exceed the limit"), "{msg}");
}

#[test]
fn concurrent_requests_are_served_in_parallel_and_counted() {
    let f = Arc::new(Fixture::with_digits());
    let sample = samples()[1]["input"].clone();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let f = f.clone();
            let body = json!({"model": "digits", "inputs": sample});
            std::thread::spawn(move || {
                (0..25)
                    .map(|_| {
                        f.post_json("/v1/infer", &body)
                            .json::<InferResponse>()
                            .unwrap()
                            .receipt
                            .output_digest
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let digests: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!(digests.len(), 200);
    assert!(
        digests.iter().all(|d| *d == digests[0]),
        "same input, same model, same bits"
    );
    let metrics = f.http.get(f.url("/metrics")).send().unwrap().text().unwrap();
    assert!(
        metrics.contains("veris_http_requests_total{route=\"/v1/infer\",status=\"200\"} 200"),
        "{metrics}"
    );
    assert!(metrics.contains("veris_inferences_total{mode=\"signed\",model=\"digits\"} 200"));
    assert!(metrics.contains("veris_http_request_duration_seconds_count{route=\"/v1/infer\"} 200"));
    let health: Value = f.http.get(f.url("/healthz")).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["models"], 1);
}

#[test]
fn graceful_shutdown_releases_the_port_and_the_home() {
    let home = tempfile::tempdir().unwrap();
    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let node = RunningNode::start(Arc::new(service), "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = node.addr();
    assert!(
        Client::new()
            .get(format!("http://{addr}/healthz"))
            .send()
            .unwrap()
            .status()
            .is_success()
    );
    node.shutdown();
    assert!(Client::new().get(format!("http://{addr}/healthz")).send().is_err());
    Service::open(NodeConfig::new(home.path())).expect("the home is free again after shutdown");
}

#[test]
fn compiled_exact_models_give_exact_receipts_that_replay_bit_for_bit() {
    let f = Fixture::with_digits();
    let calibration: Vec<Value> = samples().iter().map(|s| s["input"].clone()).collect();
    let r = f.post_json(
        "/v1/models/digits/compile",
        &json!({"calibration": calibration, "bits": 8}),
    );
    assert_eq!(r.status(), StatusCode::CREATED);
    let compiled: Value = r.json().unwrap();
    assert_eq!(compiled["model"]["name"], "digits-int8");
    assert_eq!(compiled["model"]["format"], "veris-exact");
    assert_eq!(compiled["warnings"], json!([]));
    let exact_id = compiled["id"].as_str().unwrap().to_string();

    let mut correct = 0;
    for sample in samples() {
        let resp: InferResponse = f
            .post_json("/v1/infer", &json!({"model": exact_id, "inputs": sample["input"]}))
            .json()
            .unwrap();
        assert_eq!(resp.receipt.mode, veris_core::Mode::Exact);
        assert_eq!(resp.receipt.engine, veris_node::exact_engine());
        let logits = resp.outputs["logits"].as_f32().unwrap();
        let predicted = (0..10).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
        correct += usize::from(predicted as u64 == sample["label"].as_u64().unwrap());
        let report: Report = f
            .post_json("/v1/verify", &json!({"receipt": resp.receipt, "replay": true}))
            .json()
            .unwrap();
        assert!(report.ok(), "{report:?}");

        let mut lie = serde_json::to_value(&resp.receipt).unwrap();
        lie["outputs"]["logits"]["data"][0] = json!(logits[0] + 1.0);
        let report: Report = f
            .post_json("/v1/verify", &json!({"receipt": lie, "replay": true}))
            .json()
            .unwrap();
        assert!(!report.ok());
    }
    assert!(correct >= 7, "int8 digits classified {correct}/8 samples");
}

#[test]
fn compile_and_mode_errors_are_typed() {
    let f = Fixture::with_digits();
    let msg = expect_error(
        f.post_json("/v1/models/digits/compile", &json!({"bits": 4})),
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert!(msg.contains("8 or 16"), "{msg}");
    let bad_cal = json!({"calibration": [{"input": [[1.0, 2.0]]}]});
    expect_error(
        f.post_json("/v1/models/digits/compile", &bad_cal),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let r = f.post_json("/v1/models/digits/compile", &json!({}));
    let compiled: Value = r.json().unwrap();
    assert!(compiled["warnings"][0].as_str().unwrap().contains("no calibration set"));
    let msg = expect_error(
        f.post_json("/v1/models/digits-int8/compile", &json!({})),
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert!(msg.contains("only float ONNX models"), "{msg}");
    let inputs = samples()[0]["input"].clone();
    let msg = expect_error(
        f.post_json(
            "/v1/infer",
            &json!({"model": "digits", "inputs": inputs, "mode": "exact"}),
        ),
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert!(msg.contains("compile it first"), "{msg}");
    expect_error(
        f.post_json(
            "/v1/infer",
            &json!({"model": "digits-int8", "inputs": inputs, "mode": "signed"}),
        ),
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

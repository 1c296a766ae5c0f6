//! The client against a real node (`veris-node` on 127.0.0.1:0): every
//! endpoint once, with the bundled model.

use serde::Deserialize;
use serde_json::Value;
use veris_client::api::{InferRequest, VerifyRequest};
use veris_client::{Client, verify};
use veris_core::{Mode, ModelId, TensorLimits, Version};
use veris_node::{BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

#[derive(Deserialize)]
struct Sample {
    label: usize,
    input: Value,
}

#[test]
fn every_endpoint_round_trips_against_a_real_node() {
    let home = tempfile::tempdir().unwrap();
    let service = std::sync::Arc::new(Service::open(NodeConfig::new(home.path())).unwrap());
    let node = RunningNode::start(service, "127.0.0.1:0".parse().unwrap()).unwrap();
    let client = Client::new(&node.url()).unwrap();

    assert_eq!(client.health().unwrap().models, 0);
    let added = client
        .add_model(
            BUNDLED_MODEL.to_vec(),
            "digits",
            Some(Version { major: 3, minor: 1 }),
            "d",
        )
        .unwrap();
    assert!(added.created);
    assert_eq!(added.id, ModelId::of_bytes(BUNDLED_MODEL));
    assert_eq!(client.list_models().unwrap(), vec![added.model.clone()]);
    assert_eq!(client.show_model("digits@3.1").unwrap(), added.model);
    assert_eq!(client.model_bytes("digits").unwrap().1, BUNDLED_MODEL);

    let samples: Vec<Sample> = serde_json::from_str(BUNDLED_SAMPLES).unwrap();
    let response = client
        .infer(&InferRequest {
            model: added.id.to_string(),
            inputs: samples[0].input.clone(),
            mode: Some(Mode::Signed),
            embed_inputs: true,
        })
        .unwrap();
    let logits = response.outputs["logits"].as_f32().unwrap();
    let predicted = (0..10).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
    assert_eq!(predicted, samples[0].label);
    assert!(verify(&response.receipt, &TensorLimits::default()).ok());
    let report = client
        .verify(&VerifyRequest {
            receipt: response.receipt,
            replay: true,
            inputs: None,
        })
        .unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.checks.iter().any(|c| c.name == "replay"));
    assert!(client.metrics().unwrap().contains("veris"));

    let err = client.show_model("nosuch").unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(404), Some("model_not_found")));
    let err = client.add_model(b"junk".to_vec(), "junk", None, "").unwrap_err();
    assert_eq!(err.code(), Some("invalid_model"));

    assert_eq!(client.remove_model("digits@3.1").unwrap(), vec![added.model]);
    assert!(client.list_models().unwrap().is_empty());
    node.shutdown();
}

//! `veris verify` on replicated receipts and `veris verify-evidence`:
//! documents signed here with fixed keys; honest ones pass, tampered ones
//! exit 1, missing policy and malformed files exit 2.

use serde_json::{Value, json};
use veris_core::fraud::FraudEvidence;
use veris_core::job::{JobStatement, SignedJob};
use veris_core::quorum::QuorumCertificate;
use veris_core::replicated::{REPLICATED_FORMAT_VERSION, ReplicatedMode, ReplicatedReceipt};
use veris_core::{Digest32, EngineId, ModelId, Nonce, OperatorKey, Tensor, TensorData, TensorMap, tensor_codec};

use crate::common::{Home, p};

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).unwrap()
}

fn tensors(values: Vec<f32>) -> TensorMap {
    let n = values.len();
    TensorMap::from([(
        "x".to_string(),
        Tensor::new("x", vec![1, n], TensorData::Float32(values)).unwrap(),
    )])
}

fn statement(outputs: &TensorMap) -> JobStatement {
    let engine = EngineId {
        id: "veris-exact".into(),
        version: "1".into(),
    };
    let inputs = tensor_codec::digest(&tensors(vec![0.5]));
    JobStatement::new(
        Nonce([3; 32]),
        ModelId::of_bytes(b"m"),
        engine,
        inputs,
        tensor_codec::digest(outputs),
    )
}

/// A receipt signed by operators 1 and 2 (of 1, 2, 3).
fn receipt() -> Value {
    let outputs = tensors(vec![1.0, 2.0]);
    let receipt = ReplicatedReceipt {
        format: REPLICATED_FORMAT_VERSION,
        mode: ReplicatedMode::Replicated,
        k: 3,
        quorum: 2,
        inputs: Some(tensors(vec![0.5])),
        certificate: QuorumCertificate::sign_by(statement(&outputs), &[&key(1), &key(2)]),
        outputs,
    };
    serde_json::to_value(receipt).unwrap()
}

#[test]
fn replicated_receipts_verify_against_the_accepted_operators_and_quorum() {
    let h = Home::new();
    let file = h.write_json("replicated.json", &receipt());
    let list = format!("{},{},{}", key(1).address(), key(2).public_key(), key(3).address());
    let text = h.veris(&["verify", p(&file), "--operators", &list]).ok().to_string();
    assert!(
        text.contains("✓ certificate: 2 accepted operators signed (quorum 2)"),
        "{text}"
    );
    let ops = h.file("operators.txt");
    std::fs::write(
        &ops,
        format!("# the registry\n{}\n{}\n", key(1).address(), key(3).address()),
    )
    .unwrap();
    let message = h
        .veris(&["verify", p(&file), "--operators", p(&ops)])
        .fails(1)
        .to_string();
    assert!(message.contains("checks failed"), "{message}");
    let run = h.veris(&["--json", "verify", p(&file), "--operators", &list, "--quorum", "3"]);
    run.fails(1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let certificate = &report["checks"][4];
    assert_eq!(certificate["name"], "certificate");
    assert!(
        certificate["detail"].as_str().unwrap().contains("the quorum is 3"),
        "{report}"
    );

    let mut tampered = receipt();
    tampered["outputs"]["x"]["data"][0] = json!(1.5);
    let bad = h.write_json("tampered.json", &tampered);
    h.veris(&["verify", p(&bad), "--operators", &list]).fails(1);

    let message = h.veris(&["verify", p(&file)]).fails(2).to_string();
    assert!(message.contains("--operators"), "{message}");
    h.veris(&["verify", p(&file), "--operators", "0x12"]).fails(2);
}

fn evidence() -> FraudEvidence {
    let honest = statement(&tensors(vec![1.0, 2.0]));
    let lie = statement(&tensors(vec![1.0, 3.0]));
    let replayed = honest.output_digest;
    FraudEvidence::new(
        SignedJob::sign(lie, &key(9)),
        SignedJob::sign(honest, &key(1)),
        Some(replayed),
        None,
    )
}

#[test]
fn evidence_is_checked_offline_and_names_the_liar() {
    let h = Home::new();
    let file = h.write_json("evidence.json", &serde_json::to_value(evidence()).unwrap());
    let text = h.veris(&["verify-evidence", p(&file)]).ok().to_string();
    assert!(text.contains(&format!("wrong_output: {}", key(9).address())), "{text}");
    assert!(text.contains("verified (conclusive)"), "{text}");
    // A record as GET /v1/evidence lists it is accepted too.
    let record = json!({"id": evidence().id(), "verdict": {"kind": "x"}, "evidence": evidence()});
    let listed = h.write_json("record.json", &record);
    let doc = h.veris(&["--json", "verify-evidence", p(&listed)]).json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["verdict"]["kind"], "wrong_output");
    assert_eq!(doc["verdict"]["operator"], key(9).address().to_string());

    let mut forged = evidence();
    forged.replayed_output_digest = Some(Digest32([0; 32]));
    let bad = h.write_json("forged.json", &serde_json::to_value(forged).unwrap());
    h.veris(&["verify-evidence", p(&bad)]).fails(1);
    let junk = h.write_json("junk.json", &json!({"accused": 1}));
    h.veris(&["verify-evidence", p(&junk)]).fails(2);
}

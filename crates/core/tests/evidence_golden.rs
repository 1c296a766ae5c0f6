//! Golden vectors of fraud evidence: format 1 (against a replicated job's
//! statements) and format 2 (against plain `exact` receipts). Their JSON
//! and ids are pinned, and both decode through `any_evidence`, so stored
//! and gossiped evidence of either format stays readable.

mod common;

use common::golden_key;
use veris_core::any_evidence::{AnyEvidence, decode_any_evidence, verify_any_evidence};
use veris_core::fraud::{FraudEvidence, Verdict};
use veris_core::job::{JobStatement, SignedJob};
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};
use veris_core::{
    Digest32, EngineId, Mode, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorLimits,
    TensorMap,
};

const V1_JSON: &str = include_str!("fixtures/evidence-v1.json");
const V1_ID: &str = include_str!("fixtures/evidence-v1.id");
const V2_JSON: &str = include_str!("fixtures/evidence-v2.json");
const V2_ID: &str = include_str!("fixtures/evidence-v2.id");

fn witness_key() -> OperatorKey {
    OperatorKey::from_secret_bytes(&[0x5a; 32]).expect("valid key")
}

fn engine() -> EngineId {
    EngineId {
        id: "veris-exact".into(),
        version: "1".into(),
    }
}

fn inputs() -> TensorMap {
    let t = Tensor::new("x", vec![1, 3], TensorData::Int64(vec![3, -1, 4])).expect("tensor");
    TensorMap::from([("x".to_string(), t)])
}

fn outputs(label: i64) -> TensorMap {
    let t = Tensor::new("y", vec![1], TensorData::Int64(vec![label])).expect("tensor");
    TensorMap::from([("y".to_string(), t)])
}

/// Equivocation: the golden key signed two outputs for one replicated job.
fn v1() -> AnyEvidence {
    let statement = |output: u8| {
        JobStatement::new(
            Nonce([0x42; 32]),
            ModelId::of_bytes(b"veris golden model"),
            engine(),
            Digest32([0x11; 32]),
            Digest32([output; 32]),
        )
    };
    let key = golden_key();
    FraudEvidence::new(
        SignedJob::sign(statement(0x22), &key),
        SignedJob::sign(statement(0x33), &key),
        None,
        None,
    )
    .into()
}

fn exact_receipt(key: &OperatorKey, label: i64, nonce: u8) -> Receipt {
    let statement = Statement {
        model: ModelId::of_bytes(b"veris golden model"),
        engine: engine(),
        inputs: inputs(),
        outputs: outputs(label),
        timestamp_ms: 1_764_000_000_000 + u64::from(nonce),
        nonce: Nonce([nonce; 32]),
    };
    Receipt::sign_as(Mode::Exact, statement, key, false)
}

/// Wrong output: the golden key's exact receipt against the witness's replay.
fn v2() -> AnyEvidence {
    let replay = exact_receipt(&witness_key(), 7, 2);
    ReceiptEvidence::new(
        ReceiptClaim::of(&exact_receipt(&golden_key(), 8, 1)),
        ReceiptClaim::of(&replay),
        Some(replay.output_digest),
        Some(inputs()),
    )
    .into()
}

fn pinned(evidence: &AnyEvidence, json: &str, id: &str) -> Verdict {
    let encoded = serde_json::to_string_pretty(evidence).expect("json");
    assert_eq!(
        encoded.trim(),
        json.trim(),
        "JSON form changed: a format change must bump the version"
    );
    assert_eq!(evidence.id().to_string(), id.trim());
    let decoded = decode_any_evidence(json.as_bytes()).expect("decodes");
    assert_eq!(&decoded, evidence);
    assert_eq!(decoded.id().to_string(), id.trim());
    verify_any_evidence(&decoded, &TensorLimits::default()).expect("verifies")
}

#[test]
fn golden_job_evidence_v1_still_decodes_with_its_id() {
    let verdict = pinned(&v1(), V1_JSON, V1_ID);
    assert_eq!(
        verdict,
        Verdict::Equivocation {
            operator: golden_key().address()
        }
    );
    // The format-1 decoder of earlier builds reads it too.
    let old = veris_core::fraud::decode_evidence(V1_JSON.as_bytes()).expect("decodes");
    assert_eq!(old.id().to_string(), V1_ID.trim());
}

#[test]
fn golden_receipt_evidence_v2_pins_the_new_format() {
    let verdict = pinned(&v2(), V2_JSON, V2_ID);
    assert_eq!(
        verdict,
        Verdict::WrongOutput {
            operator: golden_key().address(),
            witness: witness_key().address()
        }
    );
    assert!(
        veris_core::fraud::decode_evidence(V2_JSON.as_bytes()).is_err(),
        "a format-1 reader refuses format 2 instead of misreading it"
    );
}

#[test]
#[ignore = "regenerates the golden fixtures; run deliberately after a format change"]
fn regenerate_golden_evidence() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    for (name, evidence) in [("evidence-v1", v1()), ("evidence-v2", v2())] {
        let json = serde_json::to_string_pretty(&evidence).unwrap() + "\n";
        std::fs::write(format!("{dir}/{name}.json"), json).unwrap();
        std::fs::write(format!("{dir}/{name}.id"), evidence.id().to_string() + "\n").unwrap();
    }
}

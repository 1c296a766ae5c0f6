//! The signed job statement's golden vector: its JSON form and EIP-712
//! hash are pinned (and checked independently with eth-account by
//! `scripts/eip712_job_crosscheck.py`).

mod common;

use common::golden_key;
use veris_core::job::{JobStatement, SignedJob};
use veris_core::{Digest32, EngineId, ModelId, Nonce};

const GOLDEN_JSON: &str = include_str!("fixtures/job-v1.json");
const GOLDEN_ID: &str = include_str!("fixtures/job-v1.id");

fn golden_job() -> SignedJob {
    let statement = JobStatement::new(
        Nonce([0x42; 32]),
        ModelId::of_bytes(b"veris golden model"),
        EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        Digest32([0x11; 32]),
        Digest32([0x22; 32]),
    );
    SignedJob::sign(statement, &golden_key())
}

#[test]
fn golden_job_statement_pins_the_format() {
    let job = golden_job();
    let json = serde_json::to_string_pretty(&job).unwrap();
    assert_eq!(
        json.trim(),
        GOLDEN_JSON.trim(),
        "JSON form changed: a format change must bump the version"
    );
    assert_eq!(job.statement.id().to_string(), GOLDEN_ID.trim());
    let decoded: SignedJob = serde_json::from_str(GOLDEN_JSON).unwrap();
    assert_eq!(decoded.check(), Ok(()));
    assert_eq!(decoded.statement.id().to_string(), GOLDEN_ID.trim());
}

#[test]
#[ignore = "regenerates the golden fixtures; run deliberately after a format change"]
fn regenerate_golden_job() {
    let job = golden_job();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    std::fs::write(
        format!("{dir}/job-v1.json"),
        serde_json::to_string_pretty(&job).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(format!("{dir}/job-v1.id"), job.statement.id().to_string() + "\n").unwrap();
}

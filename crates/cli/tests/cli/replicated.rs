//! `veris verify` on replicated receipts and `veris verify-evidence`:
//! documents signed here with fixed keys; honest ones pass, tampered ones
//! exit 1, missing policy and malformed files exit 2.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use veris_core::fraud::FraudEvidence;
use veris_core::job::{JobStatement, SignedJob};
use veris_core::quorum::QuorumCertificate;
use veris_core::replicated::{REPLICATED_FORMAT_VERSION, ReplicatedMode, ReplicatedReceipt};
use veris_core::{Digest32, EngineId, ModelId, Nonce, OperatorKey, Tensor, TensorData, TensorMap, tensor_codec};

use crate::common::{Home, model_file, p};

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

#[test]
fn a_replicated_inference_through_the_cli_outvotes_a_byzantine_node() {
    let homes = [Home::new(), Home::new(), Home::new()];
    // Seeded calibration: every home compiles the same exact model id.
    let ids: Vec<String> = homes
        .iter()
        .map(|h| {
            h.veris(&["model", "add", p(&model_file()), "--name", "digits"]).ok();
            h.veris(&["--json", "model", "compile", "digits"]).json()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let tcp = ["--p2p-listen", "/ip4/127.0.0.1/tcp/0"];
    let (a, ready_a) = homes[0].start_node_json(&tcp);
    let boot = ready_a["p2p_listen"][0].as_str().unwrap().to_string();
    let (b, ready_b) = homes[1].start_node_json(&[tcp[0], tcp[1], "--bootstrap", &boot]);
    let (_liar, ready_liar) = homes[2].start_node_json(&[tcp[0], tcp[1], "--bootstrap", &boot, "--byzantine-outputs"]);

    let input = homes[0].sample_input(0);
    let receipt = homes[0].file("replicated.json");
    let args = [
        "--json",
        "infer",
        &ids[0],
        "--input",
        p(&input),
        "--replicated",
        "--out",
        p(&receipt),
    ];
    // Until A has found both peers, a job may run on fewer than 3 operators.
    let start = Instant::now();
    let response = loop {
        let run = homes[0].remote(&a.url, &args);
        if run.code == Some(0) {
            let response = run.json();
            if response["outcomes"].as_array().unwrap().len() == 3 {
                break response;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no 3-operator job: {run:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let liar = ready_liar["operator"].as_str().unwrap();
    let evidence = response["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{response}");
    assert_eq!(evidence[0]["verdict"]["kind"], "wrong_output");
    assert_eq!(evidence[0]["verdict"]["operator"], liar);
    let plain = homes[1]
        .remote(&b.url, &["--json", "infer", "digits-int8", "--input", p(&input)])
        .json();
    assert_eq!(response["outputs"], plain["outputs"]);

    let honest = format!(
        "{},{}",
        ready_a["operator"].as_str().unwrap(),
        ready_b["operator"].as_str().unwrap()
    );
    homes[0].veris(&["verify", p(&receipt), "--operators", &honest]).ok();
    // The liar's signature is not in the certificate: with only it accepted, nothing counts.
    homes[0]
        .veris(&["verify", p(&receipt), "--operators", liar, "--quorum", "1"])
        .fails(1);
    // The stored evidence, replayed with the model file: the liar is wrong.
    // Swapped (the honest operator framed with the liar's output as its
    // "replay"), it still verifies offline, but the replay exposes it.
    let id_hex = evidence[0]["id"].as_str().unwrap().trim_start_matches("0x").to_string();
    let stored = homes[0].home().join("evidence").join(format!("{id_hex}.json"));
    let model = homes[0].file("exact.veris");
    homes[1]
        .remote(&b.url, &["model", "get", &ids[0], "-o", p(&model)])
        .ok();
    let doc = homes[0]
        .veris(&["--json", "verify-evidence", p(&stored), "--model-file", p(&model)])
        .json();
    assert_eq!(doc["replay"]["accused_wrong"], true, "{doc}");
    assert_eq!(doc["replay"]["witness_wrong"], false, "{doc}");
    let mut framed: Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    let (accused, witness) = (framed["accused"].clone(), framed["conflicting"].clone());
    framed["accused"] = witness;
    framed["replayed_output_digest"] = accused["statement"]["output_digest"].clone();
    framed["conflicting"] = accused;
    let framed = homes[0].write_json("framed.json", &framed);
    homes[0].veris(&["verify-evidence", p(&framed)]).ok();
    let line = homes[0]
        .veris(&["verify-evidence", p(&framed), "--model-file", p(&model)])
        .fails(1)
        .to_string();
    assert!(line.contains("evidence is false"), "{line}");

    // An embedded node has no network to replicate on.
    let embedded = Home::new();
    let input = embedded.sample_input(0);
    let line = embedded
        .veris(&["infer", &ids[0], "--input", p(&input), "--replicated"])
        .fails(2)
        .to_string();
    assert!(line.contains("--node"), "{line}");
}

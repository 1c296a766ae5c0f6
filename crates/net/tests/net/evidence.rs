//! Fraud evidence on gossip from a hostile peer: garbage, oversized and
//! badly signed evidence is rejected (never delivered) and penalised, in
//! both formats (against job statements, and against `exact` receipts).

use std::time::Duration;

use veris_core::fraud::FraudEvidence;
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};
use veris_core::{Digest32, EngineId, Mode, ModelId, Nonce, Receipt, Statement, Tensor, TensorData, TensorMap};
use veris_net::hygiene::Offence;
use veris_net::{EVIDENCE_TOPIC, NetEvent, Network};

use crate::hygiene::penalty_of;
use crate::raw_peer::RawPeer;
use crate::support::{Behaviour, MemProvider, key, tcp_addr, test_config};
use crate::sync::equivocation;

const LIMIT: Duration = Duration::from_secs(20);

/// Format-2 evidence: operator `seed` signed two exact receipts of one input with different outputs.
fn receipt_equivocation(seed: u8) -> ReceiptEvidence {
    let liar = key(seed);
    let claim = |output: i64| {
        let tensor = |v| {
            let t = Tensor::new("x", vec![1], TensorData::Int64(vec![v])).unwrap();
            TensorMap::from([("x".to_string(), t)])
        };
        let statement = Statement {
            model: ModelId::of_bytes(b"m"),
            engine: EngineId {
                id: "veris-exact".into(),
                version: "1".into(),
            },
            inputs: tensor(1),
            outputs: tensor(output),
            timestamp_ms: output as u64,
            nonce: Nonce([seed; 32]),
        };
        ReceiptClaim::of(&Receipt::sign_as(Mode::Exact, statement, &liar, false))
    };
    ReceiptEvidence::new(claim(2), claim(3), None, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_forged_evidence_is_rejected_and_penalised() {
    let mut config = test_config(Vec::new());
    config.limits.max_receipt_bytes = 4096;
    let node = Network::spawn(config, &key(66), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let mut events = node.events();
    let mut raw = RawPeer::new();
    let raw_id = raw.id();
    raw.subscribe(EVIDENCE_TOPIC);
    assert!(raw.connect(tcp_addr(&node).await).await);
    let node_id = node.local_peer_id();
    let subscribed = raw.await_subscription(node_id, EVIDENCE_TOPIC, LIMIT).await;
    assert!(subscribed, "the node subscribes to the evidence topic");
    // Valid evidence from this peer is delivered.
    let (id, valid) = equivocation(68);
    raw.publish(EVIDENCE_TOPIC, valid);
    let seen = crate::support::next_event(&mut events, LIMIT, |e| match e {
        NetEvent::EvidenceSeen { id: got, .. } => Some(*got),
        _ => None,
    });
    tokio::select! {
        got = seen => assert_eq!(got, id, "the valid evidence is delivered"),
        _ = raw.idle(LIMIT) => panic!("valid evidence was not delivered"),
    }

    raw.publish(EVIDENCE_TOPIC, b"{\"format\": 1}".to_vec());
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Malformed);
    // Over the node's limit, refused before it is parsed.
    raw.publish(EVIDENCE_TOPIC, vec![b' '; 5000]);
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Oversized);
    // Well-formed, but the accused statement was altered after it was signed.
    let (_, bytes) = equivocation(67);
    let mut forged: FraudEvidence = serde_json::from_slice(&bytes).expect("json");
    forged.accused.statement.output_digest = Digest32([9; 32]);
    raw.publish(EVIDENCE_TOPIC, serde_json::to_vec(&forged).expect("json"));
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::InvalidSignature
    );
}

/// A node (with the ban threshold out of reach, so every hostile message
/// is judged) and a raw peer subscribed to its evidence topic.
async fn node_and_raw_peer(
    seed: u8,
) -> (
    veris_net::NetHandle,
    tokio::sync::broadcast::Receiver<NetEvent>,
    RawPeer,
) {
    let mut config = test_config(Vec::new());
    config.hygiene.ban_threshold = -1e9;
    config.limits.max_receipt_bytes = 4096;
    let node = Network::spawn(config, &key(seed), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let events = node.events();
    let mut raw = RawPeer::new();
    raw.subscribe(EVIDENCE_TOPIC);
    assert!(raw.connect(tcp_addr(&node).await).await);
    let node_id = node.local_peer_id();
    let subscribed = raw.await_subscription(node_id, EVIDENCE_TOPIC, LIMIT).await;
    assert!(subscribed, "the node subscribes to the evidence topic");
    (node, events, raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_receipt_evidence_is_rejected_and_penalised() {
    let (_node, mut events, mut raw) = node_and_raw_peer(64).await;
    let raw_id = raw.id();
    // Format 2 (exact receipts): valid evidence is delivered.
    let valid = receipt_equivocation(69);
    raw.publish(EVIDENCE_TOPIC, serde_json::to_vec(&valid).expect("json"));
    let seen = crate::support::next_event(&mut events, LIMIT, |e| match e {
        NetEvent::EvidenceSeen { id, .. } => Some(*id),
        _ => None,
    });
    tokio::select! {
        got = seen => assert_eq!(got, valid.id(), "valid receipt evidence is delivered"),
        _ = raw.idle(LIMIT) => panic!("valid receipt evidence was not delivered"),
    }
    // Tampered after signing, forged, or not about exact receipts: refused and penalised.
    let tampered: [fn(&mut ReceiptEvidence); 4] = [
        |e| e.accused.timestamp_ms += 1,
        |e| e.conflicting.signature.0[5] ^= 1,
        |e| e.accused.operator = receipt_equivocation(70).accused.operator,
        |e| e.accused.mode = Mode::Signed,
    ];
    for (i, tamper) in tampered.into_iter().enumerate() {
        let mut bad = receipt_equivocation(71 + i as u8);
        tamper(&mut bad);
        raw.publish(EVIDENCE_TOPIC, serde_json::to_vec(&bad).expect("json"));
        assert_eq!(
            penalty_of(&mut events, raw_id, &mut raw).await,
            Offence::InvalidSignature,
            "tampering {i}"
        );
    }
    // Valid evidence padded over the node's limit: refused before it is parsed.
    let mut padded = serde_json::to_vec(&receipt_equivocation(76)).expect("json");
    padded.resize(4600, b' ');
    raw.publish(EVIDENCE_TOPIC, padded);
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Oversized);
    // Garbage in the new format, and an unknown format: malformed.
    for garbage in [&b"{\"format\": 2, \"accused\": 1}"[..], b"{\"format\": 3}"] {
        raw.publish(EVIDENCE_TOPIC, garbage.to_vec());
        assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Malformed);
    }
}

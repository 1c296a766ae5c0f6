//! Fraud evidence on gossip from a hostile peer: garbage, oversized and
//! badly signed evidence is rejected (never delivered) and penalised.

use std::time::Duration;

use libp2p::gossipsub::IdentTopic;
use libp2p::swarm::SwarmEvent;
use veris_core::Digest32;
use veris_core::fraud::FraudEvidence;
use veris_net::hygiene::Offence;
use veris_net::{EVIDENCE_TOPIC, NetEvent, Network};

use crate::hygiene::penalty_of;
use crate::raw_peer::{RawBehaviourEvent, RawPeer};
use crate::support::{Behaviour, MemProvider, key, tcp_addr, test_config};
use crate::sync::equivocation;

const LIMIT: Duration = Duration::from_secs(20);

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
    let subscribed = raw
        .drive_until(LIMIT, |e| match e {
            SwarmEvent::Behaviour(RawBehaviourEvent::Gossip(libp2p::gossipsub::Event::Subscribed {
                peer_id,
                topic,
            })) if *peer_id == node_id && topic.as_str() == EVIDENCE_TOPIC => Some(()),
            _ => None,
        })
        .await;
    assert!(subscribed.is_some(), "the node subscribes to the evidence topic");
    let publish = |raw: &mut RawPeer, bytes: Vec<u8>| {
        raw.swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(EVIDENCE_TOPIC), bytes)
            .expect("published");
    };

    // Valid evidence from this peer is delivered.
    let (id, valid) = equivocation(68);
    publish(&mut raw, valid);
    let seen = crate::support::next_event(&mut events, LIMIT, |e| match e {
        NetEvent::EvidenceSeen { id: got, .. } => Some(*got),
        _ => None,
    });
    tokio::select! {
        got = seen => assert_eq!(got, id, "the valid evidence is delivered"),
        _ = raw.idle(LIMIT) => panic!("valid evidence was not delivered"),
    }

    publish(&mut raw, b"{\"format\": 1}".to_vec());
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Malformed);
    // Over the node's limit, refused before it is parsed.
    publish(&mut raw, vec![b' '; 5000]);
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Oversized);
    // Well-formed, but the accused statement was altered after it was signed.
    let (_, bytes) = equivocation(67);
    let mut forged: FraudEvidence = serde_json::from_slice(&bytes).expect("json");
    forged.accused.statement.output_digest = Digest32([9; 32]);
    publish(&mut raw, serde_json::to_vec(&forged).expect("json"));
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::InvalidSignature
    );
}

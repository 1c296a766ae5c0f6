//! Evidence sync: a node that connects pages through its peer's fraud
//! evidence, verifies each item, and holds an invalid one against the peer.

use std::sync::Arc;
use std::time::Duration;

use veris_core::fraud::FraudEvidence;
use veris_core::job::{JobStatement, SignedJob};
use veris_core::{Digest32, EngineId, ModelId, Nonce};
use veris_net::hygiene::Offence;
use veris_net::{Limits, NetEvent, Network, Provider};

use crate::support::{key, next_event, tcp_addr, test_config};

const LIMIT: Duration = Duration::from_secs(20);

/// Serves fixed evidence items (in the order given) and no blobs.
struct EvidenceProvider {
    items: Vec<(Digest32, Vec<u8>)>,
}

impl Provider for EvidenceProvider {
    fn blob_len(&self, _: &ModelId) -> Option<u64> {
        None
    }

    fn read_blob(&self, _: &ModelId, _: u64, _: usize) -> Option<Vec<u8>> {
        None
    }

    fn evidence_page(&self, after: Option<&Digest32>, max_items: usize, _: usize, _: usize) -> (Vec<Vec<u8>>, bool) {
        let rest: Vec<_> = self
            .items
            .iter()
            .filter(|(id, _)| after.is_none_or(|a| id > a))
            .collect();
        let page = rest.iter().take(max_items).map(|(_, b)| b.clone()).collect();
        (page, rest.len() > max_items)
    }
}

/// Equivocation evidence against the operator of key `seed`: its id and JSON.
pub fn equivocation(seed: u8) -> (Digest32, Vec<u8>) {
    let liar = key(seed);
    let statement = |output: u8| {
        let engine = EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        };
        let s = JobStatement::new(
            Nonce([seed; 32]),
            ModelId::of_bytes(b"m"),
            engine,
            Digest32([1; 32]),
            Digest32([output; 32]),
        );
        SignedJob::sign(s, &liar)
    };
    let evidence = FraudEvidence::new(statement(2), statement(3), None, None);
    (evidence.id(), serde_json::to_vec(&evidence).expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_connection_pages_through_the_peers_evidence() {
    let mut items: Vec<_> = (80..87).map(equivocation).collect();
    items.sort();
    let mut config = test_config(Vec::new());
    config.limits.evidence_sync_items = 2;
    let holder = Network::spawn(
        config.clone(),
        &key(70),
        Arc::new(EvidenceProvider { items: items.clone() }),
    )
    .await
    .expect("starts");
    let joiner = Network::spawn(config, &key(71), Arc::new(EvidenceProvider { items: Vec::new() }))
        .await
        .expect("starts");
    let mut events = joiner.events();
    joiner.dial(tcp_addr(&holder).await).await.expect("connects");
    let mut seen = Vec::new();
    while seen.len() < items.len() {
        let id = next_event(&mut events, LIMIT, |e| match e {
            NetEvent::EvidenceSeen { from, id, .. } if *from == holder.local_peer_id() => Some(*id),
            _ => None,
        })
        .await;
        seen.push(id);
    }
    let expected: Vec<Digest32> = items.iter().map(|(id, _)| *id).collect();
    assert_eq!(seen, expected, "every item, in id order, over four pages of two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_serves_invalid_evidence_is_penalised() {
    let (id, mut forged) = equivocation(90);
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    let items = vec![(id, b"not evidence".to_vec()), (id, forged)];
    let liar = Network::spawn(test_config(Vec::new()), &key(72), Arc::new(EvidenceProvider { items }))
        .await
        .expect("starts");
    let joiner = Network::spawn(
        test_config(Vec::new()),
        &key(73),
        Arc::new(EvidenceProvider { items: Vec::new() }),
    )
    .await
    .expect("starts");
    let mut events = joiner.events();
    joiner.dial(tcp_addr(&liar).await).await.expect("connects");
    let offence = next_event(&mut events, LIMIT, |e| match e {
        NetEvent::PeerPenalised { peer, offence, .. } if *peer == liar.local_peer_id() => Some(*offence),
        NetEvent::EvidenceSeen { .. } => panic!("invalid evidence was delivered"),
        _ => None,
    })
    .await;
    assert_eq!(offence, Offence::Malformed);
}

/// Equivocation evidence whose accused statement was altered after signing.
fn forged_signature(seed: u8) -> (Digest32, Vec<u8>) {
    let (_, bytes) = equivocation(seed);
    let mut evidence: FraudEvidence = serde_json::from_slice(&bytes).expect("json");
    evidence.accused.statement.output_digest = Digest32([9; 32]);
    (evidence.id(), serde_json::to_vec(&evidence).expect("json"))
}

/// The offence a joiner (limits `joiner`) holds against a holder (limits
/// `holder`) that serves `items`; panics if any item is delivered.
async fn sync_offence(holder: Limits, joiner: Limits, items: Vec<(Digest32, Vec<u8>)>) -> Offence {
    let mut config = test_config(Vec::new());
    config.limits = holder;
    let liar = Network::spawn(config, &key(74), Arc::new(EvidenceProvider { items }))
        .await
        .expect("starts");
    let mut config = test_config(Vec::new());
    config.limits = joiner;
    let joiner = Network::spawn(config, &key(75), Arc::new(EvidenceProvider { items: Vec::new() }))
        .await
        .expect("starts");
    let mut events = joiner.events();
    joiner.dial(tcp_addr(&liar).await).await.expect("connects");
    next_event(&mut events, LIMIT, |e| match e {
        NetEvent::PeerPenalised { peer, offence, .. } if *peer == liar.local_peer_id() => Some(*offence),
        NetEvent::EvidenceSeen { .. } => panic!("evidence from a lying page was delivered"),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badly_signed_item_is_an_invalid_signature() {
    let offence = sync_offence(Limits::default(), Limits::default(), vec![forged_signature(91)]).await;
    assert_eq!(offence, Offence::InvalidSignature);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_over_the_joiners_limits_is_refused_unread() {
    let mut items: Vec<_> = (92..96).map(equivocation).collect();
    items.sort();
    let joiner = Limits {
        evidence_sync_items: 2,
        ..Limits::default()
    };
    // The holder pages by its own, larger limit: four items to a joiner that takes two.
    assert_eq!(sync_offence(Limits::default(), joiner, items).await, Offence::Oversized);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_out_of_id_order_are_a_protocol_violation() {
    let mut items: Vec<_> = (96..99).map(equivocation).collect();
    items.sort();
    items.reverse();
    let offence = sync_offence(Limits::default(), Limits::default(), items).await;
    assert_eq!(offence, Offence::ProtocolViolation);
}

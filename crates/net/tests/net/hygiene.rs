//! Misbehaving peers are refused, penalised and banned; the node keeps serving.

use std::time::Duration;

use libp2p::swarm::SwarmEvent;
use veris_core::{ModelId, receipt_codec};
use veris_net::hygiene::Offence;
use veris_net::wire::messages::{InferResponse, WireMessage};
use veris_net::{ANNOUNCE_TOPIC, InferRequest, JOB_TOPIC, Limits, NetEvent, Network, PeerId, RECEIPT_TOPIC};

use crate::raw_peer::{RawBehaviourEvent, RawPeer};
use crate::support::{Behaviour, MemProvider, cluster, key, next_event, receipt, tcp_addr, test_config};

const LIMIT: Duration = Duration::from_secs(20);

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

pub(crate) async fn penalty_of(
    events: &mut tokio::sync::broadcast::Receiver<NetEvent>,
    raw: PeerId,
    raw_peer: &mut RawPeer,
) -> Offence {
    // The raw swarm must keep running for its requests to go out.
    let wait = next_event(events, LIMIT, |e| match e {
        NetEvent::PeerPenalised { peer, offence, .. } if *peer == raw => Some(*offence),
        _ => None,
    });
    tokio::select! {
        offence = wait => offence,
        _ = raw_peer.idle(LIMIT) => panic!("no penalty within {LIMIT:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_garbage_messages_get_a_peer_banned_while_the_node_serves() {
    let model = ModelId::of_bytes(b"served model");
    let server = MemProvider::new(Behaviour::Honest);
    server.insert(model, b"served model".to_vec());
    let nodes = cluster(vec![server, MemProvider::new(Behaviour::Honest)]).await;
    let (node, honest) = (&nodes[0], &nodes[1]);
    let mut events = node.events();

    let mut raw = RawPeer::new();
    let raw_id = raw.id();
    assert!(raw.connect(tcp_addr(node).await).await);

    // A well-framed body that is not a message.
    raw.swarm
        .behaviour_mut()
        .rr
        .send_request(&node.local_peer_id(), frame(&[9, 9, 9, 9, 9]));
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Malformed);

    // The honest peer is served in between.
    let request = InferRequest { model, body: vec![1] };
    assert_eq!(
        honest
            .infer(node.local_peer_id(), request.clone())
            .await
            .expect("served"),
        vec![2]
    );

    // A frame declaring 4 GiB, twice: refused before reading, and the peer crosses the threshold.
    for _ in 0..2 {
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 64]);
        raw.swarm.behaviour_mut().rr.send_request(&node.local_peer_id(), huge);
        assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Oversized);
    }
    let banned = next_event(&mut events, LIMIT, |e| match e {
        NetEvent::PeerBanned { peer, .. } => Some(*peer),
        _ => None,
    })
    .await;
    assert_eq!(banned, raw_id);
    let closed = raw
        .drive_until(LIMIT, |e| match e {
            SwarmEvent::ConnectionClosed { num_established: 0, .. } => Some(()),
            _ => None,
        })
        .await;
    assert!(
        closed.is_some() || !raw.swarm.is_connected(&node.local_peer_id()),
        "the node hung up"
    );

    // Dialling again is refused: no connection survives.
    let _ = raw.connect(tcp_addr(node).await).await;
    raw.idle(Duration::from_secs(1)).await;
    assert!(
        !raw.swarm.is_connected(&node.local_peer_id()),
        "a banned peer cannot reconnect"
    );
    let info = node.peers().await.expect("running");
    let raw_info = info.iter().find(|p| p.peer == raw_id).expect("banned peers are listed");
    assert!(raw_info.banned && !raw_info.connected && !raw_info.routable);
    assert!(raw_info.score <= veris_net::Hygiene::default().ban_threshold);

    assert_eq!(
        honest.infer(node.local_peer_id(), request).await.expect("still served"),
        vec![2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gossip_and_forged_receipts_are_rejected_and_penalised() {
    let node = Network::spawn(test_config(Vec::new()), &key(60), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let mut events = node.events();
    let mut raw = RawPeer::new();
    let raw_id = raw.id();
    raw.subscribe(ANNOUNCE_TOPIC);
    raw.subscribe(RECEIPT_TOPIC);
    assert!(raw.connect(tcp_addr(&node).await).await);
    let node_id = node.local_peer_id();
    let subscribed = raw.await_subscription(node_id, RECEIPT_TOPIC, LIMIT).await;
    assert!(subscribed, "the node subscribes to the Veris topics");

    raw.publish(ANNOUNCE_TOPIC, b"not an announcement".to_vec());
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::BadAnnouncement
    );

    let mut forged = receipt_codec::encode(&receipt(&key(61), ModelId::of_bytes(b"m"), 9));
    let last = forged.len() - 2;
    forged[last] ^= 1;
    raw.publish(RECEIPT_TOPIC, forged);
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::InvalidSignature
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_peer_is_refused_beyond_its_burst_and_penalised() {
    let model = ModelId::of_bytes(b"rate model");
    let server = MemProvider::new(Behaviour::Honest);
    server.insert(model, b"rate model".to_vec());
    let mut config = test_config(Vec::new());
    config.limits.rate.requests_per_sec = 1.0;
    config.limits.rate.request_burst = 5;
    let node = Network::spawn(config, &key(70), server).await.expect("starts");
    let mut events = node.events();

    let mut raw = RawPeer::new();
    let raw_id = raw.id();
    assert!(raw.connect(tcp_addr(&node).await).await);
    let request = frame(&InferRequest { model, body: vec![5] }.encode());
    for _ in 0..30 {
        raw.swarm
            .behaviour_mut()
            .rr
            .send_request(&node.local_peer_id(), request.clone());
    }
    let limits = Limits::default();
    let (mut served, mut refused) = (0, 0);
    let done = raw
        .drive_until(LIMIT, |e| {
            if let SwarmEvent::Behaviour(RawBehaviourEvent::Rr(libp2p::request_response::Event::Message {
                message: libp2p::request_response::Message::Response { response, .. },
                ..
            })) = e
            {
                match InferResponse::decode(&response[4..], &limits).expect("a valid response") {
                    InferResponse::Output(out) => {
                        assert_eq!(out, vec![6]);
                        served += 1;
                    }
                    InferResponse::Refused(_) => refused += 1,
                    InferResponse::Failed(e) => panic!("unexpected failure {e}"),
                }
            }
            (served + refused == 30).then_some(())
        })
        .await;
    assert!(done.is_some(), "all 30 requests answered");
    assert!((5..=7).contains(&served), "about the burst is served, got {served}");
    assert_eq!(served + refused, 30);
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::RateLimitExceeded
    );
}

/// A signed statement about a job whose inputs take about `input_len` elements.
fn published_job(key: &veris_core::OperatorKey, input_len: usize) -> Vec<u8> {
    use veris_core::job::{JobStatement, SignedJob};
    use veris_core::published_job::PublishedJob;
    use veris_core::{Digest32, EngineId, Nonce, Tensor, TensorData, TensorMap, tensor_codec};

    let mut inputs = TensorMap::new();
    let t = Tensor::new("x", vec![input_len], TensorData::Int64(vec![7; input_len])).expect("tensor");
    inputs.insert("x".into(), t);
    let engine = EngineId {
        id: "veris-exact".into(),
        version: "1".into(),
    };
    let statement = JobStatement::new(
        Nonce([1; 32]),
        ModelId::of_bytes(b"m"),
        engine,
        tensor_codec::digest(&inputs),
        Digest32([2; 32]),
    );
    PublishedJob {
        statement: SignedJob::sign(statement, key),
        inputs,
    }
    .encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_impostor_job_statements_are_rejected_penalised_and_banned() {
    let mut config = test_config(Vec::new());
    config.limits.max_receipt_bytes = 4096;
    // No recovery: three offences of 25 + 50 + 25 reach the threshold of -100 exactly.
    config.hygiene.recovery_per_sec = 0.0;
    let node = Network::spawn(config, &key(63), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let mut events = node.events();
    let mut raw = RawPeer::new();
    let raw_id = raw.id();
    raw.subscribe(JOB_TOPIC);
    assert!(raw.connect(tcp_addr(&node).await).await);
    let node_id = node.local_peer_id();
    let subscribed = raw.await_subscription(node_id, JOB_TOPIC, LIMIT).await;
    assert!(subscribed, "the node subscribes to the job topic");

    raw.publish(JOB_TOPIC, b"{\"statement\": 1}".to_vec());
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Malformed);
    // Over the node's limit (but within gossipsub's transmit size).
    let big = published_job(&key(64), 2000);
    assert!(big.len() > 4096 && big.len() < 30_000, "{}", big.len());
    raw.publish(JOB_TOPIC, big);
    assert_eq!(penalty_of(&mut events, raw_id, &mut raw).await, Offence::Oversized);
    // A valid statement, but signed by an operator other than the publisher.
    raw.publish(JOB_TOPIC, published_job(&key(65), 2));
    assert_eq!(
        penalty_of(&mut events, raw_id, &mut raw).await,
        Offence::ProtocolViolation
    );
    let banned = next_event(&mut events, LIMIT, |e| match e {
        NetEvent::PeerBanned { peer, .. } if *peer == raw_id => Some(()),
        _ => None,
    });
    tokio::select! {
        () = banned => {}
        _ = raw.idle(LIMIT) => panic!("the peer was not banned"),
    }
}

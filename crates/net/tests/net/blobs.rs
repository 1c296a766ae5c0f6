//! Blob transfer: discovery of providers, chunked verified fetches, several
//! providers, lying providers, resuming.

use std::sync::Arc;
use std::time::Duration;

use veris_core::ModelId;
use veris_net::hygiene::Offence;
use veris_net::manifest::CHUNK_SIZE;
use veris_net::{NetError, NetEvent, NetHandle, PeerId};

use crate::support::{Behaviour, MemProvider, cluster, eventually, next_event, seeded_bytes, spawn, tcp_addr};

const LIMIT: Duration = Duration::from_secs(30);

async fn wait_for_providers(node: &NetHandle, id: ModelId, expected: &[PeerId]) {
    eventually(LIMIT, "providers to be known", || async {
        let found = node.providers(id).await.expect("running");
        expected.iter().all(|p| found.contains(p))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_fetches_and_verifies_published_blobs() {
    let big = seeded_bytes(3 * CHUNK_SIZE + CHUNK_SIZE / 2, 1);
    let small = seeded_bytes(100, 2);
    let empty = Vec::new();
    let publisher = MemProvider::new(Behaviour::Honest)
        .with_blob(&big)
        .with_blob(&small)
        .with_blob(&empty);
    let mut providers: Vec<Arc<dyn veris_net::Provider>> = vec![publisher];
    providers.extend((0..3).map(|_| MemProvider::new(Behaviour::Honest) as _));
    let nodes = cluster(providers).await;
    let ids: Vec<ModelId> = [&big, &small, &empty].iter().map(|b| ModelId::of_bytes(b)).collect();
    nodes[0].announce(ids.clone(), 1).await.expect("announce");

    for node in &nodes[1..] {
        for (id, bytes) in ids.iter().zip([&big, &small, &empty]) {
            wait_for_providers(node, *id, &[nodes[0].local_peer_id()]).await;
            let fetched = tokio::time::timeout(LIMIT, node.fetch_blob(*id))
                .await
                .expect("in time");
            assert_eq!(fetched.expect("fetched").as_slice(), bytes.as_slice());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_spreads_over_two_providers() {
    let blob = seeded_bytes(8 * CHUNK_SIZE, 3);
    let id = ModelId::of_bytes(&blob);
    let a = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let b = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let nodes = cluster(vec![a.clone(), b.clone(), MemProvider::new(Behaviour::Honest)]).await;
    nodes[0].announce(vec![id], 1).await.expect("announce");
    nodes[1].announce(vec![id], 1).await.expect("announce");
    wait_for_providers(&nodes[2], id, &[nodes[0].local_peer_id(), nodes[1].local_peer_id()]).await;

    let fetched = tokio::time::timeout(LIMIT, nodes[2].fetch_blob(id))
        .await
        .expect("in time");
    assert_eq!(fetched.expect("fetched"), blob);
    assert!(
        a.served() > 0 && b.served() > 0,
        "both served: {} and {}",
        a.served(),
        b.served()
    );
    assert_eq!(a.served() + b.served(), 8, "each chunk fetched once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_of_corrupt_chunks_is_caught_and_the_fetch_succeeds() {
    let blob = seeded_bytes(6 * CHUNK_SIZE + 1, 4);
    let id = ModelId::of_bytes(&blob);
    let honest = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let liar = MemProvider::new(Behaviour::CorruptChunks).with_blob(&blob);
    let nodes = cluster(vec![honest, liar.clone(), MemProvider::new(Behaviour::Honest)]).await;
    let (honest_id, liar_id) = (nodes[0].local_peer_id(), nodes[1].local_peer_id());
    nodes[0].announce(vec![id], 1).await.expect("announce");
    nodes[1].announce(vec![id], 1).await.expect("announce");
    wait_for_providers(&nodes[2], id, &[honest_id, liar_id]).await;

    let mut events = nodes[2].events();
    let fetched = tokio::time::timeout(LIMIT, nodes[2].fetch_blob(id))
        .await
        .expect("in time");
    assert_eq!(fetched.expect("fetched despite the liar"), blob);
    assert!(liar.served() > 0, "the liar was asked for chunks");
    let offence = next_event(&mut events, LIMIT, |e| match e {
        NetEvent::PeerPenalised { peer, offence, .. } if *peer == liar_id => Some(*offence),
        _ => None,
    })
    .await;
    assert_eq!(offence, Offence::CorruptData);
    next_event(&mut events, LIMIT, |e| {
        matches!(e, NetEvent::PeerBanned { peer, .. } if *peer == liar_id).then_some(())
    })
    .await;
    let peers = nodes[2].peers().await.expect("running");
    let honest_info = peers.iter().find(|p| p.peer == honest_id).expect("honest peer known");
    assert_eq!(honest_info.score, 0.0, "the honest provider is not blamed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_majority_with_a_false_manifest_is_rejected_by_the_content_id() {
    let blob = seeded_bytes(3 * CHUNK_SIZE, 5);
    let id = ModelId::of_bytes(&blob);
    let mut forged = blob.clone();
    forged[2 * CHUNK_SIZE + 10] ^= 1; // only the last chunk differs
    let honest = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let liars = [MemProvider::new(Behaviour::Honest), MemProvider::new(Behaviour::Honest)];
    for liar in &liars {
        liar.insert(id, forged.clone());
    }
    let nodes = cluster(vec![
        honest.clone(),
        liars[0].clone(),
        liars[1].clone(),
        MemProvider::new(Behaviour::Honest),
    ])
    .await;
    for node in &nodes[..3] {
        node.announce(vec![id], 1).await.expect("announce");
    }
    let provider_ids: Vec<PeerId> = nodes[..3].iter().map(|n| n.local_peer_id()).collect();
    wait_for_providers(&nodes[3], id, &provider_ids).await;

    let mut events = nodes[3].events();
    let fetched = tokio::time::timeout(LIMIT, nodes[3].fetch_blob(id))
        .await
        .expect("in time");
    assert_eq!(fetched.expect("fetched from the honest minority"), blob);
    let mut blamed = Vec::new();
    while blamed.len() < 2 {
        blamed.push(
            next_event(&mut events, LIMIT, |e| match e {
                NetEvent::PeerPenalised {
                    peer,
                    offence: Offence::FalseManifest,
                    ..
                } => Some(*peer),
                _ => None,
            })
            .await,
        );
    }
    blamed.sort();
    let mut expected = provider_ids[1..].to_vec();
    expected.sort();
    assert_eq!(blamed, expected);
    assert_eq!(
        honest.served(),
        1,
        "only the chunk the manifests disagree on came from the honest node"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_fetch_resumes_from_another_provider() {
    let blob = seeded_bytes(4 * CHUNK_SIZE - 3, 6);
    let id = ModelId::of_bytes(&blob);
    let flaky = MemProvider::new(Behaviour::StopAfter(2)).with_blob(&blob);
    let nodes = cluster(vec![flaky.clone(), MemProvider::new(Behaviour::Honest)]).await;
    let fetcher = &nodes[1];

    let first = tokio::time::timeout(LIMIT, fetcher.fetch_blob_from(id, vec![nodes[0].local_peer_id()]))
        .await
        .expect("in time");
    match first {
        Err(NetError::FetchIncomplete { verified, total, .. }) => assert_eq!((verified, total), (2, 4)),
        other => panic!("expected an incomplete fetch, got {other:?}"),
    }

    let rescuer = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let late = spawn(9, rescuer.clone(), vec![tcp_addr(&nodes[0]).await]).await;
    late.announce(vec![id], 1).await.expect("announce");
    wait_for_providers(fetcher, id, &[late.local_peer_id()]).await;
    let second = tokio::time::timeout(LIMIT, fetcher.fetch_blob_from(id, vec![late.local_peer_id()]))
        .await
        .expect("in time");
    assert_eq!(second.expect("resumed fetch"), blob);
    assert_eq!(rescuer.served(), 2, "only the chunks missing after the interruption");
}

//! Inference requests and receipt look-ups between two nodes.

use std::time::Duration;

use veris_core::{ModelId, receipt_codec};
use veris_net::{InferRequest, NetError, Network};

use crate::support::{Behaviour, MemProvider, cluster, key, receipt, test_config};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inference_round_trips_and_failures_are_typed() {
    let model = ModelId::of_bytes(b"toy model");
    let server = MemProvider::new(Behaviour::Honest);
    server.insert(model, b"toy model".to_vec());
    let nodes = cluster(vec![server, MemProvider::new(Behaviour::Honest)]).await;
    let (server_id, client) = (nodes[0].local_peer_id(), &nodes[1]);

    let request = InferRequest {
        model,
        body: vec![1, 2, 3, 255],
    };
    let output = tokio::time::timeout(LIMIT, client.infer(server_id, request))
        .await
        .expect("in time");
    assert_eq!(output.expect("served"), vec![2, 3, 4, 0]);

    let unknown = InferRequest {
        model: ModelId::of_bytes(b"other"),
        body: vec![1],
    };
    match client.infer(server_id, unknown).await {
        Err(NetError::Remote { peer, message }) => {
            assert_eq!(peer, server_id);
            assert!(message.contains("not served"), "{message}");
        }
        other => panic!("expected a remote failure, got {other:?}"),
    }

    // A provider that panics costs one request, not the node.
    let panicking = InferRequest {
        model,
        body: b"panic".to_vec(),
    };
    assert!(matches!(
        client.infer(server_id, panicking).await,
        Err(NetError::Remote { .. })
    ));
    let again = InferRequest { model, body: vec![9] };
    assert_eq!(client.infer(server_id, again).await.expect("still serving"), vec![10]);

    let too_big = InferRequest {
        model,
        body: vec![0; veris_net::Limits::default().max_infer_request_bytes + 1],
    };
    assert!(matches!(
        client.infer(server_id, too_big).await,
        Err(NetError::Request { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inference_works_over_quic() {
    let model = ModelId::of_bytes(b"quic model");
    let server = MemProvider::new(Behaviour::Honest);
    server.insert(model, b"quic model".to_vec());
    let quic_only = || {
        let mut config = test_config(Vec::new());
        config.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("address")];
        config
    };
    let a = Network::spawn(quic_only(), &key(31), server).await.expect("starts");
    let b = Network::spawn(quic_only(), &key(32), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let addr = a.listen_addrs().await.expect("running").remove(0);
    assert!(addr.to_string().contains("/quic-v1/"));
    tokio::time::timeout(LIMIT, b.dial(addr))
        .await
        .expect("in time")
        .expect("dialled");
    let request = InferRequest { model, body: vec![41] };
    let output = tokio::time::timeout(LIMIT, b.infer(a.local_peer_id(), request))
        .await
        .expect("in time");
    assert_eq!(output.expect("served over QUIC"), vec![42]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_are_fetched_by_id_and_checked() {
    let signer = key(40);
    let good = receipt(&signer, ModelId::of_bytes(b"m"), 1_000);
    let other = receipt(&signer, ModelId::of_bytes(b"m"), 2_000);
    let holder = MemProvider::new(Behaviour::Honest);
    holder.insert_receipt(good.id(), receipt_codec::encode(&good));
    // A receipt filed under another receipt's id: the fetcher must refuse it.
    holder.insert_receipt(other.id(), receipt_codec::encode(&good));
    let nodes = cluster(vec![holder, MemProvider::new(Behaviour::Honest)]).await;
    let (holder_id, client) = (nodes[0].local_peer_id(), &nodes[1]);

    let fetched = client.fetch_receipt(holder_id, good.id()).await.expect("answered");
    assert_eq!(fetched, Some(receipt_codec::encode(&good)));
    let unknown = receipt(&signer, ModelId::of_bytes(b"m"), 3_000).id();
    assert_eq!(client.fetch_receipt(holder_id, unknown).await.expect("answered"), None);
    assert!(matches!(
        client.fetch_receipt(holder_id, other.id()).await,
        Err(NetError::InvalidResponse { .. })
    ));
}

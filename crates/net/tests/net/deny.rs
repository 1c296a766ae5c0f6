//! The deny-list: a denied peer is cut off and forgotten at once, and
//! reconnects and is offered again once allowed.

use std::time::Duration;

use veris_core::ModelId;
use veris_net::{InferRequest, NetError, NetHandle, Offer, PeerId};

use crate::support::{Behaviour, MemProvider, cluster, eventually};

const LIMIT: Duration = Duration::from_secs(30);

async fn connected(node: &NetHandle, peer: PeerId) -> bool {
    node.peers()
        .await
        .expect("running")
        .iter()
        .any(|p| p.peer == peer && p.connected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_peer_is_cut_off_until_allowed_again() {
    let providers = (0..3).map(|_| MemProvider::new(Behaviour::Honest) as _).collect();
    let nodes = cluster(providers).await;
    let (a, b) = (&nodes[1], &nodes[2]);
    let (a_id, b_id) = (a.local_peer_id(), b.local_peer_id());
    let model = ModelId::of_bytes(b"denied model");
    // A does not hold the model it announces: reaching it gets its refusal.
    let reaches = || async {
        let request = InferRequest {
            model,
            body: b"{}".to_vec(),
        };
        matches!(b.infer(a_id, request).await, Err(NetError::Remote { .. }))
    };
    a.announce(vec![model], 7).await.expect("announce");
    let offer = Offer {
        peer: a_id,
        capacity: 7,
    };
    eventually(LIMIT, "B to hold A's offer", || async {
        b.offers(model) == vec![offer]
    })
    .await;
    assert!(reaches().await, "B cannot reach A");

    // B denies A (and itself, which is ignored): A's offer goes at once, the
    // connection closes, and B cannot reach A.
    b.set_denied(vec![a_id, b_id]).await.expect("running");
    assert!(b.offers(model).is_empty());
    eventually(LIMIT, "A and B to disconnect", || async {
        !connected(b, a_id).await && !connected(a, b_id).await
    })
    .await;
    assert!(!reaches().await, "B reached a denied peer");
    assert!(!b.providers(model).await.expect("running").contains(&a_id));
    // A's announcements, still gossiped through node 0, are ignored.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(b.offers(model).is_empty());
    assert!(!connected(b, a_id).await, "A got back in");

    // Allowed again: B redials A and takes its next announcement.
    b.set_denied(Vec::new()).await.expect("running");
    eventually(LIMIT, "A and B to reconnect", || async { connected(b, a_id).await }).await;
    eventually(LIMIT, "B to hold A's offer again", || async {
        b.offers(model) == vec![offer]
    })
    .await;
    assert!(reaches().await, "B cannot reach A once allowed");
}

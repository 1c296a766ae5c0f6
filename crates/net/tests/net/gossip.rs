//! Announcements and receipts on gossip reach every node.

use std::collections::HashSet;
use std::time::Duration;

use veris_core::{ModelId, receipt_codec};
use veris_net::{NetError, NetEvent};

use crate::support::{Behaviour, MemProvider, cluster, key, next_event, receipt};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_and_receipts_reach_every_node() {
    let providers = (0..4).map(|_| MemProvider::new(Behaviour::Honest) as _).collect();
    let nodes = cluster(providers).await;
    let mut subscriptions: Vec<_> = nodes.iter().map(|n| n.events()).collect();
    let announcer = nodes[2].local_peer_id();
    let models = vec![ModelId::of_bytes(b"model a"), ModelId::of_bytes(b"model b")];
    nodes[2].announce(models.clone(), 7).await.expect("announce");

    for (i, events) in subscriptions.iter_mut().enumerate() {
        if i == 2 {
            continue;
        }
        let (got_models, capacity) = next_event(events, LIMIT, |e| match e {
            NetEvent::Announcement { peer, models, capacity } if *peer == announcer => {
                Some((models.clone(), *capacity))
            }
            _ => None,
        })
        .await;
        let expected: HashSet<_> = models.iter().copied().collect();
        assert_eq!(got_models.into_iter().collect::<HashSet<_>>(), expected);
        assert_eq!(capacity, 7);
        let providers = nodes[i].providers(models[0]).await.expect("running");
        assert!(providers.contains(&announcer), "node {i} knows the provider");
    }

    // A changed announcement replaces the old one.
    nodes[2].announce(vec![models[1]], 0).await.expect("announce");
    let got = next_event(&mut subscriptions[0], LIMIT, |e| match e {
        NetEvent::Announcement { peer, models, .. } if *peer == announcer => Some(models.clone()),
        _ => None,
    })
    .await;
    assert_eq!(got, vec![models[1]]);

    let signer = key(50);
    let r = receipt(&signer, models[0], 5_000);
    let id = nodes[1]
        .publish_receipt(receipt_codec::encode(&r))
        .await
        .expect("published");
    assert_eq!(id, r.id());
    for (i, events) in subscriptions.iter_mut().enumerate() {
        if i == 1 {
            continue;
        }
        let (from, seen) = next_event(events, LIMIT, |e| match e {
            NetEvent::ReceiptSeen { from, id, .. } => Some((*from, *id)),
            _ => None,
        })
        .await;
        assert_eq!((from, seen), (nodes[1].local_peer_id(), r.id()), "node {i}");
    }

    let mut forged = receipt_codec::encode(&r);
    let last = forged.len() - 2;
    forged[last] ^= 1; // inside the signature
    assert!(matches!(
        nodes[1].publish_receipt(forged).await,
        Err(NetError::InvalidReceipt(_))
    ));
}

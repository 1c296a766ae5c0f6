//! Kademlia discovery from one bootstrap peer, and operator identities.

use std::collections::HashSet;
use std::time::Duration;

use veris_net::identity::{address_of, peer_id_of};

use crate::support::{Behaviour, MemProvider, cluster, key};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_discover_each_other_from_one_bootstrap_peer() {
    let providers = (0..4).map(|_| MemProvider::new(Behaviour::Honest) as _).collect();
    let nodes = cluster(providers).await;
    let ids: Vec<_> = nodes.iter().map(|n| n.local_peer_id()).collect();

    for (i, node) in nodes.iter().enumerate() {
        let others: HashSet<_> = ids.iter().copied().filter(|p| *p != ids[i]).collect();
        crate::support::eventually(
            Duration::from_secs(30),
            "every node routable from every node",
            || async {
                let routable: HashSet<_> = node
                    .peers()
                    .await
                    .expect("running")
                    .into_iter()
                    .filter(|p| p.routable)
                    .map(|p| p.peer)
                    .collect();
                others.is_subset(&routable)
            },
        )
        .await;
    }

    // Nodes 1..3 only knew node 0; they found each other through the DHT.
    let peers = nodes[3].peers().await.expect("running");
    let info = peers.iter().find(|p| p.peer == ids[1]).expect("node 1 known to node 3");
    assert_eq!(
        info.operator,
        Some(key(2).address()),
        "peer ids carry operator addresses"
    );
    assert_eq!(info.score, 0.0);
    assert!(!info.banned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_on_one_host_find_each_other_by_mdns() {
    // mDNS works on real interfaces, not loopback: listen on all of them.
    let mut config = crate::support::test_config(Vec::new());
    config.listen = vec!["/ip4/0.0.0.0/tcp/0".parse().expect("address")];
    config.mdns = true;
    let a = veris_net::Network::spawn(config.clone(), &key(20), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let b = veris_net::Network::spawn(config, &key(21), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let b_id = b.local_peer_id();
    crate::support::eventually(Duration::from_secs(20), "mDNS discovery", || async {
        a.peers()
            .await
            .expect("running")
            .iter()
            .any(|p| p.peer == b_id && p.connected)
    })
    .await;
}

#[test]
fn peer_ids_map_to_operator_addresses_and_back() {
    for seed in [1u8, 2, 3, 200] {
        let key = key(seed);
        let peer = peer_id_of(&key.public_key()).expect("secp256k1 key");
        assert_eq!(peer, veris_net::identity::keypair(&key).public().to_peer_id());
        assert_eq!(address_of(&peer), Ok(key.address()));
        assert_eq!(veris_net::identity::public_key_of(&peer), Ok(key.public_key()));
    }
}

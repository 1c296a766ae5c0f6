//! A 4-node network split into two halves by deny-lists keeps working in
//! each half, and reconverges once healed: connections, the model
//! directory, gossip, and replicated jobs across the whole network.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use veris_core::ModelId;
use veris_core::api_replicated::ReplicatedInferResponse;
use veris_core::digest::keccak256;
use veris_net::PeerId;

use crate::support::{Node, Setup, block_on, eventually, exact_digits, sample};

/// The seed that picks the halves: `VERIS_TEST_SEED`, or a fixed one.
fn seed() -> u64 {
    std::env::var("VERIS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_124)
}

/// Node indices 0..4 in an order drawn from `seed`: the first two are one half.
fn halves(seed: u64) -> ([usize; 2], [usize; 2]) {
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by_key(|i| keccak256(&[&seed.to_le_bytes(), &[*i as u8]]));
    ([order[0], order[1]], [order[2], order[3]])
}

fn replicated(entry: &Node, id: ModelId, k: u8) -> reqwest::blocking::Response {
    entry.post(&json!({"model": id.to_string(), "inputs": sample(2), "mode": "replicated", "k": k, "quorum": k}))
}

fn signers(response: reqwest::blocking::Response) -> Vec<veris_core::Address> {
    assert_eq!(response.status(), StatusCode::OK);
    let body: ReplicatedInferResponse = response.json().unwrap();
    let mut signers: Vec<_> = body
        .receipt
        .certificate
        .signers
        .iter()
        .map(|s| s.operator.address)
        .collect();
    signers.sort();
    signers
}

fn set_denied(node: &Node, peers: Vec<PeerId>) {
    block_on(node.net().set_denied(peers)).unwrap();
}

#[test]
fn a_partitioned_network_works_in_each_half_and_reconverges_when_healed() {
    let seed = seed();
    let (one, two) = halves(seed);
    eprintln!("VERIS_TEST_SEED={seed}: halves {one:?} and {two:?}");
    let (id, bytes) = exact_digits();
    let first = Node::start(Setup::default(), None);
    let mut nodes = vec![first];
    for _ in 1..4 {
        let node = Node::start(Setup::default(), Some(&nodes[0]));
        nodes.push(node);
    }
    for n in &nodes {
        n.hold(*id, bytes, "digits-int8");
    }
    let everyone_sees = |model: ModelId, n: usize| nodes.iter().all(|node| node.offered(model).len() == n);
    eventually("every node to see the three others' offers", || everyone_sees(*id, 3));
    for n in &nodes {
        eventually("every node to connect to the three others", || n.connected().len() == 3);
    }
    let operators = |half: &[usize]| {
        let mut ops: Vec<_> = half.iter().map(|i| nodes[*i].service.operator()).collect();
        ops.sort();
        ops
    };
    let peer_ids = |half: &[usize]| half.iter().map(|i| nodes[*i].peer_id()).collect::<Vec<PeerId>>();

    // Split: every node denies the other half.
    for (mine, theirs) in [(one, two), (two, one)] {
        for i in mine {
            set_denied(&nodes[i], peer_ids(&theirs));
        }
    }
    for (mine, theirs) in [(one, two), (two, one)] {
        let them = peer_ids(&theirs);
        for i in mine {
            let node = &nodes[i];
            eventually("the halves to disconnect", || {
                node.connected().iter().all(|p| !them.contains(p))
            });
            // The directory forgets the other half at once.
            assert_eq!(
                node.offered(*id),
                vec![nodes[mine[usize::from(i == mine[0])]].peer_id()]
            );
        }
    }

    // Each half runs replicated jobs on its own, and only on its own.
    for half in [one, two] {
        for i in half {
            assert_eq!(signers(replicated(&nodes[i], *id, 2)), operators(&half));
            assert_eq!(replicated(&nodes[i], *id, 3).status(), StatusCode::BAD_GATEWAY);
        }
    }

    // Gossip stays inside a half: a model announced in one half reaches
    // its other node, not the other half.
    let float = veris_node::BUNDLED_MODEL;
    let float_id = ModelId::of_bytes(float);
    nodes[one[0]].hold(float_id, float, "digits");
    eventually("the announcement to cross the half", || {
        nodes[one[1]].offered(float_id).len() == 1
    });
    std::thread::sleep(Duration::from_secs(1));
    for i in two {
        assert!(nodes[i].offered(float_id).is_empty(), "gossip crossed the partition");
    }

    // Heal: the deny-lists are emptied and the network reconverges.
    for n in &nodes {
        set_denied(n, Vec::new());
    }
    for n in &nodes {
        eventually("every node to reconnect to the three others", || {
            n.connected().len() == 3
        });
    }
    eventually("every node to see the three others' offers again", || {
        everyone_sees(*id, 3)
    });
    eventually("the announcement made during the split to reach everyone", || {
        nodes
            .iter()
            .enumerate()
            .all(|(i, n)| n.offered(float_id).len() == usize::from(i != one[0]))
    });
    let all = operators(&[0, 1, 2, 3]);
    for n in &nodes {
        assert_eq!(signers(replicated(n, *id, 4)), all);
    }
}

//! `veris node start` and the peer network flags.

use crate::common::Home;

#[test]
fn a_node_joins_the_peer_network_unless_told_not_to() {
    let a_home = Home::new();
    let (a, ready_a) = a_home.start_node_json(&["--p2p-listen", "/ip4/127.0.0.1/tcp/0"]);
    let peer_a = ready_a["peer_id"].as_str().expect("a peer id").to_string();
    let listen: Vec<&str> = ready_a["p2p_listen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(listen.len(), 1, "{ready_a}");
    assert!(listen[0].starts_with("/ip4/127.0.0.1/tcp/"), "{ready_a}");
    assert!(listen[0].ends_with(&format!("/p2p/{peer_a}")), "{ready_a}");

    // B joins through A; by default it listens on loopback TCP and QUIC.
    let b_home = Home::new();
    let (b, ready_b) = b_home.start_node_json(&["--bootstrap", listen[0]]);
    assert_ne!(ready_b["peer_id"], ready_a["peer_id"]);
    assert_eq!(ready_b["p2p_listen"].as_array().unwrap().len(), 2, "{ready_b}");

    let c_home = Home::new();
    let (c, ready_c) = c_home.start_node_json(&["--no-p2p"]);
    assert!(ready_c["peer_id"].is_null(), "{ready_c}");
    assert!(ready_c["p2p_listen"].as_array().unwrap().is_empty(), "{ready_c}");

    assert_eq!(c.stop(), Some(0));
    assert_eq!(b.stop(), Some(0));
    assert_eq!(a.stop(), Some(0));
}

#[test]
fn network_flags_are_checked_before_the_node_starts() {
    let home = Home::new();
    // Usage errors (clap's own multi-line message), before anything starts.
    let run = home.veris(&["node", "start", "--no-p2p", "--bootstrap", "/ip4/127.0.0.1/tcp/1"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("--bootstrap"), "{run:?}");
    let run = home.veris(&["node", "start", "--p2p-listen", "not-a-multiaddr"]);
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[test]
fn pinning_needs_a_running_node() {
    let home = Home::new();
    let id = veris_core::ModelId::of_bytes(b"some model").to_string();
    let line = home.veris(&["model", "pin", &id]).fails(2).to_string();
    assert!(line.contains("--node"), "{line}");
}

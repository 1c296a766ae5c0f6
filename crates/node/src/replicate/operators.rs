//! The operator behind a peer id, remembered.
//!
//! A Veris peer id is its operator's secp256k1 public key, so its address
//! is a pure function of the id; deriving it decompresses the key (tens of
//! microseconds), which a replicated job would otherwise pay for every
//! candidate on every request. The map is bounded: when it is full it is
//! emptied and refilled by the peers in use.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use veris_core::Address;
use veris_net::PeerId;

/// Peer ids remembered at most; far more than the peers a node talks to.
const REMEMBERED: usize = 4096;

fn remembered() -> &'static Mutex<HashMap<PeerId, Address>> {
    static MAP: OnceLock<Mutex<HashMap<PeerId, Address>>> = OnceLock::new();
    MAP.get_or_init(Mutex::default)
}

/// The operator address of `peer`, or `None` if its id is not a secp256k1
/// key (such a peer cannot sign a job statement).
pub fn operator_of(peer: &PeerId) -> Option<Address> {
    if let Some(address) = remembered().lock().ok().and_then(|m| m.get(peer).copied()) {
        return Some(address);
    }
    let address = veris_net::identity::address_of(peer).ok()?;
    if let Ok(mut map) = remembered().lock() {
        if map.len() >= REMEMBERED {
            map.clear();
        }
        map.insert(*peer, address);
    }
    Some(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use veris_core::OperatorKey;

    #[test]
    fn remembered_addresses_are_the_derived_ones() {
        for seed in 1u8..=4 {
            let key = OperatorKey::from_secret_bytes(&[seed; 32]).expect("a key");
            let peer = veris_net::identity::peer_id_of(&key.public_key()).expect("a peer id");
            assert_eq!(operator_of(&peer), Some(key.address()));
            // The second answer comes from the map and is the same.
            assert_eq!(operator_of(&peer), Some(key.address()));
        }
        assert_eq!(
            operator_of(&PeerId::random()),
            None,
            "an ed25519 peer id has no operator"
        );
    }
}

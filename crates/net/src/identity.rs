//! One identity for receipts and peers.
//!
//! A node's libp2p keypair is its secp256k1 operator key: the same secret
//! signs receipts (ECDSA over EIP-712 hashes, checked by `ecrecover`) and
//! authenticates the node to its peers (noise handshakes, gossip
//! signatures). A secp256k1 peer id embeds the compressed public key (an
//! identity multihash of its protobuf encoding), so the operator's public
//! key and address can be read back from a peer id without any lookup.

use libp2p::PeerId;
use libp2p::identity::{self, Keypair};
use veris_core::{Address, OperatorKey, PublicKey};

/// Multihash code of the identity "hash" (the key itself).
const IDENTITY_MULTIHASH: u64 = 0x00;

/// Why a peer id or key does not map to an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("peer id does not embed its public key (it is a hash); only secp256k1 peer ids map to operators")]
    HashedPeerId,
    #[error("peer id embeds a key that is not a valid libp2p public key")]
    Malformed,
    #[error("peer id embeds a {0} key, not secp256k1")]
    NotSecp256k1(String),
    #[error("not a valid secp256k1 public key")]
    InvalidKey,
}

/// The libp2p keypair of an operator key (the same secp256k1 secret).
pub fn keypair(key: &OperatorKey) -> Keypair {
    let secret = identity::secp256k1::SecretKey::try_from_bytes(key.secret_bytes())
        .unwrap_or_else(|_| unreachable!("an OperatorKey always holds a valid secp256k1 scalar"));
    Keypair::from(identity::secp256k1::Keypair::from(secret))
}

/// The peer id of the node run with operator public key `key`.
pub fn peer_id_of(key: &PublicKey) -> Result<PeerId, IdentityError> {
    let public = identity::secp256k1::PublicKey::try_from_bytes(&key.0).map_err(|_| IdentityError::InvalidKey)?;
    Ok(identity::PublicKey::from(public).to_peer_id())
}

/// The operator public key a peer id embeds.
pub fn public_key_of(peer: &PeerId) -> Result<PublicKey, IdentityError> {
    let multihash = peer.as_ref();
    if multihash.code() != IDENTITY_MULTIHASH {
        return Err(IdentityError::HashedPeerId);
    }
    let public = identity::PublicKey::try_decode_protobuf(multihash.digest()).map_err(|_| IdentityError::Malformed)?;
    let key_type = public.key_type();
    let secp = public
        .try_into_secp256k1()
        .map_err(|_| IdentityError::NotSecp256k1(format!("{key_type:?}")))?;
    Ok(PublicKey(secp.to_bytes()))
}

/// Whether `peer` is the peer id of operator public key `key`: a
/// secp256k1 peer id is the identity multihash of the protobuf encoding of
/// its compressed key (`08 02 12 21 || key`), so this compares bytes and
/// never parses a curve point.
pub fn is_peer_of(peer: &PeerId, key: &PublicKey) -> bool {
    /// Protobuf `PublicKey { Type: Secp256k1 (2), Data: 33 bytes }` before the key.
    const SECP256K1_PREFIX: [u8; 4] = [0x08, 0x02, 0x12, 33];
    let multihash = peer.as_ref();
    let digest = multihash.digest();
    multihash.code() == IDENTITY_MULTIHASH
        && digest.len() == SECP256K1_PREFIX.len() + key.0.len()
        && digest[..SECP256K1_PREFIX.len()] == SECP256K1_PREFIX
        && digest[SECP256K1_PREFIX.len()..] == key.0
}

/// The operator address (as in receipts and on chain) of a peer id.
pub fn address_of(peer: &PeerId) -> Result<Address, IdentityError> {
    public_key_of(peer)?.address().map_err(|_| IdentityError::InvalidKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_id_embeds_exactly_its_own_key() {
        let keys: Vec<OperatorKey> = (1u8..=6)
            .map(|s| OperatorKey::from_secret_bytes(&[s; 32]).unwrap())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let peer = peer_id_of(&key.public_key()).unwrap();
            for (j, other) in keys.iter().enumerate() {
                assert_eq!(is_peer_of(&peer, &other.public_key()), i == j, "peer {i}, key {j}");
            }
        }
        let ed25519 = PeerId::random();
        assert!(!is_peer_of(&ed25519, &keys[0].public_key()));
    }

    #[test]
    fn peer_ids_and_operators_round_trip() {
        for seed in 1u8..=8 {
            let key = OperatorKey::from_secret_bytes(&[seed; 32]).unwrap();
            let peer = keypair(&key).public().to_peer_id();
            assert_eq!(peer_id_of(&key.public_key()), Ok(peer));
            assert_eq!(public_key_of(&peer), Ok(key.public_key()));
            assert_eq!(address_of(&peer), Ok(key.address()));
        }
    }

    #[test]
    fn a_known_operator_has_its_known_address_as_a_peer() {
        // The first account of the standard test mnemonic (anvil, hardhat).
        let mut secret = [0u8; 32];
        let hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        for (i, byte) in secret.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        let key = OperatorKey::from_secret_bytes(&secret).unwrap();
        let peer = keypair(&key).public().to_peer_id();
        assert_eq!(
            address_of(&peer).unwrap().to_string(),
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
    }

    #[test]
    fn hashed_and_foreign_peer_ids_are_refused() {
        let wrap = |code, digest: &[u8]| {
            PeerId::from_multihash(libp2p::multihash::Multihash::wrap(code, digest).unwrap()).unwrap()
        };
        assert_eq!(public_key_of(&wrap(0x12, &[7; 32])), Err(IdentityError::HashedPeerId));
        assert_eq!(public_key_of(&wrap(0x00, &[0xff; 32])), Err(IdentityError::Malformed));
        assert_eq!(peer_id_of(&PublicKey([0u8; 33])), Err(IdentityError::InvalidKey));
    }
}

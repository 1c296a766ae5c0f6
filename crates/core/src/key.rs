//! Operator keys: secp256k1, so that an EVM contract can check a receipt's
//! signature with `ecrecover`. An operator is identified by its Ethereum
//! address (the last 20 bytes of keccak-256 of the uncompressed public key).

use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};

use crate::digest::keccak256;

/// Why a key or signature is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("secret key is not a valid secp256k1 scalar")]
    Secret,
    #[error("public key is not a valid compressed secp256k1 point")]
    PublicKey,
    #[error("signature is malformed: {0}")]
    Signature(&'static str),
    #[error("signature does not recover to a public key")]
    Recover,
}

crate::digest::hex_bytes_public!(
    /// An Ethereum-style address: keccak-256(uncompressed public key)[12..].
    Address,
    20
);
crate::digest::hex_bytes_public!(
    /// A compressed secp256k1 public key (SEC1, 33 bytes).
    PublicKey,
    33
);
crate::digest::hex_bytes_public!(
    /// A recoverable ECDSA signature `r || s || v` with low `s` and `v` in {27, 28},
    /// the layout `ecrecover` and Ethereum wallets use.
    Signature,
    65
);

impl PublicKey {
    /// The address of this key.
    pub fn address(&self) -> Result<Address, KeyError> {
        let vk = VerifyingKey::from_sec1_bytes(&self.0).map_err(|_| KeyError::PublicKey)?;
        Ok(address_of(&vk))
    }
}

fn address_of(vk: &VerifyingKey) -> Address {
    let point = vk.to_encoded_point(false);
    let hash = keccak256(&[&point.as_bytes()[1..]]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    Address(out)
}

fn compressed(vk: &VerifyingKey) -> PublicKey {
    let point = vk.to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    PublicKey(out)
}

/// An operator's signing key.
#[derive(Clone)]
pub struct OperatorKey(SigningKey);

impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OperatorKey({})", self.address())
    }
}

impl OperatorKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Self {
        OperatorKey(SigningKey::random(&mut rand_core::OsRng))
    }

    /// The key with this 32-byte big-endian secret scalar.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        SigningKey::from_bytes(secret.into())
            .map(OperatorKey)
            .map_err(|_| KeyError::Secret)
    }

    /// The 32-byte secret scalar. Keep it secret.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    pub fn public_key(&self) -> PublicKey {
        compressed(self.0.verifying_key())
    }

    pub fn address(&self) -> Address {
        address_of(self.0.verifying_key())
    }

    /// Signs a 32-byte digest (e.g. an EIP-712 hash) as `ecrecover` expects.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        // RFC 6979 deterministic nonces; k256 always returns low-s signatures.
        let (sig, recid) = self
            .0
            .sign_prehash_recoverable(digest)
            .unwrap_or_else(|_| unreachable!("a 32-byte prehash is always signable"));
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&sig.to_bytes());
        out[64] = 27 + recid.to_byte();
        Signature(out)
    }
}

/// Recovers the public key that signed `digest`, rejecting high-`s`
/// (malleable) signatures and `v` outside {27, 28}.
pub fn recover(digest: &[u8; 32], sig: &Signature) -> Result<PublicKey, KeyError> {
    let v = sig.0[64];
    if v != 27 && v != 28 {
        return Err(KeyError::Signature("v must be 27 or 28"));
    }
    let ecdsa = EcdsaSignature::from_slice(&sig.0[..64]).map_err(|_| KeyError::Signature("r or s out of range"))?;
    if ecdsa.normalize_s().is_some() {
        return Err(KeyError::Signature("s is not in the lower half of the curve order"));
    }
    let recid = RecoveryId::from_byte(v - 27).ok_or(KeyError::Signature("bad recovery id"))?;
    let vk = VerifyingKey::recover_from_prehash(digest, &ecdsa, recid).map_err(|_| KeyError::Recover)?;
    Ok(compressed(&vk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_has_known_address() {
        // The first account of the standard test mnemonic (anvil, hardhat).
        let secret: [u8; 32] = hex::decode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
            .unwrap()
            .try_into()
            .unwrap();
        let key = OperatorKey::from_secret_bytes(&secret).unwrap();
        assert_eq!(key.address().to_string(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assert_eq!(key.public_key().address(), Ok(key.address()));
    }

    #[test]
    fn signatures_recover_and_reject_tampering() {
        let key = OperatorKey::generate();
        let digest = [7u8; 32];
        let sig = key.sign_digest(&digest);
        assert_eq!(recover(&digest, &sig), Ok(key.public_key()));
        assert_ne!(recover(&[8u8; 32], &sig), Ok(key.public_key()));
        let mut bad_v = sig;
        bad_v.0[64] = 29;
        assert!(recover(&digest, &bad_v).is_err());
        assert!(OperatorKey::from_secret_bytes(&[0u8; 32]).is_err());
    }
}

//! Operator keys: secp256k1, so that an EVM contract can check a receipt's
//! signature with `ecrecover`. An operator is identified by its Ethereum
//! address (the last 20 bytes of keccak-256 of the uncompressed public key).
//!
//! The curve arithmetic is bitcoin-core's `libsecp256k1` (through the
//! `secp256k1` crate): constant-time signing with RFC 6979 deterministic
//! nonces and low-`s` normalisation, so a key signs a digest with the same
//! 65 bytes as any other RFC 6979 implementation (eth-account, k256; the
//! golden vectors pin them). Recovery is several times faster than a
//! pure-Rust implementation, and every node recovers the signer of every
//! receipt and job statement it checks.

use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, SecretKey};

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

/// The order n of the secp256k1 group, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc,
    0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
/// ⌊n / 2⌋, big-endian: the largest low `s`.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
    0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

impl PublicKey {
    /// The address of this key.
    pub fn address(&self) -> Result<Address, KeyError> {
        let key = secp256k1::PublicKey::from_byte_array_compressed(self.0).map_err(|_| KeyError::PublicKey)?;
        Ok(address_of(&key))
    }
}

fn address_of(key: &secp256k1::PublicKey) -> Address {
    let hash = keccak256(&[&key.serialize_uncompressed()[1..]]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    Address(out)
}

/// An operator's signing key, with its public key and address worked out once.
#[derive(Clone)]
pub struct OperatorKey {
    secret: SecretKey,
    public: PublicKey,
    address: Address,
}

impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OperatorKey({})", self.address())
    }
}

impl OperatorKey {
    fn of(secret: SecretKey) -> Self {
        let public = secret.public_key();
        OperatorKey {
            secret,
            public: PublicKey(public.serialize()),
            address: address_of(&public),
        }
    }

    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Self {
        use rand_core::RngCore as _;
        loop {
            // A uniform 32-byte string is a valid scalar except with probability about 2^-128.
            let mut secret = [0u8; 32];
            rand_core::OsRng.fill_bytes(&mut secret);
            if let Ok(key) = Self::from_secret_bytes(&secret) {
                return key;
            }
        }
    }

    /// The key with this 32-byte big-endian secret scalar.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        SecretKey::from_secret_bytes(*secret)
            .map(Self::of)
            .map_err(|_| KeyError::Secret)
    }

    /// The 32-byte secret scalar. Keep it secret.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_secret_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest (e.g. an EIP-712 hash) as `ecrecover` expects.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        // RFC 6979 deterministic nonces; libsecp256k1 always returns low-s signatures.
        let sig = RecoverableSignature::sign_ecdsa_recoverable(Message::from_digest(*digest), &self.secret);
        let (recid, rs) = sig.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&rs);
        out[64] = 27 + recid.to_u8();
        Signature(out)
    }
}

/// The public key that signed `digest`, rejecting high-`s` (malleable)
/// signatures, `r` or `s` outside [1, n) and `v` outside {27, 28}.
fn recover_point(digest: &[u8; 32], sig: &Signature) -> Result<secp256k1::PublicKey, KeyError> {
    let v = sig.0[64];
    if v != 27 && v != 28 {
        return Err(KeyError::Signature("v must be 27 or 28"));
    }
    let (r, s) = (&sig.0[..32], &sig.0[32..64]);
    let in_range = |x: &[u8]| x.iter().any(|&b| b != 0) && x < ORDER.as_slice();
    if !in_range(r) || !in_range(s) {
        return Err(KeyError::Signature("r or s out of range"));
    }
    if s > HALF_ORDER.as_slice() {
        return Err(KeyError::Signature("s is not in the lower half of the curve order"));
    }
    let recid = RecoveryId::from_u8_masked(v - 27);
    let ecdsa = RecoverableSignature::from_compact(&sig.0[..64], recid)
        .map_err(|_| KeyError::Signature("r or s out of range"))?;
    ecdsa
        .recover_ecdsa(Message::from_digest(*digest))
        .map_err(|_| KeyError::Recover)
}

/// Recovers the public key that signed `digest`, rejecting high-`s`
/// (malleable) signatures and `v` outside {27, 28}.
pub fn recover(digest: &[u8; 32], sig: &Signature) -> Result<PublicKey, KeyError> {
    recover_point(digest, sig).map(|key| PublicKey(key.serialize()))
}

/// As [`recover`], with the signer's address: one recovery and one hash,
/// no decompression of a named key.
pub fn recover_signer(digest: &[u8; 32], sig: &Signature) -> Result<(PublicKey, Address), KeyError> {
    recover_point(digest, sig).map(|key| (PublicKey(key.serialize()), address_of(&key)))
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
        assert_eq!(
            OperatorKey::from_secret_bytes(&key.secret_bytes()).unwrap().address(),
            key.address()
        );
    }

    #[test]
    fn signatures_recover_and_reject_tampering() {
        let key = OperatorKey::generate();
        let digest = [7u8; 32];
        let sig = key.sign_digest(&digest);
        assert_eq!(recover(&digest, &sig), Ok(key.public_key()));
        assert_eq!(recover_signer(&digest, &sig), Ok((key.public_key(), key.address())));
        assert_ne!(recover(&[8u8; 32], &sig), Ok(key.public_key()));
        let mut bad_v = sig;
        bad_v.0[64] = 29;
        assert!(recover(&digest, &bad_v).is_err());
        assert!(OperatorKey::from_secret_bytes(&[0u8; 32]).is_err());
        assert!(matches!(OperatorKey::from_secret_bytes(&ORDER), Err(KeyError::Secret)));
    }

    #[test]
    fn out_of_range_and_high_s_signatures_are_refused() {
        let key = OperatorKey::from_secret_bytes(&[9u8; 32]).unwrap();
        let digest = [3u8; 32];
        let sig = key.sign_digest(&digest);
        let malformed = |edit: &dyn Fn(&mut [u8; 65])| {
            let mut s = sig;
            edit(&mut s.0);
            recover(&digest, &s)
        };
        let range = Err(KeyError::Signature("r or s out of range"));
        assert_eq!(malformed(&|s| s[..32].fill(0)), range, "r = 0");
        assert_eq!(malformed(&|s| s[32..64].fill(0)), range, "s = 0");
        assert_eq!(malformed(&|s| s[..32].copy_from_slice(&ORDER)), range, "r = n");
        assert_eq!(malformed(&|s| s[32..64].copy_from_slice(&ORDER)), range, "s = n");
        // (r, n - s, the other v) is the same signature with a high s: valid ECDSA, refused as malleable.
        let high = malformed(&|s| {
            let mut borrow = 0i16;
            for i in (0..32).rev() {
                let d = i16::from(ORDER[i]) - i16::from(s[32 + i]) - borrow;
                s[32 + i] = d.rem_euclid(256) as u8;
                borrow = i16::from(d < 0);
            }
            s[64] = 55 - s[64];
        });
        assert_eq!(
            high,
            Err(KeyError::Signature("s is not in the lower half of the curve order"))
        );
        let boundary = malformed(&|s| s[32..64].copy_from_slice(&HALF_ORDER));
        assert!(
            !matches!(boundary, Err(KeyError::Signature(_))),
            "s = n/2 is low and in range: {boundary:?}"
        );
    }
}

//! Fixed-size byte strings written as `0x`-prefixed hex: digests, nonces,
//! addresses, keys and signatures.

pub use crate::hex_bytes_public;

/// Why a hex string is not a valid fixed-size byte string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("expected 0x-prefixed hex")]
    Prefix,
    #[error("expected {expected} bytes of hex, got {got} characters")]
    Length { expected: usize, got: usize },
    #[error("invalid hex: {0}")]
    Invalid(String),
}

#[macro_export]
#[doc(hidden)]
macro_rules! hex_bytes_public {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "0x{}", ::hex::encode(self.0))
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::digest::HexError;

            fn from_str(s: &str) -> Result<Self, $crate::digest::HexError> {
                let h = s.strip_prefix("0x").ok_or($crate::digest::HexError::Prefix)?;
                if h.len() != 2 * $len {
                    return Err($crate::digest::HexError::Length { expected: $len, got: h.len() });
                }
                let mut out = [0u8; $len];
                ::hex::decode_to_slice(h, &mut out).map_err(|e| $crate::digest::HexError::Invalid(e.to_string()))?;
                Ok($name(out))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

crate::digest::hex_bytes_public!(
    /// A 32-byte digest (sha2-256 or keccak-256, as the context says).
    Digest32,
    32
);
crate::digest::hex_bytes_public!(
    /// A 32-byte request nonce chosen by the node for each receipt.
    Nonce,
    32
);

/// sha2-256 of `parts`, concatenated.
pub fn sha256(parts: &[&[u8]]) -> Digest32 {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    Digest32(h.finalize().into())
}

/// keccak-256 of `parts`, concatenated.
pub fn keccak256(parts: &[&[u8]]) -> [u8; 32] {
    use sha3::Digest as _;
    let mut h = sha3::Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

impl Nonce {
    /// A fresh random nonce from the operating system's generator.
    pub fn random() -> Self {
        use rand_core::RngCore as _;
        let mut out = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut out);
        Nonce(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let d = Digest32([0xab; 32]);
        assert_eq!(d.to_string().parse::<Digest32>(), Ok(d));
        assert_eq!("ab".parse::<Digest32>(), Err(HexError::Prefix));
        assert!(matches!("0xab".parse::<Digest32>(), Err(HexError::Length { .. })));
        let bad = format!("0x{}", "zz".repeat(32));
        assert!(matches!(bad.parse::<Digest32>(), Err(HexError::Invalid(_))));
    }

    #[test]
    fn known_hashes() {
        assert_eq!(
            sha256(&[b"ab", b"c"]).to_string(),
            "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(keccak256(&[b""])),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }
}

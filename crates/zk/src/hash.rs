//! The hash functions behind the transcript and the Merkle trees.
//!
//! Both are 256-bit and are used only through [`Hasher`], so every protocol in
//! this crate is generic over the choice:
//!
//! - [`Blake3`] — the default ([`DefaultHash`]): 5–10× faster than Keccak on
//!   CPUs, which dominates commitment time (every codeword byte is hashed).
//! - [`Keccak256`] — for proofs that an EVM contract will verify, where Keccak
//!   is a cheap opcode and BLAKE3 would cost thousands of gas per compression.
//!
//! A proof names its hash implicitly: the transcript absorbs [`Hasher::NAME`]
//! first, so a proof made with one hash never verifies with the other.

use core::fmt::Debug;

/// A 32-byte hash output.
pub type Digest = [u8; 32];

/// The hash chosen for native (non-EVM) proofs.
pub type DefaultHash = Blake3;

/// Incremental hashing state.
pub trait HashState {
    /// Absorbs bytes.
    fn update(&mut self, data: &[u8]);
    /// The 32-byte digest of everything absorbed.
    fn finalize(self) -> Digest;
}

/// A 256-bit hash function.
pub trait Hasher: Debug + Clone + Copy + Default + Send + Sync + 'static {
    /// A stable name, absorbed into every transcript.
    const NAME: &'static str;
    /// The incremental state.
    type State: HashState;

    /// A fresh state.
    fn start() -> Self::State;

    /// The digest of the concatenation of `parts`.
    fn hash_parts(parts: &[&[u8]]) -> Digest {
        let mut s = Self::start();
        for p in parts {
            s.update(p);
        }
        s.finalize()
    }
}

/// BLAKE3 (256-bit output).
#[derive(Debug, Clone, Copy, Default)]
pub struct Blake3;

impl HashState for blake3::Hasher {
    fn update(&mut self, data: &[u8]) {
        blake3::Hasher::update(self, data);
    }
    fn finalize(self) -> Digest {
        *blake3::Hasher::finalize(&self).as_bytes()
    }
}

impl Hasher for Blake3 {
    const NAME: &'static str = "blake3";
    type State = blake3::Hasher;
    fn start() -> Self::State {
        blake3::Hasher::new()
    }
}

/// Keccak-256 (the Ethereum variant, not NIST SHA3-256).
#[derive(Debug, Clone, Copy, Default)]
pub struct Keccak256;

/// State of [`Keccak256`].
#[derive(Debug, Clone, Default)]
pub struct KeccakState(sha3::Keccak256);

impl HashState for KeccakState {
    fn update(&mut self, data: &[u8]) {
        sha3::Digest::update(&mut self.0, data);
    }
    fn finalize(self) -> Digest {
        sha3::Digest::finalize(self.0).into()
    }
}

impl Hasher for Keccak256 {
    const NAME: &'static str = "keccak256";
    type State = KeccakState;
    fn start() -> Self::State {
        KeccakState::default()
    }
}

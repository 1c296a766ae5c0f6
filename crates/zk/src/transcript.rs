//! Fiat–Shamir transcript: a hash chain with labelled, length-prefixed absorbs.
//!
//! State evolution (all lengths are `u64` little-endian, `lp(x) = len(x) ‖ x`):
//!
//! ```text
//! s₀       = H("veris-zk/transcript/v1" ‖ lp(hash name) ‖ lp(protocol label))
//! absorb   : s ← H(0x01 ‖ s ‖ lp(label) ‖ lp(data))
//! squeeze  : s ← H(0x02 ‖ s ‖ lp(label)),  output block i = H(0x03 ‖ s ‖ i as u32)
//! ```
//!
//! A challenge in E takes one 32-byte block: two 128-bit little-endian
//! integers, each reduced mod p. No rejection sampling is needed: every
//! residue has ⌊2^128/p⌋ or ⌈2^128/p⌉ preimages, so any set of challenges has
//! probability at most (1 + 2^-63) times its uniform probability — a
//! multiplicative loss that does not change any soundness bound measurably.
//! Query indices into a power-of-two domain take 8 bytes each, reduced by
//! masking, which is exactly uniform.

use core::marker::PhantomData;

use crate::field::{E, F, Field};
use crate::hash::{Digest, HashState, Hasher};

/// Version of the transcript construction, part of the initial state.
pub const TRANSCRIPT_DOMAIN: &[u8] = b"veris-zk/transcript/v1";

const TAG_ABSORB: u8 = 0x01;
const TAG_SQUEEZE: u8 = 0x02;
const TAG_OUTPUT: u8 = 0x03;

/// A Fiat–Shamir transcript over hash `H`. Prover and verifier must perform
/// the same sequence of absorbs and squeezes with the same labels.
#[derive(Debug, Clone)]
pub struct Transcript<H: Hasher> {
    state: Digest,
    _hash: PhantomData<H>,
}

fn update_lp<S: HashState>(s: &mut S, data: &[u8]) {
    s.update(&(data.len() as u64).to_le_bytes());
    s.update(data);
}

impl<H: Hasher> Transcript<H> {
    /// A transcript for the protocol named `protocol` (e.g. `b"veris/inference/v1"`).
    pub fn new(protocol: &[u8]) -> Self {
        let mut s = H::start();
        s.update(TRANSCRIPT_DOMAIN);
        update_lp(&mut s, H::NAME.as_bytes());
        update_lp(&mut s, protocol);
        Self {
            state: s.finalize(),
            _hash: PhantomData,
        }
    }

    /// Absorbs raw bytes under `label`.
    pub fn absorb_bytes(&mut self, label: &[u8], data: &[u8]) {
        let mut s = H::start();
        s.update(&[TAG_ABSORB]);
        s.update(&self.state);
        update_lp(&mut s, label);
        update_lp(&mut s, data);
        self.state = s.finalize();
    }

    /// Absorbs a digest (e.g. a commitment root).
    pub fn absorb_digest(&mut self, label: &[u8], digest: &Digest) {
        self.absorb_bytes(label, digest);
    }

    /// Absorbs field elements by their canonical encodings.
    pub fn absorb_fields<K: Field>(&mut self, label: &[u8], values: &[K]) {
        let mut buf = Vec::with_capacity(values.len() * K::ENCODED_LEN);
        for v in values {
            v.write_bytes(&mut buf);
        }
        self.absorb_bytes(label, &buf);
    }

    /// Absorbs one field element.
    pub fn absorb_field<K: Field>(&mut self, label: &[u8], value: &K) {
        self.absorb_fields(label, core::slice::from_ref(value));
    }

    /// Ratchets the state under `label` and returns `blocks` output blocks.
    fn squeeze(&mut self, label: &[u8], blocks: usize) -> Vec<Digest> {
        let mut s = H::start();
        s.update(&[TAG_SQUEEZE]);
        s.update(&self.state);
        update_lp(&mut s, label);
        self.state = s.finalize();
        (0..blocks)
            .map(|i| {
                let i = u32::try_from(i).expect("squeeze block count fits in u32");
                H::hash_parts(&[&[TAG_OUTPUT], &self.state, &i.to_le_bytes()])
            })
            .collect()
    }

    /// One challenge in the extension field.
    pub fn challenge_ext(&mut self, label: &[u8]) -> E {
        let block = self.squeeze(label, 1)[0];
        ext_from_block(&block)
    }

    /// `n` challenges in the extension field (one squeeze).
    pub fn challenge_exts(&mut self, label: &[u8], n: usize) -> Vec<E> {
        self.squeeze(label, n).iter().map(ext_from_block).collect()
    }

    /// `count` uniform indices in `[0, 2^log_domain)`, `log_domain <= 64`.
    pub fn challenge_indices(&mut self, label: &[u8], count: usize, log_domain: u32) -> Vec<usize> {
        let mask = if log_domain >= 64 {
            u64::MAX
        } else {
            (1u64 << log_domain) - 1
        };
        let blocks = self.squeeze(label, count.div_ceil(4));
        blocks
            .iter()
            .flat_map(|b| {
                b.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8-byte chunk")))
            })
            .take(count)
            .map(|v| (v & mask) as usize)
            .collect()
    }
}

fn ext_from_block(block: &Digest) -> E {
    let lo = u128::from_le_bytes(block[..16].try_into().expect("16-byte half"));
    let hi = u128::from_le_bytes(block[16..].try_into().expect("16-byte half"));
    E::new(F::from_u128(lo), F::from_u128(hi))
}

//! Canonical byte encoding of proof objects, decoded under explicit limits.
//!
//! Layout rules: integers are little-endian; variable-length sequences carry a
//! `u32` length prefix that is checked against a caller-supplied maximum before
//! anything is allocated; field elements use their canonical encodings and
//! non-canonical ones are rejected. Decoders consume the input exactly: any
//! trailing byte is an error.

use crate::error::DecodeError;
use crate::field::Field;

/// Appends encodings to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A `u32` (little-endian).
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A `u64` (little-endian).
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// An `i64` (little-endian two's complement).
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Raw bytes of a length the decoder knows (no prefix).
    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// A length prefix; lengths above `u32::MAX` cannot occur for proof objects.
    pub fn length(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("proof object lengths fit in u32"));
    }

    /// One field element.
    pub fn field<K: Field>(&mut self, v: &K) {
        v.write_bytes(&mut self.buf);
    }

    /// A field-element vector of a length the decoder knows (no prefix).
    pub fn fields<K: Field>(&mut self, vs: &[K]) {
        for v in vs {
            v.write_bytes(&mut self.buf);
        }
    }

    /// A 32-byte digest.
    pub fn digest(&mut self, d: &[u8; 32]) {
        self.buf.extend_from_slice(d);
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads encodings from a byte slice, never reading past its end.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// A `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// An `i64`.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        let b = self.take(8)?;
        Ok(i64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// Exactly `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.take(n)
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// A length prefix, rejected if above `max`, or if the remaining input
    /// cannot hold `len` items of at least `min_item_bytes` each.
    pub fn len(&mut self, what: &'static str, max: usize, min_item_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(DecodeError::TooLarge {
                what,
                got: n as u64,
                max: max as u64,
            });
        }
        if n.saturating_mul(min_item_bytes) > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    /// One field element.
    pub fn field<K: Field>(&mut self) -> Result<K, DecodeError> {
        K::read_bytes(self.take(K::ENCODED_LEN)?)
    }

    /// Exactly `n` field elements; `n` must come from verifier parameters or a
    /// checked length prefix. Checks the input holds them before allocating.
    pub fn fields<K: Field>(&mut self, n: usize) -> Result<Vec<K>, DecodeError> {
        if n.saturating_mul(K::ENCODED_LEN) > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        (0..n).map(|_| self.field()).collect()
    }

    /// A 32-byte digest.
    pub fn digest(&mut self) -> Result<[u8; 32], DecodeError> {
        let b = self.take(32)?;
        let mut d = [0u8; 32];
        d.copy_from_slice(b);
        Ok(d)
    }

    /// Exactly `n` digests, checked against the remaining input first.
    pub fn digests(&mut self, n: usize) -> Result<Vec<[u8; 32]>, DecodeError> {
        if n.saturating_mul(32) > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        (0..n).map(|_| self.digest()).collect()
    }

    /// Succeeds only if the whole input was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes { extra: self.rest.len() })
        }
    }
}

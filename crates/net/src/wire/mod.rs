//! The canonical binary encoding of every Veris peer message.
//!
//! ```text
//! frame   := u32 body_len, body            (body_len checked against the protocol's limit
//!                                           before a byte of the body is read)
//! body    := u8 version (= 1), u8 kind, fields
//! u8/u32/u64                               fixed width, little-endian
//! bytes   := u32 len, len bytes            (len checked against a per-field limit)
//! cid     := 36 bytes                      (CIDv1, raw codec, sha2-256; see veris_core::ModelId)
//! digest  := 32 bytes
//! ```
//!
//! Every field has one encoding and the decoder refuses unknown versions and
//! kinds, out-of-range values and trailing bytes, so an accepted body is the
//! encoding of exactly one message. Messages are defined in [`messages`] and
//! [`announce`].

pub mod announce;
pub mod blob;
pub mod messages;
pub mod rpc;
pub mod sync;

use veris_core::ModelId;
use veris_core::id::CID_BYTES;

/// The only message format version this build speaks.
pub const WIRE_VERSION: u8 = 1;

/// Why bytes from a peer are not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message of {got} bytes exceeds the limit of {max} bytes")]
    Oversized { max: usize, got: u64 },
    #[error("truncated {what}: need {need} bytes, {left} left")]
    Truncated {
        what: &'static str,
        need: usize,
        left: usize,
    },
    #[error("unsupported message version {0} (this build speaks {WIRE_VERSION})")]
    Version(u8),
    #[error("unknown {what} tag {tag}")]
    UnknownTag { what: &'static str, tag: u8 },
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
}

impl WireError {
    /// Whether this error is the peer exceeding a size limit (as opposed to
    /// sending bytes that do not parse); both are penalised, differently.
    pub fn is_oversized(&self) -> bool {
        matches!(self, WireError::Oversized { .. })
    }
}

/// Appends canonical fields to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer whose body starts with the version and `kind` bytes.
    pub fn message(kind: u8) -> Self {
        let mut w = Writer::default();
        w.u8(WIRE_VERSION);
        w.u8(kind);
        w
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn cid(&mut self, id: &ModelId) {
        self.raw(&id.to_cid_bytes());
    }

    /// Length-prefixed bytes. Callers keep fields under 4 GiB (every limit is far below).
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        self.raw(bytes);
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical fields from an untrusted body, never allocating more
/// than the body already holds.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the version byte and returns the reader with the message kind.
    pub fn message(bytes: &'a [u8]) -> Result<(Self, u8), WireError> {
        let mut r = Reader { bytes };
        let version = r.u8("version")?;
        if version != WIRE_VERSION {
            return Err(WireError::Version(version));
        }
        let kind = r.u8("message kind")?;
        Ok((r, kind))
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < n {
            return Err(WireError::Truncated {
                what,
                need: n,
                left: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn cid(&mut self, what: &'static str) -> Result<ModelId, WireError> {
        ModelId::from_cid_bytes(self.take(CID_BYTES, what)?).map_err(|e| WireError::Invalid {
            what,
            why: e.to_string(),
        })
    }

    /// Length-prefixed bytes of at most `max` bytes.
    pub fn bytes(&mut self, max: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let len = self.u32(what)?;
        if len as u64 > max as u64 {
            return Err(WireError::Oversized { max, got: len as u64 });
        }
        self.take(len as usize, what)
    }

    /// Length-prefixed UTF-8 text of at most `max` bytes.
    pub fn text(&mut self, max: usize, what: &'static str) -> Result<String, WireError> {
        let bytes = self.bytes(max, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WireError::Invalid {
            what,
            why: "not UTF-8".into(),
        })
    }

    /// Refuses trailing bytes: every accepted body is exactly one message.
    pub fn finish(self) -> Result<(), WireError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_refuses_truncation_oversize_trailing_and_versions() {
        let mut w = Writer::message(7);
        w.bytes(b"hello");
        w.u64(42);
        let body = w.finish();

        let (mut r, kind) = Reader::message(&body).unwrap();
        assert_eq!(kind, 7);
        assert_eq!(r.bytes(5, "greeting").unwrap(), b"hello");
        assert_eq!(r.u64("n").unwrap(), 42);
        r.finish().unwrap();

        let (mut r, _) = Reader::message(&body).unwrap();
        assert!(r.bytes(4, "greeting").unwrap_err().is_oversized());

        let (mut r, _) = Reader::message(&body[..body.len() - 1]).unwrap();
        r.bytes(5, "greeting").unwrap();
        assert!(matches!(r.u64("n"), Err(WireError::Truncated { need: 8, left: 7, .. })));

        let mut long = body.clone();
        long.push(0);
        let (mut r, _) = Reader::message(&long).unwrap();
        r.bytes(5, "greeting").unwrap();
        r.u64("n").unwrap();
        assert_eq!(r.finish(), Err(WireError::Trailing(1)));

        let mut v2 = body;
        v2[0] = 2;
        assert_eq!(Reader::message(&v2).unwrap_err(), WireError::Version(2));
    }

    #[test]
    fn a_huge_declared_length_is_refused_before_anything_is_read() {
        let mut w = Writer::message(1);
        w.u32(u32::MAX);
        let body = w.finish();
        let (mut r, _) = Reader::message(&body).unwrap();
        assert_eq!(
            r.bytes(1 << 20, "payload"),
            Err(WireError::Oversized {
                max: 1 << 20,
                got: u32::MAX as u64
            })
        );
    }
}

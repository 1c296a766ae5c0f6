//! Chunk manifests: how a blob is cut for transfer and how each piece is checked.
//!
//! A blob of `size` bytes is cut into [`CHUNK_SIZE`] chunks (the last one
//! shorter). Its manifest lists `sha256(chunk)` for every chunk. A fetcher
//! asks providers for the manifest, checks every chunk against it as it
//! arrives, and checks the reassembled blob against the content id
//! (`sha256(blob)`) before handing it over. Honest providers of one blob all
//! produce the identical manifest, since it is a function of the bytes alone.
//!
//! What each check proves: a chunk that does not match the manifest its
//! provider sent is that provider's fault, on the spot. A manifest whose
//! chunks all verify but whose reassembly does not match the content id is
//! the fault of every provider that sent that manifest. Either way, the
//! bytes handed to the caller always match the content id.

use sha2::{Digest as _, Sha256};
use veris_core::ModelId;

/// Size of every chunk but the last; fixed by wire version 1.
pub const CHUNK_SIZE: usize = 1 << 20;

/// Why a manifest cannot describe a blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("blob of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("a blob of {size} bytes has {expected} chunks, the manifest lists {got}")]
    ChunkCount { size: u64, expected: u64, got: u64 },
}

/// The number of chunks of a blob of `size` bytes.
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_SIZE as u64)
}

/// Byte range `(offset, len)` of chunk `index` in a blob of `size` bytes, if it exists.
pub fn chunk_range(size: u64, index: u32) -> Option<(u64, usize)> {
    let offset = (index as u64).checked_mul(CHUNK_SIZE as u64)?;
    if offset >= size {
        return None;
    }
    let len = (size - offset).min(CHUNK_SIZE as u64) as usize;
    Some((offset, len))
}

/// The sha256 of one chunk.
pub fn chunk_hash(chunk: &[u8]) -> [u8; 32] {
    Sha256::digest(chunk).into()
}

/// A blob's size and the sha256 of each of its chunks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Manifest {
    size: u64,
    chunks: Vec<[u8; 32]>,
}

impl Manifest {
    /// A manifest after checking that `chunks` has one hash per chunk of a
    /// blob of `size` bytes and that `size` is at most `max_size`.
    pub fn new(size: u64, chunks: Vec<[u8; 32]>, max_size: u64) -> Result<Self, ManifestError> {
        if size > max_size {
            return Err(ManifestError::TooLarge { size, max: max_size });
        }
        let expected = chunk_count(size);
        if chunks.len() as u64 != expected {
            return Err(ManifestError::ChunkCount {
                size,
                expected,
                got: chunks.len() as u64,
            });
        }
        Ok(Manifest { size, chunks })
    }

    /// The manifest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Manifest {
            size: bytes.len() as u64,
            chunks: bytes.chunks(CHUNK_SIZE).map(chunk_hash).collect(),
        }
    }

    /// The manifest of a blob of `size` bytes read chunk by chunk through
    /// `read(offset, len)`; `None` if any read fails or returns the wrong length.
    pub fn from_reader(size: u64, mut read: impl FnMut(u64, usize) -> Option<Vec<u8>>) -> Option<Self> {
        let count = u32::try_from(chunk_count(size)).ok()?;
        let mut chunks = Vec::with_capacity(count as usize);
        for index in 0..count {
            let (offset, len) = chunk_range(size, index)?;
            let chunk = read(offset, len)?;
            if chunk.len() != len {
                return None;
            }
            chunks.push(chunk_hash(&chunk));
        }
        Some(Manifest { size, chunks })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn chunk_hashes(&self) -> &[[u8; 32]] {
        &self.chunks
    }

    pub fn chunk_count(&self) -> u32 {
        // `new` bounds the count by the blob size limit; a u32 holds 4 PiB of chunks.
        self.chunks.len() as u32
    }

    /// Whether `chunk` is chunk `index` of this manifest (length and hash).
    pub fn verifies(&self, index: u32, chunk: &[u8]) -> bool {
        match (chunk_range(self.size, index), self.chunks.get(index as usize)) {
            (Some((_, len)), Some(hash)) => chunk.len() == len && chunk_hash(chunk) == *hash,
            _ => false,
        }
    }

    /// A digest naming this manifest, to group providers that sent the same one.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"veris.manifest.v1");
        h.update(self.size.to_le_bytes());
        for c in &self.chunks {
            h.update(c);
        }
        h.finalize().into()
    }
}

/// Whether reassembled `bytes` are the blob `id` names.
pub fn whole_matches(id: &ModelId, bytes: &[u8]) -> bool {
    id.matches(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_covers_the_blob_exactly() {
        let size = 2 * CHUNK_SIZE as u64 + 5;
        assert_eq!(chunk_count(size), 3);
        assert_eq!(chunk_count(0), 0);
        assert_eq!(chunk_count(CHUNK_SIZE as u64), 1);
        assert_eq!(chunk_range(size, 2), Some((2 * CHUNK_SIZE as u64, 5)));
        assert_eq!(chunk_range(size, 3), None);
        assert_eq!(chunk_range(size, u32::MAX), None);
    }

    #[test]
    fn manifest_checks_chunks_and_counts() {
        let blob: Vec<u8> = (0..CHUNK_SIZE + 10).map(|i| (i * 7 % 251) as u8).collect();
        let m = Manifest::of_bytes(&blob);
        assert_eq!(m.chunk_count(), 2);
        assert!(m.verifies(0, &blob[..CHUNK_SIZE]));
        assert!(m.verifies(1, &blob[CHUNK_SIZE..]));
        assert!(!m.verifies(1, &blob[..10]));
        assert!(!m.verifies(2, &blob[CHUNK_SIZE..]));
        let mut bad = blob[CHUNK_SIZE..].to_vec();
        bad[0] ^= 1;
        assert!(!m.verifies(1, &bad));

        let read = |off: u64, len: usize| Some(blob[off as usize..off as usize + len].to_vec());
        assert_eq!(Manifest::from_reader(blob.len() as u64, read), Some(m.clone()));
        assert_eq!(Manifest::from_reader(blob.len() as u64, |_, _| Some(vec![0])), None);

        assert!(Manifest::new(m.size(), m.chunk_hashes().to_vec(), 1 << 30).is_ok());
        assert_eq!(
            Manifest::new(m.size(), vec![[0; 32]], 1 << 30),
            Err(ManifestError::ChunkCount {
                size: m.size(),
                expected: 2,
                got: 1
            })
        );
        assert!(matches!(
            Manifest::new(m.size(), m.chunk_hashes().to_vec(), 100),
            Err(ManifestError::TooLarge { .. })
        ));
    }
}

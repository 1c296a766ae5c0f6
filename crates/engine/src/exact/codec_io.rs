//! The field readers and writers of the exact model encoding: little-endian
//! integers, length-prefixed strings, requantizers and values of the model's
//! width. Reading never goes past the end of the bytes and refuses counts
//! the remaining bytes cannot back, before anything is allocated.

use super::model::Bits;
use super::quant::Requant;
use super::validate::{MAX_NAME_LEN, MAX_RANK};

/// Appends the little-endian fields of the encoding.
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.u16(u16::try_from(s.len()).unwrap_or(u16::MAX));
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn requant(&mut self, r: Requant) {
        self.u32(r.multiplier);
        self.u8(r.shift);
    }
    /// A value of the model's width: 1 byte (int8) or 2 bytes (int16 LE).
    pub(crate) fn value(&mut self, bits: Bits, v: i64) {
        match bits {
            Bits::B8 => self.u8(v as i8 as u8),
            Bits::B16 => self.0.extend_from_slice(&(v as i16).to_le_bytes()),
        }
    }
}

/// Reads fields off the front of untrusted bytes, never past their end.
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!("truncated {what}: need {n} bytes, {} left", self.0.len()));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    pub(crate) fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.arr::<1>(what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn bool(&mut self, what: &str) -> Result<bool, String> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("{what}: flag {b} is neither 0 nor 1")),
        }
    }
    /// A count whose items take at least `item_bytes` each: refused before
    /// anything is allocated if the remaining bytes cannot hold them.
    pub(crate) fn count(&mut self, what: &str, item_bytes: usize, max: usize) -> Result<usize, String> {
        let n = self.u32(what)? as usize;
        if n > max || n.saturating_mul(item_bytes) > self.0.len() {
            return Err(format!("{what}: count {n} exceeds the limit or the remaining bytes"));
        }
        Ok(n)
    }
    pub(crate) fn str(&mut self, what: &str) -> Result<String, String> {
        let n = self.u16(what)? as usize;
        if n > MAX_NAME_LEN {
            return Err(format!("{what}: {n} bytes exceed {MAX_NAME_LEN}"));
        }
        String::from_utf8(self.take(n, what)?.to_vec()).map_err(|_| format!("{what}: not UTF-8"))
    }
    pub(crate) fn requant(&mut self, what: &str) -> Result<Requant, String> {
        Ok(Requant {
            multiplier: self.u32(what)?,
            shift: self.u8(what)?,
        })
    }
    /// `n` values of the model's width, bounded by the remaining bytes.
    pub(crate) fn values(&mut self, bits: Bits, n: usize, what: &str) -> Result<Vec<i64>, String> {
        let size = usize::from(bits.width() / 8);
        let raw = self.take(
            n.checked_mul(size).ok_or_else(|| format!("{what}: size overflow"))?,
            what,
        )?;
        Ok(match bits {
            Bits::B8 => raw.iter().map(|&b| i64::from(b as i8)).collect(),
            Bits::B16 => raw
                .chunks_exact(2)
                .map(|c| i64::from(i16::from_le_bytes([c[0], c[1]])))
                .collect(),
        })
    }
}

pub(crate) fn read_rank(r: &mut Reader<'_>) -> Result<usize, String> {
    let rank = r.u8("rank")? as usize;
    if rank > MAX_RANK {
        return Err(format!("rank {rank} exceeds {MAX_RANK}"));
    }
    Ok(rank)
}

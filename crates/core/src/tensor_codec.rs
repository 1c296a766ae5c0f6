//! Canonical binary encoding of named tensors, and their digest.
//!
//! ```text
//! tensors := u32 count, tensor*            (sorted by name, names unique)
//! tensor  := u16 name_len, name (UTF-8), u8 dtype code, u8 rank, u64 dim * rank,
//!            data                          (element count = product of dims)
//! data    := elements little-endian; bool as one byte 0 or 1;
//!            every NaN written as the canonical quiet NaN (f32 0x7fc00000,
//!            f64 0x7ff8000000000000)
//! ```
//! All integers are little-endian. The digest of a tensor map is
//! `sha256("veris.tensors.v1" || tensors)`.

use crate::digest::Digest32;
use crate::tensor::{DType, Tensor, TensorData, TensorError, TensorLimits, TensorMap};

/// Domain tag of [`digest`].
pub const DIGEST_DOMAIN: &[u8] = b"veris.tensors.v1";

/// Writes the canonical encoding of `map` to `out` in pieces.
pub fn write_tensors(map: &TensorMap, out: &mut impl FnMut(&[u8])) {
    out(&(map.len() as u32).to_le_bytes());
    for (name, t) in map {
        out(&(name.len() as u16).to_le_bytes());
        out(name.as_bytes());
        out(&[t.dtype().code(), t.shape().len() as u8]);
        for &d in t.shape() {
            out(&(d as u64).to_le_bytes());
        }
        write_data(t.data(), out);
    }
}

fn write_data(data: &TensorData, out: &mut impl FnMut(&[u8])) {
    // Chunked so that hashing a large tensor does not allocate its full copy.
    let mut buf = Vec::with_capacity(4096);
    macro_rules! each {
        ($v:expr, $f:expr) => {
            for x in $v.iter() {
                buf.extend_from_slice(&$f(*x));
                if buf.len() >= 4096 {
                    out(&buf);
                    buf.clear();
                }
            }
        };
    }
    match data {
        TensorData::Float32(v) => each!(v, |x: f32| if x.is_nan() { f32::NAN.to_bits() } else { x.to_bits() }
            .to_le_bytes()),
        TensorData::Float64(v) => each!(v, |x: f64| if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() }
            .to_le_bytes()),
        TensorData::Int64(v) => each!(v, |x: i64| x.to_le_bytes()),
        TensorData::Int32(v) => each!(v, |x: i32| x.to_le_bytes()),
        TensorData::Int8(v) => each!(v, |x: i8| x.to_le_bytes()),
        TensorData::Uint8(v) => each!(v, |x: u8| [x]),
        TensorData::Bool(v) => each!(v, |x: bool| [x as u8]),
    }
    if !buf.is_empty() {
        out(&buf);
    }
}

/// The canonical encoding of `map` as one buffer.
pub fn encode(map: &TensorMap) -> Vec<u8> {
    let mut out = Vec::new();
    write_tensors(map, &mut |b| out.extend_from_slice(b));
    out
}

/// `sha256("veris.tensors.v1" || encode(map))`, computed without copying.
pub fn digest(map: &TensorMap) -> Digest32 {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(DIGEST_DOMAIN);
    write_tensors(map, &mut |b| h.update(b));
    Digest32(h.finalize().into())
}

/// A bounds-checked reader over untrusted bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// The next `n` bytes, or an error naming `what` was cut short.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!("truncated {what}: need {n} bytes, {} left", self.bytes.len()));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }
}

/// Decodes a canonical tensor map, enforcing `limits`, sorted unique names
/// and the canonical NaN, so that decode(encode(m)) = m and every accepted
/// byte string is the encoding of exactly one map.
pub fn read_tensors(r: &mut Reader<'_>, limits: &TensorLimits) -> Result<TensorMap, TensorError> {
    let e = TensorError::Binary;
    let count = r.u32("tensor count").map_err(e)? as usize;
    if count > limits.max_tensors {
        return Err(TensorError::TooMany {
            count,
            limit: limits.max_tensors,
        });
    }
    let mut map = TensorMap::new();
    let mut total = 0usize;
    for _ in 0..count {
        let len = r.u16("name length").map_err(e)? as usize;
        if len > limits.max_name_len {
            return Err(TensorError::NameTooLong {
                len,
                limit: limits.max_name_len,
            });
        }
        let name = std::str::from_utf8(r.take(len, "name").map_err(e)?)
            .map_err(|_| e("tensor name is not UTF-8".into()))?
            .to_string();
        if map.keys().next_back().is_some_and(|last: &String| *last >= name) {
            return Err(e(format!("tensor `{name}` out of order or repeated")));
        }
        let dtype = DType::from_code(r.u8("dtype").map_err(e)?)
            .ok_or_else(|| e(format!("tensor `{name}`: unknown dtype code")))?;
        let rank = r.u8("rank").map_err(e)? as usize;
        if rank > limits.max_rank {
            return Err(TensorError::RankTooLarge {
                name,
                rank,
                limit: limits.max_rank,
            });
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            let d = r.u64("dimension").map_err(e)?;
            shape.push(usize::try_from(d).map_err(|_| e(format!("tensor `{name}`: dimension too large")))?);
        }
        let n = limits.check_shape(&name, &shape)?;
        total += n;
        if total > limits.max_total_elements {
            return Err(TensorError::TotalTooLarge {
                elements: total as u128,
                limit: limits.max_total_elements,
            });
        }
        let raw = r.take(n * dtype.size(), "tensor data").map_err(e)?;
        let data = read_data(&name, dtype, raw)?;
        map.insert(name.clone(), Tensor::new(&name, shape, data)?);
    }
    Ok(map)
}

fn read_data(name: &str, dtype: DType, raw: &[u8]) -> Result<TensorData, TensorError> {
    macro_rules! le {
        ($t:ty, $n:expr) => {
            raw.chunks_exact($n)
                .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n])))
                .collect::<Vec<$t>>()
        };
    }
    let non_canonical = || TensorError::Binary(format!("tensor `{name}`: non-canonical value"));
    Ok(match dtype {
        DType::Float32 => {
            let v = le!(u32, 4);
            if v.iter().any(|&b| f32::from_bits(b).is_nan() && b != f32::NAN.to_bits()) {
                return Err(non_canonical());
            }
            TensorData::Float32(v.into_iter().map(f32::from_bits).collect())
        }
        DType::Float64 => {
            let v = le!(u64, 8);
            if v.iter().any(|&b| f64::from_bits(b).is_nan() && b != f64::NAN.to_bits()) {
                return Err(non_canonical());
            }
            TensorData::Float64(v.into_iter().map(f64::from_bits).collect())
        }
        DType::Int64 => TensorData::Int64(le!(i64, 8)),
        DType::Int32 => TensorData::Int32(le!(i32, 4)),
        DType::Int8 => TensorData::Int8(raw.iter().map(|&b| b as i8).collect()),
        DType::Uint8 => TensorData::Uint8(raw.to_vec()),
        DType::Bool => {
            if raw.iter().any(|&b| b > 1) {
                return Err(non_canonical());
            }
            TensorData::Bool(raw.iter().map(|&b| b == 1).collect())
        }
    })
}

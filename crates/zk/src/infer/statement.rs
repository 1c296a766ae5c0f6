//! The public statement of an inference proof: which exact model, which
//! quantized input, which quantized output.
//!
//! Encoding (absorbed into the transcript before any prover message, and the
//! form in which statements travel): `model_id (36 bytes, binary CIDv1)` ‖
//! `tensor(input)` ‖ `tensor(output)`, with
//! `tensor = u8 rank (≤ 8) ‖ rank × u64 dims ‖ ∏dims × i64 values (LE)`.

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;

/// Bytes of a binary CIDv1 (raw codec, sha2-256), the form of every model id.
pub const MODEL_ID_BYTES: usize = 36;
/// Largest tensor rank.
pub const MAX_RANK: usize = 8;

/// An integer tensor of the exact program (row-major).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuantTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// `∏ shape` values.
    pub data: Vec<i64>,
}

impl QuantTensor {
    /// Whether `data` has `∏ shape` entries (and the product does not overflow).
    pub fn is_consistent(&self) -> bool {
        element_count(&self.shape) == Some(self.data.len())
    }
}

/// `∏ shape`, or `None` on overflow.
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// What a proof asserts: running the exact model `model_id` on `input`
/// (already quantized, as the engine's trace reports it) gives `output`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Statement {
    /// The exact model's id (binary CIDv1 of its canonical encoding).
    pub model_id: [u8; MODEL_ID_BYTES],
    /// The quantized input.
    pub input: QuantTensor,
    /// The quantized output.
    pub output: QuantTensor,
}

/// Limits for decoding a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementLimits {
    /// Largest number of elements per tensor.
    pub max_elements: usize,
}

impl Default for StatementLimits {
    fn default() -> Self {
        Self { max_elements: 1 << 24 }
    }
}

impl Statement {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.model_id);
        write_tensor(&mut w, &self.input);
        write_tensor(&mut w, &self.output);
        w.finish()
    }

    /// Decodes a statement, refusing anything beyond `limits` or trailing bytes.
    pub fn decode(bytes: &[u8], limits: StatementLimits) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let mut model_id = [0u8; MODEL_ID_BYTES];
        model_id.copy_from_slice(r.bytes(MODEL_ID_BYTES)?);
        let input = read_tensor(&mut r, limits)?;
        let output = read_tensor(&mut r, limits)?;
        r.finish()?;
        Ok(Self {
            model_id,
            input,
            output,
        })
    }
}

fn write_tensor(w: &mut Writer, t: &QuantTensor) {
    w.u8(t.shape.len() as u8);
    for &d in &t.shape {
        w.u64(d as u64);
    }
    for &v in &t.data {
        w.i64(v);
    }
}

fn read_tensor(r: &mut Reader<'_>, limits: StatementLimits) -> Result<QuantTensor, DecodeError> {
    let rank = usize::from(r.u8()?);
    if rank > MAX_RANK {
        return Err(DecodeError::TooLarge {
            what: "tensor rank",
            got: rank as u64,
            max: MAX_RANK as u64,
        });
    }
    let mut shape = Vec::with_capacity(rank);
    let mut count: u64 = 1;
    for _ in 0..rank {
        let d = r.u64()?;
        count = count.saturating_mul(d);
        shape.push(usize::try_from(d).map_err(|_| DecodeError::Invalid("tensor dimension"))?);
    }
    if count > limits.max_elements as u64 {
        return Err(DecodeError::TooLarge {
            what: "tensor elements",
            got: count,
            max: limits.max_elements as u64,
        });
    }
    let count = count as usize;
    if count.saturating_mul(8) > r.remaining() {
        return Err(DecodeError::Truncated);
    }
    let data = (0..count).map(|_| r.i64()).collect::<Result<_, _>>()?;
    Ok(QuantTensor { shape, data })
}

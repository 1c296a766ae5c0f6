//! The opening proof and its canonical encoding.
//!
//! Layout: `u_prox` (k × E) ‖ `u_eval` (k × E) ‖ `u32 c` ‖ `c` columns of
//! `R` F-elements ‖ Merkle multi-proof (`u32 s` ‖ `s` digests), with
//! `c ≤ t` and `s ≤ c·log2(N)`. Sizes other than `c` and `s` come from the
//! [`Shape`], never from the bytes.

use super::Shape;
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::field::{E, F};
use crate::merkle::MultiProof;

/// An opening of a commitment at one point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningProof {
    /// `Σ γ_i M_i` (k elements).
    pub u_prox: Vec<E>,
    /// `Σ w_i M_i` (k elements).
    pub u_eval: Vec<E>,
    /// The distinct queried columns, ascending by position; each has `R` entries.
    pub columns: Vec<Vec<F>>,
    /// Authentication of the columns.
    pub merkle: MultiProof,
}

impl OpeningProof {
    /// Appends the encoding.
    pub fn write(&self, w: &mut Writer) {
        w.fields(&self.u_prox);
        w.fields(&self.u_eval);
        w.length(self.columns.len());
        for c in &self.columns {
            w.fields(c);
        }
        self.merkle.write(w);
    }

    /// The encoding as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.finish()
    }

    /// Reads an opening for a commitment of the given shape.
    pub fn read(r: &mut Reader<'_>, shape: &Shape) -> Result<Self, DecodeError> {
        shape.check()?;
        let k = shape.msg_len();
        let u_prox = r.fields(k)?;
        let u_eval = r.fields(k)?;
        let rows = shape.total_rows();
        let count = r.len("PCS columns", shape.params.num_queries, rows * 8)?;
        let columns = (0..count).map(|_| r.fields(rows)).collect::<Result<Vec<_>, _>>()?;
        let merkle = MultiProof::read(r, count, shape.log_code_len() as usize)?;
        Ok(Self {
            u_prox,
            u_eval,
            columns,
            merkle,
        })
    }

    /// Decodes exactly one opening from `bytes`.
    pub fn from_bytes(bytes: &[u8], shape: &Shape) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let proof = Self::read(&mut r, shape)?;
        r.finish()?;
        Ok(proof)
    }
}

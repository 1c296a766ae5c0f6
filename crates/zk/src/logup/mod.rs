//! LogUp lookups proved with a GKR fractional-sum circuit (no helper columns).
//!
//! **Statement.** Witness columns `w_0..w_{C−1}` (each `2^n` values in F), table
//! columns `t_0..t_{C−1}` (each `2^m`) and multiplicities `μ` (`2^m`): every row
//! `(w_0[i], …, w_{C−1}[i])` is a row of the table, with `μ_j` = how often row
//! `j` is used. With challenges `α, β ∈ E` and `v = Σ_c β^c·col_c`, this holds
//! (except with probability ≤ (2^n + 2^m)/|E| + C/|E|) iff
//!
//! ```text
//!   Σ_i 1/(α − v_w[i])  =  Σ_j μ_j/(α − v_t[j]).
//! ```
//!
//! **Binding.** The witness and multiplicity columns must be committed (their
//! commitments, and whatever else fixes the columns, absorbed) before `α` and
//! `β` are drawn; `prove`/`verify` absorb the given commitment digests under
//! `"logup/commitments"` first, then squeeze `α` `"logup/alpha"`, `β` `"logup/beta"`.
//!
//! **Fraction trees.** Each side is a binary tree of fractions `(p, q)`:
//! leaves `(1, α − v_w[i])` resp. `(μ_j, α − v_t[j])`; the parent of children
//! `2x, 2x+1` is `(p₀q₁ + p₁q₀, q₀q₁)`, so the child bit is the *last*
//! variable. The prover sends both roots `(p, q)` (`"logup/root"`); the
//! verifier requires `q_w ≠ 0`, `q_t ≠ 0` and `p_w·q_t = p_t·q_w`.
//!
//! **Layer reduction** (level `k → k+1`, claim `p_k(r) = P, q_k(r) = Q`, `r ∈ E^k`):
//! squeeze `λ` (`"logup/lambda"`); sumcheck (degree 3, `k` variables) of
//! `Σ_x eq(r,x)·(p_{k+1}(x,0)q_{k+1}(x,1) + p_{k+1}(x,1)q_{k+1}(x,0) + λ·q_{k+1}(x,0)q_{k+1}(x,1)) = P + λQ`
//! ending at `ρ` with value `V`; the prover sends `p(ρ,0), p(ρ,1), q(ρ,0), q(ρ,1)`
//! (`"logup/children"`); the verifier checks `eq(r,ρ)·(p₀q₁ + p₁q₀ + λq₀q₁) = V`,
//! squeezes `τ` (`"logup/tau"`) and continues with `P = p₀ + τ(p₁ − p₀)`,
//! `Q = q₀ + τ(q₁ − q₀)` at `(ρ, τ)`.
//!
//! **Leaves.** At the witness leaves (point `r_w`) the prover sends `w_c(r_w)`
//! (`"logup/witness-evals"`); the verifier checks `P = 1` and
//! `Q = α − Σ β^c w_c(r_w)`. At the table leaves (`r_t`) it sends `μ(r_t)` and
//! `t_c(r_t)` (`"logup/table-evals"`); the verifier checks `P = μ(r_t)` and
//! `Q = α − Σ β^c t_c(r_t)`. The witness tree is processed first, then the table
//! tree. What remains are the [`LookupClaims`], which the caller must check
//! (PCS openings for committed columns, direct evaluation for a fixed table).

#[cfg(feature = "prover")]
pub mod prover;
pub mod verifier;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::field::E;
use crate::sumcheck::{SumcheckProof, SumcheckShape};

/// Largest `n` or `m`.
pub const MAX_VARS: usize = 30;
/// Largest tuple width `C`.
pub const MAX_COLUMNS: usize = 16;

/// The verifier's knowledge of a lookup's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupShape {
    /// `n`: the witness has `2^n` rows.
    pub witness_vars: usize,
    /// `m`: the table has `2^m` rows.
    pub table_vars: usize,
    /// `C`: columns per row.
    pub columns: usize,
}

impl LookupShape {
    fn check(&self) -> Result<(), DecodeError> {
        if self.witness_vars > MAX_VARS || self.table_vars > MAX_VARS {
            return Err(DecodeError::TooLarge {
                what: "lookup variables",
                got: self.witness_vars.max(self.table_vars) as u64,
                max: MAX_VARS as u64,
            });
        }
        if self.columns == 0 || self.columns > MAX_COLUMNS {
            return Err(DecodeError::Invalid("lookup columns must be in 1..=16"));
        }
        Ok(())
    }
}

/// One layer reduction of a fraction tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProof {
    /// The degree-3 sumcheck over the parent level's variables.
    pub sumcheck: SumcheckProof,
    /// `p(ρ,0), p(ρ,1), q(ρ,0), q(ρ,1)`.
    pub children: [E; 4],
}

/// The GKR proof for one fraction tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FractionProof {
    /// The root fraction `(p, q)`.
    pub root: [E; 2],
    /// One reduction per level, from the root down.
    pub layers: Vec<LayerProof>,
}

/// A complete lookup proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupProof {
    /// The witness side.
    pub witness: FractionProof,
    /// `w_c(r_w)` for each column.
    pub witness_evals: Vec<E>,
    /// The table side.
    pub table: FractionProof,
    /// `μ(r_t)`.
    pub multiplicity_eval: E,
    /// `t_c(r_t)` for each column.
    pub table_evals: Vec<E>,
}

/// The evaluation claims a verified lookup leaves to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupClaims {
    /// `r_w` (n coordinates).
    pub witness_point: Vec<E>,
    /// Claimed `w_c(r_w)`.
    pub witness_evals: Vec<E>,
    /// `r_t` (m coordinates).
    pub table_point: Vec<E>,
    /// Claimed `μ(r_t)`.
    pub multiplicity_eval: E,
    /// Claimed `t_c(r_t)`.
    pub table_evals: Vec<E>,
}

impl FractionProof {
    fn write(&self, w: &mut Writer) {
        w.fields(&self.root);
        for layer in &self.layers {
            layer.sumcheck.write(w);
            w.fields(&layer.children);
        }
    }

    fn read(r: &mut Reader<'_>, vars: usize) -> Result<Self, DecodeError> {
        let root = [r.field()?, r.field()?];
        let layers = (0..vars)
            .map(|k| {
                let sumcheck = SumcheckProof::read(r, SumcheckShape { num_vars: k, degree: 3 })?;
                let children = [r.field()?, r.field()?, r.field()?, r.field()?];
                Ok(LayerProof { sumcheck, children })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Self { root, layers })
    }
}

impl LookupProof {
    /// Appends the canonical encoding (all sizes follow from the [`LookupShape`]).
    pub fn write(&self, w: &mut Writer) {
        self.witness.write(w);
        w.fields(&self.witness_evals);
        self.table.write(w);
        w.field(&self.multiplicity_eval);
        w.fields(&self.table_evals);
    }

    /// The canonical encoding as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.finish()
    }

    /// Reads a proof for `shape` from inside a larger encoding.
    pub fn read(r: &mut Reader<'_>, shape: LookupShape) -> Result<Self, DecodeError> {
        shape.check()?;
        let witness = FractionProof::read(r, shape.witness_vars)?;
        let witness_evals = r.fields(shape.columns)?;
        let table = FractionProof::read(r, shape.table_vars)?;
        let multiplicity_eval = r.field()?;
        let table_evals = r.fields(shape.columns)?;
        Ok(Self {
            witness,
            witness_evals,
            table,
            multiplicity_eval,
            table_evals,
        })
    }

    /// Decodes a proof for `shape`, consuming `bytes` exactly.
    pub fn from_bytes(bytes: &[u8], shape: LookupShape) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let proof = Self::read(&mut r, shape)?;
        r.finish()?;
        Ok(proof)
    }
}

/// `Σ_c β^c·values[c]`.
pub(crate) fn fold_columns(values: &[E], beta: E) -> E {
    values.iter().rev().fold(E::default(), |acc, &v| acc * beta + v)
}

/// Absorbs the binding commitments and draws `(α, β)`.
pub(crate) fn draw_challenges<H: crate::hash::Hasher>(
    transcript: &mut crate::transcript::Transcript<H>,
    commitments: &[crate::hash::Digest],
) -> (E, E) {
    transcript.absorb_bytes(b"logup/commitments", &commitments.concat());
    (
        transcript.challenge_ext(b"logup/alpha"),
        transcript.challenge_ext(b"logup/beta"),
    )
}

//! A transparent multilinear polynomial commitment (Ligero / Brakedown style).
//!
//! **Commit.** One commitment holds `P ≥ 1` multilinear polynomials in the same
//! `n` variables, each given by its `2^n` evaluations over `{0,1}^n` (the
//! coefficients in the Lagrange basis). Polynomial `p` is laid out as a
//! `2^a × 2^b` matrix (`a + b = n`, row index = first `a` variables, see
//! [`crate::mle`]); the `P` matrices are stacked into `R = P·2^a` rows. Every
//! row is Reed–Solomon encoded ([`crate::ntt`]) from `k = 2^b` to
//! `N = k·2^log_inv_rate` symbols, and the `N` columns of the encoded matrix
//! (each `R` field elements, little-endian) are the leaves of a Merkle tree.
//! The commitment is the root (with `n`, `P` and the parameters, which the
//! verifier knows from context).
//!
//! **Open** at `z = (z_row, z_col) ∈ E^n` with claimed values `v_0..v_{P−1}`
//! (transcript labels in quotes):
//! 1. absorb root `"pcs/root"`, point `"pcs/point"`, values `"pcs/values"`;
//!    squeeze `β` `"pcs/batch"` and `γ ∈ E^R` `"pcs/proximity"`;
//! 2. prover sends `u_prox = Σ_rows γ_i·M_i` and `u_eval = Σ_p β^p Σ_i eq(z_row, i)·M_{p,i}`
//!    (each `k` elements of E); absorbed as `"pcs/proximity-row"`, `"pcs/evaluation-row"`;
//! 3. squeeze `t` column indices in `[0, N)` `"pcs/queries"`; the prover sends
//!    the distinct queried columns (ascending) and one Merkle multi-proof.
//!
//! **Verify** (in order): shapes; `Σ_j eq(z_col, j)·u_eval[j] = Σ_p β^p v_p`;
//! the Merkle multi-proof of the opened columns against the root; for every
//! opened column `c` at position `j`: `⟨γ, c⟩ = RS(u_prox)[j]` and
//! `⟨w, c⟩ = RS(u_eval)[j]` with `w_{p·2^a+i} = β^p eq(z_row, i)`.
//! The soundness analysis and parameter sets are in `docs/proof-system.md`.

pub mod proof;
#[cfg(feature = "prover")]
pub mod prover;
pub mod verifier;

use crate::field::{E, Field};
use crate::hash::{Digest, Hasher};
use crate::transcript::Transcript;

/// Largest number of variables per polynomial.
pub const MAX_VARS: usize = 30;
/// Largest number of polynomials in one commitment.
pub const MAX_POLYS: usize = 1 << 12;
/// Largest total row count `R` (each row costs the verifier one squeezed challenge).
pub const MAX_TOTAL_ROWS: usize = 1 << 16;
/// Largest number of column queries.
pub const MAX_QUERIES: usize = 1 << 12;

/// Code rate and query count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcsParams {
    /// `log2(1/ρ)`: codewords are `2^log_inv_rate` times longer than messages.
    pub log_inv_rate: u32,
    /// Number of column queries `t`.
    pub num_queries: usize,
}

impl PcsParams {
    /// ρ = 1/4, t = 148: ≥ 100 bits, proven (unique-decoding regime, no conjecture). The default.
    pub const PROVABLE_RATE_1_4: Self = Self {
        log_inv_rate: 2,
        num_queries: 148,
    };
    /// ρ = 1/2, t = 241: ≥ 100 bits, proven; half the encoding work, larger proofs.
    pub const PROVABLE_RATE_1_2: Self = Self {
        log_inv_rate: 1,
        num_queries: 241,
    };
    /// ρ = 1/8, t = 121: ≥ 100 bits, proven; smaller proofs, twice the encoding work of ρ = 1/4.
    pub const PROVABLE_RATE_1_8: Self = Self {
        log_inv_rate: 3,
        num_queries: 121,
    };

    /// Soundness in bits of one opening of a commitment with `num_vars`
    /// variables and `num_polys` polynomials: `−log2((1 − δ)^t + (N + 1 + P)/|E|)`
    /// with `δ = (1 − ρ)/2` (just inside the unique-decoding radius `(N − k + 1)/2N`).
    pub fn soundness_bits(&self, num_vars: usize, num_polys: usize) -> f64 {
        let shape = Shape::new(num_vars, num_polys, *self);
        let rho = 1.0 / f64::from(1u32 << self.log_inv_rate);
        let delta = (1.0 - rho) / 2.0;
        let query_term = (1.0 - delta).powi(self.num_queries as i32);
        let field_term = (shape.code_len() as f64 + 1.0 + num_polys as f64) / 2f64.powi(128);
        -(query_term + field_term).log2()
    }
}

impl Default for PcsParams {
    fn default() -> Self {
        Self::PROVABLE_RATE_1_4
    }
}

/// Matrix and code dimensions, a deterministic function of `(n, P, params)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Variables per polynomial `n`.
    pub num_vars: usize,
    /// Polynomials `P`.
    pub num_polys: usize,
    /// `a`: rows per polynomial are `2^a`.
    pub log_rows: usize,
    /// `b`: message length `k = 2^b`.
    pub log_cols: usize,
    /// Parameters.
    pub params: PcsParams,
}

impl Shape {
    /// Chooses `b = min(n, ⌊(n + 7)/2⌋)`, which roughly balances the two
    /// `k`-long rows against the `t` opened columns in the proof size.
    pub fn new(num_vars: usize, num_polys: usize, params: PcsParams) -> Self {
        let log_cols = num_vars.min((num_vars + 7) / 2);
        Self {
            num_vars,
            num_polys,
            log_rows: num_vars - log_cols,
            log_cols,
            params,
        }
    }

    /// Checks the limits that keep verification bounded.
    pub fn check(&self) -> Result<(), crate::error::DecodeError> {
        use crate::error::DecodeError::TooLarge;
        let too = |what, got: usize, max: usize| {
            Err(TooLarge {
                what,
                got: got as u64,
                max: max as u64,
            })
        };
        if self.num_vars > MAX_VARS {
            return too("PCS variables", self.num_vars, MAX_VARS);
        }
        if self.num_polys == 0 || self.num_polys > MAX_POLYS {
            return too("PCS polynomials", self.num_polys, MAX_POLYS);
        }
        if self.total_rows() > MAX_TOTAL_ROWS {
            return too("PCS rows", self.total_rows(), MAX_TOTAL_ROWS);
        }
        if self.params.num_queries == 0 || self.params.num_queries > MAX_QUERIES {
            return too("PCS queries", self.params.num_queries, MAX_QUERIES);
        }
        if self.params.log_inv_rate == 0 || self.params.log_inv_rate > 4 {
            return Err(crate::error::DecodeError::Invalid("PCS log_inv_rate must be in 1..=4"));
        }
        Ok(())
    }

    /// Total rows `R = P·2^a` (the length of each column).
    pub fn total_rows(&self) -> usize {
        self.num_polys << self.log_rows
    }

    /// Message length `k`.
    pub fn msg_len(&self) -> usize {
        1 << self.log_cols
    }

    /// `log2` of the codeword length.
    pub fn log_code_len(&self) -> u32 {
        self.log_cols as u32 + self.params.log_inv_rate
    }

    /// Codeword length `N`.
    pub fn code_len(&self) -> usize {
        1 << self.log_code_len()
    }
}

/// What the verifier holds: the Merkle root and the committed shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commitment {
    /// Root of the column tree.
    pub root: Digest,
    /// The dimensions (known to the verifier from context, never from the prover).
    pub shape: Shape,
}

/// Transcript steps 1 (before the prover's rows): returns `(β, γ)`.
pub(crate) fn absorb_claim<H: Hasher>(
    t: &mut Transcript<H>,
    commitment: &Commitment,
    point: &[E],
    values: &[E],
) -> (E, Vec<E>) {
    t.absorb_digest(b"pcs/root", &commitment.root);
    t.absorb_fields(b"pcs/point", point);
    t.absorb_fields(b"pcs/values", values);
    let beta = t.challenge_ext(b"pcs/batch");
    let gamma = t.challenge_exts(b"pcs/proximity", commitment.shape.total_rows());
    (beta, gamma)
}

/// The evaluation-row weights `w_{p·2^a+i} = β^p·eq(z_row, i)`.
pub(crate) fn evaluation_weights(shape: &Shape, point: &[E], beta: E) -> Vec<E> {
    let eq_row = crate::mle::eq_table(&point[..shape.log_rows]);
    let mut weights = Vec::with_capacity(shape.total_rows());
    let mut beta_p = E::ONE;
    for _ in 0..shape.num_polys {
        weights.extend(eq_row.iter().map(|&e| e * beta_p));
        beta_p *= beta;
    }
    weights
}

/// The Merkle leaf digest of an encoded column: `leaf_hash(c_0 ‖ … ‖ c_{R−1})`.
pub(crate) fn column_leaf<H: Hasher>(column: &[crate::field::F]) -> Digest {
    let mut bytes = Vec::with_capacity(column.len() * 8);
    for v in column {
        bytes.extend_from_slice(&v.to_bytes());
    }
    crate::merkle::leaf_hash::<H>(&bytes)
}

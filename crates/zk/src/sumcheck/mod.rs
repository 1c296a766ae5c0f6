//! Sumcheck for sums of products of multilinear polynomials.
//!
//! Statement: `Σ_{x ∈ {0,1}^n} G(x) = s` where
//! `G(x) = Σ_t c_t · Π_{i ∈ T_t} P_i(x)` for multilinear `P_i` (degree of `G`
//! in each variable ≤ `d` = the largest `|T_t|`). This covers the MatMul
//! product `Σ_k A(r,k)·B(k,r')` (`d = 2`) and the `eq·(…)` forms of LogUp
//! (`d = 3`).
//!
//! Round `j` (variables bound in order `x_0, x_1, …`, see [`crate::mle`]):
//! the prover sends `g_j(0), g_j(1), …, g_j(d)` where
//! `g_j(X) = Σ_{x_{j+1..}} G(r_0, …, r_{j−1}, X, x_{j+1}, …)`; the transcript
//! absorbs them under `"sumcheck/round"` and squeezes `r_j` under
//! `"sumcheck/challenge"`. Before round 0 the transcript absorbs `n`, `d` and `s`.
//! The verifier checks `g_j(0) + g_j(1) = claim_j` and sets
//! `claim_{j+1} = g_j(r_j)` (Lagrange interpolation on 0..=d). It ends with the
//! point `r` and `claim_n`, which the caller must check equals `G(r)`, i.e.
//! compute from (verified) evaluations of the `P_i` at `r`.
//! Soundness error: at most `n·d/|E|` (Schwartz–Zippel per round).

#[cfg(feature = "prover")]
pub mod prover;
pub mod verifier;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::transcript::Transcript;

/// The largest per-variable degree supported.
pub const MAX_DEGREE: usize = 8;
/// The largest number of variables supported.
pub const MAX_VARS: usize = 40;

/// What the verifier knows about the sum before seeing a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SumcheckShape {
    /// Number of variables `n`.
    pub num_vars: usize,
    /// Degree bound `d` of each round polynomial.
    pub degree: usize,
}

/// One evaluation list `g_j(0..=d)` per round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumcheckProof {
    /// `rounds[j][t] = g_j(t)`.
    pub rounds: Vec<Vec<E>>,
}

/// The claim the sumcheck reduces to: `G(point) = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subclaim {
    /// The random point `r` (one coordinate per variable, in binding order).
    pub point: Vec<E>,
    /// The value `G(r)` must equal.
    pub value: E,
}

impl SumcheckShape {
    fn check(&self) -> Result<(), DecodeError> {
        if self.num_vars > MAX_VARS {
            return Err(DecodeError::TooLarge {
                what: "sumcheck variables",
                got: self.num_vars as u64,
                max: MAX_VARS as u64,
            });
        }
        if self.degree == 0 || self.degree > MAX_DEGREE {
            return Err(DecodeError::Invalid("sumcheck degree must be in 1..=8"));
        }
        Ok(())
    }
}

impl SumcheckProof {
    /// Appends the encoding: `n·(d+1)` extension elements, no prefix (the shape is known).
    pub fn write(&self, w: &mut Writer) {
        for round in &self.rounds {
            w.fields(round);
        }
    }

    /// The encoding as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.finish()
    }

    /// Reads a proof of exactly the given shape.
    pub fn read(r: &mut Reader<'_>, shape: SumcheckShape) -> Result<Self, DecodeError> {
        shape.check()?;
        let rounds = (0..shape.num_vars)
            .map(|_| r.fields(shape.degree + 1))
            .collect::<Result<_, _>>()?;
        Ok(Self { rounds })
    }

    /// Decodes a proof of exactly the given shape from `bytes` (no trailing bytes).
    pub fn from_bytes(bytes: &[u8], shape: SumcheckShape) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let proof = Self::read(&mut r, shape)?;
        r.finish()?;
        Ok(proof)
    }
}

/// Absorbs the statement before round 0 (shared by prover and verifier).
pub(crate) fn absorb_statement<H: Hasher>(t: &mut Transcript<H>, shape: SumcheckShape, sum: E) {
    t.absorb_bytes(b"sumcheck/shape", &[shape.num_vars as u8, shape.degree as u8]);
    t.absorb_field(b"sumcheck/sum", &sum);
}

/// `g(r)` for the polynomial of degree ≤ `evals.len() − 1` with `g(t) = evals[t]`.
pub fn interpolate_at(evals: &[E], r: E) -> E {
    let d = evals.len();
    // If r is one of the nodes, the Lagrange formula below would divide by zero.
    for (t, &v) in evals.iter().enumerate() {
        if r == E::from_u64(t as u64) {
            return v;
        }
    }
    let mut acc = E::ZERO;
    for (i, &gi) in evals.iter().enumerate() {
        let mut num = E::ONE;
        let mut den = F::ONE;
        for j in 0..d {
            if j != i {
                num *= r - E::from_u64(j as u64);
                den *= F::from_i64(i as i64 - j as i64);
            }
        }
        let den_inv = den.inverse().expect("distinct small integers differ mod p");
        acc += gi * num.mul_base(den_inv);
    }
    acc
}

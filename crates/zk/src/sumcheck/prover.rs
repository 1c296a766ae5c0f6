//! The sumcheck prover: linear time in the table size per round (total
//! `O(2^n · (#tables + Σ|T_t|) · d)`), tables folded in place.

use super::{MAX_DEGREE, MAX_VARS, SumcheckProof, SumcheckShape, absorb_statement, interpolate_at};
use crate::error::ProverError;
use crate::field::{E, Field};
use crate::hash::Hasher;
use crate::mle::{PARALLEL_THRESHOLD, fix_first_variable, log2_exact};
use crate::transcript::Transcript;
use rayon::prelude::*;

/// One product `coeff · Π_{i ∈ factors} P_i` of a [`SumOfProducts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTerm {
    /// The constant coefficient `c_t`.
    pub coeff: E,
    /// Indices of the tables multiplied (repeats allowed, 1..=8 of them).
    pub factors: Vec<usize>,
}

/// `G = Σ_t c_t · Π_{i ∈ T_t} P_i` over evaluation tables of equal length `2^n`.
#[derive(Debug, Clone)]
pub struct SumOfProducts {
    tables: Vec<Vec<E>>,
    terms: Vec<ProductTerm>,
    num_vars: usize,
    degree: usize,
}

/// What the prover hands back: the proof, the point and `P_i(point)` for every table.
#[derive(Debug, Clone)]
pub struct ProverOutput {
    /// The round polynomials.
    pub proof: SumcheckProof,
    /// The challenge point `r`.
    pub point: Vec<E>,
    /// `P_i(r)` in table order, from which the caller proves or derives `G(r)`.
    pub final_evals: Vec<E>,
}

impl SumOfProducts {
    /// Checks that tables share one power-of-two length and terms are well-formed.
    pub fn new(tables: Vec<Vec<E>>, terms: Vec<ProductTerm>) -> Result<Self, ProverError> {
        let bad = |detail: String| ProverError::InvalidInput {
            what: "sum of products",
            detail,
        };
        let len = tables.first().map_or(0, Vec::len);
        let num_vars =
            log2_exact(len).ok_or_else(|| bad(format!("table length {len} is not a power of two")))? as usize;
        if num_vars > MAX_VARS || tables.iter().any(|t| t.len() != len) {
            return Err(bad("tables must share one length of at most 2^40".into()));
        }
        let mut degree = 0;
        for term in &terms {
            if term.factors.is_empty() || term.factors.len() > MAX_DEGREE {
                return Err(bad(format!(
                    "a term has {} factors; 1..={MAX_DEGREE} allowed",
                    term.factors.len()
                )));
            }
            if let Some(&i) = term.factors.iter().find(|&&i| i >= tables.len()) {
                return Err(bad(format!("factor index {i} out of range")));
            }
            degree = degree.max(term.factors.len());
        }
        if terms.is_empty() {
            return Err(bad("no terms".into()));
        }
        Ok(Self {
            tables,
            terms,
            num_vars,
            degree,
        })
    }

    /// The verifier's view of this sum.
    pub fn shape(&self) -> SumcheckShape {
        SumcheckShape {
            num_vars: self.num_vars,
            degree: self.degree,
        }
    }

    /// `Σ_x G(x)`, computed directly.
    pub fn sum(&self) -> E {
        (0..1usize << self.num_vars)
            .map(|x| {
                self.terms
                    .iter()
                    .map(|t| t.factors.iter().fold(t.coeff, |acc, &i| acc * self.tables[i][x]))
                    .sum()
            })
            .sum()
    }

    /// `G` evaluated from per-table values `P_i(r)` (the caller's final check).
    pub fn combine(terms: &[ProductTerm], table_evals: &[E]) -> E {
        terms
            .iter()
            .map(|t| t.factors.iter().fold(t.coeff, |acc, &i| acc * table_evals[i]))
            .sum()
    }

    /// The product terms.
    pub fn terms(&self) -> &[ProductTerm] {
        &self.terms
    }

    /// The evaluation tables.
    pub fn tables(&self) -> &[Vec<E>] {
        &self.tables
    }
}

/// Proves `Σ_x G(x) = claimed_sum`. If the claim is false the proof is rejected.
pub fn prove<H: Hasher>(transcript: &mut Transcript<H>, mut poly: SumOfProducts, claimed_sum: E) -> ProverOutput {
    let shape = poly.shape();
    absorb_statement(transcript, shape, claimed_sum);
    let mut claim = claimed_sum;
    let mut rounds = Vec::with_capacity(shape.num_vars);
    let mut point = Vec::with_capacity(shape.num_vars);
    for _ in 0..shape.num_vars {
        let mut evals = round_evaluations(&poly);
        // g(1) = claim − g(0) for an honest prover; computing it saves a pass.
        evals[1] = claim - evals[0];
        transcript.absorb_fields(b"sumcheck/round", &evals);
        let r = transcript.challenge_ext(b"sumcheck/challenge");
        claim = interpolate_at(&evals, r);
        for t in &mut poly.tables {
            fix_first_variable(t, r);
        }
        rounds.push(evals);
        point.push(r);
    }
    let final_evals = poly.tables.iter().map(|t| t[0]).collect();
    ProverOutput {
        proof: SumcheckProof { rounds },
        point,
        final_evals,
    }
}

/// `g(t)` for `t ∈ {0, 2, …, d}` of the current round (`g(1)` left zero).
fn round_evaluations(poly: &SumOfProducts) -> Vec<E> {
    let half = poly.tables[0].len() / 2;
    let width = poly.degree + 1;
    let per_term = |range: core::ops::Range<usize>| accumulate(poly, range, width);
    let sums = if half >= PARALLEL_THRESHOLD {
        let chunk = PARALLEL_THRESHOLD / 4;
        (0..half.div_ceil(chunk))
            .into_par_iter()
            .map(|c| per_term(c * chunk..((c + 1) * chunk).min(half)))
            .reduce(|| vec![E::ZERO; poly.terms.len() * width], add_vectors)
    } else {
        per_term(0..half)
    };
    let mut evals = vec![E::ZERO; width];
    for (term, sums) in poly.terms.iter().zip(sums.chunks_exact(width)) {
        for (e, &s) in evals.iter_mut().zip(sums) {
            *e += term.coeff * s;
        }
    }
    evals
}

/// Per term and per evaluation point `t ≠ 1`, `Σ_{i ∈ range} Π_f P_f(t, i)`.
fn accumulate(poly: &SumOfProducts, range: core::ops::Range<usize>, width: usize) -> Vec<E> {
    let half = poly.tables[0].len() / 2;
    let mut sums = vec![E::ZERO; poly.terms.len() * width];
    // vals[j*width + t] = P_j(t, i) = lo + t·(hi − lo).
    let mut vals = vec![E::ZERO; poly.tables.len() * width];
    for i in range {
        for (j, table) in poly.tables.iter().enumerate() {
            let lo = table[i];
            let diff = table[i + half] - lo;
            let row = &mut vals[j * width..(j + 1) * width];
            row[0] = lo;
            let mut v = table[i + half];
            for slot in row.iter_mut().skip(2) {
                v += diff;
                *slot = v;
            }
        }
        for (term, acc) in poly.terms.iter().zip(sums.chunks_exact_mut(width)) {
            for t in (0..width).filter(|&t| t != 1) {
                let mut prod = vals[term.factors[0] * width + t];
                for &f in &term.factors[1..] {
                    prod *= vals[f * width + t];
                }
                acc[t] += prod;
            }
        }
    }
    sums
}

fn add_vectors(mut a: Vec<E>, b: Vec<E>) -> Vec<E> {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

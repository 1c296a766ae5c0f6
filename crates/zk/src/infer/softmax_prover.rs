//! The prover's side of a Softmax layer ([`super::softmax`]): its witness
//! columns from the traced input and output, the lane-max lookup's columns
//! and multiplicities, and the layer's proof part.

use super::QMAX;
use super::circuit::SoftmaxLayer;
use super::claims::ClaimSink;
use super::lane_max::centre;
use super::softmax::{DiffClaim, SoftmaxProof, final_claims, max_claims, relation_claims, row_sumcheck};
use super::witness::split_limbs;
use crate::error::{ProverError, VerifyError};
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
use crate::transcript::Transcript;

/// A Softmax layer's committed values (laid out like the output unless noted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftmaxWitness {
    /// `y = divr(qmax·e, S)`.
    pub output: Vec<i64>,
    /// The lane maxima `m`, one per (padded) row.
    pub max: Vec<i64>,
    /// `e = E[m − x]` on real entries, 0 on padding.
    pub exp: Vec<i64>,
    /// 1 at one maximum of each lane, 0 elsewhere.
    pub sel: Vec<i64>,
    /// 8-bit limbs of `ρ = 2·qmax·e + D − 2·y·D`, least significant first.
    pub rho_limbs: Vec<Vec<i64>>,
    /// 8-bit limbs of `2D − 1 − ρ`.
    pub f_limbs: Vec<Vec<i64>>,
    /// `y` again, range-checked as one limb.
    pub y_limb: Vec<i64>,
    /// Uses of each lane-max table row (512).
    pub multiplicities: Vec<u64>,
}

/// `e = E[m − x]` on real entries from the current maxima (0 where `m − x` is outside the table).
pub(crate) fn rederive_exp(l: &SoftmaxLayer, input: &[i64], w: &mut SoftmaxWitness) {
    let (width, table) = (1usize << l.dims.col_vars, l.table.value.as_deref().unwrap_or(&[]));
    for row in 0..l.dims.rows {
        for col in 0..l.dims.cols {
            let idx = row * width + col;
            let d = usize::try_from(w.max[row].wrapping_sub(input[idx])).ok();
            w.exp[idx] = d.and_then(|d| table.get(d)).copied().unwrap_or(0);
        }
    }
}

fn to_f(v: &[i64]) -> Vec<F> {
    v.iter().map(|&x| F::from_i64(x)).collect()
}

/// The honest witness of a Softmax layer: `input`, `output` padded (`rows × L` in `2^rv × 2^cv`).
pub(crate) fn softmax_witness(l: &SoftmaxLayer, input: &[i64], output: &[i64]) -> SoftmaxWitness {
    let (rows, cols, width) = (l.dims.rows, l.dims.cols, 1usize << l.dims.col_vars);
    let mut w = SoftmaxWitness {
        output: output.to_vec(),
        max: vec![0; 1 << l.dims.row_vars],
        exp: vec![0; input.len()],
        sel: vec![0; input.len()],
        rho_limbs: Vec::new(),
        f_limbs: Vec::new(),
        y_limb: Vec::new(),
        multiplicities: Vec::new(),
    };
    for i in 0..rows {
        let lane = &input[i * width..i * width + cols];
        let (arg, &m) = lane
            .iter()
            .enumerate()
            .max_by_key(|&(l, &v)| (v, std::cmp::Reverse(l)))
            .expect("lanes are not empty");
        w.max[i] = m;
        w.sel[i * width + arg] = 1;
    }
    rederive_exp(l, input, &mut w);
    derive_limbs(l, &mut w);
    w
}

/// `D(i) = Σ_l e(i, l) + [i is a padded row]` (the verifier's virtual column, over the integers).
fn denominators(l: &SoftmaxLayer, exp: &[i64]) -> Vec<i128> {
    let width = 1usize << l.dims.col_vars;
    exp.chunks(width)
        .enumerate()
        .map(|(i, lane)| lane.iter().map(|&e| i128::from(e)).sum::<i128>() + i128::from(i >= l.dims.rows))
        .collect()
}

/// [`denominators`] in the field (exactly the verifier's `D`, whatever the witness holds).
fn field_denominators(l: &SoftmaxLayer, exp: &[F]) -> Vec<E> {
    let width = 1usize << l.dims.col_vars;
    exp.chunks(width)
        .enumerate()
        .map(|(i, lane)| {
            let pad = if i >= l.dims.rows { F::ONE } else { F::ZERO };
            E::from(lane.iter().fold(pad, |acc, &e| acc + e))
        })
        .collect()
}

/// Recomputes the limbs of `ρ = 2·qmax·e + D − 2·y·D`, of `f = 2D − 1 − ρ`
/// and the `y` limb from the current `exp` and `output` (wrong values give
/// out-of-range limbs, as they must).
pub(crate) fn derive_limbs(l: &SoftmaxLayer, w: &mut SoftmaxWitness) {
    let shift = l.dims.col_vars;
    let d = denominators(l, &w.exp);
    let q = i128::from(QMAX);
    let (mut rho, mut f) = (Vec::with_capacity(w.exp.len()), Vec::with_capacity(w.exp.len()));
    for (idx, (&e, &y)) in w.exp.iter().zip(&w.output).enumerate() {
        let d = d[idx >> shift];
        // Wrapping: only a tampered witness leaves the honest ranges, and its limbs are wrong anyway.
        let r = (2 * q * i128::from(e) + d).wrapping_sub((2 * i128::from(y)).wrapping_mul(d));
        rho.push(r as i64);
        f.push((2 * d - 1).wrapping_sub(r) as i64);
    }
    let limbs = l.rho_limbs.len();
    w.rho_limbs = split_limbs(&rho, limbs);
    w.f_limbs = split_limbs(&f, limbs);
    w.y_limb = w.output.clone();
}

/// The lookup's witness columns `(mask, d, e, sel)`, `d = m·colmask − x`.
pub(crate) fn lookup_columns(l: &SoftmaxLayer, input: &[i64], w: &SoftmaxWitness) -> Vec<Vec<F>> {
    let width = 1usize << l.dims.col_vars;
    let real = l.layout().pad(&vec![1; l.dims.rows * l.dims.cols]);
    let d: Vec<i64> = input
        .iter()
        .enumerate()
        .map(|(idx, &x)| {
            let m = if idx % width < l.dims.cols {
                w.max[idx / width]
            } else {
                0
            };
            m.wrapping_sub(x)
        })
        .collect();
    vec![to_f(&real), to_f(&d), to_f(&w.exp), to_f(&w.sel)]
}

/// Uses of each lane-max table row (entries that are no row count nowhere).
pub(crate) fn multiplicities(l: &SoftmaxLayer, input: &[i64], w: &SoftmaxWitness) -> Vec<u64> {
    let width = 1usize << l.dims.col_vars;
    let mut counts = vec![0u64; 1 << super::lane_max::LANE_TABLE_VARS];
    for (idx, &x) in input.iter().enumerate() {
        let (row, col) = (idx / width, idx % width);
        let real = row < l.dims.rows && col < l.dims.cols;
        let m = if col < l.dims.cols { w.max[row] } else { 0 };
        if let Some(u) = l.table.row_of(real, m.wrapping_sub(x), w.exp[idx], w.sel[idx]) {
            counts[u] += 1;
        }
    }
    counts
}

/// Proves a Softmax layer's part (the verifier's [`super::softmax::verify_softmax`]).
pub(crate) fn prove_softmax<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    diff: &DiffClaim,
    w: &SoftmaxWitness,
) -> Result<SoftmaxProof, ProverError> {
    let ok = |res: Result<(), VerifyError>| res.expect("the prover's sink checks nothing");
    let rv = l.dims.row_vars;
    let max_eval = evaluate(&to_f(&w.max), &diff.point[..rv]);
    ok(max_claims(t, sink, l, diff, max_eval));
    let r = t.challenge_exts(b"inference/softmax-point", l.dims.vars());
    let (r_row, r_col) = r.split_at(rv);
    let half = centre(l.dims.col_vars);
    let (exp, y) = (to_f(&w.exp), to_f(&w.output));
    // ỹ(i, r_col) per row, and D(i) as field elements.
    let eq_col = eq_table(r_col);
    let width = eq_col.len();
    let y_rows: Vec<E> = y
        .chunks(width)
        .map(|lane| {
            lane.iter()
                .zip(&eq_col)
                .fold(E::ZERO, |acc, (&v, &e)| acc + e.mul_base(v))
        })
        .collect();
    let d = field_denominators(l, &exp);
    let eq_row = eq_table(r_row);
    let total = (0..d.len()).fold(E::ZERO, |acc, i| acc + eq_row[i] * d[i] * y_rows[i]);
    let mut relation = vec![
        evaluate(&exp, &r),
        evaluate(&exp, &[r_row, &half].concat()),
        evaluate(&to_f(&w.sel), &[r_row, &half].concat()),
        total,
        evaluate(&y, &r),
    ];
    relation.extend(w.rho_limbs.iter().chain(&w.f_limbs).map(|v| evaluate(&to_f(v), &r)));
    t.absorb_fields(b"inference/softmax-relation", &relation);
    ok(relation_claims(sink, l, &r, &relation));
    let poly = SumOfProducts::new(
        vec![eq_row, d, y_rows],
        vec![ProductTerm {
            coeff: E::ONE,
            factors: vec![0, 1, 2],
        }],
    )?;
    debug_assert_eq!(poly.shape(), row_sumcheck(l));
    let out = prove_sumcheck(t, poly, total);
    let evals = vec![evaluate(&exp, &[&out.point[..], &half].concat()), out.final_evals[2]];
    t.absorb_fields(b"inference/softmax-evals", &evals);
    let value = out.final_evals.iter().fold(E::ONE, |acc, &v| acc * v);
    ok(final_claims(sink, l, &r, &out.point, value, &evals));
    Ok(SoftmaxProof {
        max_eval,
        relation,
        sumcheck: out.proof,
        evals,
    })
}

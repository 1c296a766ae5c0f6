//! The LogUp prover: builds both fraction trees and reduces them layer by layer.

use std::collections::HashMap;

use super::{FractionProof, LayerProof, LookupClaims, LookupProof, fold_columns};
use crate::error::ProverError;
use crate::field::{E, F, Field};
use crate::hash::{Digest, Hasher};
use crate::mle::{eq_table, evaluate, log2_exact};
use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
use crate::transcript::Transcript;

/// The prover's inputs: witness columns, table columns and multiplicities.
#[derive(Debug, Clone, Copy)]
pub struct LookupWitness<'a> {
    /// `C` columns of `2^n` values each.
    pub columns: &'a [Vec<F>],
    /// `C` columns of `2^m` values each.
    pub table: &'a [Vec<F>],
    /// `2^m` multiplicities.
    pub multiplicities: &'a [F],
}

/// How often each table row occurs among the witness rows (a duplicated table
/// row gets all its uses at its first occurrence). Fails on a row not in the table.
pub fn multiplicities(columns: &[Vec<F>], table: &[Vec<F>]) -> Result<Vec<F>, ProverError> {
    let rows = |cols: &[Vec<F>], i: usize| cols.iter().map(|c| c[i].as_u64()).collect::<Vec<u64>>();
    let table_len = table.first().map_or(0, Vec::len);
    let mut index: HashMap<Vec<u64>, usize> = HashMap::with_capacity(table_len);
    for j in (0..table_len).rev() {
        index.insert(rows(table, j), j);
    }
    let mut counts = vec![0u64; table_len];
    for i in 0..columns.first().map_or(0, Vec::len) {
        let j = *index
            .get(&rows(columns, i))
            .ok_or(ProverError::NotInTable { index: i })?;
        counts[j] += 1;
    }
    Ok(counts.into_iter().map(F::new).collect())
}

/// Proves the lookup. The caller must already have bound the columns (see the
/// module docs); `commitments` are absorbed before any challenge.
pub fn prove<H: Hasher>(
    transcript: &mut Transcript<H>,
    commitments: &[Digest],
    witness: LookupWitness<'_>,
) -> Result<(LookupProof, LookupClaims), ProverError> {
    let (n, m) = check(&witness)?;
    let (alpha, beta) = super::draw_challenges(transcript, commitments);
    let fold =
        |cols: &[Vec<F>], i: usize| alpha - fold_columns(&cols.iter().map(|c| E::from(c[i])).collect::<Vec<_>>(), beta);
    let wq: Vec<E> = (0..1usize << n).map(|i| fold(witness.columns, i)).collect();
    let tq: Vec<E> = (0..1usize << m).map(|i| fold(witness.table, i)).collect();
    let tp: Vec<E> = witness.multiplicities.iter().map(|&v| E::from(v)).collect();
    let w_levels = build_tree(vec![E::ONE; 1 << n], wq);
    let t_levels = build_tree(tp, tq);
    let w_root = [w_levels[0].0[0], w_levels[0].1[0]];
    let t_root = [t_levels[0].0[0], t_levels[0].1[0]];
    if w_root[1] == E::ZERO || t_root[1] == E::ZERO {
        return Err(ProverError::UnluckyChallenge);
    }
    transcript.absorb_fields(b"logup/root", &[w_root, t_root].concat());

    let (w_layers, witness_point) = prove_tree(transcript, &w_levels);
    let witness_evals: Vec<E> = witness.columns.iter().map(|c| evaluate(c, &witness_point)).collect();
    transcript.absorb_fields(b"logup/witness-evals", &witness_evals);

    let (t_layers, table_point) = prove_tree(transcript, &t_levels);
    let multiplicity_eval = evaluate(witness.multiplicities, &table_point);
    let table_evals: Vec<E> = witness.table.iter().map(|c| evaluate(c, &table_point)).collect();
    transcript.absorb_fields(b"logup/table-evals", &[&[multiplicity_eval][..], &table_evals].concat());

    let proof = LookupProof {
        witness: FractionProof {
            root: w_root,
            layers: w_layers,
        },
        witness_evals: witness_evals.clone(),
        table: FractionProof {
            root: t_root,
            layers: t_layers,
        },
        multiplicity_eval,
        table_evals: table_evals.clone(),
    };
    let claims = LookupClaims {
        witness_point,
        witness_evals,
        table_point,
        multiplicity_eval,
        table_evals,
    };
    Ok((proof, claims))
}

fn check(w: &LookupWitness<'_>) -> Result<(usize, usize), ProverError> {
    let bad = |detail: &str| ProverError::InvalidInput {
        what: "lookup witness",
        detail: detail.into(),
    };
    let c = w.columns.len();
    if c == 0 || c > super::MAX_COLUMNS || w.table.len() != c {
        return Err(bad("witness and table need the same number of columns, 1..=16"));
    }
    let n = log2_exact(w.columns[0].len()).ok_or_else(|| bad("witness length is not a power of two"))? as usize;
    let m = log2_exact(w.table[0].len()).ok_or_else(|| bad("table length is not a power of two"))? as usize;
    if n > super::MAX_VARS || m > super::MAX_VARS {
        return Err(bad("more than 2^30 rows"));
    }
    if w.columns.iter().any(|col| col.len() != 1 << n)
        || w.table.iter().any(|col| col.len() != 1 << m)
        || w.multiplicities.len() != 1 << m
    {
        return Err(bad(
            "columns of one side differ in length, or multiplicities do not match the table",
        ));
    }
    Ok((n, m))
}

/// All levels `(p, q)` of a fraction tree, root level first.
fn build_tree(p: Vec<E>, q: Vec<E>) -> Vec<(Vec<E>, Vec<E>)> {
    let mut levels = vec![(p, q)];
    while levels[0].0.len() > 1 {
        let (p, q) = &levels[0];
        let half = p.len() / 2;
        let np = (0..half)
            .map(|x| p[2 * x] * q[2 * x + 1] + p[2 * x + 1] * q[2 * x])
            .collect();
        let nq = (0..half).map(|x| q[2 * x] * q[2 * x + 1]).collect();
        levels.insert(0, (np, nq));
    }
    levels
}

/// Reduces the root claim to a claim on the leaves; returns the layer proofs and leaf point.
fn prove_tree<H: Hasher>(transcript: &mut Transcript<H>, levels: &[(Vec<E>, Vec<E>)]) -> (Vec<LayerProof>, Vec<E>) {
    let mut point: Vec<E> = Vec::new();
    let mut layers = Vec::with_capacity(levels.len() - 1);
    let (mut p, mut q) = (levels[0].0[0], levels[0].1[0]);
    for child in &levels[1..] {
        let lambda = transcript.challenge_ext(b"logup/lambda");
        let split = |v: &Vec<E>| -> (Vec<E>, Vec<E>) {
            (
                v.iter().step_by(2).copied().collect(),
                v.iter().skip(1).step_by(2).copied().collect(),
            )
        };
        let (p0, p1) = split(&child.0);
        let (q0, q1) = split(&child.1);
        let terms = vec![
            ProductTerm {
                coeff: E::ONE,
                factors: vec![0, 1, 4],
            },
            ProductTerm {
                coeff: E::ONE,
                factors: vec![0, 2, 3],
            },
            ProductTerm {
                coeff: lambda,
                factors: vec![0, 3, 4],
            },
        ];
        let poly =
            SumOfProducts::new(vec![eq_table(&point), p0, p1, q0, q1], terms).expect("tree levels are well-formed");
        let out = prove_sumcheck(transcript, poly, p + lambda * q);
        let children = [
            out.final_evals[1],
            out.final_evals[2],
            out.final_evals[3],
            out.final_evals[4],
        ];
        transcript.absorb_fields(b"logup/children", &children);
        let tau = transcript.challenge_ext(b"logup/tau");
        p = children[0] + tau * (children[1] - children[0]);
        q = children[2] + tau * (children[3] - children[2]);
        point = out.point;
        point.push(tau);
        layers.push(LayerProof {
            sumcheck: out.proof,
            children,
        });
    }
    (layers, point)
}

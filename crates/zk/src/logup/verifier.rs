//! The LogUp verifier (checks in the order of the module docs).

use super::{FractionProof, LookupClaims, LookupProof, LookupShape, fold_columns};
use crate::error::VerifyError;
use crate::field::{E, Field};
use crate::hash::{Digest, Hasher};
use crate::mle::eq_eval;
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// Verifies a lookup and returns the evaluation claims left to the caller.
/// `commitments` must be the digests the prover bound the columns with.
pub fn verify<H: Hasher>(
    transcript: &mut Transcript<H>,
    commitments: &[Digest],
    shape: LookupShape,
    proof: &LookupProof,
) -> Result<LookupClaims, VerifyError> {
    if shape.check().is_err() {
        return Err(VerifyError::Shape {
            what: "lookup shape within limits",
            expected: 1,
            got: 0,
        });
    }
    if proof.witness_evals.len() != shape.columns || proof.table_evals.len() != shape.columns {
        return Err(VerifyError::Shape {
            what: "lookup column evaluations",
            expected: shape.columns,
            got: proof.witness_evals.len(),
        });
    }
    let (alpha, beta) = super::draw_challenges(transcript, commitments);
    transcript.absorb_fields(b"logup/root", &[proof.witness.root, proof.table.root].concat());
    let [pw, qw] = proof.witness.root;
    let [pt, qt] = proof.table.root;
    if qw == E::ZERO || qt == E::ZERO {
        return Err(VerifyError::LookupZeroDenominator);
    }
    if pw * qt != pt * qw {
        return Err(VerifyError::LookupSum);
    }

    let (witness_point, p, q) = verify_tree(transcript, &proof.witness, shape.witness_vars)?;
    transcript.absorb_fields(b"logup/witness-evals", &proof.witness_evals);
    if p != E::ONE || q != alpha - fold_columns(&proof.witness_evals, beta) {
        return Err(VerifyError::FinalClaim("lookup witness leaves"));
    }

    let (table_point, p, q) = verify_tree(transcript, &proof.table, shape.table_vars)?;
    transcript.absorb_fields(
        b"logup/table-evals",
        &[&[proof.multiplicity_eval][..], &proof.table_evals].concat(),
    );
    if p != proof.multiplicity_eval || q != alpha - fold_columns(&proof.table_evals, beta) {
        return Err(VerifyError::FinalClaim("lookup table leaves"));
    }
    Ok(LookupClaims {
        witness_point,
        witness_evals: proof.witness_evals.clone(),
        table_point,
        multiplicity_eval: proof.multiplicity_eval,
        table_evals: proof.table_evals.clone(),
    })
}

/// Walks a fraction tree from its (already checked) root to the leaves and
/// returns the leaf point and the claimed `(p, q)` there.
fn verify_tree<H: Hasher>(
    transcript: &mut Transcript<H>,
    proof: &FractionProof,
    vars: usize,
) -> Result<(Vec<E>, E, E), VerifyError> {
    if proof.layers.len() != vars {
        return Err(VerifyError::Shape {
            what: "lookup tree layers",
            expected: vars,
            got: proof.layers.len(),
        });
    }
    let [mut p, mut q] = proof.root;
    let mut point: Vec<E> = Vec::with_capacity(vars);
    for (k, layer) in proof.layers.iter().enumerate() {
        let lambda = transcript.challenge_ext(b"logup/lambda");
        let shape = SumcheckShape { num_vars: k, degree: 3 };
        let sub = verify_sumcheck(transcript, shape, p + lambda * q, &layer.sumcheck)?;
        transcript.absorb_fields(b"logup/children", &layer.children);
        let [p0, p1, q0, q1] = layer.children;
        if eq_eval(&point, &sub.point) * (p0 * q1 + p1 * q0 + lambda * q0 * q1) != sub.value {
            return Err(VerifyError::FinalClaim("lookup layer"));
        }
        let tau = transcript.challenge_ext(b"logup/tau");
        p = p0 + tau * (p1 - p0);
        q = q0 + tau * (q1 - q0);
        point = sub.point;
        point.push(tau);
    }
    Ok((point, p, q))
}

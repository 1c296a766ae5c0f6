//! Verifying an opening (see the module docs for the checks, in order).

use super::proof::OpeningProof;
use super::{Commitment, absorb_claim, column_leaf, evaluation_weights};
use crate::error::VerifyError;
use crate::field::{E, Field};
use crate::hash::Hasher;
use crate::merkle::{sorted_unique, verify_multi};
use crate::mle::{eq_table, inner_product};
use crate::ntt::Radix2Domain;
use crate::transcript::Transcript;

/// Checks that the polynomials committed in `commitment` evaluate to `values`
/// at `point`.
pub fn verify<H: Hasher>(
    transcript: &mut Transcript<H>,
    commitment: &Commitment,
    point: &[E],
    values: &[E],
    proof: &OpeningProof,
) -> Result<(), VerifyError> {
    let shape = commitment.shape;
    let shape_err = |what, expected, got| Err(VerifyError::Shape { what, expected, got });
    if shape.check().is_err() {
        return shape_err("PCS shape within limits", 1, 0);
    }
    if point.len() != shape.num_vars {
        return shape_err("PCS point dimension", shape.num_vars, point.len());
    }
    if values.len() != shape.num_polys {
        return shape_err("PCS values", shape.num_polys, values.len());
    }
    let k = shape.msg_len();
    if proof.u_prox.len() != k || proof.u_eval.len() != k {
        return shape_err("PCS combined rows", k, proof.u_prox.len().min(proof.u_eval.len()));
    }
    let rows = shape.total_rows();
    if let Some(c) = proof.columns.iter().find(|c| c.len() != rows) {
        return shape_err("PCS column length", rows, c.len());
    }

    let (beta, gamma) = absorb_claim(transcript, commitment, point, values);
    transcript.absorb_fields(b"pcs/proximity-row", &proof.u_prox);
    transcript.absorb_fields(b"pcs/evaluation-row", &proof.u_eval);
    let queries = transcript.challenge_indices(b"pcs/queries", shape.params.num_queries, shape.log_code_len());
    let opened = sorted_unique(&queries);
    if opened.len() != proof.columns.len() {
        return Err(VerifyError::PcsQueries);
    }

    // The evaluation row must imply the claimed (batched) value.
    let eq_col = eq_table(&point[shape.log_rows..]);
    let mut batched_value = E::ZERO;
    let mut beta_p = E::ONE;
    for &v in values {
        batched_value += beta_p * v;
        beta_p *= beta;
    }
    if inner_product(&eq_col, &proof.u_eval) != batched_value {
        return Err(VerifyError::PcsValue);
    }

    // The opened columns must be the committed ones.
    let leaves: Vec<_> = proof.columns.iter().map(|c| column_leaf::<H>(c)).collect();
    verify_multi::<H>(
        &commitment.root,
        shape.log_code_len() as usize,
        &opened,
        &leaves,
        &proof.merkle,
    )?;

    // Each opened column must agree with the encodings of both combined rows.
    let domain = Radix2Domain::new(shape.log_code_len());
    let enc_prox = domain.encode(&proof.u_prox);
    let enc_eval = domain.encode(&proof.u_eval);
    let weights = evaluation_weights(&shape, point, beta);
    for (&j, column) in opened.iter().zip(&proof.columns) {
        if inner_product(&gamma, column) != enc_prox[j] {
            return Err(VerifyError::PcsColumn {
                column: j,
                which: "proximity",
            });
        }
        if inner_product(&weights, column) != enc_eval[j] {
            return Err(VerifyError::PcsColumn {
                column: j,
                which: "evaluation",
            });
        }
    }
    Ok(())
}

//! Committing to multilinear polynomials and opening them (prover side).

use rayon::prelude::*;

use super::proof::OpeningProof;
use super::{Commitment, PcsParams, Shape, absorb_claim, column_leaf, evaluation_weights};
use crate::error::ProverError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::merkle::{MerkleTree, sorted_unique};
use crate::ntt::Radix2Domain;
use crate::transcript::Transcript;

/// What the prover keeps after committing, to answer openings later.
#[derive(Debug, Clone)]
pub struct CommittedData<H: Hasher> {
    shape: Shape,
    /// The `R × k` message matrix, row-major (the polynomials' evaluations).
    rows: Vec<F>,
    /// The `N × R` encoded matrix, column-major (leaf `j` is `columns[j·R..(j+1)·R]`).
    columns: Vec<F>,
    tree: MerkleTree<H>,
}

impl<H: Hasher> CommittedData<H> {
    /// The committed shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }
}

/// Commits to `polys`, each an evaluation table of the same length `2^n`.
pub fn commit<H: Hasher>(polys: &[Vec<F>], params: PcsParams) -> Result<(Commitment, CommittedData<H>), ProverError> {
    let bad = |detail: String| ProverError::InvalidInput {
        what: "PCS polynomials",
        detail,
    };
    let len = polys.first().map_or(0, Vec::len);
    if !len.is_power_of_two() || polys.iter().any(|p| p.len() != len) {
        return Err(bad("polynomials must share one power-of-two length".into()));
    }
    let shape = Shape::new(len.trailing_zeros() as usize, polys.len(), params);
    shape.check().map_err(|e| bad(e.to_string()))?;

    let k = shape.msg_len();
    let r = shape.total_rows();
    let rows: Vec<F> = polys.concat();
    let domain = Radix2Domain::new(shape.log_code_len());
    let encoded: Vec<Vec<F>> = rows.par_chunks_exact(k).map(|row| domain.encode(row)).collect();

    let n = shape.code_len();
    let mut columns = vec![F::ZERO; n * r];
    columns.par_chunks_exact_mut(r).enumerate().for_each(|(j, col)| {
        for (slot, row) in col.iter_mut().zip(&encoded) {
            *slot = row[j];
        }
    });
    drop(encoded);

    let leaves = columns.par_chunks_exact(r).map(column_leaf::<H>).collect();
    let tree = MerkleTree::<H>::new(leaves)?;
    let commitment = Commitment {
        root: tree.root(),
        shape,
    };
    Ok((
        commitment,
        CommittedData {
            shape,
            rows,
            columns,
            tree,
        },
    ))
}

/// Opens the committed polynomials at `point`, where `values[p]` must be
/// polynomial `p` evaluated at `point` (otherwise the proof is rejected).
pub fn open<H: Hasher>(
    transcript: &mut Transcript<H>,
    commitment: &Commitment,
    data: &CommittedData<H>,
    point: &[E],
    values: &[E],
) -> Result<OpeningProof, ProverError> {
    let shape = data.shape;
    if point.len() != shape.num_vars || values.len() != shape.num_polys || commitment.shape != shape {
        return Err(ProverError::InvalidInput {
            what: "PCS opening",
            detail: "point, values or commitment do not match the committed shape".into(),
        });
    }
    let (beta, gamma) = absorb_claim(transcript, commitment, point, values);
    let weights = evaluation_weights(&shape, point, beta);
    let (u_prox, u_eval) = combine_rows(&data.rows, shape.msg_len(), &gamma, &weights);
    transcript.absorb_fields(b"pcs/proximity-row", &u_prox);
    transcript.absorb_fields(b"pcs/evaluation-row", &u_eval);

    let queries = transcript.challenge_indices(b"pcs/queries", shape.params.num_queries, shape.log_code_len());
    let opened = sorted_unique(&queries);
    let r = shape.total_rows();
    let columns = opened
        .iter()
        .map(|&j| data.columns[j * r..(j + 1) * r].to_vec())
        .collect();
    let merkle = data.tree.open(&opened);
    Ok(OpeningProof {
        u_prox,
        u_eval,
        columns,
        merkle,
    })
}

/// `(Σ_i a_i·row_i, Σ_i b_i·row_i)` over the rows of a row-major matrix with `k` columns.
fn combine_rows(rows: &[F], k: usize, a: &[E], b: &[E]) -> (Vec<E>, Vec<E>) {
    const CHUNK: usize = 256;
    let mut ua = vec![E::ZERO; k];
    let mut ub = vec![E::ZERO; k];
    ua.par_chunks_mut(CHUNK)
        .zip(ub.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(c, (ca, cb))| {
            let start = c * CHUNK;
            for (i, row) in rows.chunks_exact(k).enumerate() {
                let row = &row[start..start + ca.len()];
                for ((x, y), &m) in ca.iter_mut().zip(cb.iter_mut()).zip(row) {
                    *x += a[i].mul_base(m);
                    *y += b[i].mul_base(m);
                }
            }
        });
    (ua, ub)
}

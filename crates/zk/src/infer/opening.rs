//! One opening for many claims on one packed polynomial.
//!
//! Claims `T_c(z_c) = v_c` on slots of a packed polynomial `P` (`D`
//! variables, [`super::slots`]) become claims `P(g_c) = v_c` at the global
//! points `g_c`. After the values are absorbed, `ρ` is drawn and a sumcheck
//! (degree 2, `D` variables) proves
//!
//! ```text
//!   Σ_x P(x) · Q(x) = Σ_c ρ^c v_c,     Q(x) = Σ_c ρ^c eq(g_c, x),
//! ```
//!
//! ending at `r*` with value `V`. The prover sends `P(r*)`; the verifier
//! computes `Q(r*)` itself (`O(D)` per claim), checks `P(r*)·Q(r*) = V` and
//! verifies one PCS opening of `P` at `r*`. Soundness: a false claim
//! survives the `ρ`-combination with probability ≤ (#claims)/|E|, the
//! sumcheck with ≤ 2D/|E|, and the opening with the PCS bound.

use super::slots::Slot;
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use crate::field::{E, Field};
use crate::hash::Hasher;
use crate::mle::eq_eval;
use crate::pcs::proof::OpeningProof;
use crate::pcs::{Commitment, verifier as pcs_verifier};
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::sumcheck::{SumcheckProof, SumcheckShape};
use crate::transcript::Transcript;

/// A claim `slot(point) = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub slot: Slot,
    pub point: Vec<E>,
    pub value: E,
}

/// The batched opening of one packed polynomial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchProof {
    pub sumcheck: SumcheckProof,
    /// `P(r*)`.
    pub eval: E,
    pub opening: OpeningProof,
}

impl BatchProof {
    pub fn write(&self, w: &mut Writer) {
        self.sumcheck.write(w);
        w.field(&self.eval);
        self.opening.write(w);
    }

    pub fn read(r: &mut Reader<'_>, commitment: &Commitment) -> Result<Self, DecodeError> {
        let shape = SumcheckShape {
            num_vars: commitment.shape.num_vars,
            degree: 2,
        };
        Ok(Self {
            sumcheck: SumcheckProof::read(r, shape)?,
            eval: r.field()?,
            opening: OpeningProof::read(r, &commitment.shape)?,
        })
    }
}

/// Absorbs the claims and draws `ρ`; returns `(ρ, Σ ρ^c v_c)` (shared by both sides).
pub(crate) fn start_batch<H: Hasher>(t: &mut Transcript<H>, label: &[u8], claims: &[Claim]) -> (E, E) {
    t.absorb_bytes(b"inference/batch", label);
    let values: Vec<E> = claims.iter().map(|c| c.value).collect();
    t.absorb_fields(b"inference/batch-values", &values);
    let rho = t.challenge_ext(b"inference/batch-rho");
    let sum = values.iter().rev().fold(E::ZERO, |acc, &v| acc * rho + v);
    (rho, sum)
}

/// Verifies a batched opening of `commitment` for `claims`.
pub(crate) fn verify_batch<H: Hasher>(
    t: &mut Transcript<H>,
    label: &[u8],
    commitment: &Commitment,
    claims: &[Claim],
    proof: &BatchProof,
) -> Result<(), VerifyError> {
    let num_vars = commitment.shape.num_vars;
    if let Some(c) = claims
        .iter()
        .find(|c| c.point.len() != c.slot.log_size || c.slot.range().end > 1 << num_vars)
    {
        return Err(VerifyError::Shape {
            what: "batched claim point",
            expected: c.slot.log_size,
            got: c.point.len(),
        });
    }
    let (rho, sum) = start_batch(t, label, claims);
    let shape = SumcheckShape { num_vars, degree: 2 };
    let sub = verify_sumcheck(t, shape, sum, &proof.sumcheck)?;
    let mut q = E::ZERO;
    let mut rho_c = E::ONE;
    for c in claims {
        q += rho_c * eq_eval(&c.slot.global_point(num_vars, &c.point), &sub.point);
        rho_c *= rho;
    }
    if proof.eval * q != sub.value {
        return Err(VerifyError::FinalClaim("batched opening"));
    }
    t.absorb_field(b"inference/batch-eval", &proof.eval);
    pcs_verifier::verify(t, commitment, &sub.point, &[proof.eval], &proof.opening)
}

#[cfg(feature = "prover")]
pub(crate) mod prover {
    use super::{BatchProof, Claim, start_batch};
    use crate::error::ProverError;
    use crate::field::{E, F, Field};
    use crate::hash::Hasher;
    use crate::mle::eq_table;
    use crate::pcs::Commitment;
    use crate::pcs::prover::{CommittedData, open};
    use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
    use crate::transcript::Transcript;

    /// Proves the claims on `poly` (committed as `commitment` / `data`).
    pub(crate) fn prove_batch<H: Hasher>(
        t: &mut Transcript<H>,
        label: &[u8],
        commitment: &Commitment,
        data: &CommittedData<H>,
        poly: &[F],
        claims: &[Claim],
    ) -> Result<BatchProof, ProverError> {
        let (rho, sum) = start_batch(t, label, claims);
        let mut q = vec![E::ZERO; poly.len()];
        let mut rho_c = E::ONE;
        for c in claims {
            let range = c.slot.range();
            for (slot, e) in q[range].iter_mut().zip(eq_table(&c.point)) {
                *slot += rho_c * e;
            }
            rho_c *= rho;
        }
        let p: Vec<E> = poly.iter().map(|&v| E::from(v)).collect();
        let terms = vec![ProductTerm {
            coeff: E::ONE,
            factors: vec![0, 1],
        }];
        let out = prove_sumcheck(t, SumOfProducts::new(vec![p, q], terms)?, sum);
        let eval = out.final_evals[0];
        t.absorb_field(b"inference/batch-eval", &eval);
        let opening = open(t, commitment, data, &out.point, &[eval])?;
        Ok(BatchProof {
            sumcheck: out.proof,
            eval,
            opening,
        })
    }
}

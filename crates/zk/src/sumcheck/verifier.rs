//! The sumcheck verifier (see the module docs for the protocol).

use super::{Subclaim, SumcheckProof, SumcheckShape, absorb_statement, interpolate_at};
use crate::error::VerifyError;
use crate::field::E;
use crate::hash::Hasher;
use crate::transcript::Transcript;

/// Verifies `proof` for `Σ G = claimed_sum` and returns the reduced claim
/// `G(point) = value`, which the caller must check.
pub fn verify<H: Hasher>(
    transcript: &mut Transcript<H>,
    shape: SumcheckShape,
    claimed_sum: E,
    proof: &SumcheckProof,
) -> Result<Subclaim, VerifyError> {
    if shape.num_vars > super::MAX_VARS || shape.degree == 0 || shape.degree > super::MAX_DEGREE {
        return Err(VerifyError::Shape {
            what: "sumcheck degree (1..=8) and variables (<= 40)",
            expected: 1,
            got: 0,
        });
    }
    if proof.rounds.len() != shape.num_vars {
        return Err(VerifyError::Shape {
            what: "sumcheck rounds",
            expected: shape.num_vars,
            got: proof.rounds.len(),
        });
    }
    absorb_statement(transcript, shape, claimed_sum);
    let mut claim = claimed_sum;
    let mut point = Vec::with_capacity(shape.num_vars);
    for (round, evals) in proof.rounds.iter().enumerate() {
        if evals.len() != shape.degree + 1 {
            return Err(VerifyError::Shape {
                what: "sumcheck round evaluations",
                expected: shape.degree + 1,
                got: evals.len(),
            });
        }
        if evals[0] + evals[1] != claim {
            return Err(VerifyError::SumcheckRound { round });
        }
        transcript.absorb_fields(b"sumcheck/round", evals);
        let r = transcript.challenge_ext(b"sumcheck/challenge");
        claim = interpolate_at(evals, r);
        point.push(r);
    }
    Ok(Subclaim { point, value: claim })
}

//! `MatMul` of two activations (engine tag 36; attention's `Q·Kᵀ` and `P·V`),
//! `docs/proof-system.md` §9.11.3.
//!
//! `acc[b, i, j] = Σ_p A[b, i, p]·B[b, p, j]` and `y = sat(rq(acc))` with one
//! requantizer: the threshold lookup with a single function (as for a pool,
//! `|acc| ≤ B = 2^14·K`). Both operands are committed values read in their
//! row-major padded tables (every axis but the first a power of two, equal
//! batch axes), so the table index of `A` is the bits `(b, i, p)`, of `B`
//! `(b, p, j)` and of the output `(b, i, j)`. At the layer point
//! `r = (r_b, r_i, r_j)` one sumcheck over `(b, p)` of
//! `eq(r_b, b)·A(b, r_i, p)·B(b, p, r_j)` (degree 3) ends in one claim on each
//! operand; the verifier evaluates `eq` itself.

use super::circuit::RequantLayer;
use super::claims::ClaimSink;
use super::key::RequantParams;
use super::proof::Step;
use super::window::StepShape;
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use crate::field::E;
use crate::hash::Hasher;
use crate::mle::eq_eval;
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// The verifying-key stage tag of an activation matmul.
pub(crate) const TAG_MATMUL: u8 = 18;

/// Largest inner dimension `K` (keeps `B = 2^14·K` below 2^40).
pub const MAX_INNER: u32 = 1 << 20;

/// An activation matmul `A · B`; the key's operand list names `A` (`[.., M, K]`)
/// and `B` (`[.., K, N]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatMulKey {
    /// The inner dimension `K`.
    pub k: u32,
    /// `(M, s)`.
    pub requant: RequantParams,
}

impl MatMulKey {
    /// `B = 128·128·K ≥ |acc|` (activations lie in `[−128, 127]`).
    pub fn acc_bound(&self) -> u64 {
        (1 << 14) * u64::from(self.k)
    }

    /// 8-bit limbs needed for a value in `[0, 2B]`.
    pub fn limbs(&self) -> usize {
        let bits = 64 - (2 * self.acc_bound() + 1).leading_zeros();
        (bits as usize).div_ceil(super::LIMB_BITS as usize).max(1)
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if !(1..=MAX_INNER).contains(&self.k) {
            return Err(format!("matmul inner dimension {} outside 1..=2^20", self.k));
        }
        if !self.requant.is_valid() {
            return Err("invalid matmul requantizer".into());
        }
        Ok(())
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u32(self.k);
        w.u32(self.requant.multiplier);
        w.u8(self.requant.shift);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            k: r.u32()?,
            requant: RequantParams {
                multiplier: r.u32()?,
                shift: r.u8()?,
            },
        })
    }
}

/// The variable counts `[b, i, p, j]` of an activation matmul layer.
pub(crate) type MatMulVars = [usize; 4];

/// The one step: a sumcheck over `(b, p)`, degree 3, sending `A` and `B`.
pub(crate) fn matmul_step(vars: MatMulVars) -> StepShape {
    StepShape {
        sumcheck: SumcheckShape {
            num_vars: vars[0] + vars[2],
            degree: 3,
        },
        evals: 2,
        label: b"inference/act-matmul-evals",
    }
}

/// Verifies the reduction of `Σ_{b,p} eq(r_b, b)·A(b, r_i, p)·B(b, p, r_j) = target`.
pub(crate) fn verify_matmul<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    l: &RequantLayer,
    vars: MatMulVars,
    r: &[E],
    target: E,
    step: &Step,
) -> Result<(), VerifyError> {
    let shape = matmul_step(vars);
    if step.evals.len() != shape.evals || r.len() != vars[0] + vars[1] + vars[3] {
        return Err(VerifyError::FinalClaim("activation matmul shape"));
    }
    let sub = verify_sumcheck(t, shape.sumcheck, target, &step.sumcheck)?;
    t.absorb_fields(shape.label, &step.evals);
    let (r_b, rest) = r.split_at(vars[0]);
    let (r_i, r_j) = rest.split_at(vars[1]);
    let (beta, rho) = sub.point.split_at(vars[0]);
    let [a, b] = [step.evals[0], step.evals[1]];
    if eq_eval(r_b, beta) * a * b != sub.value {
        return Err(VerifyError::FinalClaim("activation matmul sumcheck"));
    }
    sink.input(l, &[beta, r_i, rho].concat(), a)?;
    sink.input_b(l, &[beta, rho, r_j].concat(), b)
}

#[cfg(feature = "prover")]
pub(crate) mod prover {
    //! The prover's side: the three sumcheck tables over `(b, p)` and the engine-checked accumulators.

    use super::*;
    use crate::error::ProverError;
    use crate::field::{F, Field};
    use crate::mle::eq_table;
    use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
    use veris_engine::exact::IntTensor;

    use super::super::prove::ProveError;
    use super::super::tables::{RequantTables, thresholds};

    /// Proves the reduction (the verifier's [`verify_matmul`]); `a`, `b` are the padded operand tables.
    #[allow(clippy::too_many_arguments)] // the verifier's operands plus both operand tables
    pub(crate) fn prove_matmul<H: Hasher>(
        t: &mut Transcript<H>,
        sink: &mut ClaimSink<'_>,
        l: &RequantLayer,
        vars: MatMulVars,
        r: &[E],
        target: E,
        a: &[i64],
        b: &[i64],
    ) -> Result<Step, ProverError> {
        let [bv, iv, pv, jv] = vars;
        let (r_b, rest) = r.split_at(bv);
        let (r_i, r_j) = rest.split_at(iv);
        let (eq_b, eq_i, eq_j) = (eq_table(r_b), eq_table(r_i), eq_table(r_j));
        let size = 1usize << (bv + pv);
        let (mut fa, mut fb) = (vec![E::ZERO; size], vec![E::ZERO; size]);
        for (idx, &v) in a.iter().enumerate().filter(|(_, v)| **v != 0) {
            let (batch, i, p) = (idx >> (iv + pv), (idx >> pv) & ((1 << iv) - 1), idx & ((1 << pv) - 1));
            fa[(batch << pv) | p] += eq_i[i].mul_base(F::from_i64(v));
        }
        for (idx, &v) in b.iter().enumerate().filter(|(_, v)| **v != 0) {
            let (batch, p, j) = (idx >> (pv + jv), (idx >> jv) & ((1 << pv) - 1), idx & ((1 << jv) - 1));
            fb[(batch << pv) | p] += eq_j[j].mul_base(F::from_i64(v));
        }
        let fe = (0..size).map(|idx| eq_b[idx >> pv]).collect();
        let poly = SumOfProducts::new(
            vec![fe, fa, fb],
            vec![ProductTerm {
                coeff: E::ONE,
                factors: vec![0, 1, 2],
            }],
        )?;
        let shape = matmul_step(vars);
        let out = prove_sumcheck(t, poly, target);
        let evals = vec![out.final_evals[1], out.final_evals[2]];
        t.absorb_fields(shape.label, &evals);
        let (beta, rho) = out.point.split_at(bv);
        let ok = |res: Result<(), VerifyError>| res.expect("the prover's sink checks nothing");
        ok(sink.input(l, &[beta, r_i, rho].concat(), evals[0]));
        ok(sink.input_b(l, &[beta, rho, r_j].concat(), evals[1]));
        Ok(Step {
            sumcheck: out.proof,
            evals,
        })
    }

    /// `g(acc) = sat(rq(acc))`, the engine's requantizer.
    fn apply(key: &MatMulKey, acc: i64) -> i64 {
        let r = veris_engine::exact::Requant {
            multiplier: key.requant.multiplier,
            shift: key.requant.shift,
        };
        r.apply_sat(acc, super::super::QMIN, super::super::QMAX)
    }

    /// The threshold tables of `g = sat(rq(·))` on `[−B, B]` (no weights).
    pub(crate) fn matmul_tables(key: &MatMulKey) -> RequantTables {
        let (lower, upper) = thresholds(|a| apply(key, a), key.acc_bound() as i64);
        RequantTables {
            weights: Vec::new(),
            padded_weights: Vec::new(),
            lower,
            upper,
        }
    }

    /// The accumulators of the traced operands `a`, `b` (row-major like `out`),
    /// checked to requantize to the traced output.
    pub(crate) fn accumulators(
        key: &MatMulKey,
        a: &IntTensor,
        b: &IntTensor,
        out: &IntTensor,
        op: usize,
    ) -> Result<Vec<i64>, ProveError> {
        let mismatch = |index| ProveError::TraceMismatch { op, index };
        let (ra, rb) = (a.shape.len(), b.shape.len());
        if ra < 2 || ra != rb || a.shape[..ra - 2] != b.shape[..rb - 2] {
            return Err(mismatch(0));
        }
        let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 1]);
        if k != key.k as usize || b.shape[rb - 2] != k || out.data.len() != a.data.len() / k.max(1) * n {
            return Err(mismatch(0));
        }
        let mut acc = Vec::with_capacity(out.data.len());
        for (index, &y) in out.data.iter().enumerate() {
            let (batch, i, j) = (index / (m * n), (index / n) % m, index % n);
            let row = &a.data[(batch * m + i) * k..][..k];
            let sum: i64 = (0..k).map(|p| row[p] * b.data[(batch * k + p) * n + j]).sum();
            if apply(key, sum) != y {
                return Err(mismatch(index));
            }
            acc.push(sum);
        }
        Ok(acc)
    }
}

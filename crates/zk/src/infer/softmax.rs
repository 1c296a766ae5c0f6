//! `Softmax` (engine tag 33) along the last axis, `docs/proof-system.md` §9.11.4.
//!
//! The value is read as a padded `rows × L` matrix (one lane per row,
//! `2^rv × 2^cv`). Per lane, with `qmax = 127` and the key's exp table `E`:
//! ```text
//! m = max_l x_l,  e_l = E[m − x_l],  S = Σ_l e_l,  y_l = divr(qmax·e_l, S) = ⌊(2·qmax·e_l + S)/(2S)⌋
//! ```
//! Proved by
//! - the lane-max lookup ([`super::lane_max`]) with `E` as its value column:
//!   `(mask, m − x, e, sel)`, which fixes `m`, and `e = E[m − x]` exactly
//!   (0 on padding);
//! - the virtual denominator `D(i) = Σ_l e(i, l) + 1 − rowmask(i)`
//!   (`S` on real rows, 1 on padded rows), whose extension is
//!   `D̃(z) = 2^cv·ẽ(z, ½, …, ½) + 1 − rowmask(z)`: nothing committed;
//! - committed 8-bit limbs of `ρ = 2·qmax·e + D − 2·y·D` and of
//!   `f = 2D − 1 − ρ`, and one limb holding `y` (all in the range lookup),
//!   and a zero-check at a random point `r = (r_row, r_col)`:
//!   `2·qmax·ẽ(r) + D̃(r_row) − 2T − ρ̃(r) = 0`, `f̃(r) = 2D̃(r_row) − 1 − ρ̃(r)`,
//!   where `T = Σ_i eq(r_row, i)·D(i)·ỹ(i, r_col)` is proved by a degree-3
//!   sumcheck over the row variables.
//!
//! Over the integers (the walk requires `cv + P ≤ 50`, so every term is
//! below `2^61` in absolute value and no identity wraps modulo `p`):
//! `0 ≤ ρ ≤ 2D − 1` and `2·qmax·e + D = 2·y·D + ρ`, so `y = divr(qmax·e, D)`,
//! the engine's value on real entries and 0 on every padding entry.

use super::circuit::SoftmaxLayer;
use super::claims::ClaimSink;
use super::lane_max::{DIFFS, centre, cube_size};
use super::pointwise::prefix_mask;
use super::verify::recombine;
use super::{LIMB_BITS, QMAX};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::logup::LookupClaims;
use crate::mle::eq_eval;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::sumcheck::{SumcheckProof, SumcheckShape};
use crate::transcript::Transcript;

/// The verifying-key stage tag of a [`SoftmaxKey`].
pub(crate) const TAG_SOFTMAX: u8 = 19;
/// Largest exp precision `P` (the engine's bound).
pub const MAX_EXP_BITS: u8 = 30;
/// Largest `cv + P`: keeps `|2·qmax·e + D − 2·y·D − ρ|` and `|f − 2D + 1 + ρ|` below `2^61`.
pub const MAX_SUM_BITS: usize = 50;

/// The engine's `Softmax` op: axis, precision `P` and the table
/// `E[d] = round(2^P·exp(−d·s_in))`, `d < 256`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SoftmaxKey {
    /// Negative counts from the end; proofs need the last axis.
    pub axis: i64,
    /// `P ∈ [1, 30]`.
    pub exp_bits: u8,
    /// 256 entries in `[0, 2^P]`, the first `2^P`.
    pub exp_table: Vec<i64>,
}

impl SoftmaxKey {
    /// The engine's invariants (`docs/exact-semantics.md`, Softmax).
    pub fn check(&self) -> Result<(), String> {
        if self.axis.unsigned_abs() > super::MAX_RANK as u64 {
            return Err(format!("softmax axis {} out of range", self.axis));
        }
        if !(1..=MAX_EXP_BITS).contains(&self.exp_bits) {
            return Err(format!(
                "softmax precision {} outside 1..={MAX_EXP_BITS}",
                self.exp_bits
            ));
        }
        let one = 1i64 << self.exp_bits;
        if self.exp_table.len() != DIFFS || self.exp_table[0] != one {
            return Err(format!("softmax exp table needs {DIFFS} entries starting at 2^P"));
        }
        if self.exp_table.iter().any(|e| !(0..=one).contains(e)) {
            return Err("softmax exp table entry outside [0, 2^P]".into());
        }
        Ok(())
    }

    /// 8-bit limbs of a value in `[0, 2^(cv + P + 1))` (`ρ` and `f` lie in `[0, 2D)`, `D ≤ 2^(cv+P)`).
    pub fn limbs(&self, col_vars: usize) -> usize {
        (col_vars + usize::from(self.exp_bits) + 1).div_ceil(LIMB_BITS as usize)
    }

    /// Encoding after the tag and operand: `i64 axis ‖ u8 P ‖ 256 × u32`.
    pub(crate) fn write(&self, w: &mut Writer) {
        w.i64(self.axis);
        w.u8(self.exp_bits);
        self.exp_table.iter().for_each(|&e| w.u32(e as u32));
    }

    /// Reads the fixed-size body; [`SoftmaxKey::check`] runs with the key's.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let axis = r.i64()?;
        let exp_bits = r.u8()?;
        let exp_table = (0..DIFFS).map(|_| r.u32().map(i64::from)).collect::<Result<_, _>>()?;
        Ok(Self {
            axis,
            exp_bits,
            exp_table,
        })
    }
}

/// The lookup's claim on the virtual difference column `d = m·colmask − x`,
/// kept until the layer's own proof part sends `m̃` at that point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiffClaim {
    pub point: Vec<E>,
    pub value: E,
}

/// A Softmax layer's part of the proof (after the requantized layers').
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoftmaxProof {
    /// `m̃(z_row)` at the lookup's witness point `z`.
    pub max_eval: E,
    /// `ẽ(r), ẽ(r_row, ½), sel̃(r_row, ½), T, ỹ(r)`, then the limbs of `ρ` and of `f` at `r`.
    pub relation: Vec<E>,
    /// `T = Σ_i eq(r_row, i)·D(i)·ỹ(i, r_col)`: `rv` variables, degree 3.
    pub sumcheck: SumcheckProof,
    /// `ẽ(β, ½)` and `ỹ(β, r_col)` at the sumcheck's point `β`.
    pub evals: Vec<E>,
}

/// Fixed relation entries before the limbs.
const RELATION_HEAD: usize = 5;

impl SoftmaxProof {
    pub(crate) fn write(&self, w: &mut Writer) {
        w.field(&self.max_eval);
        w.fields(&self.relation);
        self.sumcheck.write(w);
        w.fields(&self.evals);
    }

    pub(crate) fn read(r: &mut Reader<'_>, l: &SoftmaxLayer) -> Result<Self, DecodeError> {
        Ok(Self {
            max_eval: r.field()?,
            relation: r.fields(RELATION_HEAD + 2 * l.rho_limbs.len())?,
            sumcheck: SumcheckProof::read(r, row_sumcheck(l))?,
            evals: r.fields(2)?,
        })
    }
}

/// The sumcheck's shape: the row variables, degree 3 (`eq·D·y`).
pub(crate) fn row_sumcheck(l: &SoftmaxLayer) -> SumcheckShape {
    SumcheckShape {
        num_vars: l.dims.row_vars,
        degree: 3,
    }
}

fn check(ok: bool, what: &'static str) -> Result<(), VerifyError> {
    if ok { Ok(()) } else { Err(VerifyError::FinalClaim(what)) }
}

/// `D̃(z) = 2^cv·ẽ(z, ½) + 1 − rowmask(z)` from `ẽ(z, ½)`.
fn denominator(l: &SoftmaxLayer, z_row: &[E], exp_centre: E) -> E {
    cube_size(l.dims.col_vars) * exp_centre + E::ONE - prefix_mask(z_row, l.dims.rows)
}

/// The lane-max lookup `(mask, d, e, sel)`: public table and mask checked,
/// claims on `e`, `sel` and the multiplicities; the claim on the virtual `d` is returned.
pub(crate) fn lookup_claims(
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    c: &LookupClaims,
) -> Result<DiffClaim, VerifyError> {
    let w = &c.witness_evals;
    if sink.checks_public() {
        check(
            c.table_evals[..] == l.table.evaluate(&c.table_point)[..],
            "softmax lookup: public table",
        )?;
        check(w[0] == l.layout().mask_eval(&c.witness_point), "softmax lookup: mask")?;
    }
    sink.witness(l.exp, &c.witness_point, w[2]);
    sink.witness(l.sel, &c.witness_point, w[3]);
    sink.witness(l.multiplicities, &c.table_point, c.multiplicity_eval);
    Ok(DiffClaim {
        point: c.witness_point.clone(),
        value: w[1],
    })
}

/// Step 1 (prover and verifier): `m̃` at the lookup point, absorbed; claims on `m` and `x`.
pub(crate) fn max_claims<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    diff: &DiffClaim,
    max_eval: E,
) -> Result<(), VerifyError> {
    t.absorb_fields(b"inference/softmax-max", &[max_eval]);
    let (z_row, z_col) = diff.point.split_at(l.dims.row_vars);
    sink.witness(l.max, z_row, max_eval);
    let x = max_eval * prefix_mask(z_col, l.dims.cols) - diff.value;
    sink.viewed(l.input, l.in_view.as_deref(), &l.layout(), &diff.point, x)
}

/// Step 2: the relation at `r` (checked when `check_public`), and its claims.
pub(crate) fn relation_claims(
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    r: &[E],
    relation: &[E],
) -> Result<(), VerifyError> {
    let limbs = l.rho_limbs.len();
    if relation.len() != RELATION_HEAD + 2 * limbs {
        return Err(VerifyError::FinalClaim("softmax relation shape"));
    }
    let [e_r, e_c, sel_c, _, y_r] = relation[..RELATION_HEAD] else {
        unreachable!("length checked")
    };
    let (rho, f) = relation[RELATION_HEAD..].split_at(limbs);
    let (r_row, _) = r.split_at(l.dims.row_vars);
    if sink.checks_public() {
        let (rho_v, f_v) = (recombine(rho), recombine(f));
        let d = denominator(l, r_row, e_c);
        let two = E::from_u64(2);
        let rowmask = prefix_mask(r_row, l.dims.rows);
        check(
            cube_size(l.dims.col_vars) * sel_c == rowmask,
            "softmax: one selected entry per lane",
        )?;
        check(f_v == two * d - E::ONE - rho_v, "softmax: remainder bound")?;
        let qmax = E::from(F::from_i64(QMAX));
        check(
            two * qmax * e_r + d - two * relation[3] - rho_v == E::ZERO,
            "softmax: rounded division",
        )?;
    }
    let at_centre = [r_row, &centre(l.dims.col_vars)].concat();
    sink.witness(l.exp, r, e_r);
    sink.witness(l.exp, &at_centre, e_c);
    sink.witness(l.sel, &at_centre, sel_c);
    sink.witness(l.y_limb, r, y_r);
    sink.source(l.output, &l.layout(), r, y_r)?;
    for (slots, values) in [(&l.rho_limbs, rho), (&l.f_limbs, f)] {
        for (&slot, &v) in slots.iter().zip(values) {
            sink.witness(slot, r, v);
        }
    }
    Ok(())
}

/// Step 3: the end of the row sumcheck at `β` with value `value`.
pub(crate) fn final_claims(
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    r: &[E],
    beta: &[E],
    value: E,
    evals: &[E],
) -> Result<(), VerifyError> {
    let [e_c, y] = evals else {
        return Err(VerifyError::FinalClaim("softmax evaluations"));
    };
    let (r_row, r_col) = r.split_at(l.dims.row_vars);
    if sink.checks_public() {
        let d = denominator(l, beta, *e_c);
        check(eq_eval(r_row, beta) * d * *y == value, "softmax: product sumcheck")?;
    }
    sink.witness(l.exp, &[beta, &centre(l.dims.col_vars)].concat(), *e_c);
    sink.source(l.output, &l.layout(), &[beta, r_col].concat(), *y)
}

/// Verifies a Softmax layer's proof part (after its lookup left `diff`).
pub(crate) fn verify_softmax<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    l: &SoftmaxLayer,
    diff: &DiffClaim,
    p: &SoftmaxProof,
) -> Result<(), VerifyError> {
    max_claims(t, sink, l, diff, p.max_eval)?;
    let r = t.challenge_exts(b"inference/softmax-point", l.dims.vars());
    t.absorb_fields(b"inference/softmax-relation", &p.relation);
    relation_claims(sink, l, &r, &p.relation)?;
    let sub = verify_sumcheck(t, row_sumcheck(l), p.relation[3], &p.sumcheck)?;
    t.absorb_fields(b"inference/softmax-evals", &p.evals);
    final_claims(sink, l, &r, &sub.point, sub.value, &p.evals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SoftmaxKey {
        SoftmaxKey {
            axis: -1,
            exp_bits: 14,
            exp_table: (0..256).map(|d| ((1i64 << 14) >> (d / 16)).max(0)).collect(),
        }
    }

    #[test]
    fn keys_round_trip_and_refuse_bad_tables() {
        let k = key();
        k.check().unwrap();
        let mut w = Writer::new();
        k.write(&mut w);
        let bytes = w.finish();
        assert_eq!(bytes.len(), 8 + 1 + 4 * 256);
        assert_eq!(SoftmaxKey::read(&mut Reader::new(&bytes)).unwrap(), k);
        assert!(SoftmaxKey::read(&mut Reader::new(&bytes[..bytes.len() - 1])).is_err());
        let bad = |f: fn(&mut SoftmaxKey)| {
            let mut k = key();
            f(&mut k);
            k.check().is_err()
        };
        assert!(bad(|k| k.exp_table[0] -= 1));
        assert!(bad(|k| k.exp_table[9] = (1 << 14) + 1));
        assert!(bad(|k| k.exp_table[9] = -1));
        assert!(bad(|k| k.exp_bits = 0));
        assert!(bad(|k| k.exp_bits = 31));
        assert!(bad(|k| k.axis = 9));
        assert!(bad(|k| k.exp_table.truncate(255)));
        assert_eq!(key().limbs(3), 3); // 3 + 14 + 1 = 18 bits
    }
}

//! The residual `Add` stage (`docs/proof-system.md` §9.10) and the value
//! graph: which earlier values each stage reads.
//!
//! `y = sat(rq_a(x_a) + rq_b(x_b))` into `[lo, 127]` (`lo = 0` with a fused
//! ReLU) on two 8-bit operands of one shape: a function of the pair
//! `(x_a, x_b)`, proved by one lookup into its 2^16-row table
//! `{(a, b, f(a, b))}`, whose columns the verifier evaluates itself.

use super::key::{RequantParams, Stage};
use super::{QMAX, QMIN};
use crate::field::{E, F};
use crate::mle::evaluate;

/// Variables of the table of a two-operand function of 8-bit values.
pub(crate) const PAIR_VARS: usize = 16;

/// A residual addition with scale alignment (both operands rescaled to the output scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddKey {
    /// Rescales the first operand.
    pub requant_a: RequantParams,
    /// Rescales the second operand.
    pub requant_b: RequantParams,
    /// Lower clamp 0 instead of −128.
    pub relu: bool,
}

/// `rq(x) = (x·M + 2^(s−1)) >> s` in 128-bit integers (`docs/exact-semantics.md` §2).
pub(crate) fn requant(x: i64, p: RequantParams) -> i64 {
    let shift = u32::from(p.shift);
    let v = (i128::from(x) * i128::from(p.multiplier) + (1i128 << (shift - 1))) >> shift;
    // |x| ≤ 2^63 and M < 2^31 with s ≥ 1: |v| < 2^93, saturated at the i64 range.
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl AddKey {
    /// The function the stage applies to one pair of operand values.
    pub fn apply(&self, a: i64, b: i64) -> i64 {
        let lo = if self.relu { 0 } else { QMIN };
        requant(a, self.requant_a)
            .saturating_add(requant(b, self.requant_b))
            .clamp(lo, QMAX)
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if !self.requant_a.is_valid() || !self.requant_b.is_valid() {
            return Err("add: invalid requantizer".into());
        }
        Ok(())
    }

    /// The output column of the pair table: row `i` is `f(a, b)` with
    /// `a = (i >> 8) − 128`, `b = (i & 255) − 128`.
    pub(crate) fn output_column(&self) -> Vec<F> {
        (0..1i64 << PAIR_VARS)
            .map(|i| F::from_i64(self.apply((i >> 8) + QMIN, (i & 255) + QMIN)))
            .collect()
    }

    /// The pair table's three columns at `z` (16 coordinates): `a`, `b` are
    /// binary patterns, `f(a, b)` costs one pass over the 2^16 rows.
    pub(crate) fn table_evals(&self, z: &[E]) -> [E; 3] {
        let offset = E::from(F::from_i64(QMIN));
        [
            super::columns::binary_value(&z[..8]) + offset,
            super::columns::binary_value(&z[8..]) + offset,
            evaluate(&self.output_column(), z),
        ]
    }
}

/// How many values a stage reads.
pub(crate) fn arity(stage: &Stage) -> usize {
    match stage {
        Stage::Add(_) | Stage::MatMul(_) => 2,
        _ => 1,
    }
}

/// The value graph's invariants: stage `i` reads `arity` values among
/// `0 ..= i` (value 0 is the input, value `j + 1` is stage `j`'s output).
pub(crate) fn check_operands(stages: &[Stage], operands: &[Vec<u32>]) -> Result<(), String> {
    if operands.len() != stages.len() {
        return Err("one operand list per stage required".into());
    }
    for (i, (stage, ops)) in stages.iter().zip(operands).enumerate() {
        if ops.len() != arity(stage) {
            return Err(format!(
                "stage {i} reads {} values, it takes {}",
                ops.len(),
                arity(stage)
            ));
        }
        if ops.iter().any(|&v| v as usize > i) {
            return Err(format!("stage {i} reads a value defined after it"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requant_rounds_half_up_like_the_semantics_example() {
        let quarter = RequantParams {
            multiplier: 1 << 30,
            shift: 32,
        };
        let got: Vec<i64> = [6, -6, -7, -5].iter().map(|&x| requant(x, quarter)).collect();
        assert_eq!(got, [2, -1, -2, -1]);
    }

    #[test]
    fn pair_table_columns_match_their_extension() {
        let key = AddKey {
            requant_a: RequantParams {
                multiplier: 3 << 28,
                shift: 30,
            },
            requant_b: RequantParams {
                multiplier: 5 << 27,
                shift: 30,
            },
            relu: true,
        };
        let z: Vec<E> = (0..PAIR_VARS)
            .map(|i| E::new(F::new(3 + i as u64), F::new(11 * i as u64)))
            .collect();
        let a: Vec<F> = (0..1i64 << 16).map(|i| F::from_i64((i >> 8) - 128)).collect();
        let b: Vec<F> = (0..1i64 << 16).map(|i| F::from_i64((i & 255) - 128)).collect();
        let evals = key.table_evals(&z);
        assert_eq!(evals[0], evaluate(&a, &z));
        assert_eq!(evals[1], evaluate(&b, &z));
        // Padding entries (0, 0) are rows of every add table: f(0, 0) = 0.
        assert_eq!(key.apply(0, 0), 0);
        assert_eq!(key.apply(127, 127), 127);
        assert_eq!(key.apply(-128, -128), 0);
    }
}

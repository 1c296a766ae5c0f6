//! Public columns whose multilinear extensions the verifier evaluates
//! itself: index patterns of the lookup tables, the row mask and the padded
//! biases.

use super::QMIN;
use crate::field::{E, F, Field};
use crate::mle::evaluate;

/// `Σ_t 2^(len−1−t)·z_t`: the MLE of `i ↦ i` over `len` variables.
pub(crate) fn binary_value(z: &[E]) -> E {
    z.iter().fold(E::ZERO, |acc, &b| acc.double() + b)
}

/// The channel `j` of threshold-table row `j·256 + u`, at `point` (`col_vars + 8` variables).
pub(crate) fn table_channel(point: &[E], col_vars: usize) -> E {
    binary_value(&point[..col_vars])
}

/// The activation `v = u − 128` of threshold-table row `j·256 + u`.
pub(crate) fn table_value(point: &[E], col_vars: usize) -> E {
    binary_value(&point[col_vars..]) + E::from(F::from_i64(QMIN))
}

/// The ReLU table `u ↦ (u − 128, max(u − 128, 0))` over 8 variables: the
/// second column is `b_0·(u − 128) = b_0 · Σ_{t≥1} 2^(7−t) b_t`, a product of
/// distinct variables and therefore multilinear as written.
pub(crate) fn relu_table(point: &[E]) -> [E; 2] {
    [
        binary_value(point) + E::from(F::from_i64(QMIN)),
        point[0] * binary_value(&point[1..]),
    ]
}

/// The padded bias vector at `point` (`col_vars` variables).
pub(crate) fn bias_eval(bias: &[i64], point: &[E]) -> E {
    let mut padded = vec![F::ZERO; 1 << point.len()];
    for (slot, &b) in padded.iter_mut().zip(bias) {
        *slot = F::from_i64(b);
    }
    evaluate(&padded, point)
}

/// The row mask (1 on the `rows` real rows, 0 on padding) at `point`.
pub(crate) fn row_mask_eval(rows: usize, point: &[E]) -> E {
    let mut mask = vec![F::ZERO; 1 << point.len()];
    mask[..rows].fill(F::ONE);
    evaluate(&mask, point)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(n: usize, seed: u64) -> Vec<E> {
        (0..n)
            .map(|i| E::new(F::new(seed + 3 * i as u64), F::new(7 + i as u64)))
            .collect()
    }

    #[test]
    fn structured_columns_match_their_tables() {
        let nv = 3;
        let z = point(nv + 8, 11);
        let chan: Vec<F> = (0..1u64 << (nv + 8)).map(|i| F::new(i >> 8)).collect();
        let val: Vec<F> = (0..1i64 << (nv + 8)).map(|i| F::from_i64((i & 255) - 128)).collect();
        assert_eq!(table_channel(&z, nv), evaluate(&chan, &z));
        assert_eq!(table_value(&z, nv), evaluate(&val, &z));

        let z = point(8, 5);
        let v: Vec<F> = (0..256i64).map(|u| F::from_i64(u - 128)).collect();
        let r: Vec<F> = (0..256i64).map(|u| F::from_i64((u - 128).max(0))).collect();
        assert_eq!(relu_table(&z), [evaluate(&v, &z), evaluate(&r, &z)]);
    }
}

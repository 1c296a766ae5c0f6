//! The lane-maximum argument: `m(i) = max_l x(i, l)` for every lane `i` of a
//! value laid out as a padded `rows × L` matrix (one lane per row), proved by
//! one lookup and one check at a random row point (`docs/proof-system.md`
//! §9.11.4). Used by `Softmax` ([`super::softmax`]); written so that any
//! "maximum over a gathered axis" (a `MaxPool` window gathered into rows)
//! can use the same gadget.
//!
//! **Committed**: the maxima `m` (one per row, `2^rv` entries) and a selector
//! `sel` (laid out like `x`). **Virtual**: the differences
//! `d(i, l) = m(i)·colmask(l) − x(i, l)`, whose extension at a point
//! `(z_row, z_col)` is `m̃(z_row)·colmask(z_col) − x̃(z_row, z_col)`: the
//! prover sends `m̃(z_row)`, the verifier derives the claim on `x`.
//!
//! **Lookup** (LogUp, columns `(mask, d, [value,] sel)`, 512 rows):
//! ```text
//! row u < 256:   (1, u, V[u], 0)        any real entry with d = u
//! row 256:       (1, 0, V[0], 1)        the real entry the selector picks (d = 0)
//! rows > 256:    (0, 0, 0, 0)           padding
//! ```
//! `mask` is the public real-entry indicator; `V` an optional public column
//! looked up with the difference (Softmax: `E[d]`, its exp table).
//! **Selector sum**: `Σ_l sel(i, l) = rowmask(i)` for every row, checked at a
//! random row point as `2^cv · sel̃(r_row, ½, …, ½) = rowmask(r_row)` (the sum
//! of a multilinear polynomial over the cube is `2^cv` times its value at the
//! centre).
//!
//! **Why this is the maximum.** On a real row: every `d ∈ [0, 255]`, so
//! `m ≡ x_l + d_l`; the selector is boolean, zero on padding and sums to 1,
//! so one real `l*` has `sel = 1`, hence `d_{l*} = 0` and `m ≡ x_{l*}`. Then
//! `x_{l*} − x_l ≡ d_l` with both sides in `[−255, 255]` and `[0, 255]`: equal
//! over the integers, so `x_{l*} = max_l x_l = m` and `d_l = m − x_l`
//! exactly (inputs are 8-bit). On padding entries `d = value = sel = 0`.

use super::columns::binary_value;
use crate::field::{E, F, Field};
use crate::mle::evaluate;

/// Rows of the lane-max table (9 variables).
pub(crate) const LANE_TABLE_VARS: usize = 9;
/// Differences the table lists (8-bit inputs: `d ∈ [0, 255]`).
pub(crate) const DIFFS: usize = 256;

/// The public lane-max lookup table, with an optional value column `V[d]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaneMaxTable {
    /// `V[d]` for `d < 256` (Softmax: the exp table), or `None`.
    pub value: Option<Vec<i64>>,
}

impl LaneMaxTable {
    /// Columns: mask, difference, [value,] selector.
    pub fn columns(&self) -> usize {
        if self.value.is_some() { 4 } else { 3 }
    }

    /// The table columns' extensions at `z` ([`LANE_TABLE_VARS`] coordinates,
    /// `z_0` selecting the upper half).
    pub fn evaluate(&self, z: &[E]) -> Vec<E> {
        let (top, rest) = (z[0], &z[1..]);
        let keep = E::ONE - top;
        let first = top * rest.iter().fold(E::ONE, |acc, &t| acc * (E::ONE - t));
        let mut out = vec![keep + first, keep * binary_value(rest)];
        if let Some(v) = &self.value {
            let column: Vec<F> = v.iter().map(|&e| F::from_i64(e)).collect();
            out.push(keep * evaluate(&column, rest) + first.mul_base(F::from_i64(v[0])));
        }
        out.push(first);
        out
    }

    #[cfg(feature = "prover")]
    /// The table's columns, row by row (prover side).
    pub fn table(&self) -> Vec<Vec<i64>> {
        let rows = 1usize << LANE_TABLE_VARS;
        // Rows 0..256: (1, u, V[u], 0); row 256: (1, 0, V[0], 1); the rest zero.
        let listed = |c: Vec<i64>| c.into_iter().chain(std::iter::repeat(0)).take(rows).collect::<Vec<_>>();
        let diffs = (0..DIFFS).chain([0]);
        let mut cols = vec![
            listed(vec![1; DIFFS + 1]),
            listed(diffs.clone().map(|d| d as i64).collect()),
        ];
        if let Some(v) = &self.value {
            cols.push(listed(diffs.map(|d| v[d]).collect()));
        }
        let mut sel = vec![0; rows];
        sel[DIFFS] = 1;
        cols.push(sel);
        cols
    }

    #[cfg(feature = "prover")]
    /// The row a witness entry `(real, d, value, sel)` matches, if any.
    pub fn row_of(&self, real: bool, d: i64, value: i64, sel: i64) -> Option<usize> {
        let v = |d: usize| self.value.as_ref().map_or(0, |t| t[d]);
        match (real, sel) {
            (false, _) => (d == 0 && value == 0 && sel == 0).then_some(DIFFS + 1),
            (true, 1) => (d == 0 && value == v(0)).then_some(DIFFS),
            (true, 0) => {
                let u = usize::try_from(d).ok().filter(|&u| u < DIFFS)?;
                (value == v(u)).then_some(u)
            }
            _ => None,
        }
    }
}

/// `(½, …, ½)`: the centre of the cube in `n` coordinates.
pub(crate) fn centre(n: usize) -> Vec<E> {
    vec![E::from_u64(2).inverse().expect("2 is invertible"); n]
}

/// `2^n` as a field element.
pub(crate) fn cube_size(n: usize) -> E {
    E::from_u64(1 << n)
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;

    #[test]
    fn table_extension_matches_its_columns_and_rows() {
        for value in [None, Some((0..256).map(|d| 1000 - 3 * d).collect::<Vec<i64>>())] {
            let t = LaneMaxTable { value };
            let z: Vec<E> = (0..LANE_TABLE_VARS)
                .map(|i| E::new(F::new(7 + 3 * i as u64), F::new(2 + i as u64)))
                .collect();
            let cols = t.table();
            let want: Vec<E> = cols
                .iter()
                .map(|c| evaluate(&c.iter().map(|&v| F::from_i64(v)).collect::<Vec<_>>(), &z))
                .collect();
            assert_eq!(t.evaluate(&z), want);
            let v0 = t.value.as_ref().map_or(0, |v| v[0]);
            let v5 = t.value.as_ref().map_or(0, |v| v[5]);
            assert_eq!(t.row_of(true, 0, v0, 1), Some(256));
            assert_eq!(t.row_of(true, 5, v5, 0), Some(5));
            assert_eq!(t.row_of(true, 5, v5, 1), None);
            assert_eq!(t.row_of(true, 256, 0, 0), None);
            assert_eq!(t.row_of(false, 0, 0, 0), Some(257));
            assert_eq!(t.row_of(false, 1, 0, 0), None);
        }
    }

    #[test]
    fn the_centre_averages_the_cube() {
        let table: Vec<F> = (0..8u64).map(|i| F::new(i * i + 1)).collect();
        let sum: u64 = (0..8u64).map(|i| i * i + 1).sum();
        assert_eq!(cube_size(3) * evaluate(&table, &centre(3)), E::from_u64(sum));
    }
}

//! Multiplicities of the public-table lookups (pointwise ReLU and `Lut`,
//! residual Add): how often an honest prover uses each table row. Entries that are
//! not rows of the table count nowhere (a tampered witness then fails the
//! lookup, as it must).

use super::circuit::PointwiseLayer;
use super::key_add::{AddKey, PAIR_VARS};
use super::tables::VALUES;
use super::{QMAX, QMIN};

fn in_range(v: i64) -> bool {
    (QMIN..=QMAX).contains(&v)
}

/// Uses of each row of a pointwise layer's table (`(v, f(v))`, or for a
/// `Lut` `(1, v, f(v))` and the zero row that padding entries match).
pub(crate) fn pointwise_multiplicities(p: &PointwiseLayer, input: &[i64], output: &[i64]) -> Vec<u64> {
    let mut counts = vec![0u64; 1 << p.table.table_vars()];
    let real = p.layout.pad(&vec![1; p.layout.elements()]);
    for ((&x, &y), &m) in input.iter().zip(output).zip(&real) {
        if let Some(row) = p.table.row_of(m == 1, x, y) {
            counts[row] += 1;
        }
    }
    counts
}

/// Uses of each row `(a, b, f(a, b))`, row `(a + 128)·256 + (b + 128)`.
pub(crate) fn add_multiplicities(key: &AddKey, [a, b]: &[Vec<i64>; 2], output: &[i64]) -> Vec<u64> {
    let mut counts = vec![0u64; 1 << PAIR_VARS];
    for ((&x, &y), &z) in a.iter().zip(b).zip(output) {
        if in_range(x) && in_range(y) && z == key.apply(x, y) {
            counts[((x - QMIN) as usize) * VALUES + (y - QMIN) as usize] += 1;
        }
    }
    counts
}

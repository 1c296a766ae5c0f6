//! `Transpose` as a re-indexing of claims (`docs/proof-system.md` §9.11.2).
//!
//! A value whose table is its row-major data zero-padded to `2^n` entries
//! (a matrix with a power-of-two column count) indexes element
//! `(i_0, …, i_k)` of a shape whose axes `1..k` are powers of two by the
//! concatenated bits of `i_0, …, i_k`. Transposing such a tensor permutes
//! these bit groups, so the transposed table is the producer's table with its
//! variables permuted: a claim `T'(z) = v` on the transposed value is the
//! claim `T(z∘σ⁻¹) = v` on the producer. No table is committed and nothing is
//! proved for the transpose itself; consumers read the producer through a
//! [`VarMap`]. Axis 0 may keep a length that is not a power of two when it
//! stays in front (its padding rows are zero in both tables).

use super::circuit::ceil_log2;
use super::error::StatementError;
use crate::field::{E, Field};

/// The verifying-key stage tag of `Transpose`.
pub(crate) const TAG_TRANSPOSE: u8 = 17;

/// A consumer's view of its producer's table: the consumer's variable `q`
/// (first = most significant) is the producer's variable `map[q]`; a bijection.
pub(crate) type VarMap = Vec<usize>;

/// `perm` is a permutation of `0..perm.len()` of rank at most 8.
pub(crate) fn check_perm(perm: &[u8]) -> Result<(), String> {
    let mut seen = [false; super::MAX_RANK];
    let ok = perm.len() <= super::MAX_RANK
        && perm.iter().all(|&p| {
            let p = usize::from(p);
            p < perm.len() && !std::mem::replace(&mut seen[p], true)
        });
    if ok {
        Ok(())
    } else {
        Err(format!("transpose perm {perm:?} is not a permutation"))
    }
}

/// The shape `shape` transposed by `perm`, and the variable map from the
/// transposed table to the table of `shape` (both row-major, zero-padded);
/// `NotYetProvable` when an axis that needs it is not a power of two.
pub(crate) fn transpose_map(shape: &[usize], perm: &[u8]) -> Result<(Vec<usize>, VarMap), StatementError> {
    if perm.len() != shape.len() || check_perm(perm).is_err() {
        return Err(StatementError::Shape {
            what: "transpose input",
            detail: format!("perm {perm:?} does not permute the axes of {shape:?}"),
        });
    }
    let leading_fixed = perm.first() == Some(&0);
    if let Some(a) = (0..shape.len()).find(|&a| !(shape[a].is_power_of_two() || a == 0 && leading_fixed)) {
        return Err(StatementError::NotYetProvable(format!(
            "transpose of {shape:?} by {perm:?}: axis {a} is moved or behind the first axis and not a power of two"
        )));
    }
    let vars: Vec<usize> = shape.iter().map(|&d| ceil_log2(d)).collect();
    let start: Vec<usize> = vars
        .iter()
        .scan(0, |s, &v| Some(std::mem::replace(s, *s + v)))
        .collect();
    let map = perm
        .iter()
        .flat_map(|&p| {
            let p = usize::from(p);
            start[p]..start[p] + vars[p]
        })
        .collect();
    Ok((perm.iter().map(|&p| shape[usize::from(p)]).collect(), map))
}

/// The map of `outer` (a view of a view) onto the producer of `inner`.
pub(crate) fn compose(inner: Option<&[usize]>, outer: VarMap) -> VarMap {
    match inner {
        None => outer,
        Some(inner) => outer.iter().map(|&q| inner[q]).collect(),
    }
}

/// The producer's point of the consumer's point `z`.
pub(crate) fn producer_point(map: &[usize], z: &[E]) -> Vec<E> {
    let mut point = vec![E::ZERO; map.len()];
    for (&p, &v) in map.iter().zip(z) {
        point[p] = v;
    }
    point
}

/// The consumer's table: entry `c` is the producer's entry whose variable
/// `map[q]` is bit `q` of `c` (`table.len() = 2^map.len()`).
#[cfg(feature = "prover")]
pub(crate) fn view_table(map: &[usize], table: &[i64]) -> Vec<i64> {
    let n = map.len();
    (0..1usize << n)
        .map(|c| {
            let p = map
                .iter()
                .enumerate()
                .fold(0, |p, (q, &m)| p | (((c >> (n - 1 - q)) & 1) << (n - 1 - m)));
            table[p]
        })
        .collect()
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::field::F;
    use crate::mle::evaluate;

    /// Row-major transpose, the reference.
    fn transpose(shape: &[usize], data: &[i64], perm: &[u8]) -> Vec<i64> {
        let strides: Vec<usize> = (0..shape.len()).map(|a| shape[a + 1..].iter().product()).collect();
        let out: Vec<usize> = perm.iter().map(|&p| shape[usize::from(p)]).collect();
        let count: usize = out.iter().product();
        (0..count)
            .map(|mut i| {
                let mut src = 0;
                for a in (0..out.len()).rev() {
                    src += (i % out[a]) * strides[usize::from(perm[a])];
                    i /= out[a];
                }
                data[src]
            })
            .collect()
    }

    fn padded(data: &[i64], vars: usize) -> Vec<i64> {
        let mut t = data.to_vec();
        t.resize(1 << vars, 0);
        t
    }

    #[test]
    fn transposed_tables_are_variable_permutations() {
        for (shape, perm) in [
            (vec![3, 2, 4], vec![0, 2, 1]),
            (vec![1, 8, 2, 4], vec![0, 2, 1, 3]),
            (vec![1, 2, 8, 4], vec![0, 1, 3, 2]),
            (vec![2, 4, 8], vec![2, 0, 1]),
            (vec![5], vec![0]),
        ] {
            let count: usize = shape.iter().product();
            let data: Vec<i64> = (0..count as i64).map(|v| v * 7 - 40).collect();
            let (out_shape, map) = transpose_map(&shape, &perm).unwrap();
            let vars = map.len();
            assert_eq!(out_shape.iter().product::<usize>(), count);
            let producer = padded(&data, vars);
            let consumer = padded(&transpose(&shape, &data, &perm), vars);
            assert_eq!(view_table(&map, &producer), consumer, "{shape:?} {perm:?}");
            let z: Vec<E> = (0..vars).map(|i| E::from_u64(3 + 5 * i as u64)).collect();
            let to_f = |t: &[i64]| t.iter().map(|&v| F::from_i64(v)).collect::<Vec<_>>();
            assert_eq!(
                evaluate(&to_f(&consumer), &z),
                evaluate(&to_f(&producer), &producer_point(&map, &z))
            );
        }
    }

    #[test]
    fn composed_views_are_the_composed_transposes() {
        let shape = [1, 4, 2, 8];
        let data: Vec<i64> = (0..64).collect();
        let (mid, first) = transpose_map(&shape, &[0, 2, 1, 3]).unwrap();
        let (_, second) = transpose_map(&mid, &[0, 1, 3, 2]).unwrap();
        let both = compose(Some(&first), second);
        let expect = transpose(&mid, &transpose(&shape, &data, &[0, 2, 1, 3]), &[0, 1, 3, 2]);
        assert_eq!(view_table(&both, &data), expect);
    }

    #[test]
    fn refused_transposes() {
        assert!(matches!(
            transpose_map(&[3, 4], &[1, 0]),
            Err(StatementError::NotYetProvable(_))
        ));
        assert!(matches!(
            transpose_map(&[2, 3, 4], &[0, 2, 1]),
            Err(StatementError::NotYetProvable(_))
        ));
        assert!(matches!(
            transpose_map(&[2, 4], &[0, 0]),
            Err(StatementError::Shape { .. })
        ));
        assert!(matches!(
            transpose_map(&[2, 4], &[0]),
            Err(StatementError::Shape { .. })
        ));
        assert!(check_perm(&[0, 1, 2, 3, 4, 5, 6, 7, 8]).is_err());
        assert!(check_perm(&[1, 9]).is_err());
    }
}

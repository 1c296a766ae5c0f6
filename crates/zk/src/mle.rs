//! Multilinear polynomials given by their evaluation tables on {0,1}^n.
//!
//! Variable order: table index `i` has binary digits `b_0 … b_{n-1}` with
//! `b_0` the **most** significant, and a point `r = (r_0, …, r_{n-1})` assigns
//! `r_j` to `b_j`. So `fix_first_variable` folds the two contiguous halves of
//! the table, and a matrix stored row-major with `2^a` rows has its row index
//! in the first `a` variables.
//!
//! Large tables (≥ [`PARALLEL_THRESHOLD`] entries) are processed with rayon
//! when the `prover` feature is on; the verifier build is serial.

use crate::field::{E, Field};

/// Tables at least this long are folded / expanded in parallel (prover build).
pub const PARALLEL_THRESHOLD: usize = 1 << 14;

/// `eq(a, b) = Π_j (a_j b_j + (1 − a_j)(1 − b_j))`.
pub fn eq_eval(a: &[E], b: &[E]) -> E {
    assert_eq!(a.len(), b.len(), "eq_eval: points of different dimension");
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x * y + (E::ONE - x) * (E::ONE - y))
        .fold(E::ONE, |acc, t| acc * t)
}

/// The table of `eq(point, x)` over `x ∈ {0,1}^n`, in the order above.
/// Costs 2^n multiplications.
pub fn eq_table(point: &[E]) -> Vec<E> {
    let mut table = Vec::with_capacity(1 << point.len());
    table.push(E::ONE);
    for &r in point {
        // Each entry e splits into (e·(1 − r), e·r) at indices (2i, 2i + 1):
        // the newest variable is the least significant digit.
        let old = core::mem::take(&mut table);
        table = expand(&old, r);
    }
    table
}

fn expand(old: &[E], r: E) -> Vec<E> {
    let mut out = vec![E::ZERO; old.len() * 2];
    let split = |(pair, &e): (&mut [E], &E)| {
        let hi = e * r;
        pair[0] = e - hi;
        pair[1] = hi;
    };
    #[cfg(feature = "prover")]
    if out.len() >= PARALLEL_THRESHOLD {
        use rayon::prelude::*;
        out.par_chunks_exact_mut(2).zip(old.par_iter()).for_each(split);
        return out;
    }
    out.chunks_exact_mut(2).zip(old.iter()).for_each(split);
    out
}

/// Binds the first variable of `table` to `r` in place, halving its length:
/// `t'[i] = t[i] + r·(t[i + h] − t[i])` with `h = len/2`. Linear time.
pub fn fix_first_variable(table: &mut Vec<E>, r: E) {
    let half = table.len() / 2;
    assert!(
        table.len() == 2 * half && half > 0,
        "fix_first_variable: table length must be a power of two ≥ 2"
    );
    let (lo, hi) = table.split_at_mut(half);
    let fold = |(l, h): (&mut E, &E)| *l += r * (*h - *l);
    #[cfg(feature = "prover")]
    if half >= PARALLEL_THRESHOLD {
        use rayon::prelude::*;
        lo.par_iter_mut().zip(hi.par_iter()).for_each(fold);
        table.truncate(half);
        return;
    }
    lo.iter_mut().zip(hi.iter()).for_each(fold);
    table.truncate(half);
}

/// Binds the first variable of a base-field table to an extension element,
/// producing an extension table of half the length.
pub fn fix_first_variable_base<K: Copy + Into<E> + Send + Sync>(table: &[K], r: E) -> Vec<E> {
    let half = table.len() / 2;
    assert!(
        table.len() == 2 * half && half > 0,
        "fix_first_variable_base: table length must be a power of two ≥ 2"
    );
    let (lo, hi) = table.split_at(half);
    let fold = |(&l, &h): (&K, &K)| {
        let l: E = l.into();
        l + r * (h.into() - l)
    };
    #[cfg(feature = "prover")]
    if half >= PARALLEL_THRESHOLD {
        use rayon::prelude::*;
        return lo.par_iter().zip(hi.par_iter()).map(fold).collect();
    }
    lo.iter().zip(hi.iter()).map(fold).collect()
}

/// Evaluates the multilinear extension of `table` at `point` by successive
/// folding (about 2^n extension multiplications).
pub fn evaluate<K: Copy + Into<E> + Send + Sync>(table: &[K], point: &[E]) -> E {
    assert_eq!(
        table.len(),
        1usize << point.len(),
        "evaluate: table length must be 2^dim(point)"
    );
    let Some((&first, rest)) = point.split_first() else {
        return table[0].into();
    };
    let mut t = fix_first_variable_base(table, first);
    for &r in rest {
        fix_first_variable(&mut t, r);
    }
    t[0]
}

/// `Σ_i a[i]·b[i]`.
pub fn inner_product<K: Copy + Into<E>>(a: &[E], b: &[K]) -> E {
    assert_eq!(a.len(), b.len(), "inner_product: lengths differ");
    a.iter().zip(b).map(|(&x, &y)| x * y.into()).sum()
}

/// `log2(n)` for a power of two `n ≥ 1`, or `None`.
pub fn log2_exact(n: usize) -> Option<u32> {
    n.is_power_of_two().then(|| n.trailing_zeros())
}

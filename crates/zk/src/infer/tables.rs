//! Requantization threshold tables (setup time).
//!
//! For a channel function `g` (requantize, round, saturate — non-decreasing
//! in the accumulator) restricted to accumulators `a ∈ [−B, B]`, and each
//! activation `v ∈ [−128, 127]`:
//!
//! ```text
//!   L(v) = min { a ∈ [−B, B] : g(a) ≥ v }        (B + 1 if none)
//!   U(v) = max { a ∈ [−B, B] : g(a) ≤ v } = L(v + 1) − 1,   L(128) = B + 1
//! ```
//!
//! so that for `a ∈ [−B, B]`: `g(a) = v ⇔ L(v) ≤ a ≤ U(v)` (an empty interval,
//! `L > U`, for values `g` never takes). Every threshold lies in `[−B − 1, B + 1]`.
//! `g` is evaluated with the engine's own requantizer, never re-implemented.

use super::{QMAX, QMIN};

/// Entries per channel: one per activation value.
pub(crate) const VALUES: usize = 256;

/// `(L, U)` for `v = −128 … 127` (index `v + 128`) of a non-decreasing `g` on `[−bound, bound]`.
pub(crate) fn thresholds(g: impl Fn(i64) -> i64, bound: i64) -> (Vec<i64>, Vec<i64>) {
    // first[v + 128] = L(v) for v = −128 … 128.
    let first: Vec<i64> = (QMIN..=QMAX + 1).map(|v| first_at_least(&g, v, bound)).collect();
    let lower = first[..VALUES].to_vec();
    let upper = first[1..].iter().map(|&l| l - 1).collect();
    (lower, upper)
}

/// The smallest `a ∈ [−bound, bound]` with `g(a) ≥ v`, or `bound + 1`.
fn first_at_least(g: &impl Fn(i64) -> i64, v: i64, bound: i64) -> i64 {
    // Invariant: g(a) < v for a < lo; g(a) ≥ v (or a = bound + 1) for a ≥ hi.
    let (mut lo, mut hi) = (-bound, bound + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if g(mid) >= v {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_partition_the_domain() {
        let bound = 3000;
        // Ratio 1/23 with round-half-up and saturation; ratio 3 (gaps); a relu-like clamp.
        let fns: [Box<dyn Fn(i64) -> i64>; 3] = [
            Box::new(|a: i64| ((a * 2 + 23).div_euclid(46)).clamp(-128, 127)),
            Box::new(|a: i64| (a * 3).clamp(-128, 127)),
            Box::new(|a: i64| (a / 7).clamp(0, 127)),
        ];
        for g in &fns {
            let (lower, upper) = thresholds(g, bound);
            for a in -bound..=bound {
                let v = g(a);
                let i = (v - QMIN) as usize;
                assert!(lower[i] <= a && a <= upper[i], "a = {a}, v = {v}");
                for (j, (&l, &u)) in lower.iter().zip(&upper).enumerate() {
                    if j != i {
                        assert!(!(l <= a && a <= u), "a = {a} also in the interval of {j}");
                    }
                }
            }
            assert!(
                lower
                    .iter()
                    .chain(&upper)
                    .all(|&t| (-bound - 1..=bound + 1).contains(&t))
            );
        }
    }
}

//! Exactly defined integer functions of the transformer ops: division of a
//! runtime integer with rounding half up, and integer (inverse) square
//! roots. Each is the unique integer a prover can check with a range check
//! on a remainder (`docs/exact-semantics.md`, §3.2).

/// `round_half_up(n / d) = floor((2n + d) / (2d))` for `d > 0`; `None` when
/// `d <= 0` or the intermediate `2n + d` / `2d` overflows i128.
///
/// The quotient `q` is the one integer with `0 <= 2n + d − 2dq < 2d`.
/// Ties go toward +∞ for negative numbers too: `−3 / 2 → −1`.
pub fn div_round_half_up(n: i128, d: i128) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    let num = n.checked_mul(2)?.checked_add(d)?;
    Some(num.div_euclid(d.checked_mul(2)?))
}

/// `floor(sqrt(v))`, exactly: the `r` with `r² <= v < (r + 1)²`.
pub fn isqrt(v: u128) -> u128 {
    v.isqrt()
}

/// `ceil(sqrt(v))`, exactly.
pub fn isqrt_ceil(v: u128) -> u128 {
    let r = v.isqrt();
    if r * r == v { r } else { r + 1 }
}

/// Largest `k` accepted by [`inv_sqrt`]: `2^(2k)` must fit u128.
pub const MAX_INV_SQRT_BITS: u32 = 63;

/// `floor(2^k / sqrt(v))` for `v >= 1`, and `0` for `v = 0`: the `r` with
/// `r² · v <= 2^(2k) < (r + 1)² · v`. Equal to `isqrt(floor(2^(2k) / v))`,
/// because `r² <= 2^(2k) / v` holds for an integer `r` exactly when it holds
/// for the floor of the right side. `None` when `k > 63`.
pub fn inv_sqrt(v: u128, k: u32) -> Option<u128> {
    if k > MAX_INV_SQRT_BITS {
        return None;
    }
    if v == 0 {
        return Some(0);
    }
    Some(isqrt((1u128 << (2 * k)) / v))
}

/// `round_half_up(x / 2^s) = floor((x + 2^(s−1)) / 2^s)` for `1 <= s <= 126`,
/// an arithmetic shift; `x` for `s = 0`.
pub fn shift_round_half_up(x: i128, s: u32) -> i128 {
    match s {
        0 => x,
        s => (x + (1i128 << (s - 1))) >> s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_rounds_half_up_for_both_signs() {
        let cases = [
            (7, 2, 4),   // 3.5 → 4
            (-7, 2, -3), // −3.5 → −3
            (-3, 2, -1), // −1.5 → −1
            (-5, 4, -1), // −1.25 → −1
            (-7, 4, -2), // −1.75 → −2
            (0, 5, 0),
            (10, 5, 2),
            (-10, 5, -2),
            (1, 3, 0),
            (2, 3, 1),
            (-2, 3, -1),
        ];
        for (n, d, q) in cases {
            assert_eq!(div_round_half_up(n, d), Some(q), "{n}/{d}");
            let r = 2 * n + d - 2 * d * q;
            assert!((0..2 * d).contains(&r), "remainder of {n}/{d}");
        }
        assert_eq!(div_round_half_up(1, 0), None);
        assert_eq!(div_round_half_up(1, -2), None);
        assert_eq!(div_round_half_up(i128::MAX, 3), None);
    }

    #[test]
    fn inverse_sqrt_is_the_exact_floor() {
        for k in [0u32, 1, 10, 31, 47, 63] {
            let big = 1u128 << (2 * k);
            let edges = [
                1u128,
                2,
                3,
                4,
                5,
                99,
                100,
                1 << 20,
                (1 << 20) + 1,
                big - 1,
                big,
                big + 1,
                u64::MAX as u128,
            ];
            for v in edges.into_iter().filter(|&v| v >= 1) {
                let r = inv_sqrt(v, k).unwrap();
                assert!(r * r * v <= big, "k={k} v={v}");
                let next = (r + 1).checked_mul(r + 1).and_then(|s| s.checked_mul(v));
                assert!(next.is_none_or(|x| x > big), "k={k} v={v}: {r} is not the largest");
            }
        }
        assert_eq!(inv_sqrt(4, 10), Some(512));
        assert_eq!(inv_sqrt(1, 63), Some(1 << 63));
        assert_eq!(inv_sqrt(0, 20), Some(0));
        assert_eq!(inv_sqrt(5, 64), None);
    }

    #[test]
    fn square_roots_on_edges() {
        for v in [0u128, 1, 2, 3, 4, 15, 16, 17, u64::MAX as u128, u128::MAX] {
            let r = isqrt(v);
            assert!(r * r <= v && (r + 1).checked_mul(r + 1).is_none_or(|s| s > v));
            let c = isqrt_ceil(v);
            assert!(
                c.checked_mul(c).is_none_or(|s| s >= v) && (c == 0 || (c - 1) * (c - 1) < v),
                "{v}"
            );
        }
    }

    #[test]
    fn shifts_round_half_up() {
        assert_eq!(shift_round_half_up(6, 2), 2); // 1.5 → 2
        assert_eq!(shift_round_half_up(-6, 2), -1); // −1.5 → −1
        assert_eq!(shift_round_half_up(-7, 2), -2);
        assert_eq!(shift_round_half_up(5, 0), 5);
    }
}

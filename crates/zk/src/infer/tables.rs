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

use veris_engine::exact::{Conv, Linear, Requant, rq_div};

use super::circuit::ceil_log2;
use super::key::LinearKey;
use super::key_cnn::{ConvKey, PoolKey};
use super::model_slots::{kernel_vars, linear_feature_vars};
use super::{QMAX, QMIN};

/// A requantized stage's private tables.
#[derive(Debug, Clone)]
pub(crate) struct RequantTables {
    /// The model's weights as the engine stores them (`n × k`; empty for a pool).
    pub weights: Vec<i16>,
    /// The weights in their committed layout ([`super::model_slots`]), zero-padded.
    pub padded_weights: Vec<i64>,
    /// `L_j(v)` at `j·256 + v + 128`, for `j < 2^channel_vars` (padded channels: `g ≡ 0`).
    pub lower: Vec<i64>,
    /// `U_j(v)`, same layout.
    pub upper: Vec<i64>,
}

/// Per-channel threshold tables of `y = sat(rq_j(acc))` (Linear and Conv).
fn channel_thresholds(key: &LinearKey, requant: &[Requant]) -> (Vec<i64>, Vec<i64>) {
    let bound = key.acc_bound as i64;
    let floor = if key.relu { 0 } else { QMIN };
    let channels = 1usize << ceil_log2(key.n as usize);
    let (mut lower, mut upper) = (
        Vec::with_capacity(channels * VALUES),
        Vec::with_capacity(channels * VALUES),
    );
    for j in 0..channels {
        let (lo, up) = match requant.get(j) {
            Some(r) => thresholds(|a| r.apply_sat(a, floor, QMAX), bound),
            None => thresholds(|_| 0, bound),
        };
        lower.extend(lo);
        upper.extend(up);
    }
    (lower, upper)
}

/// A linear layer's tables (weights row `j` at `j·2^kv`; feature `p` at column
/// `p`, or for a flattened grid input at its padded grid position).
pub(crate) fn linear_tables(l: &Linear, key: &LinearKey) -> RequantTables {
    let (k, kp) = (key.k as usize, 1usize << linear_feature_vars(key));
    let column = feature_columns(key);
    let mut padded = vec![0i64; (1 << ceil_log2(key.n as usize)) * kp];
    for (j, row) in l.weights.chunks_exact(k).enumerate() {
        for (p, &w) in row.iter().enumerate() {
            padded[j * kp + column(p)] = i64::from(w);
        }
    }
    let (lower, upper) = channel_thresholds(key, &l.requant);
    RequantTables {
        weights: l.weights.clone(),
        padded_weights: padded,
        lower,
        upper,
    }
}

/// Where feature `p < k` of a Linear layer lies in its weight row: `p` itself,
/// or for an input grid `[C, H, W]` (`p = (c·H + y)·W + x`) the padded
/// position `(c·2^hv + y)·2^wv + x`.
pub(crate) fn feature_columns(key: &LinearKey) -> impl Fn(usize) -> usize {
    let grid = key.input_grid.map(|[_, h, w]| {
        let (h, w) = (h as usize, w as usize);
        (h, w, ceil_log2(h), ceil_log2(w))
    });
    move |p| match grid {
        Some((h, w, hv, wv)) => {
            let (x, rest) = (p % w, p / w);
            let (y, c) = (rest % h, rest / h);
            (((c << hv) + y) << wv) + x
        }
        None => p,
    }
}

/// A conv's tables (weight `(m, (c, i, j))` at `m·2^kv + (c·2^iv + i)·2^jv + j`).
pub(crate) fn conv_tables(c: &Conv, key: &ConvKey) -> RequantTables {
    let [cv, iv, jv] = kernel_vars(key);
    let (kh, kw, k) = (c.window.kernel[0] as usize, c.window.kernel[1] as usize, c.k());
    let kp = 1usize << (cv + iv + jv);
    let mut padded = vec![0i64; (1 << ceil_log2(key.channels.n as usize)) * kp];
    for (m, row) in c.weights.chunks_exact(k).enumerate() {
        for (q, &w) in row.iter().enumerate() {
            let (ch, i, j) = (q / (kh * kw), (q / kw) % kh, q % kw);
            padded[m * kp + (((ch << iv) + i) << jv) + j] = i64::from(w);
        }
    }
    let (lower, upper) = channel_thresholds(&key.channels, &c.requant);
    RequantTables {
        weights: c.weights.clone(),
        padded_weights: padded,
        lower,
        upper,
    }
}

/// An average pool's tables: one function `sat(rq_div(S, kh·kw))` for every element.
pub(crate) fn pool_tables(requant: Requant, key: &PoolKey) -> RequantTables {
    let taps = key.window.taps() as i64;
    let g = |a: i64| rq_div(requant, a, taps).clamp(i128::from(QMIN), i128::from(QMAX)) as i64;
    let (lower, upper) = thresholds(g, key.acc_bound() as i64);
    RequantTables {
        weights: Vec::new(),
        padded_weights: Vec::new(),
        lower,
        upper,
    }
}

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

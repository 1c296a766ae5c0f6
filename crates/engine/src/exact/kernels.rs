//! Fast integer kernels. Each has a plain counterpart in
//! [`reference`](super::reference) and is property-tested against it.
//!
//! The linear kernel computes `acc[r, j] = Σ_p x[r, p] · w[j, p]` for
//! `x: rows × k`, `w: n × k` (both i16). Products of two i16 fit i32
//! exactly. With 8-bit models `k · 128 · 127 < 2^31` (checked by the caller
//! through [`fits_i32`]), so whole dot products accumulate in i32 lanes
//! (what SIMD `pmaddwd`-style instructions do); otherwise lanes are i64.
//! Integer addition is associative, so the lane split and blocking change
//! no result.

/// Lanes per dot product: wide enough for the compiler to vectorise.
const LANES: usize = 16;
/// Rows computed together, sharing each load of a weight row.
const ROWS: usize = 4;
/// Weight rows per block, so a block of `w` stays in cache while every row
/// block of `x` streams past it.
const BLOCK_BYTES: usize = 32 << 10;

/// Whether every partial sum of a `k`-long dot product of values bounded by
/// `|x| <= x_max`, `|w| <= w_max` fits i32.
pub fn fits_i32(k: usize, x_max: i64, w_max: i64) -> bool {
    (k as i128) * i128::from(x_max) * i128::from(w_max) <= i128::from(i32::MAX)
}

/// `acc = x · wᵀ` (`rows × n`, row-major). `wide` selects i64 lanes; with
/// `wide == false` the caller guarantees [`fits_i32`].
pub fn linear_acc(x: &[i16], rows: usize, k: usize, w: &[i16], n: usize, wide: bool, acc: &mut [i64]) {
    debug_assert!(x.len() == rows * k && w.len() == n * k && acc.len() == rows * n);
    if k == 0 {
        acc.iter_mut().for_each(|a| *a = 0);
        return;
    }
    let block = (BLOCK_BYTES / (2 * k)).max(1);
    for j0 in (0..n).step_by(block) {
        let j1 = (j0 + block).min(n);
        let mut r = 0;
        while r + ROWS <= rows {
            let xs: [&[i16]; ROWS] = std::array::from_fn(|i| &x[(r + i) * k..][..k]);
            for j in j0..j1 {
                let wr = &w[j * k..][..k];
                let sums = if wide {
                    dot_rows_i64(xs, wr)
                } else {
                    dot_rows_i32(xs, wr)
                };
                for (i, s) in sums.into_iter().enumerate() {
                    acc[(r + i) * n + j] = s;
                }
            }
            r += ROWS;
        }
        for r in r..rows {
            let xr = &x[r * k..][..k];
            for j in j0..j1 {
                let wr = &w[j * k..][..k];
                acc[r * n + j] = if wide {
                    dot_rows_i64([xr], wr)[0]
                } else {
                    dot_rows_i32([xr], wr)[0]
                };
            }
        }
    }
}

#[inline]
fn dot_rows_i32<const R: usize>(xs: [&[i16]; R], w: &[i16]) -> [i64; R] {
    let k = w.len();
    let full = k / LANES * LANES;
    let mut lanes = [[0i32; LANES]; R];
    for c in (0..full).step_by(LANES) {
        let wc: &[i16; LANES] = w[c..c + LANES].try_into().unwrap_or(&[0; LANES]);
        for (row, lane) in xs.iter().zip(lanes.iter_mut()) {
            let xc: &[i16; LANES] = row[c..c + LANES].try_into().unwrap_or(&[0; LANES]);
            for l in 0..LANES {
                lane[l] += i32::from(xc[l]) * i32::from(wc[l]);
            }
        }
    }
    std::array::from_fn(|i| {
        let tail: i32 = (full..k).map(|p| i32::from(xs[i][p]) * i32::from(w[p])).sum();
        i64::from(lanes[i].iter().sum::<i32>() + tail)
    })
}

#[inline]
fn dot_rows_i64<const R: usize>(xs: [&[i16]; R], w: &[i16]) -> [i64; R] {
    let k = w.len();
    let full = k / LANES * LANES;
    let mut lanes = [[0i64; LANES]; R];
    for c in (0..full).step_by(LANES) {
        let wc: &[i16; LANES] = w[c..c + LANES].try_into().unwrap_or(&[0; LANES]);
        for (row, lane) in xs.iter().zip(lanes.iter_mut()) {
            let xc: &[i16; LANES] = row[c..c + LANES].try_into().unwrap_or(&[0; LANES]);
            for l in 0..LANES {
                lane[l] += i64::from(i32::from(xc[l]) * i32::from(wc[l]));
            }
        }
    }
    std::array::from_fn(|i| {
        let tail: i64 = (full..k)
            .map(|p| i64::from(i32::from(xs[i][p]) * i32::from(w[p])))
            .sum();
        lanes[i].iter().sum::<i64>() + tail
    })
}

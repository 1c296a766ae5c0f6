//! The unpacked path for a few rows (batch-1 inference): each output is a
//! dot product read straight from the row of `x` and the row of `w`, as
//! packing `w` would cost as much as the product itself.

use super::tile::{CH, dot_chunk};
use super::{Gemm, pack, parallel};

/// `acc = x · wᵀ`, reading the operands in place.
pub fn linear(g: Gemm<'_>, acc: &mut [i64], threads: usize) {
    let Gemm { x, rows, k, w, n, wide } = g;
    // The wide split of each row (`x = 256·hi + lo`), made once per call.
    let halves: Vec<(Vec<i16>, Vec<i16>)> = if wide {
        x.chunks_exact(k).map(pack::split_row).collect()
    } else {
        Vec::new()
    };
    parallel::run(rows, n, threads, (1, 1), acc, |rr, cc, out| {
        for (r, orow) in rr.zip(out.chunks_exact_mut(cc.len())) {
            for (j, o) in cc.clone().zip(orow) {
                let wr = &w[j * k..][..k];
                *o = if wide {
                    let (hi, lo) = &halves[r];
                    dot_wide(hi, lo, wr)
                } else {
                    i64::from(dot(&x[r * k..][..k], wr))
                };
            }
        }
    });
}

/// `Σ x[p] · w[p]` in i32 (the caller guarantees every partial sum fits).
fn dot(x: &[i16], w: &[i16]) -> i32 {
    let (xc, xt) = x.as_chunks::<CH>();
    let (wc, wt) = w.as_chunks::<CH>();
    let body: i32 = xc.iter().zip(wc).map(|(a, b)| dot_chunk(a, b)).sum();
    body + xt
        .iter()
        .zip(wt)
        .map(|(&a, &b)| i32::from(a) * i32::from(b))
        .sum::<i32>()
}

/// `Σ (256·hi[p] + lo[p]) · w[p]` in i64, each chunk sum in i32.
fn dot_wide(hi: &[i16], lo: &[i16], w: &[i16]) -> i64 {
    let (hc, ht) = hi.as_chunks::<CH>();
    let (lc, lt) = lo.as_chunks::<CH>();
    let (wc, wt) = w.as_chunks::<CH>();
    let body: i64 = hc
        .iter()
        .zip(lc)
        .zip(wc)
        .map(|((h, l), w)| 256 * i64::from(dot_chunk(h, w)) + i64::from(dot_chunk(l, w)))
        .sum();
    let tail: i64 = ht
        .iter()
        .zip(lt)
        .zip(wt)
        .map(|((&h, &l), &w)| (256 * i64::from(h) + i64::from(l)) * i64::from(w))
        .sum();
    body + tail
}

//! The packed path: both operands packed into tiles, the output computed
//! tile by tile, with the weight tiles visited in cache-sized blocks so a
//! block stays in L2 while every row tile streams past it.

use std::ops::Range;

use super::tile::{CH, TC, TR, TR_WIDE, WChunk, tile_narrow, tile_wide};
use super::{Gemm, pack, parallel};

/// Bytes of packed weights per cache block.
const BLOCK_BYTES: usize = 192 << 10;

/// `acc = x · wᵀ`.
pub fn linear(g: Gemm<'_>, acc: &mut [i64], threads: usize) {
    let Gemm { x, rows, k, w, n, wide } = g;
    let nch = k.div_ceil(CH);
    let (xp, rows_per_tile) = if wide {
        (pack::split_rows(x, rows, k), TR_WIDE)
    } else {
        (pack::rows::<TR>(x, rows, k), TR)
    };
    let wp = pack::rows::<TC>(w, n, k);
    let block = (BLOCK_BYTES / (nch * size_of::<WChunk>())).max(1);
    parallel::run(rows, n, threads, (rows_per_tile, TC), acc, |rr, cc, out| {
        let tiles_c = cc.start / TC..cc.end.div_ceil(TC);
        let tiles_r = rr.start / rows_per_tile..rr.end.div_ceil(rows_per_tile);
        for b0 in tiles_c.clone().step_by(block) {
            for tr in tiles_r.clone() {
                let xs = &xp[tr * nch..][..nch];
                for tc in b0..(b0 + block).min(tiles_c.end) {
                    let ws = &wp[tc * nch..][..nch];
                    let at = (tr * rows_per_tile, tc * TC);
                    if wide {
                        store(&tile_wide(xs, ws), at, &rr, &cc, out);
                    } else {
                        store(&tile_narrow(xs, ws), at, &rr, &cc, out);
                    }
                }
            }
        }
    });
}

/// Writes the part of a tile at output `(r0, c0)` that lies inside the
/// block `rr × cc`, whose storage is `out` (`rr.len() × cc.len()`).
fn store<const R: usize>(
    t: &[[i64; TC]; R],
    (r0, c0): (usize, usize),
    rr: &Range<usize>,
    cc: &Range<usize>,
    out: &mut [i64],
) {
    let width = cc.len();
    for (r, row) in (r0..rr.end).zip(t) {
        let dst = &mut out[(r - rr.start) * width..][..width];
        for (c, &v) in (c0..cc.end).zip(row) {
            dst[c - cc.start] = v;
        }
    }
}

//! Packing operands into tiles of chunks, so the micro-kernels read each
//! tile as one contiguous run of fixed-size arrays.
//!
//! Layout: tile `t` of `R` rows occupies entries `t·nch .. (t+1)·nch`
//! (`nch = ⌈k / CH⌉`); entry `t·nch + c` holds, for each row `i` of the tile,
//! the values `c·CH .. (c+1)·CH` of source row `t·R + i`. Rows past the end
//! and columns past `k` are zero, and zeros add nothing to a dot product.

use super::tile::{CH, TR, TR_WIDE, XChunk};

/// `rows` rows of length `k` (`k > 0`) packed into tiles of `R` rows.
pub fn rows<const R: usize>(src: &[i16], rows: usize, k: usize) -> Vec<XChunk<R>> {
    let nch = k.div_ceil(CH);
    let mut out = vec![[[0i16; CH]; R]; rows.div_ceil(R) * nch];
    for (r, row) in src.chunks_exact(k).take(rows).enumerate() {
        let (tile, i) = (r / R, r % R);
        for (dst, part) in out[tile * nch..][..nch].iter_mut().zip(row.chunks(CH)) {
            dst[i][..part.len()].copy_from_slice(part);
        }
    }
    out
}

/// `rows` rows of `x` packed for the wide kernel: each row `x` becomes a
/// high row `x >> 8` (in [-128, 127]) and a low row `x & 255` (in [0, 255]),
/// adjacent in a tile, so that `x = 256·hi + lo` exactly.
pub fn split_rows(src: &[i16], rows: usize, k: usize) -> Vec<XChunk<TR>> {
    let nch = k.div_ceil(CH);
    let mut out = vec![[[0i16; CH]; TR]; rows.div_ceil(TR_WIDE) * nch];
    for (r, row) in src.chunks_exact(k).take(rows).enumerate() {
        let tile = r / TR_WIDE;
        let i = r - tile * TR_WIDE;
        for (dst, part) in out[tile * nch..][..nch].iter_mut().zip(row.chunks(CH)) {
            for (l, &v) in part.iter().enumerate() {
                dst[2 * i][l] = v >> 8;
                dst[2 * i + 1][l] = v & 0xff;
            }
        }
    }
    out
}

/// One row split as in [`split_rows`]: `(high, low)`.
pub fn split_row(row: &[i16]) -> (Vec<i16>, Vec<i16>) {
    row.iter().map(|&v| (v >> 8, v & 0xff)).unzip()
}

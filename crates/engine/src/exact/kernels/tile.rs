//! The micro-kernels: dot products over fixed-size chunks of `k`.
//!
//! Every product of two i16 fits i32. A chunk dot product
//! `Σ_{l<CH} x[l] · w[l]` is written as a plain sum of sign-extended
//! products over two `[i16; CH]` arrays; LLVM's SLP vectoriser turns such a
//! horizontal reduction into `pmaddwd` (SSE2) or `vpmaddwd`/`vpdpwssd`
//! (AVX2, AVX-512 VNNI) followed by a short reduction tree. The shapes below
//! were chosen by measurement (`benches/exact_kernels.rs`, and the emitted
//! assembly): on baseline x86-64 longer chunks or larger tiles make the
//! vectoriser give up, and with AVX2 a 4 × 4 tile of 64-long chunks shares
//! the reduction trees of its 16 sums. They change speed only; any chunk
//! length and tile gives the same sums.

pub use shape::{CH, TC, TR, tile_dots};

/// The chunk dot products of one chunk of a tile (`[i]` rows of `x`, `[j]`
/// rows of `w`), as straight-line code: with loops over rows and columns,
/// LLVM does not always unroll them before vectorising and then falls back
/// to scalar code.
macro_rules! chunk_dots {
    ($x:expr, $w:expr, [$($i:literal),*], $js:tt) => {
        [$(chunk_dots!(@row $x, $w, $i, $js)),*]
    };
    (@row $x:expr, $w:expr, $i:literal, [$($j:literal),*]) => {
        [$(super::dot_chunk(&$x[$i], &$w[$j])),*]
    };
}

/// AVX2 and later: a 4 × 4 tile of 64-long chunks.
#[cfg(target_feature = "avx2")]
mod shape {
    /// Elements of `k` per chunk.
    pub const CH: usize = 64;
    /// Packed `x` rows per tile (two per real row in the wide split).
    pub const TR: usize = 4;
    /// Weight rows (output columns) per tile.
    pub const TC: usize = 4;

    /// All chunk dot products of one chunk of a tile.
    #[inline(always)]
    pub fn tile_dots(x: &[[i16; CH]; TR], w: &[[i16; CH]; TC]) -> [[i32; TC]; TR] {
        chunk_dots!(x, w, [0, 1, 2, 3], [0, 1, 2, 3])
    }
}

/// Baseline x86-64 (SSE2, 16 registers) and other targets: a 2 × 2 tile of
/// 32-long chunks.
#[cfg(not(target_feature = "avx2"))]
mod shape {
    /// Elements of `k` per chunk.
    pub const CH: usize = 32;
    /// Packed `x` rows per tile (two per real row in the wide split).
    pub const TR: usize = 2;
    /// Weight rows (output columns) per tile.
    pub const TC: usize = 2;

    /// All chunk dot products of one chunk of a tile.
    #[inline(always)]
    pub fn tile_dots(x: &[[i16; CH]; TR], w: &[[i16; CH]; TC]) -> [[i32; TC]; TR] {
        chunk_dots!(x, w, [0, 1], [0, 1])
    }
}

/// Real rows per tile in the wide split (each row becomes a high and a low row).
pub const TR_WIDE: usize = TR / 2;

const _: () = assert!(TR.is_multiple_of(2) && TR_WIDE >= 1);
// The wide split keeps each chunk sum inside i32: |lo| ≤ 255, |hi| ≤ 128,
// |w| ≤ 32768, so |Σ lo·w| ≤ CH·255·32768 < 2^31 needs CH ≤ 256.
const _: () = assert!(CH <= 256);

/// One chunk of `R` rows of `x`, as packed for one tile.
pub type XChunk<const R: usize> = [[i16; CH]; R];
/// One chunk of `TC` weight rows.
pub type WChunk = [[i16; CH]; TC];

/// `Σ_l x[l] · w[l]` over one chunk. The caller guarantees that every
/// partial sum fits i32 (true for any chunk of the wide split; for narrow
/// lanes it is [`linear_acc`](super::linear_acc)'s contract, checked by a
/// debug assertion there), and a product of two i16 always fits, so the
/// wrapping operations never wrap. They are wrapping so that builds with
/// overflow checks still vectorise.
#[inline(always)]
pub fn dot_chunk(x: &[i16; CH], w: &[i16; CH]) -> i32 {
    x.iter().zip(w).fold(0i32, |s, (&a, &b)| {
        s.wrapping_add(i32::from(a).wrapping_mul(i32::from(b)))
    })
}

/// The `TR × TC` dot products of a tile over all its chunks, accumulated in
/// i32 (the caller guarantees every partial sum fits) and widened at the end.
#[inline(never)]
pub fn tile_narrow(xs: &[XChunk<TR>], ws: &[WChunk]) -> [[i64; TC]; TR] {
    let mut s = [[0i32; TC]; TR];
    for (xc, wc) in xs.iter().zip(ws) {
        let d = tile_dots(xc, wc);
        for (si, di) in s.iter_mut().zip(d) {
            for (sij, dij) in si.iter_mut().zip(di) {
                // Never wraps: a partial sum (see `dot_chunk`).
                *sij = sij.wrapping_add(dij);
            }
        }
    }
    s.map(|r| r.map(i64::from))
}

/// The `TR_WIDE × TC` dot products of a tile whose packed rows are the
/// high and low parts of real rows (`x = 256·hi + lo`, rows `2i`, `2i+1`),
/// in i64. Each chunk sum fits i32; they are combined in i64 per chunk.
#[inline(never)]
pub fn tile_wide(xs: &[XChunk<TR>], ws: &[WChunk]) -> [[i64; TC]; TR_WIDE] {
    let mut s = [[0i64; TC]; TR_WIDE];
    for (xc, wc) in xs.iter().zip(ws) {
        let d = tile_dots(xc, wc);
        for (si, hl) in s.iter_mut().zip(d.chunks_exact(2)) {
            for ((sij, &hi), &lo) in si.iter_mut().zip(&hl[0]).zip(&hl[1]) {
                // Never wraps: |x·w| ≤ 2^30 per product, so any i64 sum of
                // fewer than 2^32 products fits.
                *sij = sij.wrapping_add(256 * i64::from(hi) + i64::from(lo));
            }
        }
    }
    s
}

//! Fast integer kernels. Each has a plain counterpart in
//! [`reference`](super::reference) and is property-tested against it.
//!
//! # The linear kernel
//!
//! [`linear_acc`] computes `acc[r, j] = Σ_p x[r, p] · w[j, p]` for
//! `x: rows × k`, `w: n × k` (both i16, row-major). Products of two i16 fit
//! i32 exactly. Integer addition is associative, so the order of summation,
//! the chunking, the SIMD lanes and the threads change no result, as long as
//! no intermediate sum overflows. Two lane regimes keep that true:
//!
//! * **narrow** (`wide == false`): the caller guarantees [`fits_i32`] for
//!   the values' bounds, so every partial sum of every subset of the
//!   products fits i32, and dot products accumulate in i32 throughout (what
//!   `pmaddwd`-style instructions do).
//! * **wide**: each `x` value is split exactly as `x = 256·hi + lo` with
//!   `hi ∈ [-128, 127]`, `lo ∈ [0, 255]`. Over a chunk of at most 256
//!   values, `Σ hi·w` and `Σ lo·w` both fit i32 for any i16 `w`; the chunk
//!   sums are combined in i64. Twice the multiplies of the narrow path, but
//!   still 16-bit multiplies into 32-bit lanes.
//!
//! # Structure
//!
//! * `tile`: the micro-kernels (chunk dot products, tuned per target at
//!   compile time with `cfg(target_feature)`; no `unsafe`, no intrinsics:
//!   the code is written so the compiler vectorises it).
//! * `pack`: operands packed into tiles of fixed-size chunks.
//! * `blocked`: the packed, cache-blocked path for `rows ≥ TR`.
//! * `gemv`: the unpacked path for fewer rows (batch-1 inference).
//! * `parallel`: the split over threads for large products.
//!
//! [`linear_acc`] uses several threads only for products of at least
//! [`PARALLEL_MIN_MACS`] multiply-adds; [`linear_acc_threads`] takes the
//! thread count explicitly. Either way the result is the same bits.
//!
//! # Performance
//!
//! `cargo bench -p veris-engine --bench exact_kernels` prints the figures.
//! A default (baseline x86-64) build uses SSE2; `-C target-cpu=native` (or
//! `x86-64-v3`) switches to the AVX2 tile. Legacy-SSE code runs about half
//! as fast on a thread whose AVX upper register state was left dirty, which
//! tract-linalg's AVX-512 kernels do (they return without `vzeroupper`, and
//! threads spawned afterwards inherit the state); AVX2 builds are immune.

mod blocked;
mod gemv;
mod pack;
mod parallel;
mod tile;

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Multiply-adds below which [`linear_acc`] stays on the calling thread;
/// each extra thread needs at least this many more.
pub const PARALLEL_MIN_MACS: usize = 1 << 22;

/// Whether every partial sum of a `k`-long dot product of values bounded by
/// `|x| <= x_max`, `|w| <= w_max` fits i32.
pub fn fits_i32(k: usize, x_max: i64, w_max: i64) -> bool {
    (k as i128) * i128::from(x_max) * i128::from(w_max) <= i128::from(i32::MAX)
}

/// `acc = x · wᵀ` (`rows × n`, row-major). `wide` selects exact i64
/// accumulation for any i16 values; with `wide == false` the caller
/// guarantees [`fits_i32`] for the values' bounds. Large products are split
/// over the machine's cores (see [`PARALLEL_MIN_MACS`]).
///
/// # Panics
/// If the slice lengths are not `rows·k`, `n·k` and `rows·n`.
pub fn linear_acc(x: &[i16], rows: usize, k: usize, w: &[i16], n: usize, wide: bool, acc: &mut [i64]) {
    let macs = rows.saturating_mul(k).saturating_mul(n);
    linear_acc_threads(x, rows, k, w, n, wide, acc, default_threads(macs));
}

/// [`linear_acc`] on at most `threads` threads (0 counts as 1), whatever
/// the size of the product. The result does not depend on `threads`.
///
/// # Panics
/// If the slice lengths are not `rows·k`, `n·k` and `rows·n`.
#[allow(clippy::too_many_arguments)] // linear_acc's operands plus the thread count
pub fn linear_acc_threads(
    x: &[i16],
    rows: usize,
    k: usize,
    w: &[i16],
    n: usize,
    wide: bool,
    acc: &mut [i64],
    threads: usize,
) {
    assert!(
        rows.checked_mul(k) == Some(x.len())
            && n.checked_mul(k) == Some(w.len())
            && rows.checked_mul(n) == Some(acc.len()),
        "linear_acc: operand lengths do not match rows {rows}, k {k}, n {n}"
    );
    debug_assert!(
        wide || fits_i32(k, max_abs(x), max_abs(w)),
        "linear_acc: narrow lanes requested but the values' bounds do not fit i32"
    );
    if rows == 0 || n == 0 {
        return;
    }
    if k == 0 {
        acc.fill(0);
        return;
    }
    let g = Gemm { x, rows, k, w, n, wide };
    if rows < tile::TR {
        gemv::linear(g, acc, threads);
    } else {
        blocked::linear(g, acc, threads);
    }
}

/// The operands of one product, checked by [`linear_acc_threads`]:
/// `x.len() == rows·k`, `w.len() == n·k`, and `rows, k, n ≥ 1`.
#[derive(Clone, Copy)]
struct Gemm<'a> {
    x: &'a [i16],
    rows: usize,
    k: usize,
    w: &'a [i16],
    n: usize,
    wide: bool,
}

/// Threads for a product of `macs` multiply-adds: one below
/// [`PARALLEL_MIN_MACS`], then up to one per core.
fn default_threads(macs: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
    (macs / PARALLEL_MIN_MACS).clamp(1, cores)
}

fn max_abs(v: &[i16]) -> i64 {
    v.iter().map(|&a| i64::from(a).abs()).max().unwrap_or(0)
}

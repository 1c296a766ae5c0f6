//! Splitting one GEMM over threads. Each output element is computed by
//! exactly one thread, by the same code as without threads, so the thread
//! count changes no bit.

use std::ops::Range;

/// Calls `f(rows, cols, out)` on disjoint parts that together cover the
/// `rows × cols` output `acc` (row-major). `out` is the part's own
/// `rows.len() × cols.len()` row-major block. Part boundaries fall on
/// multiples of `align = (row_align, col_align)` (tile edges). With
/// `threads > 1` the parts (at most `threads`) run on scoped threads, one
/// of them on the calling thread.
pub fn run<F>(rows: usize, cols: usize, threads: usize, align: (usize, usize), acc: &mut [i64], f: F)
where
    F: Fn(Range<usize>, Range<usize>, &mut [i64]) + Sync,
{
    let (row_align, col_align) = align;
    let row_parts = rows.div_ceil(row_align);
    let col_parts = cols.div_ceil(col_align);
    if threads <= 1 || rows == 0 || cols == 0 || (row_parts < 2 && col_parts < 2) {
        f(0..rows, 0..cols, acc);
    } else if row_parts >= threads {
        // Whole rows per part: each part is a contiguous slice of `acc`.
        let per = row_parts.div_ceil(threads) * row_align;
        let jobs = acc
            .chunks_mut(per * cols)
            .enumerate()
            .map(|(i, out)| (i * per..(i * per + per).min(rows), out))
            .collect();
        on_threads(jobs, |(rr, out)| f(rr, 0..cols, out));
    } else {
        // Few rows: split the columns, each part into its own buffer.
        let per = col_parts.div_ceil(threads.min(col_parts)) * col_align;
        let mut parts: Vec<(Range<usize>, Vec<i64>)> = (0..cols)
            .step_by(per)
            .map(|c0| {
                let cc = c0..(c0 + per).min(cols);
                let buf = vec![0; rows * cc.len()];
                (cc, buf)
            })
            .collect();
        on_threads(parts.iter_mut().collect(), |(cc, buf)| f(0..rows, cc.clone(), buf));
        for (cc, buf) in &parts {
            for (r, src) in buf.chunks_exact(cc.len()).enumerate() {
                acc[r * cols + cc.start..][..cc.len()].copy_from_slice(src);
            }
        }
    }
}

/// Runs `f` on every job, all but the first on scoped threads.
fn on_threads<T: Send>(jobs: Vec<T>, f: impl Fn(T) + Sync) {
    let mut jobs = jobs.into_iter();
    let Some(first) = jobs.next() else { return };
    std::thread::scope(|s| {
        let f = &f;
        for job in jobs {
            s.spawn(move || f(job));
        }
        f(first);
    });
}

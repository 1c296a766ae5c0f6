//! `cargo bench -p veris-engine --bench exact_kernels [-- FILTER]`
//!
//! The exact engine's integer GEMM (`exact::kernels::linear_acc`) on shapes
//! from real models, against the plain reference (`exact::reference`) and
//! tract's f32 matmul of the same shape. Each figure is the median of
//! several timed samples; the machine may be shared, so read the ratios.
//! Columns: fast kernel on 1 thread and with the default thread count,
//! reference, tract (single-threaded, on a thread of its own, see
//! `tract_median`), then `ref/1t` and `tract/1t` (above 1 means the integer
//! kernel is faster). A filter argument keeps the shapes whose name
//! contains it.

mod tract_matmul;

use std::hint::black_box;
use std::time::{Duration, Instant};

use tract_matmul::TractMatMul;
use veris_engine::exact::kernels::{linear_acc, linear_acc_threads};
use veris_engine::exact::reference::linear_acc_ref;

/// `(rows, k, n)`: batch 1 (the digits MLP, a 384-wide and a 1536-wide
/// layer), a batch of 64, and 512 rows (a sequence or a conv's im2col).
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 64, 10),
    (1, 384, 384),
    (1, 1536, 1536),
    (64, 64, 10),
    (64, 384, 384),
    (64, 1536, 384),
    (512, 64, 384),
    (512, 384, 384),
    (512, 384, 1536),
    (512, 1536, 384),
];

/// Time per sample the repetition count aims at.
const SAMPLE: Duration = Duration::from_millis(40);

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "benchmark", "1t us", "auto us", "ref us", "tract us", "1t GOP/s", "ref/1t", "tract/1t"
    );
    for &(rows, k, n) in SHAPES {
        let name = |label: &str| format!("exact::linear/{rows}x{k}x{n}/{label}");
        if filter
            .as_ref()
            .is_some_and(|f| !name("i8").contains(f.as_str()) && !name("i16").contains(f.as_str()))
        {
            continue;
        }
        let tract_t = tract_median(rows, k, n);
        for (label, wide, max) in [("i8", false, 127i16), ("i16", true, i16::MAX)] {
            let x = values(rows * k, 31, max);
            let w = values(n * k, 17, max);
            let mut acc = vec![0i64; rows * n];
            let expected = linear_acc_ref(&x, rows, k, &w, n);
            linear_acc(&x, rows, k, &w, n, wide, &mut acc);
            assert_eq!(acc, expected, "{}: kernel differs from the reference", name(label));

            let one = median(|| linear_acc_threads(&x, rows, k, &w, n, wide, &mut acc, 1));
            let auto = median(|| linear_acc(&x, rows, k, &w, n, wide, &mut acc));
            let reference = median(|| {
                black_box(linear_acc_ref(&x, rows, k, &w, n));
            });
            let gops = 2.0 * (rows * k * n) as f64 / one / 1e9;
            println!(
                "{:<32} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {gops:>8.1} {:>8.1} {:>8.2}",
                name(label),
                one * 1e6,
                auto * 1e6,
                reference * 1e6,
                tract_t * 1e6,
                reference / one,
                tract_t / one,
            );
        }
    }
}

/// tract's median on a thread of its own: tract-linalg's AVX-512 kernels
/// return without `vzeroupper`, and the dirty upper register state they
/// leave (inherited by threads spawned afterwards) slows legacy-SSE code,
/// such as a baseline x86-64 build of the integer kernel, about twofold.
fn tract_median(rows: usize, k: usize, n: usize) -> f64 {
    std::thread::scope(|s| {
        s.spawn(|| {
            let tract = TractMatMul::new(rows, k, n).expect("build the tract matmul");
            median(|| {
                black_box(tract.run().expect("tract run"));
            })
        })
        .join()
        .expect("tract thread")
    })
}

/// Deterministic values in `[-max, max]`, spread over the range.
fn values(len: usize, stride: usize, max: i16) -> Vec<i16> {
    let span = 2 * i64::from(max) + 1;
    (0..len)
        .map(|i| ((i * stride) as i64 * 7919 % span - i64::from(max)) as i16)
        .collect()
}

/// Median seconds per call of `f` over 7 samples (3 when one call takes
/// longer than a sample), each sample repeating `f` to last about `SAMPLE`.
fn median(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().max(Duration::from_nanos(100));
    let reps = (SAMPLE.as_secs_f64() / once.as_secs_f64()).ceil().max(1.0) as u32;
    let samples = if once > SAMPLE { 3 } else { 7 };
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(reps)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

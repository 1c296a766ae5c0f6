//! The fast integer GEMM against the plain reference: random shapes (both
//! the few-rows and the packed path, chunk and tile tails), extreme values,
//! both lane regimes, and independence from the thread count.

use proptest::prelude::*;
use veris_engine::exact::kernels::{PARALLEL_MIN_MACS, fits_i32, linear_acc, linear_acc_threads};
use veris_engine::exact::reference::linear_acc_ref;

use crate::common::Rng;

/// Values in `[lo, hi]`, with the extremes and zero drawn often.
fn value(lo: i16, hi: i16) -> impl Strategy<Value = i16> {
    prop_oneof![6 => lo..=hi, 1 => Just(lo), 1 => Just(hi), 1 => Just(0)]
}

/// `(rows, k, n, x, w)`: x values in `xr`, w values in `wr`.
fn case(xr: (i16, i16), wr: (i16, i16)) -> impl Strategy<Value = (usize, usize, usize, Vec<i16>, Vec<i16>)> {
    (0usize..12, 0usize..300, 0usize..24).prop_flat_map(move |(rows, k, n)| {
        (
            Just(rows),
            Just(k),
            Just(n),
            proptest::collection::vec(value(xr.0, xr.1), rows * k),
            proptest::collection::vec(value(wr.0, wr.1), n * k),
        )
    })
}

fn run(x: &[i16], rows: usize, k: usize, w: &[i16], n: usize, wide: bool, threads: usize) -> Vec<i64> {
    // Garbage in `acc` must be overwritten.
    let mut acc = vec![i64::MIN; rows * n];
    linear_acc_threads(x, rows, k, w, n, wide, &mut acc, threads);
    acc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// 8-bit activations and weights, i32 lanes (what the engine does for B8).
    #[test]
    fn narrow_kernel_matches_reference((rows, k, n, x, w) in case((-128, 127), (-127, 127))) {
        prop_assert!(fits_i32(k, 128, 127));
        let mut acc = vec![i64::MIN; rows * n];
        linear_acc(&x, rows, k, &w, n, false, &mut acc);
        prop_assert_eq!(acc, linear_acc_ref(&x, rows, k, &w, n));
    }

    /// Any i16 values, exact i64 accumulation.
    #[test]
    fn wide_kernel_matches_reference((rows, k, n, x, w) in case((i16::MIN, i16::MAX), (i16::MIN, i16::MAX))) {
        let mut acc = vec![i64::MIN; rows * n];
        linear_acc(&x, rows, k, &w, n, true, &mut acc);
        prop_assert_eq!(acc, linear_acc_ref(&x, rows, k, &w, n));
    }

    /// Narrow values through the wide path give the same sums too.
    #[test]
    fn wide_lanes_agree_on_narrow_values((rows, k, n, x, w) in case((-128, 127), (-127, 127))) {
        prop_assert_eq!(run(&x, rows, k, &w, n, true, 1), run(&x, rows, k, &w, n, false, 1));
    }
}

#[test]
fn extreme_values_match_reference() {
    // Every product at its largest magnitude, both signs, on the few-rows
    // path (1 row) and the packed path (5 rows), k across many chunks.
    for (x, w, wide) in [
        (-128i16, 127i16, false),
        (127, -127, false),
        (-128, -127, false),
        (i16::MIN, i16::MIN, true),
        (i16::MAX, i16::MIN, true),
        (i16::MIN, i16::MAX, true),
        (i16::MAX, i16::MAX, true),
    ] {
        for rows in [1, 5] {
            let (k, n) = (1000, 7);
            let xs = vec![x; rows * k];
            let ws = vec![w; n * k];
            assert_eq!(
                run(&xs, rows, k, &ws, n, wide, 1),
                linear_acc_ref(&xs, rows, k, &ws, n),
                "{x} {w} {rows}"
            );
        }
    }
}

#[test]
fn sixteen_bit_values_in_narrow_lanes_when_k_is_tiny() {
    // B16 with k ≤ 2 fits i32: 2 · 32768 · 32767 < 2^31.
    assert!(fits_i32(2, 32768, 32767));
    for rows in [1, 6] {
        let x = vec![i16::MIN; rows * 2];
        let w: Vec<i16> = [i16::MAX, -i16::MAX].repeat(3);
        assert_eq!(run(&x, rows, 2, &w, 3, false, 1), linear_acc_ref(&x, rows, 2, &w, 3));
    }
}

#[test]
fn empty_dimensions() {
    // k = 0: every output is the empty sum.
    assert_eq!(run(&[], 3, 0, &[], 4, false, 1), vec![0; 12]);
    assert_eq!(run(&[], 1, 0, &[], 2, true, 2), vec![0; 2]);
    assert!(run(&[], 0, 5, &[1; 10], 2, false, 3).is_empty());
    assert!(run(&[1; 10], 2, 5, &[], 0, true, 3).is_empty());
}

#[test]
#[should_panic(expected = "operand lengths")]
fn mismatched_lengths_are_refused() {
    let mut acc = vec![0; 4];
    linear_acc(&[1; 6], 2, 3, &[1; 5], 2, false, &mut acc);
}

/// Random operands for the seeded tests below.
fn operands(rng: &mut Rng, rows: usize, k: usize, n: usize, wide: bool) -> (Vec<i16>, Vec<i16>) {
    let mut draw = |len: usize| -> Vec<i16> {
        (0..len)
            .map(|_| {
                let v = rng.next_u64() as i16;
                if wide { v } else { (v % 128).max(-127) }
            })
            .collect()
    };
    (draw(rows * k), draw(n * k))
}

#[test]
fn larger_shapes_match_reference() {
    // Several cache blocks of weights, odd sizes, k past many chunks.
    let mut rng = Rng::new(7);
    for (rows, k, n, wide) in [
        (4, 2000, 400, false),
        (9, 777, 130, true),
        (3, 1536, 97, true),
        (130, 65, 33, false),
    ] {
        let (x, w) = operands(&mut rng, rows, k, n, wide);
        assert_eq!(
            run(&x, rows, k, &w, n, wide, 1),
            linear_acc_ref(&x, rows, k, &w, n),
            "{rows}x{k}x{n}"
        );
    }
}

#[test]
fn thread_count_changes_no_bit() {
    // Row splits (many rows) and column splits (few rows), both regimes.
    let mut rng = Rng::new(11);
    for (rows, k, n) in [(37, 150, 45), (1, 300, 61), (3, 96, 130), (64, 64, 10)] {
        for wide in [false, true] {
            let (x, w) = operands(&mut rng, rows, k, n, wide);
            let expected = linear_acc_ref(&x, rows, k, &w, n);
            for threads in [0, 1, 2, 3, 7] {
                assert_eq!(
                    run(&x, rows, k, &w, n, wide, threads),
                    expected,
                    "{rows}x{k}x{n} wide {wide} threads {threads}"
                );
            }
        }
    }
}

#[test]
fn default_threading_matches_reference_on_a_large_product() {
    // Large enough that linear_acc itself splits the work (on a machine
    // with more than one core).
    let (rows, k, n) = (128, 256, 256);
    assert!(rows * k * n >= 2 * PARALLEL_MIN_MACS);
    let mut rng = Rng::new(13);
    for wide in [false, true] {
        let (x, w) = operands(&mut rng, rows, k, n, wide);
        let mut acc = vec![0; rows * n];
        linear_acc(&x, rows, k, &w, n, wide, &mut acc);
        assert_eq!(acc, linear_acc_ref(&x, rows, k, &w, n), "wide {wide}");
    }
}

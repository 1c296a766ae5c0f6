//! The fast integer GEMM against the plain reference, on random shapes.

use std::time::Instant;

use proptest::prelude::*;
use veris_engine::exact::kernels::{fits_i32, linear_acc};
use veris_engine::exact::reference::linear_acc_ref;

fn case(max_abs: i16) -> impl Strategy<Value = (usize, usize, usize, Vec<i16>, Vec<i16>)> {
    (0usize..10, 0usize..70, 1usize..40).prop_flat_map(move |(rows, k, n)| {
        (
            Just(rows),
            Just(k),
            Just(n),
            proptest::collection::vec(-max_abs..=max_abs, rows * k),
            proptest::collection::vec(-max_abs..=max_abs, n * k),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn narrow_kernel_matches_reference((rows, k, n, x, w) in case(127)) {
        prop_assume!(fits_i32(k, 128, 127));
        let mut acc = vec![0; rows * n];
        linear_acc(&x, rows, k, &w, n, false, &mut acc);
        prop_assert_eq!(acc, linear_acc_ref(&x, rows, k, &w, n));
    }

    #[test]
    fn wide_kernel_matches_reference((rows, k, n, x, w) in case(i16::MAX)) {
        let mut acc = vec![0; rows * n];
        linear_acc(&x, rows, k, &w, n, true, &mut acc);
        prop_assert_eq!(acc, linear_acc_ref(&x, rows, k, &w, n));
    }
}

#[test]
fn extreme_values_match_reference() {
    // Every product at its largest magnitude, both signs.
    for (x, w, wide) in [
        (-128i16, 127i16, false),
        (127, -127, false),
        (i16::MIN, i16::MIN, true),
        (i16::MAX, i16::MIN, true),
    ] {
        let (rows, k, n) = (5, 1000, 3);
        let xs = vec![x; rows * k];
        let ws = vec![w; n * k];
        let mut acc = vec![0; rows * n];
        linear_acc(&xs, rows, k, &ws, n, wide, &mut acc);
        assert_eq!(acc, linear_acc_ref(&xs, rows, k, &ws, n));
    }
}

/// `cargo test --release -p veris-engine --test exact -- --ignored --nocapture gemm_speed`
#[test]
#[ignore = "timing; run in release"]
fn gemm_speed() {
    for (rows, k, n) in [(1, 64, 64), (450, 64, 64), (256, 512, 512)] {
        let x: Vec<i16> = (0..rows * k).map(|i| (i * 31 % 255) as i16 - 127).collect();
        let w: Vec<i16> = (0..n * k).map(|i| (i * 17 % 255) as i16 - 127).collect();
        let reps = (20_000_000 / (rows * k * n)).max(3);
        let mut acc = vec![0; rows * n];
        let time = |f: &mut dyn FnMut()| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        };
        let narrow = time(&mut || linear_acc(&x, rows, k, &w, n, false, &mut acc));
        let wide = time(&mut || linear_acc(&x, rows, k, &w, n, true, &mut acc));
        let reference = time(&mut || {
            std::hint::black_box(linear_acc_ref(&x, rows, k, &w, n));
        });
        let gops = |t: f64| 2.0 * (rows * k * n) as f64 / t / 1e9;
        println!(
            "exact::gemm/{rows}x{k}x{n}: i32 lanes {:.2} us ({:.1} GOP/s), i64 lanes {:.2} us ({:.1} GOP/s), reference {:.2} us ({:.1} GOP/s); speedup {:.1}x / {:.1}x",
            narrow * 1e6,
            gops(narrow),
            wide * 1e6,
            gops(wide),
            reference * 1e6,
            gops(reference),
            reference / narrow,
            reference / wide
        );
    }
}

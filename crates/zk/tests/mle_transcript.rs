//! Multilinear tables against naive definitions; NTT against naive evaluation;
//! transcript domain separation.

mod common;

use common::Rng;
use veris_zk::field::{E, F, Field};
use veris_zk::hash::{Blake3, Keccak256};
use veris_zk::mle::{eq_eval, eq_table, evaluate, fix_first_variable, inner_product};
use veris_zk::ntt::Radix2Domain;
use veris_zk::transcript::Transcript;

/// The point coordinate for bit j of index i (b_0 most significant).
fn bit(i: usize, j: usize, n: usize) -> bool {
    (i >> (n - 1 - j)) & 1 == 1
}

fn naive_eq(point: &[E], i: usize) -> E {
    let n = point.len();
    (0..n).fold(E::ONE, |acc, j| {
        acc * if bit(i, j, n) { point[j] } else { E::ONE - point[j] }
    })
}

#[test]
fn eq_table_matches_definition_and_eq_eval() {
    let mut rng = Rng::new(10);
    for n in 0..8 {
        let point = rng.es(n);
        let table = eq_table(&point);
        assert_eq!(table.len(), 1 << n);
        for (i, &t) in table.iter().enumerate() {
            assert_eq!(t, naive_eq(&point, i));
            let boolean: Vec<E> = (0..n).map(|j| if bit(i, j, n) { E::ONE } else { E::ZERO }).collect();
            assert_eq!(eq_eval(&point, &boolean), t);
        }
    }
}

#[test]
fn large_eq_table_parallel_path_matches_serial_definition() {
    let mut rng = Rng::new(11);
    let point = rng.es(16);
    let table = eq_table(&point);
    for _ in 0..50 {
        let i = rng.below(table.len());
        assert_eq!(table[i], naive_eq(&point, i));
    }
    assert_eq!(table.iter().copied().sum::<E>(), E::ONE);
}

#[test]
fn evaluation_equals_eq_inner_product_and_agrees_on_the_cube() {
    let mut rng = Rng::new(12);
    for n in [0usize, 1, 3, 7, 15, 16] {
        let table = rng.fs(1 << n);
        let point = rng.es(n);
        assert_eq!(evaluate(&table, &point), inner_product(&eq_table(&point), &table));
        let i = rng.below(1 << n);
        let boolean: Vec<E> = (0..n).map(|j| if bit(i, j, n) { E::ONE } else { E::ZERO }).collect();
        assert_eq!(evaluate(&table, &boolean), E::from(table[i]));
    }
}

#[test]
fn folding_binds_the_first_variable() {
    let mut rng = Rng::new(13);
    let n = 16;
    let table = rng.es(1 << n);
    let point = rng.es(n);
    let mut folded = table.clone();
    fix_first_variable(&mut folded, point[0]);
    assert_eq!(folded.len(), 1 << (n - 1));
    assert_eq!(evaluate(&folded, &point[1..]), evaluate(&table, &point));
}

#[test]
fn ntt_matches_naive_polynomial_evaluation() {
    let mut rng = Rng::new(14);
    for log_n in [0u32, 1, 2, 5, 9] {
        let domain = Radix2Domain::new(log_n);
        let coeffs = rng.es(1 << log_n);
        let mut evals = coeffs.clone();
        domain.ntt(&mut evals);
        let omega = F::two_adic_root(log_n);
        for (i, &v) in evals.iter().enumerate() {
            let x = omega.pow(i as u64);
            let naive = coeffs.iter().rev().fold(E::ZERO, |acc, &c| acc * x + c);
            assert_eq!(v, naive, "log_n {log_n} position {i}");
        }
    }
}

#[test]
fn transcript_is_deterministic_and_separates_domains() {
    let run = |protocol: &[u8], label: &[u8], data: &[u8]| {
        let mut t = Transcript::<Blake3>::new(protocol);
        t.absorb_bytes(label, data);
        t.challenge_ext(b"c")
    };
    let base = run(b"p", b"l", b"data");
    assert_eq!(base, run(b"p", b"l", b"data"));
    assert_ne!(base, run(b"q", b"l", b"data"));
    assert_ne!(base, run(b"p", b"m", b"data"));
    assert_ne!(base, run(b"p", b"l", b"datb"));
    // Length prefixes: moving a byte between label and data changes the state.
    assert_ne!(run(b"p", b"ab", b"c"), run(b"p", b"a", b"bc"));
    // A different hash gives a different transcript.
    let mut k = Transcript::<Keccak256>::new(b"p");
    k.absorb_bytes(b"l", b"data");
    assert_ne!(base, k.challenge_ext(b"c"));
}

#[test]
fn successive_challenges_differ_and_indices_are_in_range() {
    let mut t = Transcript::<Keccak256>::new(b"p");
    let a = t.challenge_ext(b"x");
    let b = t.challenge_ext(b"x");
    assert_ne!(a, b);
    let many = t.challenge_exts(b"y", 64);
    assert_eq!(many.len(), 64);
    assert!(many.windows(2).all(|w| w[0] != w[1]));
    let idx = t.challenge_indices(b"q", 1000, 7);
    assert_eq!(idx.len(), 1000);
    assert!(idx.iter().all(|&i| i < 128));
    // All 128 positions are hit by 1000 uniform draws with overwhelming probability.
    let mut seen = [false; 128];
    idx.iter().for_each(|&i| seen[i] = true);
    assert!(seen.iter().all(|&s| s));
}

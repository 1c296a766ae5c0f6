//! Sumcheck completeness on random instances and rejection of false claims and tampered rounds.

mod common;

use common::Rng;
use veris_zk::codec::Reader;
use veris_zk::error::VerifyError;
use veris_zk::field::{E, Field};
use veris_zk::hash::Blake3;
use veris_zk::mle::{eq_table, evaluate};
use veris_zk::sumcheck::prover::{ProductTerm, SumOfProducts, prove};
use veris_zk::sumcheck::verifier::verify;
use veris_zk::sumcheck::{SumcheckProof, SumcheckShape};
use veris_zk::transcript::Transcript;

type T = Transcript<Blake3>;

/// A random sum of products: `tables` tables of 2^n entries, terms of 1..=max_deg factors.
fn random_instance(rng: &mut Rng, n: usize, tables: usize, max_deg: usize) -> SumOfProducts {
    let t = (0..tables).map(|_| rng.es(1 << n)).collect();
    let mut terms: Vec<ProductTerm> = (0..1 + rng.below(3))
        .map(|_| ProductTerm {
            coeff: rng.e(),
            factors: (0..1 + rng.below(max_deg)).map(|_| rng.below(tables)).collect(),
        })
        .collect();
    terms.push(ProductTerm {
        coeff: rng.e(),
        factors: (0..max_deg).map(|_| rng.below(tables)).collect(),
    });
    SumOfProducts::new(t, terms).unwrap()
}

fn check_final(poly_tables: &[Vec<E>], terms: &[ProductTerm], point: &[E], value: E) -> bool {
    let evals: Vec<E> = poly_tables.iter().map(|t| evaluate(t, point)).collect();
    SumOfProducts::combine(terms, &evals) == value
}

#[test]
fn completeness_on_random_instances() {
    let mut rng = Rng::new(100);
    for case in 0..40 {
        let n = rng.below(9);
        let deg = 1 + rng.below(4);
        let tables = 1 + rng.below(4);
        let poly = random_instance(&mut rng, n, tables, deg);
        let (tables, terms, shape, sum) = (tables_of(&poly), poly.terms().to_vec(), poly.shape(), poly.sum());
        let out = prove(&mut T::new(b"test"), poly, sum);
        let bytes = out.proof.to_bytes();
        let decoded = SumcheckProof::from_bytes(&bytes, shape).unwrap();
        let sub = verify(&mut T::new(b"test"), shape, sum, &decoded).unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert_eq!(sub.point, out.point);
        assert!(
            check_final(&tables, &terms, &sub.point, sub.value),
            "case {case}: final claim"
        );
        for (t, &e) in tables.iter().zip(&out.final_evals) {
            assert_eq!(evaluate(t, &sub.point), e);
        }
    }
}

fn tables_of(poly: &SumOfProducts) -> Vec<Vec<E>> {
    poly.tables().to_vec()
}

fn honest(seed: u64, n: usize, deg: usize) -> (SumcheckShape, E, SumcheckProof, Vec<Vec<E>>, Vec<ProductTerm>) {
    let mut rng = Rng::new(seed);
    let poly = random_instance(&mut rng, n, 3, deg);
    let (tables, terms, shape, sum) = (tables_of(&poly), poly.terms().to_vec(), poly.shape(), poly.sum());
    let out = prove(&mut T::new(b"test"), poly, sum);
    (shape, sum, out.proof, tables, terms)
}

#[test]
fn wrong_claimed_sum_is_rejected() {
    let (shape, sum, proof, _, _) = honest(200, 6, 3);
    let wrong = sum + E::ONE;
    assert_eq!(
        verify(&mut T::new(b"test"), shape, wrong, &proof),
        Err(VerifyError::SumcheckRound { round: 0 })
    );
    // An honest prover run on a false claim cannot produce an accepted proof either:
    // round 0 passes by construction (g(1) = claim − g(0)) but the final claim is wrong.
    let mut rng = Rng::new(200);
    let poly = random_instance(&mut rng, 6, 3, 3);
    let (tables, terms) = (tables_of(&poly), poly.terms().to_vec());
    let out = prove(&mut T::new(b"test"), poly, wrong);
    let sub = verify(&mut T::new(b"test"), shape, wrong, &out.proof).unwrap();
    assert!(!check_final(&tables, &terms, &sub.point, sub.value));
}

#[test]
fn every_tampered_round_evaluation_is_rejected() {
    let (shape, sum, proof, tables, terms) = honest(300, 5, 3);
    for round in 0..shape.num_vars {
        for t in 0..=shape.degree {
            let mut bad = proof.clone();
            bad.rounds[round][t] += E::ONE;
            let result = verify(&mut T::new(b"test"), shape, sum, &bad);
            let accepted = result.is_ok_and(|sub| check_final(&tables, &terms, &sub.point, sub.value));
            assert!(!accepted, "tampered round {round} evaluation {t} accepted");
        }
    }
}

#[test]
fn wrong_shape_or_transcript_is_rejected() {
    let (shape, sum, proof, tables, terms) = honest(400, 4, 2);
    let mut short = proof.clone();
    short.rounds.pop();
    assert!(matches!(
        verify(&mut T::new(b"test"), shape, sum, &short),
        Err(VerifyError::Shape { .. })
    ));
    let sub = verify(&mut T::new(b"other protocol"), shape, sum, &proof);
    assert!(!sub.is_ok_and(|s| check_final(&tables, &terms, &s.point, s.value)));
}

#[test]
fn decoding_rejects_truncation_trailing_bytes_and_non_canonical_elements() {
    let (shape, _, proof, _, _) = honest(500, 4, 3);
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), 4 * 4 * 16);
    for cut in 0..bytes.len() {
        assert!(SumcheckProof::from_bytes(&bytes[..cut], shape).is_err());
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(SumcheckProof::from_bytes(&long, shape).is_err());
    let mut bad = bytes.clone();
    bad[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(SumcheckProof::from_bytes(&bad, shape).is_err());
    let huge = SumcheckShape {
        num_vars: 1000,
        degree: 3,
    };
    assert!(SumcheckProof::read(&mut Reader::new(&bytes), huge).is_err());
}

#[test]
fn matmul_product_and_eq_weighted_forms() {
    // Σ_k A(r, k)·B(k, r') for a 16×32 by 32×8 product, checked against the matrix product.
    let mut rng = Rng::new(600);
    let (m, k, n) = (16usize, 32usize, 8usize);
    let a = rng.es(m * k);
    let b = rng.es(k * n);
    let c: Vec<E> = (0..m * n)
        .map(|ij| (0..k).map(|l| a[(ij / n) * k + l] * b[l * n + ij % n]).sum())
        .collect();
    let (rx, ry) = (rng.es(4), rng.es(3));
    let claim = evaluate(&c, &[rx.clone(), ry.clone()].concat());
    let eq_x = eq_table(&rx);
    let eq_y = eq_table(&ry);
    let a_r: Vec<E> = (0..k).map(|l| (0..m).map(|i| eq_x[i] * a[i * k + l]).sum()).collect();
    let b_r: Vec<E> = (0..k).map(|l| (0..n).map(|j| eq_y[j] * b[l * n + j]).sum()).collect();
    let terms = vec![ProductTerm {
        coeff: E::ONE,
        factors: vec![0, 1],
    }];
    let poly = SumOfProducts::new(vec![a_r.clone(), b_r.clone()], terms.clone()).unwrap();
    assert_eq!(poly.sum(), claim);
    let out = prove(&mut T::new(b"mm"), poly, claim);
    let sub = verify(
        &mut T::new(b"mm"),
        SumcheckShape { num_vars: 5, degree: 2 },
        claim,
        &out.proof,
    )
    .unwrap();
    assert_eq!(sub.value, evaluate(&a_r, &sub.point) * evaluate(&b_r, &sub.point));

    // Σ_x eq(r, x)·(f(x)·g(x) − h(x)) = 0 when h = f·g on the cube (degree 3).
    let f = rng.es(64);
    let g = rng.es(64);
    let h: Vec<E> = f.iter().zip(&g).map(|(&x, &y)| x * y).collect();
    let eq = eq_table(&rng.es(6));
    let terms = vec![
        ProductTerm {
            coeff: E::ONE,
            factors: vec![0, 1, 2],
        },
        ProductTerm {
            coeff: -E::ONE,
            factors: vec![0, 3],
        },
    ];
    let poly = SumOfProducts::new(vec![eq, f, g, h], terms).unwrap();
    assert_eq!(poly.sum(), E::ZERO);
    let out = prove(&mut T::new(b"zero"), poly, E::ZERO);
    assert!(
        verify(
            &mut T::new(b"zero"),
            SumcheckShape { num_vars: 6, degree: 3 },
            E::ZERO,
            &out.proof
        )
        .is_ok()
    );
}

#[test]
fn large_instance_uses_the_parallel_path_and_is_complete() {
    let mut rng = Rng::new(700);
    let poly = random_instance(&mut rng, 16, 2, 2);
    let (tables, terms, shape, sum) = (tables_of(&poly), poly.terms().to_vec(), poly.shape(), poly.sum());
    let out = prove(&mut T::new(b"big"), poly, sum);
    let sub = verify(&mut T::new(b"big"), shape, sum, &out.proof).unwrap();
    assert!(check_final(&tables, &terms, &sub.point, sub.value));
}

#[test]
fn invalid_prover_inputs_are_errors() {
    let e = vec![E::ONE; 4];
    assert!(
        SumOfProducts::new(
            vec![vec![E::ONE; 3]],
            vec![ProductTerm {
                coeff: E::ONE,
                factors: vec![0]
            }]
        )
        .is_err()
    );
    assert!(
        SumOfProducts::new(
            vec![e.clone(), vec![E::ONE; 8]],
            vec![ProductTerm {
                coeff: E::ONE,
                factors: vec![0]
            }]
        )
        .is_err()
    );
    assert!(
        SumOfProducts::new(
            vec![e.clone()],
            vec![ProductTerm {
                coeff: E::ONE,
                factors: vec![1]
            }]
        )
        .is_err()
    );
    assert!(
        SumOfProducts::new(
            vec![e.clone()],
            vec![ProductTerm {
                coeff: E::ONE,
                factors: vec![]
            }]
        )
        .is_err()
    );
    assert!(SumOfProducts::new(vec![e], vec![]).is_err());
}

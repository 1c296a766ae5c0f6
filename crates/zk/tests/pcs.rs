//! The multilinear commitment: completeness (single and batched), rejection of
//! wrong values, points and roots, 1,000+ single-byte mutations of an opening,
//! and hostile decoding.

mod common;

use common::Rng;
use veris_zk::error::VerifyError;
use veris_zk::field::{E, F, Field};
use veris_zk::hash::{Blake3, Keccak256};
use veris_zk::mle::evaluate;
use veris_zk::pcs::proof::OpeningProof;
use veris_zk::pcs::prover::{CommittedData, commit, open};
use veris_zk::pcs::verifier::verify;
use veris_zk::pcs::{Commitment, PcsParams, Shape};
use veris_zk::transcript::Transcript;

type T = Transcript<Blake3>;

struct Instance {
    polys: Vec<Vec<F>>,
    commitment: Commitment,
    data: CommittedData<Blake3>,
    point: Vec<E>,
    values: Vec<E>,
    proof: OpeningProof,
}

fn instance(seed: u64, num_vars: usize, num_polys: usize, params: PcsParams) -> Instance {
    let mut rng = Rng::new(seed);
    let polys: Vec<Vec<F>> = (0..num_polys).map(|_| rng.fs(1 << num_vars)).collect();
    let (commitment, data) = commit::<Blake3>(&polys, params).unwrap();
    let point = rng.es(num_vars);
    let values: Vec<E> = polys.iter().map(|p| evaluate(p, &point)).collect();
    let proof = open(&mut T::new(b"pcs-test"), &commitment, &data, &point, &values).unwrap();
    Instance {
        polys,
        commitment,
        data,
        point,
        values,
        proof,
    }
}

fn check(i: &Instance, point: &[E], values: &[E], proof: &OpeningProof) -> Result<(), VerifyError> {
    verify(&mut T::new(b"pcs-test"), &i.commitment, point, values, proof)
}

#[test]
fn completeness_over_sizes_rates_and_batches() {
    let mut seed = 2000;
    for params in [
        PcsParams::PROVABLE_RATE_1_4,
        PcsParams::PROVABLE_RATE_1_2,
        PcsParams::PROVABLE_RATE_1_8,
    ] {
        for num_vars in [0usize, 1, 2, 5, 9, 12] {
            for num_polys in [1usize, 3] {
                seed += 1;
                let i = instance(seed, num_vars, num_polys, params);
                let bytes = i.proof.to_bytes();
                let decoded = OpeningProof::from_bytes(&bytes, &i.commitment.shape).unwrap();
                assert_eq!(decoded, i.proof);
                check(&i, &i.point, &i.values, &decoded)
                    .unwrap_or_else(|e| panic!("n={num_vars} P={num_polys} {params:?}: {e}"));
            }
        }
    }
}

#[test]
fn opening_twice_at_different_points_and_with_keccak() {
    let mut rng = Rng::new(2100);
    let polys = vec![rng.fs(1 << 10)];
    let (c, d) = commit::<Keccak256>(&polys, PcsParams::default()).unwrap();
    for _ in 0..3 {
        let point = rng.es(10);
        let values = vec![evaluate(&polys[0], &point)];
        let mut t = Transcript::<Keccak256>::new(b"k");
        let proof = open(&mut t, &c, &d, &point, &values).unwrap();
        verify(&mut Transcript::<Keccak256>::new(b"k"), &c, &point, &values, &proof).unwrap();
    }
}

#[test]
fn wrong_value_point_root_or_shape_is_rejected() {
    let i = instance(2200, 10, 2, PcsParams::default());
    let mut wrong_values = i.values.clone();
    wrong_values[1] += E::ONE;
    assert!(check(&i, &i.point, &wrong_values, &i.proof).is_err());
    let mut wrong_point = i.point.clone();
    wrong_point[3] += E::ONE;
    assert!(check(&i, &wrong_point, &i.values, &i.proof).is_err());
    let mut wrong_root = i.commitment;
    wrong_root.root[7] ^= 4;
    assert!(verify(&mut T::new(b"pcs-test"), &wrong_root, &i.point, &i.values, &i.proof).is_err());
    let mut wrong_shape = i.commitment;
    wrong_shape.shape = Shape::new(10, 1, PcsParams::default());
    assert!(
        verify(
            &mut T::new(b"pcs-test"),
            &wrong_shape,
            &i.point,
            &i.values[..1],
            &i.proof
        )
        .is_err()
    );
    assert!(verify(&mut T::new(b"other"), &i.commitment, &i.point, &i.values, &i.proof).is_err());
    assert!(check(&i, &i.point[..9], &i.values, &i.proof).is_err());
}

#[test]
fn a_prover_opening_a_different_polynomial_is_rejected() {
    // The prover commits to p but answers from p' (one entry changed): u_eval and
    // the value are consistent with p', so only the column checks can catch it.
    let i = instance(2300, 10, 1, PcsParams::default());
    let mut other = i.polys.clone();
    other[0][17] += F::ONE;
    let (_, other_data) = commit::<Blake3>(&other, PcsParams::default()).unwrap();
    let values = vec![evaluate(&other[0], &i.point)];
    let proof = open(&mut T::new(b"pcs-test"), &i.commitment, &other_data, &i.point, &values).unwrap();
    assert!(check(&i, &i.point, &values, &proof).is_err());
    // And the honest opening with the wrong value fails at the value check.
    let lying = open(&mut T::new(b"pcs-test"), &i.commitment, &i.data, &i.point, &values).unwrap();
    assert_eq!(check(&i, &i.point, &values, &lying), Err(VerifyError::PcsValue));
}

#[test]
fn over_a_thousand_single_byte_mutations_are_all_rejected() {
    let i = instance(2400, 10, 1, PcsParams::default());
    let bytes = i.proof.to_bytes();
    let shape = i.commitment.shape;
    assert!(bytes.len() > 1000);
    let positions = 1200.min(bytes.len());
    let mut rng = Rng::new(2401);
    let mut rejected = 0;
    for p in 0..positions {
        let pos = p * bytes.len() / positions;
        let mut bad = bytes.clone();
        bad[pos] ^= 1 + rng.below(255) as u8;
        match OpeningProof::from_bytes(&bad, &shape) {
            Err(_) => rejected += 1,
            Ok(proof) => {
                assert!(
                    check(&i, &i.point, &i.values, &proof).is_err(),
                    "mutation at byte {pos} accepted"
                );
                rejected += 1;
            }
        }
    }
    assert_eq!(rejected, positions);
}

#[test]
fn truncated_or_garbage_bytes_are_errors_not_panics() {
    let i = instance(2500, 8, 1, PcsParams::default());
    let bytes = i.proof.to_bytes();
    let shape = i.commitment.shape;
    for cut in (0..bytes.len()).step_by(7) {
        assert!(OpeningProof::from_bytes(&bytes[..cut], &shape).is_err());
    }
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 3]);
    assert!(OpeningProof::from_bytes(&long, &shape).is_err());
    let mut rng = Rng::new(2501);
    for len in [0usize, 1, 100, 10_000, bytes.len()] {
        let garbage: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if let Ok(proof) = OpeningProof::from_bytes(&garbage, &shape) {
            assert!(check(&i, &i.point, &i.values, &proof).is_err());
        }
    }
    // A shape beyond the limits is refused before reading.
    let huge = Shape::new(40, 1, PcsParams::default());
    assert!(OpeningProof::from_bytes(&bytes, &huge).is_err());
    let huge_rows = Shape::new(20, 4096, PcsParams::default());
    assert!(OpeningProof::from_bytes(&bytes, &huge_rows).is_err());
}

#[test]
fn parameter_sets_reach_100_bits() {
    for params in [
        PcsParams::PROVABLE_RATE_1_4,
        PcsParams::PROVABLE_RATE_1_2,
        PcsParams::PROVABLE_RATE_1_8,
    ] {
        for num_vars in [10, 20, 26] {
            let bits = params.soundness_bits(num_vars, 16);
            assert!(bits >= 100.0, "{params:?} n={num_vars}: {bits:.1} bits");
        }
    }
    let weak = PcsParams {
        log_inv_rate: 2,
        num_queries: 100,
    };
    assert!(weak.soundness_bits(20, 1) < 100.0);
}

//! LogUp: completeness (single and tuple lookups), rejection of values outside the
//! table, wrong multiplicities and tampered proofs, and the full flow with the
//! witness and multiplicities committed and their claims opened by the PCS.

mod common;

use common::Rng;
use veris_zk::error::{ProverError, VerifyError};
use veris_zk::field::{F, Field};
use veris_zk::hash::{Blake3, Digest};
use veris_zk::logup::prover::{LookupWitness, multiplicities, prove};
use veris_zk::logup::verifier::verify;
use veris_zk::logup::{LookupClaims, LookupProof, LookupShape};
use veris_zk::mle::evaluate;
use veris_zk::pcs::{self, PcsParams};
use veris_zk::transcript::Transcript;

type T = Transcript<Blake3>;
const COMMIT: [Digest; 1] = [[7u8; 32]];

/// A ReLU-style table over 8-bit inputs: rows (x, max(x − 128, 0)) for x < 256.
fn relu_table() -> Vec<Vec<F>> {
    let x: Vec<F> = (0..256u64).map(F::new).collect();
    let y: Vec<F> = (0..256u64).map(|v| F::new(v.saturating_sub(128))).collect();
    vec![x, y]
}

fn witness_from_table(rng: &mut Rng, table: &[Vec<F>], n: usize) -> Vec<Vec<F>> {
    let rows: Vec<usize> = (0..1 << n).map(|_| rng.below(table[0].len())).collect();
    table.iter().map(|col| rows.iter().map(|&j| col[j]).collect()).collect()
}

fn shape(cols: &[Vec<F>], table: &[Vec<F>]) -> LookupShape {
    LookupShape {
        witness_vars: cols[0].len().trailing_zeros() as usize,
        table_vars: table[0].len().trailing_zeros() as usize,
        columns: cols.len(),
    }
}

fn check_claims(c: &LookupClaims, cols: &[Vec<F>], table: &[Vec<F>], mult: &[F]) {
    for (col, &v) in cols.iter().zip(&c.witness_evals) {
        assert_eq!(evaluate(col, &c.witness_point), v);
    }
    for (col, &v) in table.iter().zip(&c.table_evals) {
        assert_eq!(evaluate(col, &c.table_point), v);
    }
    assert_eq!(evaluate(mult, &c.table_point), c.multiplicity_eval);
}

#[test]
fn completeness_for_single_and_tuple_lookups() {
    let mut rng = Rng::new(3000);
    let table = relu_table();
    for (n, width) in [(0usize, 1usize), (1, 2), (4, 1), (8, 2), (10, 2), (15, 2)] {
        let table = &table[..width];
        let cols = witness_from_table(&mut rng, table, n);
        let mult = multiplicities(&cols, table).unwrap();
        let w = LookupWitness {
            columns: &cols,
            table,
            multiplicities: &mult,
        };
        let (proof, claims) = prove(&mut T::new(b"lk"), &COMMIT, w).unwrap();
        let decoded = LookupProof::from_bytes(&proof.to_bytes(), shape(&cols, table)).unwrap();
        let verified = verify(&mut T::new(b"lk"), &COMMIT, shape(&cols, table), &decoded).unwrap();
        assert_eq!(verified, claims);
        check_claims(&verified, &cols, table, &mult);
    }
}

#[test]
fn value_outside_the_table_is_rejected() {
    let mut rng = Rng::new(3100);
    let table = relu_table();
    let mut cols = witness_from_table(&mut rng, &table, 6);
    let mult = multiplicities(&cols, &table).unwrap();
    // A wrong ReLU output: (200, 73) instead of (200, 72), keeping the multiplicities.
    cols[0][5] = F::new(200);
    cols[1][5] = F::new(73);
    assert_eq!(multiplicities(&cols, &table), Err(ProverError::NotInTable { index: 5 }));
    let w = LookupWitness {
        columns: &cols,
        table: &table,
        multiplicities: &mult,
    };
    let (proof, _) = prove(&mut T::new(b"lk"), &COMMIT, w).unwrap();
    assert_eq!(
        verify(&mut T::new(b"lk"), &COMMIT, shape(&cols, &table), &proof),
        Err(VerifyError::LookupSum)
    );
}

#[test]
fn wrong_multiplicities_are_rejected() {
    let mut rng = Rng::new(3200);
    let table = relu_table();
    let cols = witness_from_table(&mut rng, &table, 6);
    let mut mult = multiplicities(&cols, &table).unwrap();
    let used = mult.iter().position(|&m| m != F::ZERO).unwrap();
    mult[used] -= F::ONE;
    mult[(used + 1) % 256] += F::ONE;
    let w = LookupWitness {
        columns: &cols,
        table: &table,
        multiplicities: &mult,
    };
    let (proof, _) = prove(&mut T::new(b"lk"), &COMMIT, w).unwrap();
    assert!(verify(&mut T::new(b"lk"), &COMMIT, shape(&cols, &table), &proof).is_err());
}

#[test]
fn every_tampered_field_element_is_rejected_and_bad_bytes_are_errors() {
    let mut rng = Rng::new(3300);
    let table = relu_table();
    let cols = witness_from_table(&mut rng, &table, 5);
    let mult = multiplicities(&cols, &table).unwrap();
    let s = shape(&cols, &table);
    let w = LookupWitness {
        columns: &cols,
        table: &table,
        multiplicities: &mult,
    };
    let (proof, _) = prove(&mut T::new(b"lk"), &COMMIT, w).unwrap();
    let bytes = proof.to_bytes();
    // Adding 1 to the low limb of each 8-byte element keeps it canonical (values < p − 1)
    // w.h.p. and must be caught by the verifier, not the decoder.
    for pos in (0..bytes.len()).step_by(8) {
        let mut bad = bytes.clone();
        bad[pos] = bad[pos].wrapping_add(1);
        if let Ok(p) = LookupProof::from_bytes(&bad, s) {
            // Either rejected outright, or the claims handed back are false.
            if let Ok(claims) = verify(&mut T::new(b"lk"), &COMMIT, s, &p) {
                let honest = (0..cols.len())
                    .all(|c| evaluate(&cols[c], &claims.witness_point) == claims.witness_evals[c])
                    && evaluate(&mult, &claims.table_point) == claims.multiplicity_eval
                    && (0..2).all(|c| evaluate(&table[c], &claims.table_point) == claims.table_evals[c]);
                assert!(!honest, "tampered element at byte {pos} accepted with true claims");
            }
        }
    }
    // Other commitments (a different binding) make the proof fail.
    assert!(verify(&mut T::new(b"lk"), &[[8u8; 32]], s, &proof).is_err());
    for cut in 0..bytes.len() {
        assert!(LookupProof::from_bytes(&bytes[..cut], s).is_err());
    }
    let mut long = bytes.clone();
    long.push(1);
    assert!(LookupProof::from_bytes(&long, s).is_err());
    assert!(
        LookupProof::from_bytes(
            &bytes,
            LookupShape {
                witness_vars: 99,
                table_vars: 8,
                columns: 2
            }
        )
        .is_err()
    );
    assert!(
        LookupProof::from_bytes(
            &bytes,
            LookupShape {
                witness_vars: 5,
                table_vars: 8,
                columns: 0
            }
        )
        .is_err()
    );
}

#[test]
fn full_flow_with_committed_witness_and_multiplicities() {
    let mut rng = Rng::new(3400);
    let table = relu_table();
    let cols = witness_from_table(&mut rng, &table, 10);
    let mult = multiplicities(&cols, &table).unwrap();
    let (wc, wd) = pcs::prover::commit::<Blake3>(&cols, PcsParams::default()).unwrap();
    let (mc, md) = pcs::prover::commit::<Blake3>(std::slice::from_ref(&mult), PcsParams::default()).unwrap();

    // Prover: commit, lookup, open the claims.
    let mut t = T::new(b"flow");
    let w = LookupWitness {
        columns: &cols,
        table: &table,
        multiplicities: &mult,
    };
    let (proof, claims) = prove(&mut t, &[wc.root, mc.root], w).unwrap();
    let w_open = pcs::prover::open(&mut t, &wc, &wd, &claims.witness_point, &claims.witness_evals).unwrap();
    let m_open = pcs::prover::open(&mut t, &mc, &md, &claims.table_point, &[claims.multiplicity_eval]).unwrap();

    // Verifier: the same steps; the fixed table is evaluated directly.
    let mut t = T::new(b"flow");
    let c = verify(&mut t, &[wc.root, mc.root], shape(&cols, &table), &proof).unwrap();
    pcs::verifier::verify(&mut t, &wc, &c.witness_point, &c.witness_evals, &w_open).unwrap();
    pcs::verifier::verify(&mut t, &mc, &c.table_point, &[c.multiplicity_eval], &m_open).unwrap();
    for (col, &v) in table.iter().zip(&c.table_evals) {
        assert_eq!(evaluate(col, &c.table_point), v);
    }
}

#[test]
fn invalid_prover_inputs_are_errors() {
    let table = relu_table();
    let mult = vec![F::ZERO; 256];
    let three = vec![vec![F::ZERO; 3], vec![F::ZERO; 3]];
    assert!(
        prove(
            &mut T::new(b"x"),
            &[],
            LookupWitness {
                columns: &three,
                table: &table,
                multiplicities: &mult
            }
        )
        .is_err()
    );
    let one_col = vec![vec![F::ZERO; 4]];
    assert!(
        prove(
            &mut T::new(b"x"),
            &[],
            LookupWitness {
                columns: &one_col,
                table: &table,
                multiplicities: &mult
            }
        )
        .is_err()
    );
    let two = vec![vec![F::ZERO; 4], vec![F::ZERO; 4]];
    assert!(
        prove(
            &mut T::new(b"x"),
            &[],
            LookupWitness {
                columns: &two,
                table: &table,
                multiplicities: &mult[..128]
            }
        )
        .is_err()
    );
}

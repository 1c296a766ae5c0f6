//! Field arithmetic against a `u128` reference, extension-field laws, encodings.

mod common;

use proptest::prelude::*;
use veris_zk::field::{E, F, Field, MODULUS, batch_inverse};

fn reference_mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(MODULUS)) as u64
}

fn arb_f() -> impl Strategy<Value = F> {
    prop_oneof![
        any::<u64>().prop_map(F::new),
        (0u64..1000).prop_map(|d| F::new(MODULUS - 1 - d)),
        (0u64..1000).prop_map(F::new),
    ]
}

fn arb_e() -> impl Strategy<Value = E> {
    (arb_f(), arb_f()).prop_map(|(a, b)| E::new(a, b))
}

proptest! {
    #[test]
    fn base_ops_match_u128_reference(a in arb_f(), b in arb_f()) {
        let (x, y) = (u128::from(a.as_u64()), u128::from(b.as_u64()));
        let p = u128::from(MODULUS);
        prop_assert_eq!((a + b).as_u64() as u128, (x + y) % p);
        prop_assert_eq!((a - b).as_u64() as u128, (x + p - y) % p);
        prop_assert_eq!((a * b).as_u64(), reference_mul(a.as_u64(), b.as_u64()));
        prop_assert_eq!((-a).as_u64() as u128, (p - x) % p);
        prop_assert!((a * b).as_u64() < MODULUS && (a + b).as_u64() < MODULUS && (a - b).as_u64() < MODULUS);
    }

    #[test]
    fn wide_reduction_matches_reference(v in any::<u128>()) {
        prop_assert_eq!(F::from_u128(v).as_u64() as u128, v % u128::from(MODULUS));
    }

    #[test]
    fn inverses(a in arb_f(), x in arb_e()) {
        if a != F::ZERO {
            prop_assert_eq!(a * a.inverse().unwrap(), F::ONE);
        }
        if x != E::ZERO {
            prop_assert_eq!(x * x.inverse().unwrap(), E::ONE);
        }
    }

    #[test]
    fn extension_is_a_commutative_ring(a in arb_e(), b in arb_e(), c in arb_e()) {
        prop_assert_eq!(a * b, b * a);
        prop_assert_eq!((a * b) * c, a * (b * c));
        prop_assert_eq!(a * (b + c), a * b + a * c);
        prop_assert_eq!(a - b + b, a);
    }

    #[test]
    fn encodings_round_trip(a in arb_f(), x in arb_e()) {
        prop_assert_eq!(F::from_bytes(a.to_bytes()).unwrap(), a);
        let mut buf = Vec::new();
        x.write_bytes(&mut buf);
        prop_assert_eq!(E::read_bytes(&buf).unwrap(), x);
    }
}

#[test]
fn extension_matches_schoolbook_with_x_squared_7() {
    let mut rng = common::Rng::new(1);
    for _ in 0..1000 {
        let (a, b) = (rng.e(), rng.e());
        let seven = F::new(7);
        let expect = E::new(a.c0 * b.c0 + seven * a.c1 * b.c1, a.c0 * b.c1 + a.c1 * b.c0);
        assert_eq!(a * b, expect);
    }
}

#[test]
fn seven_is_a_non_residue_so_the_extension_is_a_field() {
    // Euler's criterion: 7^((p−1)/2) = −1.
    assert_eq!(F::new(7).pow((MODULUS - 1) / 2), -F::ONE);
}

#[test]
fn non_canonical_encodings_are_rejected() {
    for v in [MODULUS, MODULUS + 1, u64::MAX] {
        assert!(F::from_bytes(v.to_le_bytes()).is_err(), "{v} accepted");
    }
    assert_eq!(F::from_bytes((MODULUS - 1).to_le_bytes()).unwrap(), -F::ONE);
    let mut bytes = vec![0u8; 8];
    bytes.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(E::read_bytes(&bytes).is_err());
    assert!(E::read_bytes(&bytes[..15]).is_err());
}

#[test]
fn two_adic_roots_have_exact_order() {
    for log_n in [1u32, 5, 20, 32] {
        let w = F::two_adic_root(log_n);
        assert_eq!(w.pow(1u64 << log_n), F::ONE);
        assert_eq!(w.pow(1u64 << (log_n - 1)), -F::ONE);
    }
    assert_eq!(F::two_adic_root(0), F::ONE);
}

#[test]
fn batch_inverse_matches_single_inverses() {
    let mut rng = common::Rng::new(2);
    let values = rng.es(100);
    let mut inv = values.clone();
    assert!(batch_inverse(&mut inv));
    for (v, i) in values.iter().zip(&inv) {
        assert_eq!(*v * *i, E::ONE);
    }
    let mut with_zero = vec![E::ONE, E::ZERO];
    assert!(!batch_inverse(&mut with_zero));
    assert_eq!(with_zero, vec![E::ONE, E::ZERO]);
}

#[test]
fn signed_embedding() {
    assert_eq!(F::from_i64(-1), -F::ONE);
    assert_eq!(F::from_i64(i64::MIN) + F::new(1u64 << 63), F::ZERO);
    assert_eq!(F::from_i64(5), F::new(5));
}

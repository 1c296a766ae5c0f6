//! The canonical encoding: round trip, id, and hostile bytes.

use veris_engine::exact::{Bits, ExactError, ExactModel, SEMANTICS_VERSION};

use crate::common::*;

#[test]
fn encoding_round_trips_and_id_is_its_cid() {
    for bits in [Bits::B8, Bits::B16] {
        let m = digits_exact(bits);
        let bytes = m.encode();
        assert_eq!(&bytes[..8], b"VERISXQ\0");
        assert_eq!(bytes[8..12], SEMANTICS_VERSION.to_le_bytes());
        assert_eq!(bytes[12], bits.width());
        let back = ExactModel::decode(&bytes).unwrap();
        assert_eq!(&back, m);
        assert_eq!(back.id(), m.id());
        assert_eq!(m.id(), veris_core::ModelId::of_bytes(&bytes));
        assert!(m.id().to_string().starts_with("bafkrei"));
    }
    assert_ne!(digits_exact(Bits::B8).id(), digits_exact(Bits::B16).id());
}

#[test]
fn every_truncation_is_refused() {
    let bytes = digits_exact(Bits::B8).encode();
    for cut in 0..bytes.len() {
        let r = ExactModel::decode(&bytes[..cut]);
        assert!(matches!(r, Err(ExactError::Encoding { .. })), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(ExactModel::decode(&longer).is_err());
}

#[test]
fn random_mutations_never_panic() {
    let bytes = digits_exact(Bits::B8).encode();
    let mut rng = Rng::new(42);
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(b.len());
            b[i] = rng.next_u64() as u8;
        }
        if let Ok(m) = ExactModel::decode(&b) {
            // A mutation that decodes is a different valid model whose
            // canonical encoding is exactly the mutated bytes.
            assert_eq!(m.encode(), b);
            accepted += 1;
        }
    }
    println!("mutations accepted as other valid models: {accepted}/3000");
}

#[test]
fn hostile_headers_are_refused() {
    let good = digits_exact(Bits::B16).encode();
    let mut bad_version = good.clone();
    bad_version[8] = 2;
    assert!(ExactModel::decode(&bad_version).is_err());
    let mut bad_bits = good.clone();
    bad_bits[12] = 4;
    assert!(ExactModel::decode(&bad_bits).is_err());
    // A huge op count with nothing behind it allocates nothing and fails.
    let mut huge = good[..13 + 36].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(ExactModel::decode(&huge).is_err());
    assert!(ExactModel::decode(&[]).is_err());
}

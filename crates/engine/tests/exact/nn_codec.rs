//! The encoding of models with the transformer ops: round trip, and
//! truncated or mutated bytes never panic and never decode to a model that
//! does not re-encode to them.

use veris_engine::exact::{Bits, ExactError, ExactModel};

use crate::common::Rng;
use crate::nn_support::compile_fixture;

const FIXTURES: [&str; 5] = [
    "exact-pointwise.onnx",
    "exact-softmax.onnx",
    "exact-layernorm.onnx",
    "exact-reduce.onnx",
    "exact-matmul.onnx",
];

#[test]
fn models_with_new_ops_round_trip() {
    for name in FIXTURES {
        for bits in [Bits::B8, Bits::B16] {
            let m = compile_fixture(name, bits);
            let bytes = m.encode();
            println!("{name} {bits:?}: {} bytes", bytes.len());
            assert_eq!(ExactModel::decode(&bytes).unwrap(), m, "{name} {bits:?}");
        }
    }
}

#[test]
fn truncations_are_refused() {
    for name in FIXTURES {
        let bytes = compile_fixture(name, Bits::B8).encode();
        for cut in 0..bytes.len() {
            let r = ExactModel::decode(&bytes[..cut]);
            assert!(matches!(r, Err(ExactError::Encoding { .. })), "{name}: cut at {cut}");
        }
        // 16-bit models are larger: a sample of cuts.
        let wide = compile_fixture(name, Bits::B16).encode();
        let mut rng = Rng::new(8);
        for _ in 0..300 {
            let cut = rng.below(wide.len());
            assert!(ExactModel::decode(&wide[..cut]).is_err(), "{name}: cut at {cut}");
        }
    }
}

#[test]
fn mutations_never_panic() {
    let mut rng = Rng::new(43);
    for name in FIXTURES {
        for bits in [Bits::B8, Bits::B16] {
            let bytes = compile_fixture(name, bits).encode();
            // 16-bit models carry 2^16-entry tables: fewer (slower) rounds.
            let rounds = if bits == Bits::B8 { 600 } else { 150 };
            let mut accepted = 0;
            for _ in 0..rounds {
                let mut b = bytes.clone();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(b.len());
                    b[i] = rng.next_u64() as u8;
                }
                if let Ok(m) = ExactModel::decode(&b) {
                    assert_eq!(m.encode(), b);
                    accepted += 1;
                }
            }
            println!("{name} {bits:?}: {accepted}/{rounds} mutations are other valid models");
        }
    }
}

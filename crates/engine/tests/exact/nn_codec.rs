//! The encoding of models with the transformer ops: round trip, and
//! truncated or mutated bytes never panic and never decode to a model that
//! does not re-encode to them; mutated models that decode also run without
//! panicking.

use veris_engine::exact::{Bits, ExactError, ExactModel};

use veris_core::{Dim, TensorMap};

use crate::common::Rng;
use crate::nn_support::{compile_fixture, random_inputs};

/// Inputs for a decoded model (symbolic dimensions 3, indices in `[0, 4)`),
/// unless its declared shapes are too large to bother.
fn small_inputs(m: &ExactModel, rng: &mut Rng) -> Option<TensorMap> {
    let specs = m.input_specs();
    let size = |s: &veris_core::TensorSpec| {
        s.shape.iter().try_fold(1u64, |acc, d| match d {
            Dim::Fixed(n) => acc.checked_mul(*n),
            Dim::Symbol(_) => acc.checked_mul(3),
        })
    };
    specs.iter().all(|s| size(s).is_some_and(|n| n <= 1 << 16)).then(|| {
        let dims: Vec<(&str, usize)> = specs
            .iter()
            .flat_map(|s| s.shape.iter())
            .filter_map(|d| match d {
                Dim::Symbol(name) => Some((name.as_str(), 3)),
                Dim::Fixed(_) => None,
            })
            .collect();
        random_inputs(&specs, &dims, 4, rng)
    })
}

const FIXTURES: [&str; 7] = [
    "exact-pointwise.onnx",
    "exact-softmax.onnx",
    "exact-layernorm.onnx",
    "exact-reduce.onnx",
    "exact-matmul.onnx",
    "exact-embedding.onnx",
    "exact-encoder-block.onnx",
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

/// Decodes `b`; a model it decodes to must re-encode to `b` and run (or
/// fail with an error) without panicking. Returns (decoded, ran).
fn probe(b: &[u8], rng: &mut Rng) -> (bool, bool) {
    match ExactModel::decode(b) {
        Err(_) => (false, false),
        Ok(m) => {
            assert_eq!(m.encode(), b);
            let ran = small_inputs(&m, rng).is_some_and(|inputs| m.run(&inputs).is_ok());
            (true, ran)
        }
    }
}

#[test]
fn every_single_byte_mutation_of_8_bit_models_is_refused_or_valid() {
    let mut rng = Rng::new(44);
    for name in FIXTURES {
        let bytes = compile_fixture(name, Bits::B8).encode();
        let (mut accepted, mut ran) = (0, 0);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 1 + rng.below(255) as u8;
            let (a, r) = probe(&b, &mut rng);
            (accepted, ran) = (accepted + usize::from(a), ran + usize::from(r));
        }
        println!(
            "{name}: {} positions, {accepted} mutations decode to other valid models, {ran} of them run",
            bytes.len()
        );
    }
}

#[test]
fn random_mutations_of_16_bit_models_never_panic() {
    let mut rng = Rng::new(43);
    for name in FIXTURES {
        let bytes = compile_fixture(name, Bits::B16).encode();
        let (mut accepted, mut ran) = (0, 0);
        // 2^16-entry tables make each decode slower: a sample.
        for _ in 0..150 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(b.len());
                b[i] = rng.next_u64() as u8;
            }
            let (a, r) = probe(&b, &mut rng);
            (accepted, ran) = (accepted + usize::from(a), ran + usize::from(r));
        }
        println!("{name}: {accepted}/150 mutations decode to other valid models, {ran} of them run");
    }
}

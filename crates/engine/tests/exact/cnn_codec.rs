//! The encoding of the CNN/general ops: round trips, every truncation
//! refused, and every single-byte mutation either refused or decoded to a
//! valid model that runs without panicking.

use veris_core::Dim;
use veris_engine::exact::{Bits, ExactError, ExactModel};

use crate::cnn_support::{compile_fixture, random_inputs};
use crate::common::Rng;

/// Fixtures whose compiled programs hold every op of the group (tags 6–19).
const MODELS: [&str; 6] = [
    "exact-conv.onnx",
    "exact-batchnorm.onnx",
    "exact-pool.onnx",
    "exact-elementwise.onnx",
    "exact-layout.onnx",
    "exact-small-resnet.onnx",
];

#[test]
fn every_new_op_tag_round_trips() {
    let mut tags = std::collections::BTreeSet::new();
    for name in MODELS {
        for bits in [Bits::B8, Bits::B16] {
            let m = compile_fixture(name, bits);
            let bytes = m.encode();
            let back = ExactModel::decode(&bytes).unwrap();
            assert_eq!(back, m, "{name}");
            assert_eq!(back.encode(), bytes, "{name}");
            tags.extend(m.ops().iter().map(|op| op.name()));
        }
    }
    for op in [
        "Conv",
        "MaxPool",
        "AveragePool",
        "GlobalAveragePool",
        "Sub",
        "Mul",
        "LeakyRelu",
        "Clip",
        "Transpose",
        "Concat",
        "Squeeze",
        "Unsqueeze",
        "Slice",
        "Gather",
    ] {
        assert!(tags.contains(op), "no fixture compiles to {op}");
    }
}

#[test]
fn every_truncation_is_refused() {
    for name in MODELS {
        let bytes = compile_fixture(name, Bits::B8).encode();
        for cut in 0..bytes.len() {
            let r = ExactModel::decode(&bytes[..cut]);
            assert!(matches!(r, Err(ExactError::Encoding { .. })), "{name}: cut at {cut}");
        }
    }
}

/// Runs a decoded model on small random inputs, if its (possibly mutated)
/// input shapes are small; it may refuse them, but must not panic.
fn run_small(m: &ExactModel, rng: &mut Rng) {
    let small = m.inputs().iter().all(|i| {
        i.spec
            .shape
            .iter()
            .try_fold(1u64, |acc, d| match d {
                Dim::Fixed(n) => acc.checked_mul(*n).filter(|&v| v <= 1 << 16),
                Dim::Symbol(_) => Some(acc * 2),
            })
            .is_some()
    });
    if small {
        let _ = m.run(&random_inputs(&m.input_specs(), rng));
    }
}

#[test]
fn every_single_byte_mutation_is_refused_or_valid() {
    let mut rng = Rng::new(17);
    for name in MODELS {
        let m = compile_fixture(name, Bits::B8);
        let bytes = m.encode();
        let (mut accepted, mut ran) = (0, 0);
        for i in 0..bytes.len() {
            for value in [bytes[i] ^ 0x01, bytes[i] ^ 0x80, 0x00, 0xff] {
                if value == bytes[i] {
                    continue;
                }
                let mut b = bytes.clone();
                b[i] = value;
                if let Ok(decoded) = ExactModel::decode(&b) {
                    // A mutation that decodes is a different valid model
                    // whose canonical encoding is exactly the mutated bytes.
                    assert_eq!(decoded.encode(), b, "{name}: byte {i}");
                    accepted += 1;
                    // Run one in 32, to bound the time.
                    if rng.below(32) == 0 {
                        run_small(&decoded, &mut rng);
                        ran += 1;
                    }
                }
            }
        }
        println!(
            "{name}: {} bytes, {accepted} single-byte mutations decode to other valid models ({ran} of them run)",
            bytes.len()
        );
    }
}

#[test]
fn hostile_parameters_are_refused() {
    let m = compile_fixture("exact-conv.onnx", Bits::B8);
    let bytes = m.encode();
    // The first op is a Conv (tag 6): its group (at +13), kernel height
    // (+17) and stride (+25) set to 0 must be refused by validation.
    let ops_at = ops_offset(&m);
    assert_eq!(bytes[ops_at], 6);
    for field in [13, 17, 25] {
        let mut b = bytes.clone();
        b[ops_at + field..ops_at + field + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(ExactModel::decode(&b).is_err(), "field at {field}");
    }
}

/// Offset of the first op's tag in the encoding of `m` (after the header,
/// inputs and constants, and the op count).
fn ops_offset(m: &ExactModel) -> usize {
    let mut at = 8 + 4 + 1 + 36 + 4;
    for i in m.inputs() {
        at += 2 + i.spec.name.len() + 1 + 5;
        for d in &i.spec.shape {
            at += 1 + match d {
                Dim::Fixed(_) => 8,
                Dim::Symbol(s) => 2 + s.len(),
            };
        }
    }
    at += 4;
    for c in m.consts() {
        at += 1 + 8 * c.shape.len() + c.data.len();
    }
    at + 4
}

//! Hostile model bytes: every outcome is `Ok` or a typed `Err`, never a
//! panic escaping or an abort.

use veris_engine::{EngineError, EngineLimits, FloatModel};

use crate::common::*;

/// Loads `bytes` and, if that succeeds, runs one digits-shaped input through
/// the result. Returns whether the load succeeded.
fn survive(bytes: &[u8]) -> bool {
    match FloatModel::load(bytes) {
        Ok(model) => {
            // Whatever the mutated model now expects, running must not panic.
            let _ = model.run(&input_map(2, vec![0.25; 128]));
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

#[test]
fn empty_bytes_are_an_invalid_model() {
    let e = FloatModel::load(&[]).unwrap_err();
    assert!(matches!(e, EngineError::InvalidModel { .. }), "{e:?}");
}

#[test]
fn random_bytes_are_refused() {
    let mut rng = Rng::new(1);
    for len in [1, 2, 7, 64, 1000, 30_000] {
        for _ in 0..5 {
            let bytes = rng.bytes(len);
            let result = FloatModel::load(&bytes);
            assert!(result.is_err(), "{len} random bytes loaded as a model");
        }
    }
}

#[test]
fn protobuf_errors_carry_the_chain() {
    // A field header announcing more bytes than there are.
    let e = FloatModel::load(&[0x3a, 0xff, 0x01]).unwrap_err();
    let EngineError::InvalidModel { reason } = e else {
        panic!("{e:?}")
    };
    assert!(reason.contains("Reading proto model"), "{reason}");
    assert!(reason.contains(':'), "no chain in {reason}");
}

#[test]
fn truncated_models_never_panic() {
    let bytes = digits_bytes();
    let cuts = (0..600).chain((600..bytes.len()).step_by(53));
    let mut loaded = 0;
    for cut in cuts {
        if survive(&bytes[..cut]) {
            loaded += 1;
        }
    }
    assert!(survive(&bytes), "the untruncated model must load");
    println!("{loaded} truncations still loaded");
}

#[test]
fn mutated_models_never_panic() {
    let original = digits_bytes();
    let mut rng = Rng::new(0x5eed);
    let mut loaded = 0;
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next_u64() as u8;
        }
        if survive(&bytes) {
            loaded += 1;
        }
    }
    println!("{loaded}/300 mutated models loaded");
}

/// Offsets of the protobuf structure around the weights: node and tensor
/// names, and the bytes right before each name (field tags, dims, dtypes).
fn structural_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets: Vec<usize> = (0..256).collect();
    for needle in [&b"fc"[..], b"relu", b"input", b"logits", b"Gemm"] {
        for at in (0..bytes.len() - needle.len()).filter(|&i| bytes[i..].starts_with(needle)) {
            offsets.extend(at.saturating_sub(24)..(at + 24).min(bytes.len()));
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// Mutates 1 to 3 structural bytes per try; returns how many tries loaded.
fn structural_mutations(seed: u64, tries: usize) -> usize {
    let original = digits_bytes();
    let offsets = structural_offsets(&original);
    let mut rng = Rng::new(seed);
    let mut loaded = 0;
    for _ in 0..tries {
        let mut bytes = original.clone();
        for _ in 0..1 + rng.below(3) {
            let at = offsets[rng.below(offsets.len())];
            bytes[at] = rng.next_u64() as u8;
        }
        if survive(&bytes) {
            loaded += 1;
        }
    }
    loaded
}

#[test]
fn structural_mutations_never_panic() {
    let loaded = structural_mutations(0x0dd5, 300);
    println!("{loaded}/300 structurally mutated models loaded");
}

/// A longer soak of the same, for when the loader or tract changes:
/// `cargo nextest run -p veris-engine --run-ignored only -E 'test(soak)'`.
#[test]
#[ignore = "soak test, 20,000 loads"]
fn structural_mutations_soak() {
    for seed in 0..20 {
        structural_mutations(seed, 1_000);
    }
}

#[test]
fn the_size_limit_is_checked_before_parsing() {
    let bytes = digits_bytes();
    let limit = bytes.len() - 1;
    let limits = EngineLimits {
        max_model_bytes: limit,
        ..EngineLimits::default()
    };
    assert_eq!(
        FloatModel::load_with_limits(&bytes, limits).unwrap_err(),
        EngineError::ModelTooLarge {
            size: bytes.len(),
            limit
        }
    );
    let exact = EngineLimits {
        max_model_bytes: bytes.len(),
        ..limits
    };
    let model = FloatModel::load_with_limits(&bytes, exact).unwrap();
    assert_eq!(model.limits(), &exact);
    assert_eq!(EngineLimits::default().max_model_bytes, 512 << 20);
    assert_eq!(EngineLimits::default().timeout, std::time::Duration::from_secs(30));
}

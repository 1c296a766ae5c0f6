//! Typed errors: unsupported ops, bad inputs, empty calibration.

use veris_core::{ModelId, TensorData, TensorError};
use veris_engine::exact::{Bits, ExactError, compile, default_calibration, import};

use crate::common::*;

#[test]
fn unsupported_op_names_op_and_node() {
    let bytes = fixture("unsupported-op.onnx");
    let expected = ExactError::UnsupportedOp {
        op: "Det".into(),
        node: "det_node".into(),
    };
    assert_eq!(import(&bytes), Err(expected.clone()));
    let calib = default_calibration(&[]).unwrap();
    assert_eq!(
        compile(&bytes, ModelId::of_bytes(&bytes), &calib, Bits::B8).unwrap_err(),
        expected
    );
}

#[test]
fn greater_in_mixed_dtypes_fixture_is_refused_by_name() {
    // int64 inputs are accepted (as indices); `Greater` is not an exact op.
    let err = import(&fixture("mixed-dtypes.onnx")).unwrap_err();
    assert!(
        matches!(err, ExactError::Unsupported { .. } | ExactError::UnsupportedOp { .. }),
        "{err:?}"
    );
}

#[test]
fn garbage_bytes_are_invalid_models() {
    let mut rng = Rng::new(7);
    for len in [0usize, 1, 10, 100, 1000] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        match import(&bytes) {
            Err(ExactError::InvalidModel { .. }) => {}
            other => panic!("{len} random bytes: {other:?}"),
        }
    }
    let digits = digits_bytes();
    for cut in [10, 100, 1000, digits.len() / 2] {
        assert!(import(&digits[..cut]).is_err());
    }
}

#[test]
fn empty_calibration_is_refused() {
    let bytes = digits_bytes();
    let err = compile(&bytes, ModelId::of_bytes(&bytes), &[], Bits::B8).unwrap_err();
    assert!(matches!(err, ExactError::Calibration { .. }), "{err:?}");
}

#[test]
fn bad_inputs_are_named() {
    let m = digits_exact(Bits::B8);
    let wrong = input_map(1, vec![0.0; 64]);
    let mut bad = wrong.clone();
    bad.insert(
        "input".into(),
        veris_core::Tensor::new("input", vec![1, 63], TensorData::Float32(vec![0.0; 63])).unwrap(),
    );
    assert!(matches!(m.run(&bad), Err(ExactError::Input(TensorError::Shape { .. }))));
    let mut nan = vec![0.0; 64];
    nan[3] = f32::NAN;
    assert!(matches!(
        m.run(&input_map(1, nan)),
        Err(ExactError::Input(TensorError::NonFinite { index: 3, .. }))
    ));
    assert!(m.run(&wrong).is_ok());
}

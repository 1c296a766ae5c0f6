//! Inputs that do not fit the model are typed errors naming the tensor.

use veris_core::{DType, TensorData, TensorError, TensorMap};
use veris_engine::EngineError;

use crate::common::*;

fn input_error(input: &TensorMap) -> TensorError {
    match digits().run(input) {
        Err(EngineError::Input(e)) => e,
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn wrong_or_missing_names() {
    let e = input_error(&one("pixels", vec![1, 64], TensorData::Float32(vec![0.0; 64])));
    assert!(
        matches!(&e, TensorError::Unknown { name, .. } if name == "pixels"),
        "{e:?}"
    );
    assert!(e.to_string().contains("input: float32[N, 64]"), "{e}");

    let e = input_error(&TensorMap::new());
    assert!(
        matches!(&e, TensorError::Missing { name, .. } if name == "input"),
        "{e:?}"
    );

    let mut extra = input_map(1, vec![0.0; 64]);
    extra.extend(one("extra", vec![1], TensorData::Float32(vec![0.0])));
    let e = input_error(&extra);
    assert!(
        matches!(&e, TensorError::Unknown { name, .. } if name == "extra"),
        "{e:?}"
    );
}

#[test]
fn wrong_dtype() {
    for data in [
        TensorData::Float64(vec![0.0; 64]),
        TensorData::Int64(vec![0; 64]),
        TensorData::Bool(vec![false; 64]),
    ] {
        let got = data.dtype();
        let e = input_error(&one("input", vec![1, 64], data));
        assert_eq!(
            e,
            TensorError::DType {
                name: "input".into(),
                expected: DType::Float32,
                got
            }
        );
    }
}

#[test]
fn wrong_shape() {
    for shape in [vec![1, 63], vec![64], vec![1, 1, 64], vec![2, 32], vec![]] {
        let len = shape.iter().product();
        let e = input_error(&one("input", shape.clone(), TensorData::Float32(vec![0.0; len])));
        assert_eq!(
            e,
            TensorError::Shape {
                name: "input".into(),
                expected: "[N, 64]".into(),
                got: shape
            }
        );
    }
}

#[test]
fn non_finite_values() {
    for (index, bad) in [(0, f32::NAN), (63, f32::INFINITY), (100, f32::NEG_INFINITY)] {
        let mut data = vec![0.5; 128];
        data[index] = bad;
        let e = input_error(&input_map(2, data));
        assert_eq!(
            e,
            TensorError::NonFinite {
                name: "input".into(),
                index
            }
        );
        assert!(EngineError::Input(e).to_string().contains("`input`"));
    }
}

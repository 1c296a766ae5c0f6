//! Tiny hand-written ONNX models (see tests/fixtures/make_fixtures.py).

use veris_core::{DType, Dim, Tensor, TensorData, TensorMap, TensorSpec};
use veris_engine::{EngineError, FloatModel};

use crate::common::*;

#[test]
fn an_unsupported_operator_is_named_with_its_node() {
    let e = FloatModel::load(&fixture("unsupported-op.onnx")).unwrap_err();
    assert_eq!(
        e,
        EngineError::UnsupportedOp {
            op: "Det".into(),
            node: "det_node".into()
        }
    );
    assert_eq!(e.to_string(), "unsupported operator `Det` (node `det_node`)");
}

#[test]
fn an_unsupported_boundary_dtype_names_the_tensor() {
    let e = FloatModel::load(&fixture("float16-io.onnx")).unwrap_err();
    assert_eq!(
        e,
        EngineError::UnsupportedDType {
            tensor: "half_in".into(),
            dtype: "F16".into()
        }
    );
}

#[test]
fn external_data_is_never_read() {
    let e = FloatModel::load(&fixture("external-data.onnx")).unwrap_err();
    let EngineError::InvalidModel { reason } = &e else {
        panic!("{e:?}")
    };
    assert!(reason.contains("external data"), "{reason}");
}

#[test]
fn integer_and_bool_tensors_cross_the_boundary() {
    let model = FloatModel::load(&fixture("mixed-dtypes.onnx")).unwrap();
    let spec = |name: &str, dtype, shape: Vec<Dim>| TensorSpec {
        name: name.into(),
        dtype,
        shape,
    };
    let n = || Dim::Symbol("N".into());
    assert_eq!(
        model.inputs(),
        [
            spec("a", DType::Int64, vec![n(), Dim::Fixed(3)]),
            spec("b", DType::Int64, vec![Dim::Fixed(3)]),
        ]
    );
    assert_eq!(
        model.outputs(),
        [
            spec("sum", DType::Int64, vec![n(), Dim::Fixed(3)]),
            spec("above", DType::Bool, vec![n(), Dim::Fixed(3)]),
        ]
    );

    let a = Tensor::new("a", vec![2, 3], TensorData::Int64(vec![1, 5, -3, 10, 0, 7])).unwrap();
    let b = Tensor::new("b", vec![3], TensorData::Int64(vec![2, 2, 2])).unwrap();
    let inputs = TensorMap::from([("a".to_string(), a), ("b".to_string(), b)]);
    let out = model.run(&inputs).unwrap();
    assert_eq!(out.keys().collect::<Vec<_>>(), ["above", "sum"]);
    assert_eq!(out["sum"].shape(), [2, 3]);
    assert_eq!(out["sum"].data(), &TensorData::Int64(vec![3, 7, -1, 12, 2, 9]));
    assert_eq!(
        out["above"].data(),
        &TensorData::Bool(vec![false, true, false, true, false, true])
    );
}

//! Tensor JSON and binary codecs: round trips, limits and error messages.

mod common;

use proptest::prelude::*;
use serde_json::json;
use veris_core::tensor_json::{decode_inputs, decode_tensor_map};
use veris_core::{DType, Dim, Tensor, TensorData, TensorError, TensorLimits, TensorMap, TensorSpec, tensor_codec};

fn digits_spec() -> Vec<TensorSpec> {
    vec![TensorSpec {
        name: "input".into(),
        dtype: DType::Float32,
        shape: vec![Dim::Symbol("N".into()), Dim::Fixed(4)],
    }]
}

fn limits() -> TensorLimits {
    TensorLimits::default()
}

#[test]
fn wire_form_and_bare_array_decode_to_the_same_tensor() {
    let wire = json!({"input": {"dtype": "float32", "shape": [1, 4], "data": [0, 0.5, 1, 2]}});
    let bare = json!([[0, 0.5, 1, 2]]);
    let named_bare = json!({"input": [[0, 0.5, 1, 2]]});
    let a = decode_inputs(&wire, &digits_spec(), &limits()).unwrap();
    assert_eq!(decode_inputs(&bare, &digits_spec(), &limits()).unwrap(), a);
    assert_eq!(decode_inputs(&named_bare, &digits_spec(), &limits()).unwrap(), a);
    assert_eq!(a["input"].shape(), &[1, 4]);
    assert_eq!(a["input"].as_f32().unwrap(), &[0.0, 0.5, 1.0, 2.0]);
}

#[test]
fn bad_json_tensors_name_the_problem() {
    let specs = digits_spec();
    let cases = [
        (
            json!({"input": {"dtype": "float16", "shape": [1], "data": [1]}}),
            "unknown dtype `float16`",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1, 4], "data": [1, 2]}}),
            "holds 4 elements but data has 2",
        ),
        (
            json!({"input": {"dtype": "int8", "shape": [1], "data": [300]}}),
            "out of range",
        ),
        (
            json!({"input": {"dtype": "int32", "shape": [1], "data": [1.5]}}),
            "not an integer",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1], "data": [1e300]}}),
            "out of range",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1], "data": ["one"]}}),
            "tensor `input`",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1], "data": [1], "extra": 1}}),
            "unknown field",
        ),
        (
            json!({"input": {"dtype": "float32", "shape": [1u64 << 40], "data": []}}),
            "exceed the limit",
        ),
        (json!([[1, 2], [3]]), "not rectangular"),
        (json!([[1, 2], 3]), "not rectangular"),
        (json!([["a"]]), "not a number"),
        (json!({"other": [[1, 2, 3, 4]]}), "unknown input tensor `other`"),
        (json!("text"), "must be an object"),
    ];
    for (value, needle) in cases {
        let err = decode_inputs(&value, &specs, &limits()).unwrap_err().to_string();
        assert!(err.contains(needle), "{value}: expected `{needle}` in `{err}`");
    }
}

#[test]
fn bare_arrays_need_a_single_input_model() {
    let two = vec![
        digits_spec()[0].clone(),
        TensorSpec {
            name: "b".into(),
            dtype: DType::Int64,
            shape: vec![],
        },
    ];
    let err = decode_inputs(&json!([[1, 2, 3, 4]]), &two, &limits()).unwrap_err();
    assert!(matches!(err, TensorError::BareNeedsSingleInput(_)));
}

#[test]
fn limits_are_enforced_before_allocation() {
    let tight = TensorLimits {
        max_elements: 3,
        max_rank: 2,
        max_tensors: 1,
        ..limits()
    };
    let specs = digits_spec();
    assert!(matches!(
        decode_inputs(&json!([[1, 2, 3, 4]]), &specs, &tight),
        Err(TensorError::TooLarge { .. })
    ));
    assert!(matches!(
        decode_inputs(&json!([[[1]]]), &specs, &tight),
        Err(TensorError::RankTooLarge { .. })
    ));
    let two =
        json!({"a": {"dtype": "int8", "shape": [1], "data": [1]}, "b": {"dtype": "int8", "shape": [1], "data": [1]}});
    assert!(matches!(
        decode_tensor_map(&two, &tight),
        Err(TensorError::TooMany { .. })
    ));
}

#[test]
fn non_finite_outputs_survive_json() {
    let t = common::tensor(
        vec![3],
        TensorData::Float32(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY]),
    );
    let map = TensorMap::from([("y".to_string(), t)]);
    let json = serde_json::to_value(&map).unwrap();
    assert_eq!(json["y"]["data"], json!(["NaN", "Infinity", "-Infinity"]));
    let back = decode_tensor_map(&json, &limits()).unwrap();
    assert_eq!(tensor_codec::digest(&back), tensor_codec::digest(&map));
}

fn arb_tensor() -> impl Strategy<Value = Tensor> {
    let shape = prop::collection::vec(0usize..4, 0..4);
    shape.prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let data = prop_oneof![
            prop::collection::vec(any::<f32>(), n).prop_map(TensorData::Float32),
            prop::collection::vec(any::<f64>(), n).prop_map(TensorData::Float64),
            prop::collection::vec(any::<i64>(), n).prop_map(TensorData::Int64),
            prop::collection::vec(any::<i32>(), n).prop_map(TensorData::Int32),
            prop::collection::vec(any::<i8>(), n).prop_map(TensorData::Int8),
            prop::collection::vec(any::<u8>(), n).prop_map(TensorData::Uint8),
            prop::collection::vec(any::<bool>(), n).prop_map(TensorData::Bool),
        ];
        data.prop_map(move |d| Tensor::new("t", shape.clone(), d).unwrap())
    })
}

fn arb_map() -> impl Strategy<Value = TensorMap> {
    prop::collection::btree_map("[a-z_]{1,8}", arb_tensor(), 0..4)
}

proptest! {
    #[test]
    fn binary_codec_round_trips(map in arb_map()) {
        let bytes = tensor_codec::encode(&map);
        let mut reader = tensor_codec::Reader::new(&bytes);
        let back = tensor_codec::read_tensors(&mut reader, &limits()).unwrap();
        prop_assert_eq!(reader.remaining(), 0);
        prop_assert_eq!(tensor_codec::encode(&back), bytes);
    }

    #[test]
    fn json_round_trip_preserves_the_digest(map in arb_map()) {
        let json = serde_json::to_string(&map).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let back = decode_tensor_map(&value, &limits()).unwrap();
        prop_assert_eq!(tensor_codec::digest(&back), tensor_codec::digest(&map));
    }

    #[test]
    fn binary_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut reader = tensor_codec::Reader::new(&bytes);
        let _ = tensor_codec::read_tensors(&mut reader, &limits());
    }
}

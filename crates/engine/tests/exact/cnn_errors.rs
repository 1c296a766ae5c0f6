//! Refused forms of the CNN/general ops: typed errors naming the node.

use veris_core::ModelId;
use veris_engine::exact::{Bits, ExactError, compile, default_calibration, import};

use crate::common::fixture;

fn compile_error(name: &str) -> ExactError {
    let bytes = fixture(name);
    let specs = import(&bytes).unwrap().inputs;
    let calibration = default_calibration(&specs).unwrap();
    compile(&bytes, ModelId::of_bytes(&bytes), &calibration, Bits::B8).unwrap_err()
}

#[track_caller]
fn assert_unsupported(err: ExactError, node: &str, reason: &str) {
    match &err {
        ExactError::Unsupported { node: n, reason: r } if n == node && r.contains(reason) => {}
        other => panic!("expected Unsupported at `{node}` mentioning `{reason}`, got {other:?}"),
    }
    println!("{err}");
}

#[test]
fn three_dimensional_conv_is_refused_by_node() {
    assert_unsupported(compile_error("exact-conv3d.onnx"), "conv3d", "only 2-D convolutions");
}

#[test]
fn clip_with_a_computed_bound_is_refused_by_node() {
    assert_unsupported(
        compile_error("exact-clip-dynamic.onnx"),
        "clip_dynamic",
        "not a constant",
    );
}

#[test]
fn division_by_an_activation_is_refused_by_node() {
    assert_unsupported(
        compile_error("exact-div-dynamic.onnx"),
        "div_dynamic",
        "constant divisors",
    );
}

#[test]
fn an_unsupported_attribute_value_is_refused_by_node() {
    assert_unsupported(
        compile_error("exact-leaky-negative.onnx"),
        "leaky_negative",
        "alpha -0.5",
    );
}

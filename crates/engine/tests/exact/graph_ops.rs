//! A synthetic graph exercising every op of this increment: MatMul + bias
//! Add + Relu, Add of two activations, Gemm with transB = 0, alpha and beta,
//! Reshape, Flatten, Identity. Exact results are checked against the float
//! reference interpreter within a few quantization steps.

use prost::Message;
use tract_onnx::pb::{self, AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};
use veris_core::{ModelId, TensorData};
use veris_engine::exact::{Bits, ExactModel, ExactOp, compile, default_calibration, float_ref::run_float, import};

use crate::common::Rng;

fn tensor_f32(name: &str, dims: &[i64], rng: &mut Rng) -> TensorProto {
    let n: i64 = dims.iter().product();
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: (0..n).map(|_| (rng.below(2001) as f32 - 1000.0) / 2000.0).collect(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value as D};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => D::DimValue(*v),
                None => D::DimParam("N".into()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: 1,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 1,
        f,
        ..Default::default()
    }
}

fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i,
        ..Default::default()
    }
}

/// x[N,12] → MatMul(W1[12,8]) + b1 → Relu → h; h + MatMul(x, W2[12,8]) → s;
/// Reshape s to [N,2,4] → Flatten(axis 1) → Identity → Gemm(alpha 0.5, beta 2, W3[8,3], c3[3]) → y
fn synthetic() -> Vec<u8> {
    let mut rng = Rng::new(3);
    let mut shape = TensorProto {
        name: "shape".into(),
        dims: vec![3],
        data_type: 7,
        int64_data: vec![0, 2, 4],
        ..Default::default()
    };
    shape.dims = vec![3];
    let graph = GraphProto {
        name: "synthetic".into(),
        node: vec![
            node("MatMul", "mm1", &["x", "w1"], "m1", vec![]),
            node("Add", "bias1", &["m1", "b1"], "a1", vec![]),
            node("Relu", "relu1", &["a1"], "h", vec![]),
            node("MatMul", "mm2", &["x", "w2"], "m2", vec![]),
            node("Add", "sum", &["h", "m2"], "s", vec![]),
            node("Reshape", "reshape", &["s", "shape"], "r", vec![]),
            node("Flatten", "flatten", &["r"], "f", vec![attr_i("axis", 1)]),
            node("Identity", "id", &["f"], "g", vec![]),
            node(
                "Gemm",
                "gemm",
                &["g", "w3", "c3"],
                "y",
                vec![attr_f("alpha", 0.5), attr_f("beta", 2.0)],
            ),
        ],
        initializer: vec![
            tensor_f32("w1", &[12, 8], &mut rng),
            tensor_f32("b1", &[8], &mut rng),
            tensor_f32("w2", &[12, 8], &mut rng),
            tensor_f32("w3", &[8, 3], &mut rng),
            tensor_f32("c3", &[3], &mut rng),
            shape,
        ],
        input: vec![value_info("x", &[None, Some(12)])],
        output: vec![value_info("y", &[None, Some(3)])],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        graph: Some(graph),
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn every_op_compiles_and_tracks_the_float_reference() {
    let bytes = synthetic();
    let graph = import(&bytes).unwrap();
    let calib = default_calibration(&graph.inputs).unwrap();
    for bits in [Bits::B8, Bits::B16] {
        let m = compile(&bytes, ModelId::of_bytes(&bytes), &calib, bits).unwrap();
        let names: Vec<&str> = m.ops().iter().map(ExactOp::name).collect();
        // bias Add and Relu fused into mm1; Identity vanished.
        assert_eq!(names, ["Linear", "Linear", "Add", "Reshape", "Flatten", "Linear"]);
        assert_eq!(ExactModel::decode(&m.encode()).unwrap(), m);
        let input = &calib[5];
        let float = run_float(&graph, input, &mut |_, _| {}).unwrap();
        let exact = m.run(input).unwrap();
        let y = exact.dequantized["y"].as_f32().unwrap();
        let out_scale = m.outputs()[0].scale as f32;
        let max = y
            .iter()
            .zip(&float["y"].data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let steps = max / out_scale;
        println!("synthetic {bits:?}: max |exact − float| = {max} ({steps:.1} output steps)");
        assert!(
            steps <= if bits == Bits::B8 { 4.0 } else { 8.0 } || max < 1e-3,
            "{bits:?}: {steps} steps"
        );
        assert!(matches!(
            exact.quantized["y"].data(),
            TensorData::Int8(_) | TensorData::Int32(_)
        ));
    }
}

//! A float ONNX MLP built in code (seeded weights), the workload EZKL's
//! figures were measured on: input `[1, 1, 28, 28]` → Flatten → Gemm 784→128 →
//! Relu → Gemm 128→64 → Relu → Gemm 64→10. Shared by the tests and the benchmark.

use prost::Message;
use tract_onnx::pb::{self, AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};

/// Deterministic uniform floats in `[lo, hi)` (splitmix64).
pub struct Uniform(pub u64);

impl Uniform {
    pub fn next(&mut self, lo: f32, hi: f32) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
    }
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value as D};
    let dim = dims
        .iter()
        .map(|&d| Dimension {
            value: Some(D::DimValue(d)),
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

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i,
        ..Default::default()
    }
}

/// PyTorch's default `Linear` init: weights and biases uniform in `±1/√fan_in`.
fn gemm_params(rng: &mut Uniform, name: &str, n: i64, k: i64) -> [TensorProto; 2] {
    let a = 1.0 / (k as f32).sqrt();
    let tensor = |suffix: &str, dims: Vec<i64>, rng: &mut Uniform| TensorProto {
        name: format!("{name}.{suffix}"),
        data_type: 1,
        float_data: (0..dims.iter().product::<i64>()).map(|_| rng.next(-a, a)).collect(),
        dims,
        ..Default::default()
    };
    [tensor("weight", vec![n, k], rng), tensor("bias", vec![n], rng)]
}

/// The ONNX bytes of the 784-128-64-10 MLP with weights from `seed`.
pub fn mlp_784_128_64_10(seed: u64) -> Vec<u8> {
    let mut rng = Uniform(seed);
    let sizes = [(128, 784), (64, 128), (10, 64)];
    let mut initializer = Vec::new();
    let mut nodes = vec![node("Flatten", &["input"], "flat", vec![int_attr("axis", 1)])];
    let mut current = "flat".to_string();
    for (i, &(n, k)) in sizes.iter().enumerate() {
        let name = format!("fc{}", i + 1);
        initializer.extend(gemm_params(&mut rng, &name, n, k));
        let out = if i + 1 == sizes.len() {
            "logits".to_string()
        } else {
            format!("{name}.out")
        };
        let (w, b) = (format!("{name}.weight"), format!("{name}.bias"));
        nodes.push(node("Gemm", &[&current, &w, &b], &out, vec![int_attr("transB", 1)]));
        current = out;
        if i + 1 < sizes.len() {
            let relu = format!("relu{}", i + 1);
            nodes.push(node("Relu", &[&current], &relu, vec![]));
            current = relu;
        }
    }
    let graph = GraphProto {
        name: "mlp-784-128-64-10".into(),
        node: nodes,
        initializer,
        input: vec![value_info("input", &[1, 1, 28, 28])],
        output: vec![value_info("logits", &[1, 10])],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        producer_name: "veris-zk-bench".into(),
        graph: Some(graph),
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

/// `count` synthetic 28×28 images, uniform in `[0, 1)`, one `[1, 1, 28, 28]` tensor each.
pub fn synthetic_images(seed: u64, count: usize) -> Vec<Vec<f32>> {
    let mut rng = Uniform(seed);
    (0..count)
        .map(|_| (0..784).map(|_| rng.next(0.0, 1.0)).collect())
        .collect()
}

/// A float ONNX MLP with a pointwise activation the exact engine tabulates
/// between its Gemms: input `[N, widths[0]]` → Gemm → `act` → … → Gemm →
/// `[N, widths.last()]` (`act` one of Sigmoid, Tanh, Erf, Gelu; opset 20 for
/// Gelu, 13 otherwise), seeded weights.
pub fn activation_mlp(seed: u64, act: &str, widths: &[i64]) -> Vec<u8> {
    use pb::tensor_shape_proto::{Dimension, dimension::Value as D};
    let mut rng = Uniform(seed);
    let sizes: Vec<(i64, i64)> = widths.windows(2).map(|w| (w[1], w[0])).collect();
    let (mut initializer, mut nodes) = (Vec::new(), Vec::new());
    let mut current = "input".to_string();
    for (i, &(n, k)) in sizes.iter().enumerate() {
        let name = format!("fc{}", i + 1);
        initializer.extend(gemm_params(&mut rng, &name, n, k));
        let last = i + 1 == sizes.len();
        let out = if last { "y".to_string() } else { format!("{name}.out") };
        let (w, b) = (format!("{name}.weight"), format!("{name}.bias"));
        nodes.push(node("Gemm", &[&current, &w, &b], &out, vec![int_attr("transB", 1)]));
        current = out;
        if !last {
            let a = format!("{act}{}", i + 1);
            nodes.push(node(act, &[&current], &a, vec![]));
            current = a;
        }
    }
    let mut input = value_info("input", &[1, widths[0]]);
    // A symbolic batch dimension.
    if let Some(pb::type_proto::Value::TensorType(t)) = input.r#type.as_mut().and_then(|t| t.value.as_mut()) {
        t.shape.as_mut().expect("shape").dim[0] = Dimension {
            value: Some(D::DimParam("N".into())),
            ..Default::default()
        };
    }
    let graph = GraphProto {
        name: format!("mlp-{act}"),
        node: nodes,
        initializer,
        input: vec![input],
        output: vec![value_info("y", &[1, *widths.last().expect("widths")])],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        producer_name: "veris-zk-tests".into(),
        graph: Some(graph),
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: if act == "Gelu" { 20 } else { 13 },
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

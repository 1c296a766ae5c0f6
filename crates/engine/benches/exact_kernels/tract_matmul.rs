//! The float peer: tract running a one-node ONNX `MatMul` of the same shape,
//! as the float engine would (weights constant, so tract packs them once).

use prost::Message;
use tract_onnx::pb::{self, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};
use tract_onnx::prelude::*;

/// A runnable `y[rows, n] = x[rows, k] · W[k, n]` with fixed shapes.
pub struct TractMatMul {
    plan: Arc<TypedSimplePlan>,
    input: Tensor,
}

impl TractMatMul {
    pub fn new(rows: usize, k: usize, n: usize) -> TractResult<TractMatMul> {
        let weights: Vec<f32> = (0..k * n).map(|i| ((i * 17 % 255) as f32 - 127.0) / 127.0).collect();
        let graph = GraphProto {
            name: "matmul".into(),
            node: vec![NodeProto {
                op_type: "MatMul".into(),
                name: "mm".into(),
                input: vec!["x".into(), "w".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            initializer: vec![TensorProto {
                name: "w".into(),
                dims: vec![k as i64, n as i64],
                data_type: 1,
                float_data: weights,
                ..Default::default()
            }],
            input: vec![value_info("x", rows, k)],
            output: vec![value_info("y", rows, n)],
            ..Default::default()
        };
        let bytes = ModelProto {
            ir_version: 8,
            graph: Some(graph),
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            ..Default::default()
        }
        .encode_to_vec();
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])?
            .into_optimized()?
            .into_runnable()?;
        let x: Vec<f32> = (0..rows * k).map(|i| ((i * 31 % 255) as f32 - 127.0) / 127.0).collect();
        let input = Tensor::from_shape(&[rows, k], &x)?;
        Ok(TractMatMul { plan, input })
    }

    pub fn run(&self) -> TractResult<TVec<TValue>> {
        self.plan.run(tvec!(self.input.clone().into_tvalue()))
    }
}

fn value_info(name: &str, rows: usize, cols: usize) -> ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value as D};
    let dim = [rows, cols]
        .iter()
        .map(|&d| Dimension {
            value: Some(D::DimValue(d as i64)),
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

//! ONNX protobuf → [`Graph`]: initializers, boundary specs, the supported
//! nodes in topological order. Anything else is a typed error.

use std::collections::{BTreeMap, BTreeSet};

use tract_onnx::pb::{self, AttributeProto, NodeProto, TensorProto};
use tract_onnx::prelude::Framework;
use veris_core::{DType, Dim, TensorSpec};

use super::ExactError;
use super::import_nn;
use super::import_ops;
use super::ir::{Const, Graph, IrOp, Node};
use crate::EngineLimits;
use crate::guard::contain;

/// Largest constant accepted, in elements (the same bound as a model file
/// of 512 MiB of float32 values).
const MAX_CONST_ELEMENTS: usize = 128 << 20;

/// ONNX `TensorProto.DataType` codes used here.
const ONNX_FLOAT: i32 = 1;
const ONNX_INT64: i32 = 7;

fn invalid(reason: impl Into<String>) -> ExactError {
    ExactError::InvalidModel { reason: reason.into() }
}

/// Decodes ONNX bytes (at most [`EngineLimits::DEFAULT_MAX_MODEL_BYTES`])
/// into the IR.
pub fn import(bytes: &[u8]) -> Result<Graph, ExactError> {
    let limit = EngineLimits::DEFAULT_MAX_MODEL_BYTES;
    if bytes.len() > limit {
        return Err(ExactError::ModelTooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let mut proto = contain(|| tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]))
        .map_err(|m| invalid(format!("protobuf decoder panicked: {m}")))?
        .map_err(|e| invalid(format!("{e:#}")))?;
    let opset = proto
        .opset_import
        .iter()
        .filter(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .max()
        .unwrap_or(1);
    let mut graph = proto.graph.take().ok_or_else(|| invalid("no graph"))?;
    import_nn::rewrite(&mut graph, opset);
    from_graph(&graph)
}

fn from_graph(g: &pb::GraphProto) -> Result<Graph, ExactError> {
    let mut consts = BTreeMap::new();
    for t in &g.initializer {
        consts.insert(t.name.clone(), load_const(&t.name, t)?);
    }
    let inputs = g
        .input
        .iter()
        .filter(|v| !consts.contains_key(&v.name))
        .map(input_spec)
        .collect::<Result<Vec<_>, _>>()?;
    let outputs: Vec<String> = g.output.iter().map(|v| v.name.clone()).collect();
    let mut nodes = Vec::with_capacity(g.node.len());
    for n in &g.node {
        if let Some(node) = convert_node(n, &mut consts)? {
            nodes.push(node);
        }
    }
    let nodes = topo_sort(nodes, &inputs, &consts)?;
    let produced: BTreeSet<&str> = nodes.iter().map(|n| n.output.as_str()).collect();
    for o in &outputs {
        if !produced.contains(o.as_str()) && !inputs.iter().any(|i| &i.name == o) {
            return Err(invalid(format!("graph output `{o}` is not computed by any node")));
        }
    }
    Ok(Graph {
        inputs,
        outputs,
        consts,
        nodes,
    })
}

fn input_spec(v: &pb::ValueInfoProto) -> Result<TensorSpec, ExactError> {
    use pb::tensor_shape_proto::dimension::Value as D;
    use pb::type_proto::Value as T;
    let Some(T::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(invalid(format!("input `{}` is not a tensor", v.name)));
    };
    let dtype = match t.elem_type {
        ONNX_FLOAT => DType::Float32,
        ONNX_INT64 => DType::Int64,
        other => {
            return Err(ExactError::Unsupported {
                node: v.name.clone(),
                reason: format!("input dtype code {other} (the exact engine takes float32 and int64 inputs)"),
            });
        }
    };
    let shape = t
        .shape
        .as_ref()
        .ok_or_else(|| invalid(format!("input `{}` has no shape", v.name)))?;
    let dims = shape
        .dim
        .iter()
        .enumerate()
        .map(|(i, d)| match &d.value {
            Some(D::DimValue(n)) if *n >= 0 => Ok(Dim::Fixed(*n as u64)),
            Some(D::DimValue(n)) => Err(invalid(format!("input `{}` has dimension {n}", v.name))),
            Some(D::DimParam(s)) if !s.is_empty() => Ok(Dim::Symbol(s.clone())),
            _ => Ok(Dim::Symbol(format!("d{i}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TensorSpec {
        name: v.name.clone(),
        dtype,
        shape: dims,
    })
}

fn load_const(name: &str, t: &TensorProto) -> Result<Const, ExactError> {
    if t.data_location == Some(1) || !t.external_data.is_empty() {
        return Err(invalid(format!(
            "tensor `{name}` is stored as external data, which is refused"
        )));
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    let mut count: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| invalid(format!("tensor `{name}` has dimension {d}")))?;
        count = count
            .checked_mul(d)
            .filter(|&c| c <= MAX_CONST_ELEMENTS)
            .ok_or_else(|| invalid(format!("tensor `{name}` exceeds {MAX_CONST_ELEMENTS} elements")))?;
        shape.push(d);
    }
    let mismatch = |got: usize| {
        invalid(format!(
            "tensor `{name}`: shape {shape:?} needs {count} values, found {got}"
        ))
    };
    match t.data_type {
        ONNX_FLOAT => {
            let data: Vec<f32> = if t.raw_data.is_empty() {
                t.float_data.clone()
            } else {
                t.raw_data
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            };
            if data.len() != count || (!t.raw_data.is_empty() && t.raw_data.len() != 4 * count) {
                return Err(mismatch(data.len()));
            }
            Ok(Const::Float { shape, data })
        }
        ONNX_INT64 => {
            let data: Vec<i64> = if t.raw_data.is_empty() {
                t.int64_data.clone()
            } else {
                t.raw_data
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect()
            };
            if data.len() != count || (!t.raw_data.is_empty() && t.raw_data.len() != 8 * count) {
                return Err(mismatch(data.len()));
            }
            Ok(Const::Int { shape, data })
        }
        other => Err(ExactError::Unsupported {
            node: name.to_string(),
            reason: format!("constant dtype code {other} (float32 and int64 are supported)"),
        }),
    }
}

pub(super) fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

pub(super) fn attr_f(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name).map_or(default, |a| a.f)
}

pub(super) fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).map_or(default, |a| a.i)
}

/// One ONNX node as an IR node; `Constant` nodes become constants instead.
fn convert_node(n: &NodeProto, consts: &mut BTreeMap<String, Const>) -> Result<Option<Node>, ExactError> {
    let node_name = if n.name.is_empty() {
        n.output.first().cloned().unwrap_or_default()
    } else {
        n.name.clone()
    };
    if !(n.domain.is_empty() || n.domain == "ai.onnx") {
        return Err(ExactError::UnsupportedOp {
            op: format!("{}:{}", n.domain, n.op_type),
            node: node_name,
        });
    }
    let op = match n.op_type.as_str() {
        "Gemm" => IrOp::Gemm {
            alpha: attr_f(n, "alpha", 1.0),
            beta: attr_f(n, "beta", 1.0),
            trans_a: attr_i(n, "transA", 0) != 0,
            trans_b: attr_i(n, "transB", 0) != 0,
        },
        "MatMul" => IrOp::MatMul,
        "Add" => IrOp::Add,
        "Relu" => IrOp::Relu,
        "Flatten" => IrOp::Flatten {
            axis: attr_i(n, "axis", 1),
        },
        "Reshape" => {
            if attr_i(n, "allowzero", 0) != 0 {
                return Err(ExactError::Unsupported {
                    node: node_name,
                    reason: "Reshape with allowzero=1".into(),
                });
            }
            IrOp::Reshape
        }
        "Identity" => IrOp::Identity,
        "Constant" => {
            let value = attr(n, "value")
                .and_then(|a| a.t.as_ref())
                .ok_or_else(|| ExactError::Unsupported {
                    node: node_name.clone(),
                    reason: "Constant without a `value` tensor".into(),
                })?;
            let out = n
                .output
                .first()
                .ok_or_else(|| invalid(format!("node `{node_name}` has no output")))?;
            consts.insert(out.clone(), load_const(out, value)?);
            return Ok(None);
        }
        other => match import_ops::convert(n, other, &node_name)?.or(import_nn::convert(n, other, &node_name)?) {
            Some(op) => op,
            None => {
                return Err(ExactError::UnsupportedOp {
                    op: other.to_string(),
                    node: node_name,
                });
            }
        },
    };
    let mut inputs = n.input.clone();
    while inputs.last().is_some_and(String::is_empty) {
        inputs.pop();
    }
    if inputs.iter().any(String::is_empty) && !import_ops::allows_gaps(&op) {
        return Err(ExactError::Unsupported {
            node: node_name,
            reason: "an omitted optional input before a present one".into(),
        });
    }
    let arity = match op {
        IrOp::Gemm { .. } => 2..=3,
        IrOp::MatMul | IrOp::Add | IrOp::Reshape => 2..=2,
        IrOp::Relu | IrOp::Flatten { .. } | IrOp::Identity => 1..=1,
        ref other => import_nn::arity(other).unwrap_or_else(|| import_ops::arity(other)),
    };
    if !arity.contains(&inputs.len()) || n.output.len() != 1 || n.output[0].is_empty() {
        return Err(invalid(format!(
            "node `{node_name}` ({}) has {} inputs and {} outputs",
            op.name(),
            inputs.len(),
            n.output.len()
        )));
    }
    Ok(Some(Node {
        name: node_name,
        op,
        inputs,
        output: n.output[0].clone(),
    }))
}

/// Orders nodes so producers come first (stable: ONNX files are normally
/// sorted already). Refuses undefined inputs, cycles and tensors written twice.
fn topo_sort(
    nodes: Vec<Node>,
    inputs: &[TensorSpec],
    consts: &BTreeMap<String, Const>,
) -> Result<Vec<Node>, ExactError> {
    // The empty name stands for an omitted optional input.
    let mut defined: BTreeSet<String> = inputs.iter().map(|s| s.name.clone()).collect();
    defined.insert(String::new());
    defined.extend(consts.keys().cloned());
    let mut written = defined.clone();
    for n in &nodes {
        if !written.insert(n.output.clone()) {
            return Err(invalid(format!("tensor `{}` is defined twice", n.output)));
        }
    }
    let mut pending = nodes;
    let mut sorted = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for n in pending {
            if n.inputs.iter().all(|i| defined.contains(i)) {
                defined.insert(n.output.clone());
                sorted.push(n);
            } else {
                rest.push(n);
            }
        }
        if rest.len() == before {
            let n = &rest[0];
            let missing = n
                .inputs
                .iter()
                .find(|i| !defined.contains(*i))
                .cloned()
                .unwrap_or_default();
            return Err(invalid(format!(
                "node `{}` reads `{missing}`, which nothing defines (or the graph has a cycle)",
                n.name
            )));
        }
        pending = rest;
    }
    Ok(sorted)
}

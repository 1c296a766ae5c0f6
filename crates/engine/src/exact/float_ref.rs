//! The float reference interpreter of the IR. The compiler runs it over the
//! calibration set to measure every tensor's range; it is not a runtime
//! engine (plain loops, f64 accumulation, no SIMD).

use std::collections::BTreeMap;

use veris_core::TensorMap;
use veris_core::spec::check_inputs;

use super::ExactError;
use super::float_nn;
use super::ir::{Const, Graph, IrOp, Node};
use super::shape::{broadcast, broadcast_indices, elements, flatten_shape, reshape_target};

/// A float tensor of the interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct FTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Runs `graph` on float32 `inputs`; calls `observe(name, tensor)` for every
/// input and every node output, and returns the graph outputs by name.
pub fn run_float(
    graph: &Graph,
    inputs: &TensorMap,
    observe: &mut dyn FnMut(&str, &FTensor),
) -> Result<BTreeMap<String, FTensor>, ExactError> {
    check_inputs(&graph.inputs, inputs, true)?;
    let mut env: BTreeMap<String, FTensor> = BTreeMap::new();
    for spec in &graph.inputs {
        let t = &inputs[&spec.name];
        let data = t.as_f32().map(<[f32]>::to_vec).unwrap_or_default();
        let ft = FTensor {
            shape: t.shape().to_vec(),
            data,
        };
        observe(&spec.name, &ft);
        env.insert(spec.name.clone(), ft);
    }
    for node in &graph.nodes {
        let out = eval(graph, &env, node).map_err(|reason| ExactError::Unsupported {
            node: node.name.clone(),
            reason,
        })?;
        observe(&node.output, &out);
        env.insert(node.output.clone(), out);
    }
    graph
        .outputs
        .iter()
        .map(|o| {
            env.remove(o)
                .map(|t| (o.clone(), t))
                .ok_or_else(|| ExactError::InvalidModel {
                    reason: format!("output `{o}` was not computed"),
                })
        })
        .collect()
}

/// A float operand: a computed tensor or a float constant.
fn operand(graph: &Graph, env: &BTreeMap<String, FTensor>, name: &str) -> Result<FTensor, String> {
    if let Some(t) = env.get(name) {
        return Ok(t.clone());
    }
    match graph.consts.get(name) {
        Some(Const::Float { shape, data }) => Ok(FTensor {
            shape: shape.clone(),
            data: data.clone(),
        }),
        Some(Const::Int { .. }) => Err(format!(
            "`{name}` is an int64 constant where a float tensor is expected"
        )),
        None => Err(format!("`{name}` is undefined")),
    }
}

fn eval(graph: &Graph, env: &BTreeMap<String, FTensor>, node: &Node) -> Result<FTensor, String> {
    let arg = |i: usize| operand(graph, env, &node.inputs[i]);
    match &node.op {
        IrOp::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        } => {
            let (a, b) = (arg(0)?, arg(1)?);
            if a.shape.len() != 2 || b.shape.len() != 2 {
                return Err(format!("Gemm needs 2-D operands, got {:?} and {:?}", a.shape, b.shape));
            }
            let (m, k) = if *trans_a {
                (a.shape[1], a.shape[0])
            } else {
                (a.shape[0], a.shape[1])
            };
            let (kb, n) = if *trans_b {
                (b.shape[1], b.shape[0])
            } else {
                (b.shape[0], b.shape[1])
            };
            if k != kb {
                return Err(format!("Gemm inner dimensions {k} and {kb} differ"));
            }
            let at = |i: usize, j: usize| if *trans_a { a.data[j * m + i] } else { a.data[i * k + j] };
            let bt = |i: usize, j: usize| if *trans_b { b.data[j * k + i] } else { b.data[i * n + j] };
            let mut y = vec![0f32; elements(&[m, n])?];
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0f64;
                    for p in 0..k {
                        acc += f64::from(at(i, p)) * f64::from(bt(p, j));
                    }
                    y[i * n + j] = (f64::from(*alpha) * acc) as f32;
                }
            }
            let mut out = FTensor {
                shape: vec![m, n],
                data: y,
            };
            if node.inputs.len() == 3 {
                let c = arg(2)?;
                let shape = broadcast(&out.shape, &c.shape)?;
                if shape != out.shape {
                    return Err(format!("Gemm C {:?} does not broadcast to {:?}", c.shape, out.shape));
                }
                let mut data = Vec::with_capacity(out.data.len());
                broadcast_indices(&shape, &out.shape, &c.shape, |i, j| {
                    data.push((f64::from(out.data[i]) + f64::from(*beta) * f64::from(c.data[j])) as f32);
                });
                out.data = data;
            }
            Ok(out)
        }
        IrOp::MatMul => float_nn::matmul(&arg(0)?, &arg(1)?),
        IrOp::Add => {
            let (a, b) = (arg(0)?, arg(1)?);
            let shape = broadcast(&a.shape, &b.shape)?;
            let mut data = Vec::with_capacity(elements(&shape)?);
            broadcast_indices(&shape, &a.shape, &b.shape, |i, j| data.push(a.data[i] + b.data[j]));
            Ok(FTensor { shape, data })
        }
        IrOp::Relu => {
            let mut x = arg(0)?;
            x.data.iter_mut().for_each(|v| *v = v.max(0.0));
            Ok(x)
        }
        IrOp::Identity => arg(0),
        IrOp::Flatten { axis } => {
            let x = arg(0)?;
            Ok(FTensor {
                shape: flatten_shape(&x.shape, *axis)?,
                data: x.data,
            })
        }
        IrOp::Pointwise(p) => Ok(float_nn::pointwise(arg(0)?, *p)),
        IrOp::Softmax { axis, legacy } => float_nn::softmax(&arg(0)?, *axis, *legacy),
        IrOp::LayerNorm { axis, epsilon } => {
            let bias = node.inputs.get(2).map(|_| arg(2)).transpose()?;
            float_nn::layer_norm(&arg(0)?, &arg(1)?, bias.as_ref(), *axis, *epsilon)
        }
        IrOp::Reduce {
            mean,
            axes,
            keepdims,
            noop_with_empty_axes,
        } => {
            let axes = match (axes, node.inputs.get(1)) {
                (Some(a), _) => a.clone(),
                (None, Some(name)) => match graph.consts.get(name) {
                    Some(Const::Int { data, .. }) => data.clone(),
                    _ => return Err("reduce axes must be a constant int64 tensor".into()),
                },
                (None, None) => Vec::new(),
            };
            if axes.is_empty() && *noop_with_empty_axes {
                return arg(0);
            }
            float_nn::reduce(&arg(0)?, &axes, *keepdims, *mean)
        }
        IrOp::Reshape => {
            let x = arg(0)?;
            let Some(Const::Int { data: spec, .. }) = graph.consts.get(&node.inputs[1]) else {
                return Err("Reshape needs a constant int64 shape".into());
            };
            Ok(FTensor {
                shape: reshape_target(&x.shape, spec)?,
                data: x.data,
            })
        }
    }
}

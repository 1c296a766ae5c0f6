//! The float reference interpreter of the IR. The compiler runs it over the
//! calibration set to measure every tensor's range, and constant folding
//! evaluates nodes with it; it is not a runtime engine (plain loops, f64
//! accumulation, no SIMD). Values are float32 tensors or int64 tensors
//! (shape arithmetic, [`Const`]); only float tensors are observed.

use std::collections::BTreeMap;

use veris_core::spec::check_inputs;
use veris_core::{TensorData, TensorMap};

use super::ExactError;
use super::float_nn;
use super::float_ops::{self, PoolKind};
use super::ir::{Const, Graph, IrOp, Node};
use super::shape::{broadcast, broadcast_indices, elements};
use super::value_ops::{Lookup, eval_generic, int_values};

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
    let mut env: BTreeMap<String, Const> = BTreeMap::new();
    for spec in &graph.inputs {
        let t = &inputs[&spec.name];
        if let TensorData::Int64(ids) = t.data() {
            let shape = t.shape().to_vec();
            env.insert(
                spec.name.clone(),
                Const::Int {
                    shape,
                    data: ids.clone(),
                },
            );
            continue;
        }
        let data = t.as_f32().map(<[f32]>::to_vec).unwrap_or_default();
        let ft = FTensor {
            shape: t.shape().to_vec(),
            data,
        };
        observe(&spec.name, &ft);
        env.insert(spec.name.clone(), ft.into());
    }
    for node in &graph.nodes {
        let out = eval_node(graph, &env, node).map_err(|reason| ExactError::Unsupported {
            node: node.name.clone(),
            reason,
        })?;
        let out = match out {
            Const::Float { shape, data } => {
                let t = FTensor { shape, data };
                observe(&node.output, &t);
                t.into()
            }
            int => int,
        };
        env.insert(node.output.clone(), out);
    }
    graph
        .outputs
        .iter()
        .map(|o| match env.remove(o) {
            Some(Const::Float { shape, data }) => Ok((o.clone(), FTensor { shape, data })),
            _ => Err(ExactError::InvalidModel {
                reason: format!("output `{o}` was not computed as a float tensor"),
            }),
        })
        .collect()
}

impl From<FTensor> for Const {
    fn from(t: FTensor) -> Const {
        Const::Float {
            shape: t.shape,
            data: t.data,
        }
    }
}

/// A tensor by name: a computed value of `env`, else a constant of `graph`.
fn lookup<'a>(graph: &'a Graph, env: &'a BTreeMap<String, Const>, name: &str) -> Result<&'a Const, String> {
    env.get(name)
        .or_else(|| graph.consts.get(name))
        .ok_or_else(|| format!("`{name}` is undefined"))
}

/// Evaluates one node whose operands are in `env` or `graph.consts`.
pub fn eval_node(graph: &Graph, env: &BTreeMap<String, Const>, node: &Node) -> Result<Const, String> {
    let get: &Lookup<'_> = &|name| lookup(graph, env, name);
    match eval_generic(get, node) {
        Some(r) => r,
        None => eval(graph, env, node).map(Const::from),
    }
}

/// A float operand: a computed tensor or a float constant.
fn operand(graph: &Graph, env: &BTreeMap<String, Const>, name: &str) -> Result<FTensor, String> {
    match lookup(graph, env, name)? {
        Const::Float { shape, data } => Ok(FTensor {
            shape: shape.clone(),
            data: data.clone(),
        }),
        Const::Int { .. } => Err(format!("`{name}` is an int64 tensor where a float tensor is expected")),
    }
}

/// A scalar float operand, if the input is present (empty names are omitted inputs).
fn scalar(graph: &Graph, env: &BTreeMap<String, Const>, node: &Node, i: usize) -> Result<Option<f32>, String> {
    match node.inputs.get(i).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(name) => match operand(graph, env, name)?.data.as_slice() {
            [v] => Ok(Some(*v)),
            _ => Err(format!("`{name}` must be a scalar")),
        },
    }
}

fn eval(graph: &Graph, env: &BTreeMap<String, Const>, node: &Node) -> Result<FTensor, String> {
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
        IrOp::Conv { window, group } => {
            let bias = if node.inputs.len() == 3 { Some(arg(2)?) } else { None };
            float_ops::conv(&arg(0)?, &arg(1)?, bias.as_ref(), window, *group)
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
                (None, Some(name)) => int_values(lookup(graph, env, name)?, "reduce axes")?.to_vec(),
                (None, None) => Vec::new(),
            };
            if axes.is_empty() && *noop_with_empty_axes {
                return arg(0);
            }
            float_nn::reduce(&arg(0)?, &axes, *keepdims, *mean)
        }
        IrOp::BatchNorm { epsilon } => {
            let p = [arg(1)?, arg(2)?, arg(3)?, arg(4)?];
            float_ops::batch_norm(&arg(0)?, [&p[0], &p[1], &p[2], &p[3]], *epsilon)
        }
        IrOp::MaxPool { window } => float_ops::pool(&arg(0)?, window, PoolKind::Max),
        IrOp::AveragePool {
            window,
            count_include_pad,
        } => float_ops::pool(&arg(0)?, window, PoolKind::Average(*count_include_pad)),
        IrOp::GlobalAveragePool => float_ops::global_average_pool(&arg(0)?),
        IrOp::Sub => float_ops::binary(&arg(0)?, &arg(1)?, |a, b| a - b),
        IrOp::Mul => float_ops::binary(&arg(0)?, &arg(1)?, |a, b| a * b),
        IrOp::Div => float_ops::binary(&arg(0)?, &arg(1)?, |a, b| a / b),
        IrOp::LeakyRelu { alpha } => Ok(float_ops::unary(arg(0)?, |v| if v >= 0.0 { v } else { alpha * v })),
        IrOp::Clip { min, max } => {
            let lo = min.or(scalar(graph, env, node, 1)?).unwrap_or(f32::NEG_INFINITY);
            let hi = max.or(scalar(graph, env, node, 2)?).unwrap_or(f32::INFINITY);
            Ok(float_ops::unary(arg(0)?, |v| v.max(lo).min(hi)))
        }
        // Evaluated for float and int64 tensors alike by `eval_generic`.
        IrOp::Identity
        | IrOp::Flatten { .. }
        | IrOp::Reshape
        | IrOp::Transpose { .. }
        | IrOp::Concat { .. }
        | IrOp::Squeeze { .. }
        | IrOp::Unsqueeze { .. }
        | IrOp::Slice { .. }
        | IrOp::Gather { .. }
        | IrOp::Shape { .. }
        | IrOp::Cast { .. } => Err(format!("{} is evaluated generically", node.op.name())),
    }
}

//! What constant folding knows about axis sizes: per activation axis,
//! whether its size is static, equal to a symbolic input dimension, or
//! unknown ([`AxisInfo`]); and int64 shape tensors whose entries may be
//! symbolic ([`SymDim`]), as `Shape` of a tensor with a dynamic batch
//! produces them. A Reshape whose target is such a tensor gets a constant
//! target when every symbolic entry can be expressed with ONNX's `0` (copy
//! the input's dimension) or a single `-1`.

use super::ir::{Const, IrOp, Node};
use super::layout;

/// What is known about the size of one activation axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisInfo {
    /// Independent of the symbolic input dimensions.
    Static,
    /// Always equal to symbolic input dimension number `.0`.
    Symbol(usize),
    /// Anything else.
    Dynamic,
}

/// One entry of an int64 shape tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymDim {
    Known(i64),
    /// The size of symbolic input dimension number `.0`.
    Symbol(usize),
    Unknown,
}

/// A shape tensor (rank ≤ 1) with possibly symbolic entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymInts {
    pub shape: Vec<usize>,
    pub data: Vec<SymDim>,
}

/// `Shape(x)`: entries `[start, end)` of `x`'s axes (ONNX clamping).
pub fn shape_of(shape: &[usize], info: &[AxisInfo], start: i64, end: Option<i64>) -> SymInts {
    let rank = shape.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(rank)));
    let data: Vec<SymDim> = (s..e.max(s))
        .map(|i| match info.get(i) {
            Some(AxisInfo::Static) => SymDim::Known(shape[i] as i64),
            Some(AxisInfo::Symbol(k)) => SymDim::Symbol(*k),
            _ => SymDim::Unknown,
        })
        .collect();
    SymInts {
        shape: vec![data.len()],
        data,
    }
}

/// Evaluates a data-movement node on symbolic shape tensors; operands are
/// symbolic (`sym`) or int64 constants (`konst`). `None` if the node is not
/// one this handles.
pub fn eval(
    node: &Node,
    sym: &dyn Fn(&str) -> Option<SymInts>,
    konst: &dyn Fn(&str) -> Option<Const>,
) -> Option<SymInts> {
    let arg = |i: usize| -> Option<SymInts> {
        let name = node.inputs.get(i)?;
        sym(name).or_else(|| match konst(name)? {
            Const::Int { shape, data } => Some(SymInts {
                shape,
                data: data.into_iter().map(SymDim::Known).collect(),
            }),
            Const::Float { .. } => None,
        })
    };
    let ints = |i: usize| -> Option<Vec<i64>> {
        match konst(node.inputs.get(i)?)? {
            Const::Int { data, .. } => Some(data),
            Const::Float { .. } => None,
        }
    };
    let x = arg(0)?;
    let t = |r: Result<layout::Tensor<SymDim>, String>| r.ok().map(|(shape, data)| SymInts { shape, data });
    match &node.op {
        IrOp::Identity | IrOp::Cast { to: 7 } => Some(x),
        IrOp::Gather { axis } => {
            let idx = konst(node.inputs.get(1)?)?;
            let Const::Int { shape, data } = idx else { return None };
            t(layout::gather(&x.shape, &x.data, *axis, &shape, &data))
        }
        IrOp::Unsqueeze { axes } => {
            let axes = axes.clone().or_else(|| ints(1))?;
            let shape = layout::unsqueeze_shape(&x.shape, &axes).ok()?;
            Some(SymInts { shape, data: x.data })
        }
        IrOp::Squeeze { axes } => {
            let axes = axes.clone().or_else(|| ints(1));
            let shape = layout::squeeze_shape(&x.shape, axes.as_deref()).ok()?;
            Some(SymInts { shape, data: x.data })
        }
        IrOp::Concat { axis } => {
            let parts = (0..node.inputs.len()).map(arg).collect::<Option<Vec<_>>>()?;
            let views: Vec<(&[usize], &[SymDim])> = parts.iter().map(|p| (&p.shape[..], &p.data[..])).collect();
            t(layout::concat(&views, *axis))
        }
        IrOp::Slice { attrs: None } => {
            let (starts, ends) = (ints(1)?, ints(2)?);
            let (axes, steps) = (ints(3), ints(4));
            t(layout::slice(
                &x.shape,
                &x.data,
                &starts,
                &ends,
                axes.as_deref(),
                steps.as_deref(),
            ))
        }
        _ => None,
    }
}

/// A constant Reshape target for `target` applied to a tensor whose axes
/// are `x`: a symbolic entry at position `i` becomes `0` when axis `i` of
/// `x` is the same symbolic dimension; one remaining unknown entry becomes
/// `-1` if there is no `-1` already. `None` if that does not resolve it.
pub fn reshape_target(target: &SymInts, x: &[AxisInfo]) -> Option<Vec<i64>> {
    if target.shape.len() != 1 {
        return None;
    }
    let mut out = Vec::with_capacity(target.data.len());
    let mut unresolved = None;
    for (i, d) in target.data.iter().enumerate() {
        out.push(match *d {
            SymDim::Known(v) => v,
            SymDim::Symbol(k) if x.get(i) == Some(&AxisInfo::Symbol(k)) => 0,
            _ if unresolved.is_none() => {
                unresolved = Some(i);
                -1
            }
            _ => return None,
        });
    }
    if unresolved.is_some() && out.iter().filter(|&&v| v == -1).count() > 1 {
        return None;
    }
    Some(out)
}

/// The axis information of `node`'s output (rank `rank`), from its inputs'
/// (`of(i)`: input `i`'s, all `Static` for constants) and calibrated shapes
/// (`dims(i)`).
pub fn rule(
    node: &Node,
    of: &dyn Fn(usize) -> Vec<AxisInfo>,
    dims: &dyn Fn(usize) -> Vec<usize>,
    reshape_spec: Option<&[i64]>,
    rank: usize,
) -> Vec<AxisInfo> {
    use AxisInfo::{Dynamic, Static};
    let all_static = |v: &[AxisInfo]| v.iter().all(|&a| a == Static);
    let x = of(0);
    let out: Vec<AxisInfo> = match &node.op {
        IrOp::Relu
        | IrOp::LeakyRelu { .. }
        | IrOp::Clip { .. }
        | IrOp::Identity
        | IrOp::Cast { .. }
        | IrOp::BatchNorm { .. } => x,
        IrOp::Add | IrOp::Sub | IrOp::Mul | IrOp::Div => (0..rank)
            .map(|i| {
                // Operands that have this axis and do not broadcast along it.
                let mut seen: Vec<AxisInfo> = Vec::new();
                for k in 0..2 {
                    let (info, d) = (of(k), dims(k));
                    let Some(j) = (i + info.len()).checked_sub(rank) else {
                        continue;
                    };
                    let a = info.get(j).copied().unwrap_or(Dynamic);
                    if !(a == Static && d.get(j) == Some(&1)) {
                        seen.push(a);
                    }
                }
                match seen.as_slice() {
                    [] => Static,
                    [a] => *a,
                    [a, b] if a == b => *a,
                    s if s.contains(&Static) => Static,
                    _ => Dynamic,
                }
            })
            .collect(),
        IrOp::Conv { .. } | IrOp::MaxPool { .. } | IrOp::AveragePool { .. } if x.len() == rank => x
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                if i == 1 || a == Static {
                    Static
                } else if i == 0 {
                    a
                } else {
                    Dynamic
                }
            })
            .collect(),
        IrOp::GlobalAveragePool if !x.is_empty() => (0..rank).map(|i| if i == 0 { x[0] } else { Static }).collect(),
        IrOp::Gemm { trans_a, .. } if x.len() == 2 && rank == 2 => vec![x[usize::from(*trans_a)], Static],
        IrOp::MatMul if x.len() == rank && rank > 0 => {
            (0..rank).map(|i| if i + 1 == rank { Static } else { x[i] }).collect()
        }
        IrOp::Flatten { axis } => {
            let a = if *axis < 0 { *axis + x.len() as i64 } else { *axis }.clamp(0, x.len() as i64) as usize;
            let part = |p: &[AxisInfo]| match p {
                [one] => *one,
                p if all_static(p) => Static,
                _ => Dynamic,
            };
            vec![part(&x[..a]), part(&x[a..])]
        }
        IrOp::Reshape => match reshape_spec {
            Some(spec) if spec.len() == rank => spec
                .iter()
                .enumerate()
                .map(|(i, &d)| match d {
                    d if d > 0 => Static,
                    0 => x.get(i).copied().unwrap_or(Dynamic),
                    _ if all_static(&x) => Static,
                    _ => Dynamic,
                })
                .collect(),
            _ => vec![Dynamic; rank],
        },
        IrOp::Transpose { perm } if x.len() == rank => match perm {
            Some(p) => p
                .iter()
                .map(|&a| {
                    usize::try_from(a)
                        .ok()
                        .and_then(|a| x.get(a).copied())
                        .unwrap_or(Dynamic)
                })
                .collect(),
            None => x.iter().rev().copied().collect(),
        },
        IrOp::Concat { axis } => {
            let parts: Vec<Vec<AxisInfo>> = (0..node.inputs.len()).map(of).collect();
            let a = if *axis < 0 { *axis + rank as i64 } else { *axis };
            (0..rank)
                .map(|i| {
                    let infos: Vec<AxisInfo> = parts.iter().map(|p| p.get(i).copied().unwrap_or(Dynamic)).collect();
                    if i as i64 == a {
                        if all_static(&infos) { Static } else { Dynamic }
                    } else if infos.contains(&Static) {
                        Static
                    } else {
                        infos
                            .iter()
                            .copied()
                            .find(|i| matches!(i, AxisInfo::Symbol(_)))
                            .unwrap_or(Dynamic)
                    }
                })
                .collect()
        }
        _ => {
            let inputs_static = (0..node.inputs.len()).all(|i| all_static(&of(i)));
            vec![if inputs_static { Static } else { Dynamic }; rank]
        }
    };
    if out.len() == rank { out } else { vec![Dynamic; rank] }
}

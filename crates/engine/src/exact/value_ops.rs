//! The float reference's ops that work on float32 and int64 tensors alike:
//! data movement (Transpose, Concat, Squeeze, Unsqueeze, Slice, Gather,
//! Reshape, Flatten, Identity), `Shape`, `Cast`, and integer arithmetic
//! (`Add`, `Sub`, `Mul`, `Div` of two int64 tensors) as exporters use it
//! on shapes. Constant folding evaluates these too.

use super::ir::{Const, IrOp, Node};
use super::layout::{self, Tensor};
use super::shape::{broadcast, broadcast_indices, elements, flatten_shape, reshape_target};

/// Looks a tensor up by name (computed values first, then constants).
pub type Lookup<'a> = dyn Fn(&str) -> Result<&'a Const, String> + 'a;

/// The int64 values of a constant-like operand (axes, starts, ...).
pub fn int_values<'a>(c: &'a Const, what: &str) -> Result<&'a [i64], String> {
    match c {
        Const::Int { data, .. } => Ok(data),
        Const::Float { .. } => Err(format!("{what} must be int64")),
    }
}

fn optional<'a>(get: &Lookup<'a>, node: &Node, i: usize) -> Result<Option<&'a Const>, String> {
    match node.inputs.get(i) {
        Some(name) if !name.is_empty() => get(name).map(Some),
        _ => Ok(None),
    }
}

/// Applies a data-movement rule to a float or an int tensor alike.
fn remap(
    c: &Const,
    f32s: impl Fn(&[usize], &[f32]) -> Result<Tensor<f32>, String>,
    i64s: impl Fn(&[usize], &[i64]) -> Result<Tensor<i64>, String>,
) -> Result<Const, String> {
    Ok(match c {
        Const::Float { shape, data } => {
            let (shape, data) = f32s(shape, data)?;
            Const::Float { shape, data }
        }
        Const::Int { shape, data } => {
            let (shape, data) = i64s(shape, data)?;
            Const::Int { shape, data }
        }
    })
}

/// The same data under a new shape.
fn reshaped(c: &Const, shape: Vec<usize>) -> Const {
    match c {
        Const::Float { data, .. } => Const::Float {
            shape,
            data: data.clone(),
        },
        Const::Int { data, .. } => Const::Int {
            shape,
            data: data.clone(),
        },
    }
}

/// Evaluates `node` if it is one of this module's ops (`None` otherwise;
/// `Add`..`Div` only when both operands are int64).
pub fn eval_generic<'a>(get: &Lookup<'a>, node: &Node) -> Option<Result<Const, String>> {
    let is_int = |i: usize| {
        node.inputs
            .get(i)
            .is_some_and(|n| matches!(get(n), Ok(Const::Int { .. })))
    };
    let generic = match &node.op {
        op if op.is_data_movement() => true,
        IrOp::Add | IrOp::Sub | IrOp::Mul | IrOp::Div => is_int(0) && is_int(1),
        _ => false,
    };
    generic.then(|| eval(get, node))
}

fn eval<'a>(get: &Lookup<'a>, node: &Node) -> Result<Const, String> {
    let x = || get(&node.inputs[0]);
    match &node.op {
        IrOp::Identity => Ok(x()?.clone()),
        IrOp::Reshape => {
            let x = x()?;
            let spec = int_values(get(&node.inputs[1])?, "Reshape shape")?;
            Ok(reshaped(x, reshape_target(x.shape(), spec)?))
        }
        IrOp::Flatten { axis } => {
            let x = x()?;
            Ok(reshaped(x, flatten_shape(x.shape(), *axis)?))
        }
        IrOp::Transpose { perm } => {
            let x = x()?;
            let rank = x.shape().len();
            let perm: Vec<usize> = match perm {
                Some(p) => p
                    .iter()
                    .map(|&a| layout::normalize_axis(a, rank))
                    .collect::<Result<_, _>>()?,
                None => (0..rank).rev().collect(),
            };
            remap(
                x,
                |s, d| layout::transpose(s, d, &perm),
                |s, d| layout::transpose(s, d, &perm),
            )
        }
        IrOp::Concat { axis } => {
            let parts = node.inputs.iter().map(|n| get(n)).collect::<Result<Vec<_>, _>>()?;
            if let Some(floats) = parts
                .iter()
                .map(|c| match c {
                    Const::Float { shape, data } => Some((shape.as_slice(), data.as_slice())),
                    Const::Int { .. } => None,
                })
                .collect::<Option<Vec<_>>>()
            {
                let (shape, data) = layout::concat(&floats, *axis)?;
                return Ok(Const::Float { shape, data });
            }
            let ints = parts
                .iter()
                .map(|c| match c {
                    Const::Int { shape, data } => Ok((shape.as_slice(), data.as_slice())),
                    Const::Float { .. } => Err("Concat of float and int64 tensors".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (shape, data) = layout::concat(&ints, *axis)?;
            Ok(Const::Int { shape, data })
        }
        IrOp::Squeeze { axes } => {
            let x = x()?;
            let axes = match (axes, optional(get, node, 1)?) {
                (Some(a), _) => Some(a.as_slice()),
                (None, Some(c)) => Some(int_values(c, "Squeeze axes")?),
                (None, None) => None,
            };
            Ok(reshaped(x, layout::squeeze_shape(x.shape(), axes)?))
        }
        IrOp::Unsqueeze { axes } => {
            let x = x()?;
            let axes = match (axes, optional(get, node, 1)?) {
                (Some(a), _) => a.as_slice(),
                (None, Some(c)) => int_values(c, "Unsqueeze axes")?,
                (None, None) => return Err("Unsqueeze without axes".into()),
            };
            Ok(reshaped(x, layout::unsqueeze_shape(x.shape(), axes)?))
        }
        IrOp::Slice { attrs } => {
            let x = x()?;
            let arg = |i: usize, what: &str| -> Result<Option<&[i64]>, String> {
                optional(get, node, i)?.map(|c| int_values(c, what)).transpose()
            };
            let (starts, ends, axes, steps) = match attrs {
                Some(a) => (a.starts.as_slice(), a.ends.as_slice(), a.axes.as_deref(), None),
                None => (
                    arg(1, "Slice starts")?.ok_or("Slice without starts")?,
                    arg(2, "Slice ends")?.ok_or("Slice without ends")?,
                    arg(3, "Slice axes")?,
                    arg(4, "Slice steps")?,
                ),
            };
            remap(
                x,
                |s, d| layout::slice(s, d, starts, ends, axes, steps),
                |s, d| layout::slice(s, d, starts, ends, axes, steps),
            )
        }
        IrOp::Gather { axis } => {
            let x = x()?;
            let idx = get(&node.inputs[1])?;
            let indices = int_values(idx, "Gather indices")?;
            remap(
                x,
                |s, d| layout::gather(s, d, *axis, idx.shape(), indices),
                |s, d| layout::gather(s, d, *axis, idx.shape(), indices),
            )
        }
        IrOp::Shape { start, end } => Ok(shape_values(x()?.shape(), *start, *end)),
        IrOp::Cast { to } => cast(x()?, *to),
        IrOp::Add | IrOp::Sub | IrOp::Mul | IrOp::Div => {
            let (a, b) = (x()?, get(&node.inputs[1])?);
            let (Const::Int { shape: sa, data: da }, Const::Int { shape: sb, data: db }) = (a, b) else {
                return Err(format!("{} of float and int64 tensors", node.op.name()));
            };
            int_arith(&node.op, sa, da, sb, db)
        }
        other => Err(format!("{} is not a generic op", other.name())),
    }
}

/// ONNX `Shape`: axes `[start, end)` of `shape` as a 1-D int64 tensor
/// (negative bounds count from the end; both clamped to `[0, rank]`).
pub fn shape_values(shape: &[usize], start: i64, end: Option<i64>) -> Const {
    let rank = shape.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(rank)));
    let data: Vec<i64> = shape[s..e.max(s)].iter().map(|&d| d as i64).collect();
    Const::Int {
        shape: vec![data.len()],
        data,
    }
}

/// `Cast` between float32 (code 1) and int64 (code 7); float to int
/// truncates toward zero and refuses non-finite or out-of-range values.
fn cast(x: &Const, to: i32) -> Result<Const, String> {
    Ok(match (x, to) {
        (Const::Float { shape, data }, 7) => Const::Int {
            shape: shape.clone(),
            data: data
                .iter()
                .map(|&v| {
                    let t = v.trunc();
                    if t.is_finite() && t.abs() < 9.2e18 {
                        Ok(t as i64)
                    } else {
                        Err(format!("cannot cast {v} to int64"))
                    }
                })
                .collect::<Result<_, _>>()?,
        },
        (Const::Int { shape, data }, 1) => Const::Float {
            shape: shape.clone(),
            data: data.iter().map(|&v| v as f32).collect(),
        },
        (same, _) => same.clone(),
    })
}

/// int64 arithmetic with numpy broadcasting; overflow and division by zero
/// are errors; `Div` truncates toward zero (as C and onnxruntime do).
fn int_arith(op: &IrOp, sa: &[usize], da: &[i64], sb: &[usize], db: &[i64]) -> Result<Const, String> {
    let shape = broadcast(sa, sb)?;
    let mut data = Vec::with_capacity(elements(&shape)?);
    let mut failed = false;
    broadcast_indices(&shape, sa, sb, |i, j| {
        let (x, y) = (da[i], db[j]);
        let r = match op {
            IrOp::Add => x.checked_add(y),
            IrOp::Sub => x.checked_sub(y),
            IrOp::Mul => x.checked_mul(y),
            _ => x.checked_div(y),
        };
        failed |= r.is_none();
        data.push(r.unwrap_or(0));
    });
    if failed {
        return Err(format!("int64 {} overflows or divides by zero", op.name()));
    }
    Ok(Const::Int { shape, data })
}

//! Import of the transformer ops: pointwise functions (Sigmoid, Tanh, Erf,
//! Gelu), Softmax, LayerNormalization, ReduceSum and ReduceMean; and a
//! rewrite pass over the ONNX graph that runs before conversion:
//!
//! - the exporter form of GELU, `x · 0.5 · (1 + erf(x / √2))` (in any of
//!   the three usual association orders, with `/ √2` or `· (1/√2)`), becomes
//!   one `Gelu` node when none of its intermediate tensors has another
//!   reader or is a graph output;
//! - `Softmax` of opsets before 13 (which flattens the input to 2-D at
//!   `axis`, default 1) is marked with [`LEGACY_SOFTMAX`] and its axis made
//!   explicit.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use tract_onnx::pb::{AttributeProto, GraphProto, NodeProto, TensorProto};

use super::ExactError;
use super::import::{attr, attr_f, attr_i};
use super::ir::IrOp;
use super::nonlinear::Pointwise;

/// The attribute the rewrite pass adds to a `Softmax` of opset < 13.
pub const LEGACY_SOFTMAX: &str = "veris_legacy_2d";

fn unsupported(node: &str, reason: impl Into<String>) -> ExactError {
    ExactError::Unsupported {
        node: node.to_string(),
        reason: reason.into(),
    }
}

fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

/// One ONNX node of this group as an IR op; `None` if `op_type` is not one.
pub(super) fn convert(n: &NodeProto, op_type: &str, node: &str) -> Result<Option<IrOp>, ExactError> {
    Ok(Some(match op_type {
        "Sigmoid" => IrOp::Pointwise(Pointwise::Sigmoid),
        "Tanh" => IrOp::Pointwise(Pointwise::Tanh),
        "Erf" => IrOp::Pointwise(Pointwise::Erf),
        "Gelu" => match attr(n, "approximate").map(|a| a.s.as_slice()) {
            None | Some(b"none") => IrOp::Pointwise(Pointwise::Gelu),
            Some(b"tanh") => IrOp::Pointwise(Pointwise::GeluTanh),
            Some(other) => {
                return Err(unsupported(
                    node,
                    format!("Gelu approximate = {:?}", String::from_utf8_lossy(other)),
                ));
            }
        },
        "Softmax" => IrOp::Softmax {
            axis: attr_i(n, "axis", -1),
            legacy: attr_i(n, LEGACY_SOFTMAX, 0) != 0,
        },
        "LayerNormalization" => IrOp::LayerNorm {
            axis: attr_i(n, "axis", -1),
            epsilon: attr_f(n, "epsilon", 1e-5),
        },
        "ReduceSum" | "ReduceMean" => IrOp::Reduce {
            mean: op_type == "ReduceMean",
            axes: attr_ints(n, "axes"),
            keepdims: attr_i(n, "keepdims", 1) != 0,
            noop_with_empty_axes: attr_i(n, "noop_with_empty_axes", 0) != 0,
        },
        _ => return Ok(None),
    }))
}

/// The input counts of this group's ops; `None` for other ops.
pub(super) fn arity(op: &IrOp) -> Option<RangeInclusive<usize>> {
    Some(match op {
        IrOp::Pointwise(_) | IrOp::Softmax { .. } => 1..=1,
        IrOp::LayerNorm { .. } => 2..=3,
        IrOp::Reduce { axes: Some(_), .. } => 1..=1,
        IrOp::Reduce { axes: None, .. } => 1..=2,
        _ => return None,
    })
}

/// The rewrite pass (see the module documentation); `opset` is the
/// model's `ai.onnx` opset version.
pub(super) fn rewrite(g: &mut GraphProto, opset: i64) {
    if opset < 13 {
        for n in g.node.iter_mut().filter(|n| n.op_type == "Softmax") {
            let axis = attr_i(n, "axis", 1);
            n.attribute.retain(|a| a.name != "axis" && a.name != LEGACY_SOFTMAX);
            n.attribute.push(int_attr("axis", axis));
            n.attribute.push(int_attr(LEGACY_SOFTMAX, 1));
        }
    }
    while let Some((remove, gelu)) = find_gelu(g) {
        let at = remove.iter().copied().max().unwrap_or(0);
        g.node[at] = gelu;
        let mut i = 0;
        g.node.retain(|_| {
            i += 1;
            i - 1 == at || !remove.contains(&(i - 1))
        });
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

/// A float scalar: an initializer or `Constant` output with one element.
fn scalar(g: &GraphProto, name: &str) -> Option<f32> {
    let from = |t: &TensorProto| -> Option<f32> {
        if t.data_type != 1 || t.dims.iter().product::<i64>() != 1 {
            return None;
        }
        match (t.float_data.as_slice(), t.raw_data.as_slice()) {
            ([v], []) => Some(*v),
            ([], [a, b, c, d]) => Some(f32::from_le_bytes([*a, *b, *c, *d])),
            _ => None,
        }
    };
    if let Some(t) = g.initializer.iter().find(|t| t.name == name) {
        return from(t);
    }
    g.node
        .iter()
        .find(|n| n.op_type == "Constant" && n.output.first().is_some_and(|o| o == name))
        .and_then(|n| attr(n, "value"))
        .and_then(|a| a.t.as_ref())
        .and_then(from)
}

fn near(v: Option<f32>, target: f64) -> bool {
    v.is_some_and(|v| (f64::from(v) - target).abs() <= 1e-6 * target.abs())
}

/// Matching state: the graph, tensor readers, and graph outputs.
struct Matcher<'g> {
    g: &'g GraphProto,
    readers: BTreeMap<&'g str, Vec<usize>>,
}

impl<'g> Matcher<'g> {
    /// The one node reading `t`, if `t` is read once and not a graph output.
    fn sole_reader(&self, t: &str) -> Option<usize> {
        if self.g.output.iter().any(|o| o.name == t) {
            return None;
        }
        match self.readers.get(t).map(Vec::as_slice) {
            Some(&[i]) if self.g.node[i].input.iter().filter(|x| *x == t).count() == 1 => Some(i),
            _ => None,
        }
    }

    fn node(&self, i: usize, op: &str) -> Option<&'g NodeProto> {
        let n = &self.g.node[i];
        (n.op_type == op && n.domain.is_empty() && n.input.len() == 2 && n.output.len() == 1).then_some(n)
    }

    /// For a binary node with `known` as one input, the other input.
    fn other<'n>(n: &'n NodeProto, known: &str) -> Option<&'n str> {
        match (n.input[0].as_str(), n.input[1].as_str()) {
            (a, b) if a == known => Some(b),
            (a, b) if b == known => Some(a),
            _ => None,
        }
    }
}

/// Finds one GELU pattern: the nodes to remove and the `Gelu` node.
fn find_gelu(g: &GraphProto) -> Option<(Vec<usize>, NodeProto)> {
    let mut readers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for x in &n.input {
            readers.entry(x.as_str()).or_default().push(i);
        }
    }
    let m = Matcher { g, readers };
    g.node
        .iter()
        .enumerate()
        .filter(|(_, n)| n.op_type == "Erf" && n.domain.is_empty() && n.input.len() == 1 && n.output.len() == 1)
        .find_map(|(ie, e)| match_gelu(&m, ie, e))
}

fn match_gelu(m: &Matcher<'_>, ie: usize, e: &NodeProto) -> Option<(Vec<usize>, NodeProto)> {
    let g = m.g;
    // u = x / √2 or x · (1/√2), read only by the Erf.
    let iu = g.node.iter().position(|n| n.output.first() == Some(&e.input[0]))?;
    let u = &g.node[iu];
    let x = match (u.op_type.as_str(), u.input.as_slice()) {
        ("Div", [x, c]) if near(scalar(g, c), std::f64::consts::SQRT_2) => x.clone(),
        ("Mul", [a, b]) if near(scalar(g, b), std::f64::consts::FRAC_1_SQRT_2) => a.clone(),
        ("Mul", [a, b]) if near(scalar(g, a), std::f64::consts::FRAC_1_SQRT_2) => b.clone(),
        _ => return None,
    };
    if m.sole_reader(&u.output[0]) != Some(ie) {
        return None;
    }
    // p = erf + 1
    let ip = m.sole_reader(&e.output[0])?;
    let p = m.node(ip, "Add")?;
    if !near(scalar(g, Matcher::other(p, &e.output[0])?), 1.0) {
        return None;
    }
    let im1 = m.sole_reader(&p.output[0])?;
    let m1 = m.node(im1, "Mul")?;
    let with_m1 = Matcher::other(m1, &p.output[0])?;
    let half = |name: &str| near(scalar(g, name), 0.5);
    let (mut remove, y) = if with_m1 == x {
        // (x · p) · 0.5
        let im2 = m.sole_reader(&m1.output[0])?;
        let m2 = m.node(im2, "Mul")?;
        half(Matcher::other(m2, &m1.output[0])?).then_some(())?;
        (vec![im2], m2.output[0].clone())
    } else if half(with_m1) {
        // x · (p · 0.5)
        let im2 = m.sole_reader(&m1.output[0])?;
        let m2 = m.node(im2, "Mul")?;
        (Matcher::other(m2, &m1.output[0])? == x).then_some(())?;
        (vec![im2], m2.output[0].clone())
    } else {
        // (x · 0.5) · p
        let ih = g
            .node
            .iter()
            .position(|n| n.output.first().map(String::as_str) == Some(with_m1))?;
        let h = m.node(ih, "Mul")?;
        (Matcher::other(h, &x).is_some_and(half) && m.sole_reader(with_m1) == Some(im1)).then_some(())?;
        (vec![ih], m1.output[0].clone())
    };
    remove.extend([iu, ie, ip, im1]);
    let gelu = NodeProto {
        op_type: "Gelu".into(),
        name: if e.name.is_empty() {
            format!("{y}/gelu")
        } else {
            e.name.clone()
        },
        input: vec![x],
        output: vec![y],
        ..Default::default()
    };
    Some((remove, gelu))
}

//! Compiling pooling, element-wise (Relu, Add, Sub, Mul, Div, LeakyRelu,
//! Clip) and layout ops (Flatten, Reshape, Transpose, Concat, Squeeze,
//! Unsqueeze, Slice, Gather, Cast).
//!
//! Scales: MaxPool, LeakyRelu, Clip and the layout ops keep their input's
//! scale; AveragePool, GlobalAveragePool, Sub, Mul and Concat requantize to
//! their output's calibrated scale.

use super::ExactError;
use super::compile::{Compiler, unsupported};
use super::elementwise::{Clip, LeakyRelu, Mul, Sub};
use super::ir::{IrOp, Node};
use super::layout::normalize_axis;
use super::layout_ops::{Concat, Gather, Slice, Squeeze, Transpose, Unsqueeze};
use super::model::ExactOp;
use super::pool::{AvgPool, GlobalAvgPool, MAX_AVERAGE_SHIFT, MaxPool};
use super::window::resolve;

impl Compiler<'_> {
    pub(super) fn pool(&mut self, node: &Node) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let window = |attrs: &super::ir::WindowAttrs| {
            let kernel = match attrs.kernel_shape.as_slice() {
                &[a, b] => [u32::try_from(a).unwrap_or(0), u32::try_from(b).unwrap_or(0)],
                k => return Err(unsupported(node, format!("kernel_shape {k:?} (2-D pooling only)"))),
            };
            resolve(attrs, kernel, self.static_hw(&node.inputs[0])).map_err(|e| unsupported(node, e))
        };
        let average_ratio = |s_out: f64| {
            let r = self.ratio(x.scale / s_out, &node.output)?;
            if r.shift > MAX_AVERAGE_SHIFT {
                return Err(unsupported(
                    node,
                    format!("average rescale {} too small", x.scale / s_out),
                ));
            }
            Ok(r)
        };
        let s_out = self.scale_of(&node.output);
        let (op, scale) = match &node.op {
            IrOp::MaxPool { window: attrs } => {
                let window = window(attrs)?;
                (ExactOp::MaxPool(MaxPool { input: x.id, window }), x.scale)
            }
            IrOp::AveragePool {
                window: attrs,
                count_include_pad,
            } => {
                let op = AvgPool {
                    input: x.id,
                    window: window(attrs)?,
                    count_include_pad: *count_include_pad,
                    requant: average_ratio(s_out)?,
                };
                (ExactOp::AvgPool(op), s_out)
            }
            _ => {
                let op = GlobalAvgPool {
                    input: x.id,
                    requant: average_ratio(s_out)?,
                };
                (ExactOp::GlobalAvgPool(op), s_out)
            }
        };
        let check = op.ext().map(|o| o.check(self.bits));
        if let Some(Err(e)) = check {
            return Err(unsupported(node, e));
        }
        self.push_op(op, &node.output, scale);
        Ok(())
    }

    /// Relu, and Identity (an alias).
    pub(super) fn unary(&mut self, node: &Node) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        if node.op == IrOp::Identity {
            self.values.insert(node.output.clone(), x);
        } else {
            self.push_op(ExactOp::Relu { input: x.id }, &node.output, x.scale);
        }
        Ok(())
    }

    /// Add, Sub, Mul, and Div by a constant (a Mul by its reciprocal).
    pub(super) fn arith(&mut self, node: &Node) -> Result<(), ExactError> {
        let a = self.operand(node, &node.inputs[0])?;
        let b = if node.op == IrOp::Div {
            let (shape, data) = self
                .float_const(&node.inputs[1])
                .ok_or_else(|| unsupported(node, "Div by a computed tensor (only constant divisors)"))?;
            if data.iter().any(|&v| v == 0.0 || !v.is_finite()) {
                return Err(unsupported(
                    node,
                    "Div by a constant containing 0 or a non-finite value",
                ));
            }
            let reciprocal: Vec<f32> = data.iter().map(|&v| (1.0 / f64::from(v)) as f32).collect();
            self.quantize_const(shape, &reciprocal)
        } else {
            self.operand(node, &node.inputs[1])?
        };
        if a.is_const() && b.is_const() {
            return Err(unsupported(node, format!("{} of two constants", node.op.name())));
        }
        let (out, relu) = self.fuse_relu(node.output.clone());
        let s_out = self.scale_of(&out);
        let op = if let IrOp::Add | IrOp::Sub = node.op {
            let (requant_a, requant_b) = (self.ratio(a.scale / s_out, &out)?, self.ratio(b.scale / s_out, &out)?);
            let (a, b) = (a.id, b.id);
            if node.op == IrOp::Add {
                ExactOp::Add {
                    a,
                    b,
                    requant_a,
                    requant_b,
                    relu,
                }
            } else {
                ExactOp::Sub(Sub {
                    a,
                    b,
                    requant_a,
                    requant_b,
                    relu,
                })
            }
        } else {
            ExactOp::Mul(Mul {
                a: a.id,
                b: b.id,
                requant: self.ratio(a.scale * b.scale / s_out, &out)?,
                relu,
            })
        };
        self.push_op(op, &out, s_out);
        Ok(())
    }

    pub(super) fn leaky_relu(&mut self, node: &Node, alpha: f32) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let op = if alpha == 0.0 {
            ExactOp::Relu { input: x.id }
        } else if alpha > 0.0 && alpha.is_finite() {
            ExactOp::LeakyRelu(LeakyRelu {
                input: x.id,
                requant: self.ratio(f64::from(alpha), &node.output)?,
            })
        } else {
            return Err(unsupported(node, format!("LeakyRelu with alpha {alpha}")));
        };
        self.push_op(op, &node.output, x.scale);
        Ok(())
    }

    /// The `[min, max]` of a Clip node: attributes or constant scalar
    /// inputs (`None` for a missing bound).
    pub(super) fn clip_bounds(&self, node: &Node) -> Result<[Option<f32>; 2], ExactError> {
        let IrOp::Clip { min, max } = node.op else {
            return Err(unsupported(node, "not a Clip"));
        };
        let bound = |attr: Option<f32>, i: usize| -> Result<Option<f32>, ExactError> {
            match (attr, node.inputs.get(i).filter(|n| !n.is_empty())) {
                (Some(v), _) => Ok(Some(v)),
                (None, None) => Ok(None),
                (None, Some(name)) => match self.float_const(name) {
                    Some((_, [v])) => Ok(Some(*v)),
                    _ => Err(unsupported(
                        node,
                        format!("Clip bound `{name}` is not a constant scalar"),
                    )),
                },
            }
        };
        Ok([bound(min, 1)?, bound(max, 2)?])
    }

    /// Bounds quantized at the input scale, `round(bound / s)` saturated.
    pub(super) fn clip(&mut self, node: &Node) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let [min, max] = self.clip_bounds(node)?;
        let (qmin, qmax) = (self.bits.qmin(), self.bits.qmax());
        let q = |v: Option<f32>, default: i64| {
            v.map_or(default, |v| {
                (f64::from(v) / x.scale).round().clamp(qmin as f64, qmax as f64) as i64
            })
        };
        let op = Clip {
            input: x.id,
            lo: q(min, qmin),
            hi: q(max, qmax),
        };
        self.push_op(ExactOp::Clip(op), &node.output, x.scale);
        Ok(())
    }

    /// An int64 operand that must be a constant (axes, starts, indices).
    fn const_ints(&self, node: &Node, i: usize, what: &str) -> Result<Option<Vec<i64>>, ExactError> {
        match node.inputs.get(i).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(name) => self
                .int_const(name)
                .map(|v| Some(v.to_vec()))
                .ok_or_else(|| unsupported(node, format!("{what} `{name}` is not a constant int64 tensor"))),
        }
    }

    pub(super) fn layout(&mut self, node: &Node) -> Result<(), ExactError> {
        if let IrOp::Concat { axis } = node.op {
            return self.concat(node, axis);
        }
        let x = self.activation(node, &node.inputs[0])?;
        let input = x.id;
        let rank = self.shape_of(node, &node.inputs[0])?.len();
        let op = match &node.op {
            IrOp::Cast { to: 1 } => {
                self.values.insert(node.output.clone(), x);
                return Ok(());
            }
            IrOp::Flatten { axis } => ExactOp::Flatten { input, axis: *axis },
            IrOp::Reshape => {
                let shape = self
                    .int_const(&node.inputs[1])
                    .ok_or_else(|| unsupported(node, "Reshape needs a constant int64 shape"))?;
                ExactOp::Reshape {
                    input,
                    shape: shape.to_vec(),
                }
            }
            IrOp::Transpose { perm } => {
                let perm = match perm {
                    Some(p) => p
                        .iter()
                        .map(|&a| normalize_axis(a, rank).map(|a| a as u8))
                        .collect::<Result<_, _>>()
                        .map_err(|e| unsupported(node, e))?,
                    None => (0..rank as u8).rev().collect(),
                };
                ExactOp::Transpose(Transpose { input, perm })
            }
            IrOp::Squeeze { axes } => {
                let axes = axes
                    .clone()
                    .or(self.const_ints(node, 1, "Squeeze axes")?)
                    .unwrap_or_default();
                ExactOp::Squeeze(Squeeze { input, axes })
            }
            IrOp::Unsqueeze { axes } => {
                let axes = axes
                    .clone()
                    .or(self.const_ints(node, 1, "Unsqueeze axes")?)
                    .ok_or_else(|| unsupported(node, "Unsqueeze without axes"))?;
                ExactOp::Unsqueeze(Unsqueeze { input, axes })
            }
            IrOp::Slice { attrs } => {
                let (starts, ends, axes, steps) = match attrs {
                    Some(a) => (a.starts.clone(), a.ends.clone(), a.axes.clone(), None),
                    None => (
                        self.const_ints(node, 1, "Slice starts")?.unwrap_or_default(),
                        self.const_ints(node, 2, "Slice ends")?.unwrap_or_default(),
                        self.const_ints(node, 3, "Slice axes")?,
                        self.const_ints(node, 4, "Slice steps")?,
                    ),
                };
                let n = starts.len();
                ExactOp::Slice(Slice {
                    input,
                    axes: axes.unwrap_or_else(|| (0..n as i64).collect()),
                    steps: steps.unwrap_or_else(|| vec![1; n]),
                    starts,
                    ends,
                })
            }
            IrOp::Gather { axis } => {
                let name = &node.inputs[1];
                let (index_shape, indices) = match self.graph.consts.get(name) {
                    Some(super::ir::Const::Int { shape, data }) => (shape.clone(), data.clone()),
                    _ => return Err(unsupported(node, "Gather by computed or float indices")),
                };
                ExactOp::Gather(Gather {
                    input,
                    axis: *axis,
                    index_shape,
                    indices,
                })
            }
            other => return Err(unsupported(node, format!("{} of an activation", other.name()))),
        };
        if let Some(Err(e)) = op.ext().map(|o| o.check(self.bits)) {
            return Err(unsupported(node, e));
        }
        self.push_op(op, &node.output, x.scale);
        Ok(())
    }

    /// Each input rescaled to the output's calibrated scale.
    fn concat(&mut self, node: &Node, axis: i64) -> Result<(), ExactError> {
        let s_out = self.scale_of(&node.output);
        let (mut inputs, mut requant) = (Vec::new(), Vec::new());
        for name in &node.inputs {
            let v = self.operand(node, name)?;
            inputs.push(v.id);
            requant.push(self.ratio(v.scale / s_out, &node.output)?);
        }
        let op = ExactOp::Concat(Concat { inputs, requant, axis });
        if let Some(Err(e)) = op.ext().map(|o| o.check(self.bits)) {
            return Err(unsupported(node, e));
        }
        self.push_op(op, &node.output, s_out);
        Ok(())
    }
}

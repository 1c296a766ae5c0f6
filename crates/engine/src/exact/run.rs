//! The integer runner: quantize inputs, execute the program, dequantize the
//! float view. No floating point between input quantization and output
//! dequantization.

use std::borrow::Cow;

use veris_core::spec::check_inputs;
use veris_core::{Tensor, TensorData, TensorMap};

use super::ExactError;
use super::kernels::{fits_i32, linear_acc};
use super::model::{Bits, ExactModel, ExactOp, IntTensor, Linear};
use super::quant::quantize_input;
use super::shape::{broadcast, broadcast_indices, elements, flatten_shape, reshape_target};
use super::trace::{NoTrace, TraceObserver};

/// The result of an exact run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactOutputs {
    /// The program's integer outputs: `int8` for 8-bit models, `int32`
    /// holding int16 values for 16-bit models (Veris tensors have no int16).
    pub quantized: TensorMap,
    /// `float32(q · scale)` per output: a convenience view, not part of the
    /// exact result.
    pub dequantized: TensorMap,
}

impl ExactModel {
    /// Runs the program on float32 inputs (validated like the float
    /// engine's: names, dtypes, shapes, finiteness).
    pub fn run(&self, inputs: &TensorMap) -> Result<ExactOutputs, ExactError> {
        self.run_traced(inputs, &mut NoTrace)
    }

    /// [`ExactModel::run`], reporting every input and op to `observer`.
    pub fn run_traced(&self, inputs: &TensorMap, observer: &mut dyn TraceObserver) -> Result<ExactOutputs, ExactError> {
        check_inputs(&self.input_specs(), inputs, true)?;
        let (lo, hi) = (self.bits.qmin(), self.bits.qmax());
        let mut values: Vec<Cow<'_, IntTensor>> =
            Vec::with_capacity(self.inputs.len() + self.consts.len() + self.ops.len());
        for (index, input) in self.inputs.iter().enumerate() {
            let t = &inputs[&input.spec.name];
            let data = match (input.quant, t.data()) {
                (Some(r), TensorData::Float32(x)) => x.iter().map(|&x| quantize_input(x, r, lo, hi)).collect(),
                (None, TensorData::Int64(ids)) => self.check_indices(index, ids)?,
                // `check_inputs` compared every dtype with the spec's.
                _ => Vec::new(),
            };
            let q = IntTensor {
                shape: t.shape().to_vec(),
                data,
            };
            observer.on_input(index, &input.spec.name, &q);
            values.push(Cow::Owned(q));
        }
        values.extend(self.consts.iter().map(Cow::Borrowed));
        for (index, op) in self.ops.iter().enumerate() {
            let operands: Vec<&IntTensor> = op.operands().iter().map(|&v| values[v as usize].as_ref()).collect();
            let out = self.step(op, &operands).map_err(|reason| ExactError::Shape {
                index,
                op: op.name().to_string(),
                reason,
            })?;
            observer.on_op(index, op, &operands, &out);
            values.push(Cow::Owned(out));
        }
        let mut quantized = TensorMap::new();
        let mut dequantized = TensorMap::new();
        for o in &self.outputs {
            let v = values[o.value as usize].as_ref();
            let q = match self.bits {
                Bits::B8 => TensorData::Int8(v.data.iter().map(|&x| x as i8).collect()),
                Bits::B16 => TensorData::Int32(v.data.iter().map(|&x| x as i32).collect()),
            };
            let f = TensorData::Float32(
                v.data
                    .iter()
                    .map(|&x| veris_core::quant::dequantize(x, o.scale))
                    .collect(),
            );
            quantized.insert(o.name.clone(), Tensor::new(&o.name, v.shape.clone(), q)?);
            dequantized.insert(o.name.clone(), Tensor::new(&o.name, v.shape.clone(), f)?);
        }
        Ok(ExactOutputs { quantized, dequantized })
    }

    fn step(&self, op: &ExactOp, args: &[&IntTensor]) -> Result<IntTensor, String> {
        let (lo, hi) = (self.bits.qmin(), self.bits.qmax());
        match op {
            ExactOp::Linear(l) => self.linear(l, args[0]),
            ExactOp::Add {
                requant_a,
                requant_b,
                relu,
                ..
            } => {
                let (a, b) = (args[0], args[1]);
                let shape = broadcast(&a.shape, &b.shape)?;
                let floor = if *relu { 0 } else { lo };
                let mut data = Vec::with_capacity(elements(&shape)?);
                broadcast_indices(&shape, &a.shape, &b.shape, |i, j| {
                    let sum = requant_a.apply(a.data[i]) + requant_b.apply(b.data[j]);
                    data.push(sum.clamp(i128::from(floor), i128::from(hi)) as i64);
                });
                Ok(IntTensor { shape, data })
            }
            ExactOp::Relu { .. } => Ok(IntTensor {
                shape: args[0].shape.clone(),
                data: args[0].data.iter().map(|&x| x.max(0)).collect(),
            }),
            ExactOp::Reshape { shape, .. } => Ok(IntTensor {
                shape: reshape_target(&args[0].shape, shape)?,
                data: args[0].data.clone(),
            }),
            ExactOp::Flatten { axis, .. } => Ok(IntTensor {
                shape: flatten_shape(&args[0].shape, *axis)?,
                data: args[0].data.clone(),
            }),
            other => match other.ext() {
                Some(op) => op.run(args, self.bits),
                None => Err(format!("op {} has no runner", other.name())),
            },
        }
    }

    fn linear(&self, l: &Linear, x: &IntTensor) -> Result<IntTensor, String> {
        let (k, n) = (l.k as usize, l.n as usize);
        if x.shape.last() != Some(&k) {
            return Err(format!("input shape {:?} does not end in {k}", x.shape));
        }
        let rows = x.data.len() / k;
        let mut shape = x.shape.clone();
        if let Some(last) = shape.last_mut() {
            *last = n;
        }
        elements(&shape)?;
        // Values are activations of the model's width (an invariant of the
        // program); a violation is reported, never wrapped.
        let xs: Vec<i16> = x
            .data
            .iter()
            .map(|&v| i16::try_from(v).map_err(|_| format!("value {v} outside int16")))
            .collect::<Result<_, _>>()?;
        let (lo, hi) = (self.bits.qmin(), self.bits.qmax());
        let wide = !fits_i32(k, -lo, hi);
        let mut acc = vec![0i64; rows * n];
        linear_acc(&xs, rows, k, &l.weights, n, wide, &mut acc);
        let floor = if l.relu { 0 } else { lo };
        for row in acc.chunks_exact_mut(n) {
            for ((a, &b), &r) in row.iter_mut().zip(&l.bias).zip(&l.requant) {
                *a = r.apply_sat(*a + b, floor, hi);
            }
        }
        Ok(IntTensor { shape, data: acc })
    }
}

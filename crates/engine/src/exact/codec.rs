//! The canonical binary encoding of an [`ExactModel`] (byte layout in
//! `docs/exact-semantics.md`). Every accepted byte string is the encoding of
//! exactly one model: the decoder checks all invariants and then re-encodes
//! and compares.

use veris_core::{DType, Dim, ModelId, TensorSpec};

use super::ExactError;
use super::codec_ext;
pub(crate) use super::codec_io::{Reader, Writer, read_rank};
use super::codec_ops;
use super::model::{Bits, ExactInput, ExactModel, ExactOp, ExactOutput, IntTensor, Linear, SEMANTICS_VERSION};
use super::quant::Requant;
use super::validate::MAX_BOUNDARY;

/// The first 8 bytes of every encoding.
pub const MAGIC: [u8; 8] = *b"VERISXQ\0";

/// Bounds applied when decoding untrusted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactLimits {
    /// Longest encoding accepted.
    pub max_bytes: usize,
    /// Most ops.
    pub max_ops: usize,
    /// Most constant values (consts, weights and biases together; a
    /// lookup-table entry counts 16).
    pub max_params: usize,
}

impl Default for ExactLimits {
    fn default() -> Self {
        ExactLimits {
            max_bytes: 512 << 20,
            max_ops: 1 << 16,
            max_params: 256 << 20,
        }
    }
}

const TAG_LINEAR: u8 = 1;
const TAG_ADD: u8 = 2;
const TAG_RELU: u8 = 3;
const TAG_RESHAPE: u8 = 4;
const TAG_FLATTEN: u8 = 5;

impl ExactModel {
    /// The canonical encoding; [`ExactModel::id`] hashes it.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(&MAGIC);
        w.u32(SEMANTICS_VERSION);
        w.u8(self.bits.width());
        w.0.extend_from_slice(&self.source.to_cid_bytes());
        w.len(self.inputs.len());
        for input in &self.inputs {
            w.str(&input.spec.name);
            w.u8(input.spec.shape.len() as u8);
            for d in &input.spec.shape {
                match d {
                    Dim::Fixed(n) => {
                        w.u8(0);
                        w.u64(*n);
                    }
                    Dim::Symbol(s) => {
                        w.u8(1);
                        w.str(s);
                    }
                }
            }
            // An index input has no multiplier: M = 0, s = 0 marks it.
            w.requant(input.quant.unwrap_or(Requant {
                multiplier: 0,
                shift: 0,
            }));
        }
        w.len(self.consts.len());
        for c in &self.consts {
            w.u8(c.shape.len() as u8);
            c.shape.iter().for_each(|&d| w.u64(d as u64));
            c.data.iter().for_each(|&v| w.value(self.bits, v));
        }
        w.len(self.ops.len());
        for op in &self.ops {
            encode_op(&mut w, self.bits, op);
        }
        w.len(self.outputs.len());
        for o in &self.outputs {
            w.str(&o.name);
            w.u32(o.value);
            w.u64(o.scale.to_bits());
        }
        w.0
    }

    /// Decodes with the default [`ExactLimits`].
    pub fn decode(bytes: &[u8]) -> Result<ExactModel, ExactError> {
        Self::decode_with_limits(bytes, ExactLimits::default())
    }

    /// Decodes untrusted bytes: never panics, allocates only what the bytes
    /// can back, checks every invariant ([`ExactModel::validate`]) and that
    /// the bytes are the canonical encoding of the result.
    pub fn decode_with_limits(bytes: &[u8], limits: ExactLimits) -> Result<ExactModel, ExactError> {
        let err = |reason: String| ExactError::Encoding { reason };
        if bytes.len() > limits.max_bytes {
            return Err(err(format!(
                "{} bytes exceed the limit of {}",
                bytes.len(),
                limits.max_bytes
            )));
        }
        let model = read_model(&mut Reader(bytes), limits).map_err(err)?;
        model.validate().map_err(err)?;
        if model.encode() != bytes {
            return Err(err("not the canonical encoding of the model it describes".into()));
        }
        Ok(model)
    }
}

fn encode_op(w: &mut Writer, bits: Bits, op: &ExactOp) {
    match op {
        ExactOp::Linear(l) => {
            w.u8(TAG_LINEAR);
            w.u32(l.input);
            w.u32(l.k);
            w.u32(l.n);
            w.u8(u8::from(l.relu));
            l.weights.iter().for_each(|&v| w.value(bits, i64::from(v)));
            l.bias.iter().for_each(|&b| w.i64(b));
            l.requant.iter().for_each(|&r| w.requant(r));
        }
        ExactOp::Add {
            a,
            b,
            requant_a,
            requant_b,
            relu,
        } => {
            w.u8(TAG_ADD);
            w.u32(*a);
            w.u32(*b);
            w.requant(*requant_a);
            w.requant(*requant_b);
            w.u8(u8::from(*relu));
        }
        ExactOp::Relu { input } => {
            w.u8(TAG_RELU);
            w.u32(*input);
        }
        ExactOp::Reshape { input, shape } => {
            w.u8(TAG_RESHAPE);
            w.u32(*input);
            w.u8(shape.len() as u8);
            shape.iter().for_each(|&d| w.i64(d));
        }
        ExactOp::Flatten { input, axis } => {
            w.u8(TAG_FLATTEN);
            w.u32(*input);
            w.i64(*axis);
        }
        other => {
            if let Some(op) = other.ext() {
                w.u8(op.tag());
                op.encode(w, bits);
            }
        }
    }
}

fn read_model(r: &mut Reader<'_>, limits: ExactLimits) -> Result<ExactModel, String> {
    if r.arr::<8>("magic")? != MAGIC {
        return Err("bad magic".into());
    }
    let version = r.u32("semantics version")?;
    if version != SEMANTICS_VERSION {
        return Err(format!(
            "semantics version {version}, this engine implements {SEMANTICS_VERSION}"
        ));
    }
    let width = r.u8("bit width")?;
    let bits = Bits::from_width(width).ok_or_else(|| format!("bit width {width} (8 or 16)"))?;
    let source = ModelId::from_cid_bytes(r.take(veris_core::id::CID_BYTES, "source id")?)
        .map_err(|e| format!("source id: {e}"))?;
    let n_inputs = r.count("input count", 8, MAX_BOUNDARY)?;
    let mut inputs = Vec::with_capacity(n_inputs);
    for _ in 0..n_inputs {
        let name = r.str("input name")?;
        let rank = read_rank(r)?;
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(match r.u8("dimension tag")? {
                0 => Dim::Fixed(r.u64("dimension")?),
                1 => Dim::Symbol(r.str("dimension symbol")?),
                t => return Err(format!("dimension tag {t}")),
            });
        }
        let quant = r.requant("input multiplier")?;
        let (dtype, quant) = match quant {
            Requant {
                multiplier: 0,
                shift: 0,
            } => (DType::Int64, None),
            r => (DType::Float32, Some(r)),
        };
        inputs.push(ExactInput {
            spec: TensorSpec { name, dtype, shape },
            quant,
        });
    }
    let mut params = 0usize;
    let mut budget = |n: usize| -> Result<(), String> {
        params = params.saturating_add(n);
        if params > limits.max_params {
            return Err(format!("more than {} parameters", limits.max_params));
        }
        Ok(())
    };
    let n_consts = r.count("const count", 1, limits.max_ops)?;
    let mut consts = Vec::with_capacity(n_consts);
    for _ in 0..n_consts {
        let rank = read_rank(r)?;
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(usize::try_from(r.u64("const dimension")?).map_err(|_| "const dimension overflows")?);
        }
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or("const size overflows")?;
        budget(n)?;
        consts.push(IntTensor {
            data: r.values(bits, n, "const values")?,
            shape,
        });
    }
    let n_ops = r.count("op count", 5, limits.max_ops)?;
    let mut ops = Vec::with_capacity(n_ops);
    for _ in 0..n_ops {
        ops.push(read_op(r, bits, &mut budget)?);
    }
    let n_outputs = r.count("output count", 14, MAX_BOUNDARY)?;
    let mut outputs = Vec::with_capacity(n_outputs);
    for _ in 0..n_outputs {
        outputs.push(ExactOutput {
            name: r.str("output name")?,
            value: r.u32("output value")?,
            scale: f64::from_bits(r.u64("output scale")?),
        });
    }
    if !r.0.is_empty() {
        return Err(format!("{} trailing bytes", r.0.len()));
    }
    Ok(ExactModel {
        source,
        bits,
        inputs,
        consts,
        ops,
        outputs,
    })
}

fn read_op(
    r: &mut Reader<'_>,
    bits: Bits,
    budget: &mut dyn FnMut(usize) -> Result<(), String>,
) -> Result<ExactOp, String> {
    Ok(match r.u8("op tag")? {
        TAG_LINEAR => {
            let input = r.u32("linear input")?;
            let (k, n) = (r.u32("linear k")?, r.u32("linear n")?);
            let relu = r.bool("linear relu")?;
            let kn = (k as usize).checked_mul(n as usize).ok_or("linear size overflows")?;
            budget(kn.saturating_add(n as usize))?;
            let weights = r
                .values(bits, kn, "linear weights")?
                .into_iter()
                .map(|v| v as i16)
                .collect();
            if (n as usize).saturating_mul(13) > r.0.len() {
                return Err("truncated linear bias and multipliers".into());
            }
            let bias = (0..n).map(|_| r.i64("linear bias")).collect::<Result<_, _>>()?;
            let requant = (0..n)
                .map(|_| r.requant("linear multiplier"))
                .collect::<Result<_, _>>()?;
            ExactOp::Linear(Linear {
                input,
                k,
                n,
                weights,
                bias,
                requant,
                relu,
            })
        }
        TAG_ADD => ExactOp::Add {
            a: r.u32("add a")?,
            b: r.u32("add b")?,
            requant_a: r.requant("add multiplier a")?,
            requant_b: r.requant("add multiplier b")?,
            relu: r.bool("add relu")?,
        },
        TAG_RELU => ExactOp::Relu {
            input: r.u32("relu input")?,
        },
        TAG_RESHAPE => {
            let input = r.u32("reshape input")?;
            let rank = read_rank(r)?;
            let shape = (0..rank)
                .map(|_| r.i64("reshape dimension"))
                .collect::<Result<_, _>>()?;
            ExactOp::Reshape { input, shape }
        }
        TAG_FLATTEN => ExactOp::Flatten {
            input: r.u32("flatten input")?,
            axis: r.i64("flatten axis")?,
        },
        t => match codec_ops::read_op(t, r, bits, budget)? {
            Some(op) => op,
            None => codec_ext::read_op(t, r, bits, budget)?.ok_or_else(|| format!("unknown op tag {t}"))?,
        },
    })
}

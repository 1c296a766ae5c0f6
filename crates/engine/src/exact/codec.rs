//! The canonical binary encoding of an [`ExactModel`] (byte layout in
//! `docs/exact-semantics.md`). Every accepted byte string is the encoding of
//! exactly one model: the decoder checks all invariants and then re-encodes
//! and compares.

use veris_core::{DType, Dim, ModelId, TensorSpec};

use super::ExactError;
use super::codec_ext;
use super::codec_ops;
use super::model::{Bits, ExactInput, ExactModel, ExactOp, ExactOutput, IntTensor, Linear, SEMANTICS_VERSION};
use super::quant::Requant;
use super::validate::{MAX_BOUNDARY, MAX_NAME_LEN, MAX_RANK};

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

/// Appends the little-endian fields of the encoding.
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.u16(u16::try_from(s.len()).unwrap_or(u16::MAX));
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn requant(&mut self, r: Requant) {
        self.u32(r.multiplier);
        self.u8(r.shift);
    }
    /// A value of the model's width: 1 byte (int8) or 2 bytes (int16 LE).
    pub(crate) fn value(&mut self, bits: Bits, v: i64) {
        match bits {
            Bits::B8 => self.u8(v as i8 as u8),
            Bits::B16 => self.0.extend_from_slice(&(v as i16).to_le_bytes()),
        }
    }
}

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

/// Reads fields off the front of untrusted bytes, never past their end.
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!("truncated {what}: need {n} bytes, {} left", self.0.len()));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    pub(crate) fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.arr::<1>(what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.arr(what)?))
    }
    pub(crate) fn bool(&mut self, what: &str) -> Result<bool, String> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("{what}: flag {b} is neither 0 nor 1")),
        }
    }
    /// A count whose items take at least `item_bytes` each: refused before
    /// anything is allocated if the remaining bytes cannot hold them.
    pub(crate) fn count(&mut self, what: &str, item_bytes: usize, max: usize) -> Result<usize, String> {
        let n = self.u32(what)? as usize;
        if n > max || n.saturating_mul(item_bytes) > self.0.len() {
            return Err(format!("{what}: count {n} exceeds the limit or the remaining bytes"));
        }
        Ok(n)
    }
    pub(crate) fn str(&mut self, what: &str) -> Result<String, String> {
        let n = self.u16(what)? as usize;
        if n > MAX_NAME_LEN {
            return Err(format!("{what}: {n} bytes exceed {MAX_NAME_LEN}"));
        }
        String::from_utf8(self.take(n, what)?.to_vec()).map_err(|_| format!("{what}: not UTF-8"))
    }
    pub(crate) fn requant(&mut self, what: &str) -> Result<Requant, String> {
        Ok(Requant {
            multiplier: self.u32(what)?,
            shift: self.u8(what)?,
        })
    }
    /// `n` values of the model's width, bounded by the remaining bytes.
    pub(crate) fn values(&mut self, bits: Bits, n: usize, what: &str) -> Result<Vec<i64>, String> {
        let size = usize::from(bits.width() / 8);
        let raw = self.take(
            n.checked_mul(size).ok_or_else(|| format!("{what}: size overflow"))?,
            what,
        )?;
        Ok(match bits {
            Bits::B8 => raw.iter().map(|&b| i64::from(b as i8)).collect(),
            Bits::B16 => raw
                .chunks_exact(2)
                .map(|c| i64::from(i16::from_le_bytes([c[0], c[1]])))
                .collect(),
        })
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

pub(crate) fn read_rank(r: &mut Reader<'_>) -> Result<usize, String> {
    let rank = r.u8("rank")? as usize;
    if rank > MAX_RANK {
        return Err(format!("rank {rank} exceeds {MAX_RANK}"));
    }
    Ok(rank)
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

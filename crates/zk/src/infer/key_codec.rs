//! Canonical encoding of a [`VerifyingKey`], decoded under explicit limits.
//!
//! ```text
//! magic "VERISZKV" ‖ u32 format version (3) ‖ u8 len ‖ hash name
//! ‖ model id (36) ‖ u32 semantics version ‖ u8 log_inv_rate ‖ u32 queries
//! ‖ root (32) ‖ u8 model variables
//! ‖ u8 input rank, per dim: u8 0 ‖ u64 size | u8 1 (symbolic)
//! ‖ u8 len ‖ input name ‖ u32 M ‖ u8 s ‖ u8 len ‖ output name ‖ u64 output scale (f64 bits)
//! ‖ u32 stage count, per stage a u8 tag, then one u32 value index per operand
//!   (0 = the input, j + 1 = stage j's output, j < this stage; Add and MatMul have two,
//!   every other stage one), then:
//!     1 Linear:  u32 k ‖ u32 n ‖ u8 relu ‖ u64 acc_bound ‖ n × i64 bias ‖ n × (u32 M ‖ u8 s)
//!     3 Relu
//!     4 Reshape: u8 rank ‖ rank × i64
//!     5 Flatten: i64 axis
//!     6 Conv:    u32 c_in ‖ u32 group ‖ window ‖ the Linear fields (k = (c_in/group)·kh·kw, n = c_out)
//!     8 AvgPool: window ‖ u32 M ‖ u8 s
//!     9 Add:     u32 M_a ‖ u8 s_a ‖ u32 M_b ‖ u8 s_b ‖ u8 relu
//!    10 MaxPool: window (pads smaller than the extents)
//!    12 Linear over a flattened grid: u32 C ‖ u32 H ‖ u32 W ‖ the Linear fields (k = C·H·W)
//!    16 Lut:     256 × i8 (entry u ↦ f(u − 128))
//!    17 Transpose: u8 rank ‖ rank × u8 perm
//!    18 MatMul:  u32 K ‖ u32 M ‖ u8 s (operands: A, then B)
//!    19 Softmax: i64 axis ‖ u8 P ‖ 256 × u32 exp table
//!    20 LayerNorm: i64 axis ‖ u32 n ‖ i64 eps ‖ u8 K ‖ u8 F ‖ n × i8 g ‖ n × i64 h ‖ n × (u32 M ‖ u8 s)
//! Tags 1, 3–6 and 8 are the exact semantics' op tags; 9 (Add), 10 (MaxPool, the
//! semantics' 7 is unused here), 12 (Linear with `input_grid`), 16 (Lut), 17 (Transpose),
//! 18 (MatMul of two activations), 19 (Softmax) and 20 (LayerNorm) are this key's own. Any stage may read any
//! earlier value (the input included) through its operand indices.
//! window = 10 × u32: kernel [2] ‖ strides [2] ‖ dilations [2] ‖ pads [4] (top, left, bottom, right)
//! ```
//! No trailing bytes; every decoded key passes [`VerifyingKey::check`], and
//! since the layout leaves no freedom, an accepted encoding re-encodes to itself.

use super::key::{Boundary, InputDim, LinearKey, MAX_STAGES, RequantParams, Stage, VerifyingKey};
use super::key_add::{AddKey, arity};
use super::key_cnn::{ConvKey, WindowKey, read_pool, write_pool};
use super::key_norm::{NormKey, TAG_NORM};
use super::matmul_act::{MatMulKey, TAG_MATMUL};
use super::pointwise::{LutKey, TAG_LUT};
use super::softmax::{SoftmaxKey, TAG_SOFTMAX};
use super::view::TAG_TRANSPOSE;
use super::window_max::TAG_MAX_POOL;
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::pcs::PcsParams;

/// Tag of a Linear stage whose input is a flattened grid ([`LinearKey::input_grid`]).
pub(crate) const TAG_GRID_LINEAR: u8 = 12;

/// First bytes of an encoded verifying key.
pub const VK_MAGIC: &[u8; 8] = b"VERISZKV";
/// Version of this encoding.
pub const VK_FORMAT_VERSION: u32 = 3;

/// Limits for decoding a verifying key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VkLimits {
    /// Largest encoding accepted.
    pub max_bytes: usize,
    /// Largest total number of channels over all layers.
    pub max_channels: usize,
}

impl Default for VkLimits {
    fn default() -> Self {
        Self {
            max_bytes: 16 << 20,
            max_channels: 1 << 20,
        }
    }
}

impl VerifyingKey {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(VK_MAGIC);
        w.u32(VK_FORMAT_VERSION);
        w.u8(self.hash.len() as u8);
        w.bytes(self.hash.as_bytes());
        w.bytes(&self.model_id);
        w.u32(self.semantics_version);
        w.u8(self.params.log_inv_rate as u8);
        w.u32(self.params.num_queries as u32);
        w.digest(&self.model_root);
        w.u8(self.model_vars as u8);
        w.u8(self.input.len() as u8);
        for d in &self.input {
            match d {
                InputDim::Fixed(v) => {
                    w.u8(0);
                    w.u64(*v);
                }
                InputDim::Symbolic => w.u8(1),
            }
        }
        let b = &self.boundary;
        w.u8(b.input_name.len() as u8);
        w.bytes(b.input_name.as_bytes());
        w.u32(b.input_quant.multiplier);
        w.u8(b.input_quant.shift);
        w.u8(b.output_name.len() as u8);
        w.bytes(b.output_name.as_bytes());
        w.u64(b.output_scale_bits);
        w.u32(self.stages.len() as u32);
        for (s, operands) in self.stages.iter().zip(&self.operands) {
            write_stage(&mut w, s, operands);
        }
        w.finish()
    }

    /// Decodes and checks a key.
    pub fn decode(bytes: &[u8], limits: VkLimits) -> Result<Self, DecodeError> {
        if bytes.len() > limits.max_bytes {
            return Err(DecodeError::TooLarge {
                what: "verifying key bytes",
                got: bytes.len() as u64,
                max: limits.max_bytes as u64,
            });
        }
        let mut r = Reader::new(bytes);
        if r.bytes(8)? != VK_MAGIC {
            return Err(DecodeError::Invalid("not a verifying key (magic)"));
        }
        let version = r.u32()?;
        if version != VK_FORMAT_VERSION {
            return Err(DecodeError::Mismatch {
                what: "verifying key format version",
                expected: u64::from(VK_FORMAT_VERSION),
                got: u64::from(version),
            });
        }
        let hash_len = usize::from(r.u8()?);
        let hash = String::from_utf8(r.bytes(hash_len)?.to_vec()).map_err(|_| DecodeError::Invalid("hash name"))?;
        let mut model_id = [0u8; super::MODEL_ID_BYTES];
        model_id.copy_from_slice(r.bytes(super::MODEL_ID_BYTES)?);
        let semantics_version = r.u32()?;
        let params = PcsParams {
            log_inv_rate: u32::from(r.u8()?),
            num_queries: r.u32()? as usize,
        };
        let model_root = r.digest()?;
        let model_vars = usize::from(r.u8()?);
        let rank = usize::from(r.u8()?);
        if rank > super::MAX_RANK {
            return Err(DecodeError::Invalid("input rank above 8"));
        }
        let input = (0..rank).map(|_| read_dim(&mut r)).collect::<Result<_, _>>()?;
        let input_name = read_name(&mut r)?;
        let input_quant = RequantParams {
            multiplier: r.u32()?,
            shift: r.u8()?,
        };
        let boundary = Boundary {
            input_name,
            input_quant,
            output_name: read_name(&mut r)?,
            output_scale_bits: r.u64()?,
        };
        let count = r.len("stages", MAX_STAGES, 1)?;
        let mut channels = 0usize;
        let (mut stages, mut operands) = (Vec::with_capacity(count), Vec::with_capacity(count));
        for _ in 0..count {
            let (stage, ops) = read_stage(&mut r, &mut channels, limits.max_channels)?;
            stages.push(stage);
            operands.push(ops);
        }
        r.finish()?;
        let key = Self {
            hash,
            model_id,
            semantics_version,
            params,
            input,
            boundary,
            stages,
            operands,
            model_root,
            model_vars,
        };
        key.check()
            .map_err(|_| DecodeError::Invalid("verifying key violates its invariants"))?;
        Ok(key)
    }
}

fn stage_tag(stage: &Stage) -> u8 {
    match stage {
        Stage::Linear(l) if l.input_grid.is_some() => TAG_GRID_LINEAR,
        Stage::Linear(_) => 1,
        Stage::Relu => 3,
        Stage::Reshape(_) => 4,
        Stage::Flatten(_) => 5,
        Stage::Conv(_) => 6,
        Stage::AvgPool(_) => 8,
        Stage::Add(_) => 9,
        Stage::MaxPool(_) => TAG_MAX_POOL,
        Stage::Lut(_) => TAG_LUT,
        Stage::Transpose(_) => TAG_TRANSPOSE,
        Stage::MatMul(_) => TAG_MATMUL,
        Stage::Softmax(_) => TAG_SOFTMAX,
        Stage::LayerNorm(_) => TAG_NORM,
    }
}

fn write_requant(w: &mut Writer, r: RequantParams) {
    w.u32(r.multiplier);
    w.u8(r.shift);
}

fn read_requant(r: &mut Reader<'_>) -> Result<RequantParams, DecodeError> {
    Ok(RequantParams {
        multiplier: r.u32()?,
        shift: r.u8()?,
    })
}

fn read_flag(r: &mut Reader<'_>, what: &'static str) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::Invalid(what)),
    }
}

fn write_stage(w: &mut Writer, stage: &Stage, operands: &[u32]) {
    w.u8(stage_tag(stage));
    operands.iter().for_each(|&v| w.u32(v));
    match stage {
        Stage::Linear(l) => {
            l.input_grid.iter().flatten().for_each(|&d| w.u32(d));
            write_linear(w, l);
        }
        Stage::Conv(c) => {
            w.u32(c.c_in);
            w.u32(c.group);
            c.window.write(w);
            write_linear(w, &c.channels);
        }
        Stage::AvgPool(p) => write_pool(w, p),
        Stage::MaxPool(window) => window.write(w),
        Stage::Add(a) => {
            write_requant(w, a.requant_a);
            write_requant(w, a.requant_b);
            w.u8(u8::from(a.relu));
        }
        Stage::Lut(l) => l.write(w),
        Stage::Relu => {}
        Stage::Reshape(dims) => {
            w.u8(dims.len() as u8);
            dims.iter().for_each(|&d| w.i64(d));
        }
        Stage::Flatten(axis) => w.i64(*axis),
        Stage::MatMul(m) => m.write(w),
        Stage::Softmax(s) => s.write(w),
        Stage::LayerNorm(k) => k.write(w),
        Stage::Transpose(perm) => {
            w.u8(perm.len() as u8);
            perm.iter().for_each(|&p| w.u8(p));
        }
    }
}

fn read_name(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let len = usize::from(r.u8()?);
    String::from_utf8(r.bytes(len)?.to_vec()).map_err(|_| DecodeError::Invalid("tensor name"))
}

fn write_linear(w: &mut Writer, l: &LinearKey) {
    w.u32(l.k);
    w.u32(l.n);
    w.u8(u8::from(l.relu));
    w.u64(l.acc_bound);
    l.bias.iter().for_each(|&b| w.i64(b));
    l.requant.iter().for_each(|&r| write_requant(w, r));
}

fn read_dim(r: &mut Reader<'_>) -> Result<InputDim, DecodeError> {
    match r.u8()? {
        0 => Ok(InputDim::Fixed(r.u64()?)),
        1 => Ok(InputDim::Symbolic),
        _ => Err(DecodeError::Invalid("input dimension tag")),
    }
}

/// One stage and its operands (their count follows from the tag; their range is checked by the key).
fn read_stage(r: &mut Reader<'_>, channels: &mut usize, max_channels: usize) -> Result<(Stage, Vec<u32>), DecodeError> {
    let tag = r.u8()?;
    let count = if matches!(tag, 9 | TAG_MATMUL) { 2 } else { 1 };
    let operands = (0..count).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
    let stage = read_stage_body(r, tag, channels, max_channels)?;
    debug_assert_eq!(arity(&stage), operands.len());
    Ok((stage, operands))
}

fn read_stage_body(
    r: &mut Reader<'_>,
    tag: u8,
    channels: &mut usize,
    max_channels: usize,
) -> Result<Stage, DecodeError> {
    match tag {
        1 => Ok(Stage::Linear(read_linear(r, channels, max_channels)?)),
        TAG_GRID_LINEAR => {
            let grid = [r.u32()?, r.u32()?, r.u32()?];
            Ok(Stage::Linear(LinearKey {
                input_grid: Some(grid),
                ..read_linear(r, channels, max_channels)?
            }))
        }
        6 => {
            let (c_in, group) = (r.u32()?, r.u32()?);
            let window = WindowKey::read(r)?;
            let channels = read_linear(r, channels, max_channels)?;
            Ok(Stage::Conv(ConvKey {
                c_in,
                group,
                window,
                channels,
            }))
        }
        8 => Ok(Stage::AvgPool(read_pool(r)?)),
        TAG_MAX_POOL => Ok(Stage::MaxPool(WindowKey::read(r)?)),
        3 => Ok(Stage::Relu),
        TAG_LUT => Ok(Stage::Lut(LutKey::read(r)?)),
        4 => {
            let rank = usize::from(r.u8()?);
            if rank > super::MAX_RANK {
                return Err(DecodeError::Invalid("reshape rank above 8"));
            }
            Ok(Stage::Reshape((0..rank).map(|_| r.i64()).collect::<Result<_, _>>()?))
        }
        5 => Ok(Stage::Flatten(r.i64()?)),
        9 => Ok(Stage::Add(AddKey {
            requant_a: read_requant(r)?,
            requant_b: read_requant(r)?,
            relu: read_flag(r, "add relu flag")?,
        })),
        TAG_TRANSPOSE => {
            let rank = usize::from(r.u8()?);
            if rank > super::MAX_RANK {
                return Err(DecodeError::Invalid("transpose rank above 8"));
            }
            Ok(Stage::Transpose((0..rank).map(|_| r.u8()).collect::<Result<_, _>>()?))
        }
        TAG_MATMUL => Ok(Stage::MatMul(MatMulKey::read(r)?)),
        TAG_SOFTMAX => Ok(Stage::Softmax(SoftmaxKey::read(r)?)),
        TAG_NORM => Ok(Stage::LayerNorm(NormKey::read(r, channels, max_channels)?)),
        _ => Err(DecodeError::Invalid("stage tag")),
    }
}

fn read_linear(r: &mut Reader<'_>, channels: &mut usize, max_channels: usize) -> Result<LinearKey, DecodeError> {
    let k = r.u32()?;
    let n = r.u32()?;
    let relu = read_flag(r, "relu flag")?;
    let acc_bound = r.u64()?;
    *channels = channels.saturating_add(n as usize);
    if *channels > max_channels {
        return Err(DecodeError::TooLarge {
            what: "channels",
            got: *channels as u64,
            max: max_channels as u64,
        });
    }
    // Each channel takes 13 bytes: refuse counts the input cannot back.
    if (n as usize).saturating_mul(13) > r.remaining() {
        return Err(DecodeError::Truncated);
    }
    let bias = (0..n).map(|_| r.i64()).collect::<Result<_, _>>()?;
    let requant = (0..n).map(|_| read_requant(r)).collect::<Result<_, _>>()?;
    Ok(LinearKey {
        k,
        n,
        relu,
        acc_bound,
        bias,
        requant,
        input_grid: None,
    })
}

//! The decoder table of the CNN/general ops (tags 6–19); each op encodes
//! itself through [`IntOp::encode`](super::op::IntOp).

use super::codec::{Reader, read_rank};
use super::conv::{Conv, TAG_CONV};
use super::elementwise::{Clip, LeakyRelu, Mul, Sub, TAG_CLIP, TAG_LEAKY_RELU, TAG_MUL, TAG_SUB};
use super::import_ops::MAX_CONCAT_INPUTS;
use super::layout_ops::{
    Concat, Gather, Slice, Squeeze, TAG_CONCAT, TAG_GATHER, TAG_SLICE, TAG_SQUEEZE, TAG_TRANSPOSE, TAG_UNSQUEEZE,
    Transpose, Unsqueeze,
};
use super::model::{Bits, ExactOp};
use super::op::{Budget, read_i64s};
use super::pool::{AvgPool, GlobalAvgPool, MaxPool, TAG_AVERAGE_POOL, TAG_GLOBAL_AVERAGE_POOL, TAG_MAX_POOL};
use super::validate::MAX_RANK;

/// Decodes the fields of an op with tag `tag`; `None` if the tag is not
/// one of this group's.
pub(super) fn read_op(
    tag: u8,
    r: &mut Reader<'_>,
    bits: Bits,
    budget: &mut Budget<'_>,
) -> Result<Option<ExactOp>, String> {
    Ok(Some(match tag {
        TAG_CONV => ExactOp::Conv(Conv::decode(r, bits, budget)?),
        TAG_MAX_POOL => ExactOp::MaxPool(MaxPool::decode(r)?),
        TAG_AVERAGE_POOL => ExactOp::AvgPool(AvgPool::decode(r)?),
        TAG_GLOBAL_AVERAGE_POOL => ExactOp::GlobalAvgPool(GlobalAvgPool::decode(r)?),
        TAG_SUB => ExactOp::Sub(Sub::decode(r)?),
        TAG_MUL => ExactOp::Mul(Mul::decode(r)?),
        TAG_LEAKY_RELU => ExactOp::LeakyRelu(LeakyRelu::decode(r)?),
        TAG_CLIP => ExactOp::Clip(Clip::decode(r)?),
        other => return decode_layout(other, r, budget),
    }))
}

/// The layout ops' fields, as their `encode` methods write them.
fn decode_layout(tag: u8, r: &mut Reader<'_>, budget: &mut Budget<'_>) -> Result<Option<ExactOp>, String> {
    use ExactOp as E;
    Ok(Some(match tag {
        TAG_TRANSPOSE => {
            let input = r.u32("transpose input")?;
            let rank = read_rank(r)?;
            let perm = (0..rank).map(|_| r.u8("transpose perm")).collect::<Result<_, _>>()?;
            E::Transpose(Transpose { input, perm })
        }
        TAG_CONCAT => {
            let n = r.count("concat inputs", 9, MAX_CONCAT_INPUTS)?;
            let (mut inputs, mut requant) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for _ in 0..n {
                inputs.push(r.u32("concat input")?);
                requant.push(r.requant("concat multiplier")?);
            }
            let axis = r.i64("concat axis")?;
            E::Concat(Concat { inputs, requant, axis })
        }
        TAG_SQUEEZE => E::Squeeze(Squeeze {
            input: r.u32("squeeze input")?,
            axes: read_i64s(r, MAX_RANK, "squeeze axes")?,
        }),
        TAG_UNSQUEEZE => E::Unsqueeze(Unsqueeze {
            input: r.u32("unsqueeze input")?,
            axes: read_i64s(r, MAX_RANK, "unsqueeze axes")?,
        }),
        TAG_SLICE => {
            let input = r.u32("slice input")?;
            let n = read_rank(r)?;
            let mut s = Slice {
                input,
                starts: vec![],
                ends: vec![],
                axes: vec![],
                steps: vec![],
            };
            for _ in 0..n {
                s.starts.push(r.i64("slice start")?);
                s.ends.push(r.i64("slice end")?);
                s.axes.push(r.i64("slice axis")?);
                s.steps.push(r.i64("slice step")?);
            }
            E::Slice(s)
        }
        TAG_GATHER => {
            let input = r.u32("gather input")?;
            let axis = r.i64("gather axis")?;
            let rank = read_rank(r)?;
            let index_shape = (0..rank)
                .map(|_| {
                    usize::try_from(r.u64("gather index dimension")?)
                        .map_err(|_| "index dimension overflows".to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let n = index_shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or("gather index count overflows")?;
            budget(n)?;
            if n.saturating_mul(8) > r.0.len() {
                return Err("truncated gather indices".into());
            }
            let indices = (0..n).map(|_| r.i64("gather index")).collect::<Result<_, _>>()?;
            E::Gather(Gather {
                input,
                axis,
                index_shape,
                indices,
            })
        }
        _ => return Ok(None),
    }))
}

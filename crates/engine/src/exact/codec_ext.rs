//! The decoder table of the transformer ops (tags 32–38); each op encodes
//! itself through [`IntOp::encode`](super::op::IntOp).

use super::batch_matmul::{BatchMatMul, TAG_BATCH_MATMUL};
use super::codec::Reader;
use super::embed::{Embedding, TAG_EMBEDDING};
use super::layernorm::{LayerNorm, TAG_LAYER_NORM};
use super::lut::{Lut, TAG_LUT};
use super::model::{Bits, ExactOp};
use super::op::Budget;
use super::reduce::{Reduce, TAG_REDUCE};
use super::slice_dim::{SliceToDim, TAG_SLICE_TO_DIM};
use super::softmax::{Softmax, TAG_SOFTMAX};

/// Decodes the fields of an op with tag `tag`; `None` if the tag is not
/// one of this group's.
pub(super) fn read_op(
    tag: u8,
    r: &mut Reader<'_>,
    bits: Bits,
    budget: &mut Budget<'_>,
) -> Result<Option<ExactOp>, String> {
    Ok(Some(match tag {
        TAG_LUT => ExactOp::Lut(Lut::decode(r, bits, budget)?),
        TAG_SOFTMAX => ExactOp::Softmax(Softmax::decode(r, bits, budget)?),
        TAG_LAYER_NORM => ExactOp::LayerNorm(LayerNorm::decode(r, bits, budget)?),
        TAG_REDUCE => ExactOp::Reduce(Reduce::decode(r)?),
        TAG_BATCH_MATMUL => ExactOp::BatchMatMul(BatchMatMul::decode(r)?),
        TAG_EMBEDDING => ExactOp::Embedding(Embedding::decode(r)?),
        TAG_SLICE_TO_DIM => ExactOp::SliceToDim(SliceToDim::decode(r)?),
        _ => return Ok(None),
    }))
}

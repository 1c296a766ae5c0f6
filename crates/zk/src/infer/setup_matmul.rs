//! Setup of an activation `MatMul` ([`super::matmul_act`]): its operands must
//! be earlier ops' values (the key's operand list names them), its inner
//! dimension comes from a probe run.

use veris_engine::exact::{BatchMatMul, ExactModel};

use super::key::RequantParams;
use super::matmul_act::MatMulKey;
use super::setup::SetupError;
use super::setup_cnn::probe_shapes;

/// The key of op `op`, a `MatMul` of two earlier ops' values.
pub(crate) fn matmul_key(
    model: &ExactModel,
    op: usize,
    m: &BatchMatMul,
    shapes: &mut Option<Vec<Vec<usize>>>,
) -> Result<MatMulKey, SetupError> {
    let base = (model.inputs().len() + model.consts().len()) as u32;
    if [m.a, m.b]
        .iter()
        .any(|&v| v.checked_sub(base).is_none_or(|s| s as usize >= op))
    {
        return Err(SetupError::NotYetProvable(format!(
            "op {op} (MatMul): an operand that is not an earlier op's output"
        )));
    }
    if shapes.is_none() {
        *shapes = Some(probe_shapes(model)?);
    }
    let k = shapes
        .as_ref()
        .and_then(|s| s.get(op))
        .and_then(|a| a.last())
        .and_then(|&k| u32::try_from(k).ok())
        .ok_or_else(|| SetupError::NotYetProvable(format!("op {op} (MatMul): no inner dimension")))?;
    Ok(MatMulKey {
        k,
        requant: RequantParams {
            multiplier: m.requant.multiplier,
            shift: m.requant.shift,
        },
    })
}

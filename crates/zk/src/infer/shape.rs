//! The shape rules of the layout ops (`docs/exact-semantics.md` §3), which
//! the verifier applies to the statement's input shape: they decide the
//! layer dimensions and the output shape a statement must have.

use super::error::StatementError;
use super::statement::element_count;

/// Largest element count of any op output (the semantics refuses more).
pub const MAX_OP_ELEMENTS: usize = 1 << 26;

fn bad(detail: String) -> StatementError {
    StatementError::Shape {
        what: "layout op",
        detail,
    }
}

/// ONNX `Reshape` with `allowzero = 0`: `0` copies, one `−1` is inferred.
pub(crate) fn reshape_target(input: &[usize], spec: &[i64]) -> Result<Vec<usize>, StatementError> {
    let total = element_count(input).ok_or_else(|| bad("input element count overflows".into()))?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        out.push(match d {
            0 => *input
                .get(i)
                .ok_or_else(|| bad(format!("reshape {spec:?}: no input dimension {i} to copy")))?,
            -1 if infer.is_none() => {
                infer = Some(i);
                1
            }
            d if d > 0 => usize::try_from(d).map_err(|_| bad(format!("reshape dimension {d}")))?,
            _ => return Err(bad(format!("reshape {spec:?}: invalid dimension {d}"))),
        });
    }
    let known = element_count(&out).ok_or_else(|| bad(format!("reshape {spec:?} overflows")))?;
    if let Some(i) = infer {
        if known == 0 || total % known != 0 {
            return Err(bad(format!("cannot reshape {input:?} to {spec:?}")));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(bad(format!("cannot reshape {input:?} ({total} elements) to {spec:?}")));
    }
    Ok(out)
}

/// ONNX `Flatten`: `[∏ d[..axis], ∏ d[axis..]]`, a negative axis counted from the end.
pub(crate) fn flatten_shape(input: &[usize], axis: i64) -> Result<Vec<usize>, StatementError> {
    let rank = input.len() as i64;
    let a = if axis < 0 { axis.saturating_add(rank) } else { axis };
    if !(0..=rank).contains(&a) {
        return Err(bad(format!("flatten axis {axis} out of range for rank {rank}")));
    }
    let (head, tail) = input.split_at(a as usize);
    let head = element_count(head).ok_or_else(|| bad("flatten overflows".into()))?;
    let tail = element_count(tail).ok_or_else(|| bad("flatten overflows".into()))?;
    Ok(vec![head, tail])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_and_flatten_follow_onnx() {
        assert_eq!(reshape_target(&[2, 3, 4], &[0, -1]), Ok(vec![2, 12]));
        assert!(reshape_target(&[2, 3], &[-1, -1]).is_err());
        assert!(reshape_target(&[2, 3], &[4]).is_err());
        assert_eq!(flatten_shape(&[2, 3, 4], 1), Ok(vec![2, 12]));
        assert_eq!(flatten_shape(&[2, 3, 4], -1), Ok(vec![6, 4]));
        assert_eq!(flatten_shape(&[2, 3], 0), Ok(vec![1, 6]));
        assert!(flatten_shape(&[2, 3], 3).is_err());
        assert!(flatten_shape(&[2, 3], i64::MIN).is_err());
    }
}

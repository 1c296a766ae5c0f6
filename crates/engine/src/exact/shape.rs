//! Shape rules shared by the float reference and the integer runner:
//! numpy broadcasting, `Reshape` targets and `Flatten`.

/// Largest tensor any op may produce, in elements.
pub const MAX_ELEMENTS: usize = 64 << 20;

/// The element count of `shape`, if it is at most [`MAX_ELEMENTS`].
pub fn elements(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("shape {shape:?} exceeds {MAX_ELEMENTS} elements"))
}

/// The numpy broadcast of two shapes (aligned at the right; a dimension of
/// 1 stretches).
pub fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() < rank { 1 } else { s[i + s.len() - rank] };
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let (x, y) = (dim(a, i), dim(b, i));
        out.push(match (x, y) {
            _ if x == y => x,
            (1, _) => y,
            (_, 1) => x,
            _ => return Err(format!("shapes {a:?} and {b:?} do not broadcast")),
        });
    }
    elements(&out)?;
    Ok(out)
}

/// Row-major strides of `shape` seen as a broadcast operand of `out`:
/// stretched (and missing leading) dimensions get stride 0.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut stride = 1;
    for (i, &d) in shape.iter().enumerate().rev() {
        let o = i + out.len() - shape.len();
        strides[o] = if d == 1 { 0 } else { stride };
        stride *= d;
    }
    strides
}

/// For each element of `out` in row-major order, the flat indices of the
/// two broadcast operands. `out` must be `broadcast(a, b)`.
pub fn broadcast_indices(out: &[usize], a: &[usize], b: &[usize], mut f: impl FnMut(usize, usize)) {
    let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
    let total: usize = out.iter().product();
    if total == 0 {
        return;
    }
    let mut idx = vec![0usize; out.len()];
    let (mut ia, mut ib) = (0usize, 0usize);
    for _ in 0..total {
        f(ia, ib);
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            ia += sa[d];
            ib += sb[d];
            if idx[d] < out[d] {
                break;
            }
            ia -= sa[d] * out[d];
            ib -= sb[d] * out[d];
            idx[d] = 0;
        }
    }
}

/// ONNX `Reshape` (allowzero = 0): `0` copies the input dimension at that
/// position, one `-1` takes what is left.
pub fn reshape_target(input: &[usize], spec: &[i64]) -> Result<Vec<usize>, String> {
    let total = elements(input)?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        out.push(match d {
            0 => *input
                .get(i)
                .ok_or_else(|| format!("reshape {spec:?}: no input dimension {i} to copy"))?,
            -1 if infer.is_none() => {
                infer = Some(i);
                1
            }
            d if d > 0 => usize::try_from(d).map_err(|_| format!("reshape dimension {d}"))?,
            _ => return Err(format!("reshape {spec:?}: invalid dimension {d}")),
        });
    }
    let known = out
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("reshape {spec:?} overflows"))?;
    if let Some(i) = infer {
        if known == 0 || total % known != 0 {
            return Err(format!("cannot reshape {input:?} to {spec:?}"));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(format!("cannot reshape {input:?} ({total} elements) to {spec:?}"));
    }
    Ok(out)
}

/// ONNX `Flatten`: `[prod(d[..axis]), prod(d[axis..])]`, negative axis
/// counted from the end.
pub fn flatten_shape(input: &[usize], axis: i64) -> Result<Vec<usize>, String> {
    let rank = input.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..=rank).contains(&a) {
        return Err(format!("flatten axis {axis} out of range for rank {rank}"));
    }
    let (head, tail) = input.split_at(a as usize);
    Ok(vec![head.iter().product(), tail.iter().product()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&[2, 3], &[3]), Ok(vec![2, 3]));
        assert_eq!(broadcast(&[2, 1], &[1, 4]), Ok(vec![2, 4]));
        assert!(broadcast(&[2, 3], &[2]).is_err());
        let mut pairs = vec![];
        broadcast_indices(&[2, 2], &[2, 1], &[2], |a, b| pairs.push((a, b)));
        assert_eq!(pairs, [(0, 0), (0, 1), (1, 0), (1, 1)]);
    }

    #[test]
    fn reshape_and_flatten() {
        assert_eq!(reshape_target(&[2, 3, 4], &[0, -1]), Ok(vec![2, 12]));
        assert!(reshape_target(&[2, 3], &[-1, -1]).is_err());
        assert!(reshape_target(&[2, 3], &[4]).is_err());
        assert_eq!(flatten_shape(&[2, 3, 4], 1), Ok(vec![2, 12]));
        assert_eq!(flatten_shape(&[2, 3, 4], -1), Ok(vec![6, 4]));
        assert_eq!(flatten_shape(&[2, 3], 0), Ok(vec![1, 6]));
    }
}

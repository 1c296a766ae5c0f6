//! Data-movement rules shared by the float reference (float and int64
//! tensors), constant folding and the integer runner: Transpose, Concat,
//! Squeeze, Unsqueeze, Slice and Gather, generic over the element type.
//! Each returns the output shape and data, or why the operands do not fit;
//! none can panic or allocate beyond [`MAX_ELEMENTS`](super::shape::MAX_ELEMENTS).

use super::shape::elements;
use super::validate::MAX_RANK;

/// A shape and its row-major data.
pub type Tensor<T> = (Vec<usize>, Vec<T>);

/// `axis` in `[-rank, rank)`, negative counting from the end.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis.saturating_add(r) } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(format!("axis {axis} out of range for rank {rank}"))
    }
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Visits every output element in row-major order with the flat input
/// offset given by `out_shape` walked with `in_strides` from `base`.
fn strided_copy<T: Copy>(data: &[T], out_shape: &[usize], in_strides: &[i64], base: i64, out: &mut Vec<T>) {
    let total: usize = out_shape.iter().product();
    if total == 0 {
        return;
    }
    let mut idx = vec![0usize; out_shape.len()];
    let mut off = base;
    for _ in 0..total {
        out.push(data[off as usize]);
        for d in (0..out_shape.len()).rev() {
            idx[d] += 1;
            off += in_strides[d];
            if idx[d] < out_shape[d] {
                break;
            }
            off -= in_strides[d] * out_shape[d] as i64;
            idx[d] = 0;
        }
    }
}

/// ONNX `Transpose`: output axis `i` is input axis `perm[i]`.
pub fn transpose<T: Copy>(shape: &[usize], data: &[T], perm: &[usize]) -> Result<Tensor<T>, String> {
    let mut seen = vec![false; shape.len()];
    if perm.len() != shape.len()
        || perm
            .iter()
            .any(|&p| p >= shape.len() || std::mem::replace(&mut seen[p], true))
    {
        return Err(format!("perm {perm:?} is not a permutation of the axes of {shape:?}"));
    }
    let st = strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let in_strides: Vec<i64> = perm.iter().map(|&p| st[p] as i64).collect();
    let mut out = Vec::with_capacity(elements(&out_shape)?);
    strided_copy(data, &out_shape, &in_strides, 0, &mut out);
    Ok((out_shape, out))
}

/// ONNX `Concat` along `axis`: equal ranks, equal dimensions except `axis`.
pub fn concat<T: Copy>(parts: &[(&[usize], &[T])], axis: i64) -> Result<Tensor<T>, String> {
    let first = parts.first().ok_or("concat of nothing")?.0;
    let a = normalize_axis(axis, first.len())?;
    let mut out_shape = first.to_vec();
    out_shape[a] = 0;
    for (shape, _) in parts {
        let same = shape.len() == first.len() && (0..first.len()).all(|i| i == a || shape[i] == first[i]);
        if !same {
            return Err(format!("cannot concatenate {first:?} and {shape:?} along axis {axis}"));
        }
        out_shape[a] = out_shape[a].checked_add(shape[a]).ok_or("concat overflows")?;
    }
    let mut out = Vec::with_capacity(elements(&out_shape)?);
    let outer: usize = first[..a].iter().product();
    for o in 0..outer {
        for (shape, data) in parts {
            let chunk: usize = shape[a..].iter().product();
            out.extend_from_slice(&data[o * chunk..][..chunk]);
        }
    }
    Ok((out_shape, out))
}

/// ONNX `Squeeze`: removes the listed axes (each of size 1), or every axis
/// of size 1 when `axes` is `None`.
pub fn squeeze_shape(shape: &[usize], axes: Option<&[i64]>) -> Result<Vec<usize>, String> {
    let Some(axes) = axes else {
        return Ok(shape.iter().copied().filter(|&d| d != 1).collect());
    };
    let mut drop = vec![false; shape.len()];
    for &axis in axes {
        let a = normalize_axis(axis, shape.len())?;
        if shape[a] != 1 || std::mem::replace(&mut drop[a], true) {
            return Err(format!("cannot squeeze axis {axis} of {shape:?}"));
        }
    }
    Ok(shape.iter().zip(&drop).filter(|(_, d)| !**d).map(|(&s, _)| s).collect())
}

/// ONNX `Unsqueeze`: inserts size-1 axes at the listed positions of the
/// output (rank `rank + axes.len()`, at most [`MAX_RANK`]).
pub fn unsqueeze_shape(shape: &[usize], axes: &[i64]) -> Result<Vec<usize>, String> {
    let rank = shape.len() + axes.len();
    if rank > MAX_RANK {
        return Err(format!("unsqueeze to rank {rank} exceeds {MAX_RANK}"));
    }
    let mut one = vec![false; rank];
    for &axis in axes {
        let a = normalize_axis(axis, rank)?;
        if std::mem::replace(&mut one[a], true) {
            return Err(format!("unsqueeze axes {axes:?} repeat an axis"));
        }
    }
    let mut rest = shape.iter();
    Ok(one
        .iter()
        .map(|&o| if o { 1 } else { *rest.next().unwrap_or(&1) })
        .collect())
}

/// ONNX `Slice` (opset 13). `axes` defaults to `0..starts.len()`, `steps`
/// to 1. Per sliced axis of size `d`: negative `start`/`end` get `d` added;
/// then for `step > 0` both are clamped to `[0, d]`, for `step < 0` `start`
/// to `[0, d − 1]` and `end` to `[−1, d − 1]`; the axis keeps positions
/// `start + i·step` strictly before `end` (in the step's direction).
pub fn slice<T: Copy>(
    shape: &[usize],
    data: &[T],
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<Tensor<T>, String> {
    let n = starts.len();
    let default_axes: Vec<i64> = (0..n as i64).collect();
    let axes = axes.unwrap_or(&default_axes);
    let ones = vec![1i64; n];
    let steps = steps.unwrap_or(&ones);
    if ends.len() != n || axes.len() != n || steps.len() != n {
        return Err(format!(
            "slice with {n} starts, {} ends, {} axes, {} steps",
            ends.len(),
            axes.len(),
            steps.len()
        ));
    }
    let st = strides(shape);
    let mut out_shape = shape.to_vec();
    let mut in_strides: Vec<i64> = st.iter().map(|&s| s as i64).collect();
    let mut base = 0i64;
    let mut seen = vec![false; shape.len()];
    for i in 0..n {
        let a = normalize_axis(axes[i], shape.len())?;
        if std::mem::replace(&mut seen[a], true) || steps[i] == 0 {
            return Err(format!("slice axes {axes:?} / steps {steps:?}"));
        }
        let (d, step) = (shape[a] as i128, i128::from(steps[i]));
        let wrap = |v: i64| if v < 0 { i128::from(v) + d } else { i128::from(v) };
        let (start, count) = if step > 0 {
            let (s, e) = (wrap(starts[i]).clamp(0, d), wrap(ends[i]).clamp(0, d));
            (s, ((e - s).max(0) + step - 1) / step)
        } else {
            let (s, e) = (wrap(starts[i]).clamp(0, (d - 1).max(0)), wrap(ends[i]).clamp(-1, d - 1));
            (s, ((s - e).max(0) + (-step) - 1) / (-step))
        };
        out_shape[a] = if d == 0 { 0 } else { count as usize };
        if out_shape[a] > 0 {
            base += (start as i64) * st[a] as i64;
        }
        // With two or more elements |step| < d, so the stride stays within
        // the tensor; with fewer it is never applied.
        in_strides[a] = if out_shape[a] > 1 { steps[i] * st[a] as i64 } else { 0 };
    }
    let mut out = Vec::with_capacity(elements(&out_shape)?);
    strided_copy(data, &out_shape, &in_strides, base, &mut out);
    Ok((out_shape, out))
}

/// ONNX `Gather`: output shape `data[..axis] ++ indices ++ data[axis+1..]`;
/// each index in `[−d, d)`, negative counting from the end.
pub fn gather<T: Copy>(
    shape: &[usize],
    data: &[T],
    axis: i64,
    index_shape: &[usize],
    indices: &[i64],
) -> Result<Tensor<T>, String> {
    let a = normalize_axis(axis, shape.len())?;
    let d = shape[a];
    let idx = indices
        .iter()
        .map(|&i| normalize_axis(i, d).map_err(|_| format!("gather index {i} out of range for size {d}")))
        .collect::<Result<Vec<_>, _>>()?;
    let out_shape: Vec<usize> = shape[..a]
        .iter()
        .chain(index_shape)
        .chain(&shape[a + 1..])
        .copied()
        .collect();
    if out_shape.len() > MAX_RANK {
        return Err(format!("gather result of rank {} exceeds {MAX_RANK}", out_shape.len()));
    }
    let mut out = Vec::with_capacity(elements(&out_shape)?);
    let outer: usize = shape[..a].iter().product();
    let inner: usize = shape[a + 1..].iter().product();
    for o in 0..outer {
        for &i in &idx {
            out.extend_from_slice(&data[(o * d + i) * inner..][..inner]);
        }
    }
    Ok((out_shape, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_concat() {
        let (s, d) = transpose(&[2, 3], &[0, 1, 2, 3, 4, 5], &[1, 0]).unwrap();
        assert_eq!((s, d), (vec![3, 2], vec![0, 3, 1, 4, 2, 5]));
        assert!(transpose(&[2, 3], &[0; 6], &[0, 0]).is_err());
        let (s, d) = concat(&[(&[2, 1][..], &[1, 2][..]), (&[2, 2][..], &[3, 4, 5, 6][..])], -1).unwrap();
        assert_eq!((s, d), (vec![2, 3], vec![1, 3, 4, 2, 5, 6]));
        assert!(concat(&[(&[2, 1][..], &[1, 2][..]), (&[3, 1][..], &[0; 3][..])], 1).is_err());
    }

    #[test]
    fn squeeze_unsqueeze() {
        assert_eq!(squeeze_shape(&[1, 3, 1], None), Ok(vec![3]));
        assert_eq!(squeeze_shape(&[1, 3, 1], Some(&[-1])), Ok(vec![1, 3]));
        assert!(squeeze_shape(&[1, 3, 1], Some(&[1])).is_err());
        assert_eq!(unsqueeze_shape(&[3, 4], &[0, 3]), Ok(vec![1, 3, 4, 1]));
        assert_eq!(unsqueeze_shape(&[3], &[-1]), Ok(vec![3, 1]));
        assert!(unsqueeze_shape(&[3], &[0, 0]).is_err());
    }

    #[test]
    fn slices_follow_onnx_clamping() {
        let data: Vec<i64> = (0..10).collect();
        let s = |st: i64, en: i64, step: i64| slice(&[10], &data, &[st], &[en], None, Some(&[step])).unwrap().1;
        assert_eq!(s(2, 5, 1), [2, 3, 4]);
        assert_eq!(s(-3, i64::MAX, 1), [7, 8, 9]);
        assert_eq!(s(i64::MAX, i64::MIN, -1), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(s(8, 1, -3), [8, 5, 2]);
        assert_eq!(s(5, 2, 1), Vec::<i64>::new());
        let (shape, d) = slice(&[2, 3], &[0, 1, 2, 3, 4, 5], &[-1], &[-4], Some(&[1]), Some(&[-2])).unwrap();
        assert_eq!((shape, d), (vec![2, 2], vec![2, 0, 5, 3]));
        assert!(slice(&[3], &data[..3], &[0], &[3], None, Some(&[0])).is_err());
    }

    #[test]
    fn gather_along_an_axis() {
        let (s, d) = gather(&[3, 2], &[0, 1, 2, 3, 4, 5], 0, &[2], &[2, -3]).unwrap();
        assert_eq!((s, d), (vec![2, 2], vec![4, 5, 0, 1]));
        let (s, d) = gather(&[3, 2], &[0, 1, 2, 3, 4, 5], 1, &[], &[1]).unwrap();
        assert_eq!((s, d), (vec![3], vec![1, 3, 5]));
        assert!(gather(&[3], &[0, 1, 2], 0, &[1], &[3]).is_err());
    }
}

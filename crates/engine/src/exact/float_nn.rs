//! The float reference of the transformer ops (f64 arithmetic, f32
//! results): pointwise functions, Softmax, LayerNormalization, ReduceSum /
//! ReduceMean and numpy `MatMul` with broadcasting.

use super::float_ref::FTensor;
use super::nonlinear::{Pointwise, exp};
use super::reduce::{axis_flags, reduced_shape};
use super::shape::{broadcast, broadcast_indices, elements};
use super::softmax::split_axis;

/// `f(x)` element-wise.
pub fn pointwise(mut x: FTensor, p: Pointwise) -> FTensor {
    x.data.iter_mut().for_each(|v| *v = p.eval(f64::from(*v)) as f32);
    x
}

/// Softmax over `axis` (`legacy`: over the flattened axes from `axis` on).
pub fn softmax(x: &FTensor, axis: i64, legacy: bool) -> Result<FTensor, String> {
    let (outer, len, inner) = if legacy {
        let rank = x.shape.len() as i64;
        let a = if axis < 0 { axis + rank } else { axis };
        if !(0..=rank).contains(&a) {
            return Err(format!("softmax axis {axis} out of range for rank {rank}"));
        }
        let (head, tail) = x.shape.split_at(a as usize);
        (head.iter().product(), tail.iter().product(), 1)
    } else {
        split_axis(&x.shape, axis)?
    };
    let mut y = vec![0f32; x.data.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |l: usize| o * len * inner + l * inner + i;
            let max = (0..len)
                .map(|l| f64::from(x.data[at(l)]))
                .fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = (0..len).map(|l| exp(f64::from(x.data[at(l)]) - max)).collect();
            let sum: f64 = e.iter().sum();
            for (l, e) in e.iter().enumerate() {
                y[at(l)] = (e / sum) as f32;
            }
        }
    }
    Ok(FTensor {
        shape: x.shape.clone(),
        data: y,
    })
}

/// For every position of `shape` (row-major), the index of `operand`
/// broadcast to it; errors unless `operand` broadcasts to exactly `shape`.
pub fn broadcast_map(shape: &[usize], operand: &[usize]) -> Result<Vec<usize>, String> {
    if broadcast(shape, operand)? != shape {
        return Err(format!("{operand:?} does not broadcast to {shape:?}"));
    }
    let mut map = Vec::with_capacity(elements(shape)?);
    broadcast_indices(shape, shape, operand, |_, j| map.push(j));
    Ok(map)
}

/// The normalized axes of `x` from `axis` on, as `(first axis, their shape)`.
pub fn norm_axes(shape: &[usize], axis: i64) -> Result<(usize, &[usize]), String> {
    let rank = shape.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return Err(format!("LayerNormalization axis {axis} out of range for rank {rank}"));
    }
    Ok((a as usize, &shape[a as usize..]))
}

/// ONNX `LayerNormalization` over the axes from `axis` on.
pub fn layer_norm(
    x: &FTensor,
    scale: &FTensor,
    bias: Option<&FTensor>,
    axis: i64,
    eps: f32,
) -> Result<FTensor, String> {
    let (_, norm) = norm_axes(&x.shape, axis)?;
    let n: usize = norm.iter().product();
    let gamma = broadcast_map(norm, &scale.shape)?;
    let beta = bias.map(|b| broadcast_map(norm, &b.shape)).transpose()?;
    let mut y = Vec::with_capacity(x.data.len());
    for block in x.data.chunks_exact(n.max(1)) {
        let mean = block.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let var = block.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n as f64;
        let inv = 1.0 / (var + f64::from(eps)).sqrt();
        for (j, &v) in block.iter().enumerate() {
            let b = match (bias, &beta) {
                (Some(b), Some(map)) => f64::from(b.data[map[j]]),
                _ => 0.0,
            };
            y.push(((f64::from(v) - mean) * inv * f64::from(scale.data[gamma[j]]) + b) as f32);
        }
    }
    Ok(FTensor {
        shape: x.shape.clone(),
        data: y,
    })
}

/// `ReduceSum` / `ReduceMean` over `axes` (empty: every axis).
pub fn reduce(x: &FTensor, axes: &[i64], keepdims: bool, mean: bool) -> Result<FTensor, String> {
    let flags = axis_flags(axes, x.shape.len())?;
    let (kept, count) = reduced_shape(&x.shape, &flags);
    let mut acc = vec![0f64; elements(&kept)?];
    let mut idx = vec![0usize; x.shape.len()];
    for &v in &x.data {
        let o = idx
            .iter()
            .zip(&kept)
            .zip(&flags)
            .fold(0, |o, ((&i, &k), &f)| o * k + if f { 0 } else { i });
        acc[o] += f64::from(v);
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < x.shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let div = if mean { count as f64 } else { 1.0 };
    let shape = if keepdims {
        kept
    } else {
        x.shape
            .iter()
            .zip(&flags)
            .filter(|(_, f)| !**f)
            .map(|(&d, _)| d)
            .collect()
    };
    Ok(FTensor {
        shape,
        data: acc.iter().map(|a| (a / div) as f32).collect(),
    })
}

/// numpy `matmul`: rank-1 operands are promoted (and the added axis
/// dropped again), leading axes broadcast.
pub fn matmul(a: &FTensor, b: &FTensor) -> Result<FTensor, String> {
    if a.shape.is_empty() || b.shape.is_empty() {
        return Err("MatMul of a scalar".into());
    }
    let sa = if a.shape.len() == 1 {
        vec![1, a.shape[0]]
    } else {
        a.shape.clone()
    };
    let sb = if b.shape.len() == 1 {
        vec![b.shape[0], 1]
    } else {
        b.shape.clone()
    };
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (kb, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != kb {
        return Err(format!("MatMul inner dimensions differ: {:?} x {:?}", a.shape, b.shape));
    }
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let batch = broadcast(ba, bb)?;
    let mut pairs = Vec::new();
    broadcast_indices(&batch, ba, bb, |i, j| pairs.push((i, j)));
    let mut y = Vec::with_capacity(elements(&[pairs.len(), m, n])?);
    for (ia, ib) in pairs {
        let am = &a.data[ia * m * k..][..m * k];
        let bm = &b.data[ib * k * n..][..k * n];
        for i in 0..m {
            for j in 0..n {
                let acc: f64 = (0..k)
                    .map(|p| f64::from(am[i * k + p]) * f64::from(bm[p * n + j]))
                    .sum();
                y.push(acc as f32);
            }
        }
    }
    let mut shape = batch;
    if a.shape.len() > 1 {
        shape.push(m);
    }
    if b.shape.len() > 1 {
        shape.push(n);
    }
    Ok(FTensor { shape, data: y })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], data: &[f32]) -> FTensor {
        FTensor {
            shape: shape.to_vec(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn reference_ops_on_small_cases() {
        let s = softmax(&t(&[1, 2], &[0.0, 0.0]), -1, false).unwrap();
        assert_eq!(s.data, [0.5, 0.5]);
        let ln = layer_norm(
            &t(&[2], &[1.0, 3.0]),
            &t(&[2], &[2.0, 1.0]),
            Some(&t(&[1], &[0.5])),
            -1,
            0.0,
        )
        .unwrap();
        assert_eq!(ln.data, [-1.5, 1.5]);
        let r = reduce(&t(&[2, 2], &[1.0, 2.0, 3.0, 5.0]), &[0], false, true).unwrap();
        assert_eq!(
            (r.shape.as_slice(), r.data.as_slice()),
            (&[2usize][..], &[2.0f32, 3.5][..])
        );
        let mm = matmul(&t(&[2], &[1.0, 2.0]), &t(&[2, 1], &[3.0, 4.0])).unwrap();
        assert_eq!(
            (mm.shape.as_slice(), mm.data.as_slice()),
            (&[1usize][..], &[11.0f32][..])
        );
        let legacy = softmax(&t(&[1, 2, 1], &[0.0, 0.0]), 1, true).unwrap();
        assert_eq!(legacy.data, [0.5, 0.5]);
    }
}

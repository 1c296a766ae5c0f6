//! The float reference of the CNN and element-wise ops (Conv,
//! BatchNormalization, pooling, Sub/Mul/Div, LeakyRelu, Clip): plain loops
//! with f64 accumulation, used for calibration and constant folding.

use super::float_ref::FTensor;
use super::ir::WindowAttrs;
use super::shape::{broadcast, broadcast_indices, elements};
use super::window::{Window2d, nchw, resolve};

/// Element-wise `f(a, b)` with numpy broadcasting.
pub fn binary(a: &FTensor, b: &FTensor, f: impl Fn(f32, f32) -> f32) -> Result<FTensor, String> {
    let shape = broadcast(&a.shape, &b.shape)?;
    let mut data = Vec::with_capacity(elements(&shape)?);
    broadcast_indices(&shape, &a.shape, &b.shape, |i, j| data.push(f(a.data[i], b.data[j])));
    Ok(FTensor { shape, data })
}

/// `f` applied to every element.
pub fn unary(mut x: FTensor, f: impl Fn(f32) -> f32) -> FTensor {
    x.data.iter_mut().for_each(|v| *v = f(*v));
    x
}

fn kernel_of(w: &FTensor) -> Result<[u32; 2], String> {
    match w.shape.as_slice() {
        &[_, _, kh, kw] => Ok([
            u32::try_from(kh).map_err(|_| "kernel too large")?,
            u32::try_from(kw).map_err(|_| "kernel too large")?,
        ]),
        s => Err(format!(
            "Conv weights of shape {s:?} (only 2-D convolutions are supported)"
        )),
    }
}

/// ONNX Conv (2-D, NCHW, groups), `y[n, m] = Σ x · w + b[m]`.
pub fn conv(x: &FTensor, w: &FTensor, b: Option<&FTensor>, attrs: &WindowAttrs, group: i64) -> Result<FTensor, String> {
    let kernel = kernel_of(w)?;
    let [n, c, h, wd] = nchw(&x.shape)?;
    let win = resolve(attrs, kernel, Some([h, wd]))?;
    let [m, cg, kh, kw] = nchw(&w.shape)?;
    let g = usize::try_from(group).map_err(|_| format!("group {group}"))?;
    if g == 0 || c % g != 0 || m % g != 0 || cg != c / g {
        return Err(format!(
            "Conv of {:?} with weights {:?} and group {group}",
            x.shape, w.shape
        ));
    }
    if let Some(b) = b.filter(|b| b.data.len() != m) {
        return Err(format!("Conv bias of shape {:?} for {m} channels", b.shape));
    }
    let [oh, ow] = win.out_hw(h, wd)?;
    let shape = vec![n, m, oh, ow];
    let mut out = vec![0f32; elements(&shape)?];
    let mut plane = vec![0f64; oh * ow];
    for ni in 0..n {
        for mi in 0..m {
            plane
                .iter_mut()
                .for_each(|v| *v = b.map_or(0.0, |b| f64::from(b.data[mi])));
            let gi = mi / (m / g);
            for ci in 0..cg {
                let xc = &x.data[((ni * c) + gi * cg + ci) * h * wd..][..h * wd];
                for i in 0..kh {
                    for j in 0..kw {
                        let wv = f64::from(w.data[((mi * cg + ci) * kh + i) * kw + j]);
                        accumulate(&mut plane, xc, wv, &win, [h, wd], [oh, ow], [i, j]);
                    }
                }
            }
            let o = &mut out[(ni * m + mi) * oh * ow..][..oh * ow];
            o.iter_mut().zip(&plane).for_each(|(o, &p)| *o = p as f32);
        }
    }
    Ok(FTensor { shape, data: out })
}

/// `plane[oy, ox] += wv · x[pos(oy, i), pos(ox, j)]` over in-range positions.
fn accumulate(plane: &mut [f64], x: &[f32], wv: f64, win: &Window2d, hw: [usize; 2], out: [usize; 2], tap: [usize; 2]) {
    for oy in 0..out[0] {
        let iy = win.pos(0, oy, tap[0]);
        if iy < 0 || iy >= hw[0] as i64 {
            continue;
        }
        let row = &x[iy as usize * hw[1]..][..hw[1]];
        for ox in 0..out[1] {
            let ix = win.pos(1, ox, tap[1]);
            if ix >= 0 && ix < hw[1] as i64 {
                plane[oy * out[1] + ox] += wv * f64::from(row[ix as usize]);
            }
        }
    }
}

/// Inference BatchNormalization along axis 1:
/// `(x − mean) / sqrt(var + ε) · scale + bias`.
pub fn batch_norm(x: &FTensor, params: [&FTensor; 4], epsilon: f32) -> Result<FTensor, String> {
    let c = *x.shape.get(1).ok_or("BatchNormalization of a tensor of rank < 2")?;
    if params.iter().any(|p| p.data.len() != c) {
        return Err(format!("BatchNormalization parameters for {c} channels"));
    }
    let inner: usize = x.shape[2..].iter().product();
    let [scale, bias, mean, var] = params;
    let mut y = x.clone();
    for (i, v) in y.data.iter_mut().enumerate() {
        let ch = (i / inner.max(1)) % c;
        let sd = (f64::from(var.data[ch]) + f64::from(epsilon)).sqrt();
        *v = ((f64::from(*v) - f64::from(mean.data[ch])) / sd * f64::from(scale.data[ch]) + f64::from(bias.data[ch]))
            as f32;
    }
    Ok(y)
}

/// Which pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    /// Average; `true` counts padded positions (not those past the end pad).
    Average(bool),
}

/// MaxPool / AveragePool over 2-D windows.
pub fn pool(x: &FTensor, attrs: &WindowAttrs, kind: PoolKind) -> Result<FTensor, String> {
    let [n, c, h, w] = nchw(&x.shape)?;
    let kernel = match attrs.kernel_shape.as_slice() {
        &[a, b] => [
            u32::try_from(a).map_err(|_| format!("kernel {a}"))?,
            u32::try_from(b).map_err(|_| format!("kernel {b}"))?,
        ],
        k => return Err(format!("kernel_shape {k:?} (2-D pooling only)")),
    };
    if h == 0 || w == 0 {
        return Err(format!("pooling of an empty plane {:?}", x.shape));
    }
    let win = resolve(attrs, kernel, Some([h, w]))?;
    let [oh, ow] = win.out_hw(h, w)?;
    let shape = vec![n, c, oh, ow];
    let mut out = Vec::with_capacity(elements(&shape)?);
    for plane in x.data.chunks_exact(h * w).take(n * c) {
        for oy in 0..oh {
            for ox in 0..ow {
                let (mut best, mut sum, mut valid, mut counted) = (f32::NEG_INFINITY, 0f64, 0usize, 0usize);
                for i in 0..win.kernel[0] as usize {
                    let iy = win.pos(0, oy, i);
                    for j in 0..win.kernel[1] as usize {
                        let ix = win.pos(1, ox, j);
                        let inside = iy < (h + win.pad(0, true)) as i64 && ix < (w + win.pad(1, true)) as i64;
                        counted += usize::from(inside);
                        if iy >= 0 && iy < h as i64 && ix >= 0 && ix < w as i64 {
                            let v = plane[iy as usize * w + ix as usize];
                            best = best.max(v);
                            sum += f64::from(v);
                            valid += 1;
                        }
                    }
                }
                out.push(match kind {
                    PoolKind::Max => best,
                    PoolKind::Average(include_pad) => {
                        let count = if include_pad { counted } else { valid };
                        (sum / count.max(1) as f64) as f32
                    }
                });
            }
        }
    }
    Ok(FTensor { shape, data: out })
}

/// Mean over every axis after the first two, which become 1.
pub fn global_average_pool(x: &FTensor) -> Result<FTensor, String> {
    if x.shape.len() < 3 {
        return Err(format!("GlobalAveragePool of shape {:?}", x.shape));
    }
    let inner: usize = x.shape[2..].iter().product();
    if inner == 0 {
        return Err(format!("GlobalAveragePool of an empty tensor {:?}", x.shape));
    }
    let mut shape = x.shape.clone();
    shape[2..].iter_mut().for_each(|d| *d = 1);
    let data = x
        .data
        .chunks_exact(inner)
        .map(|p| (p.iter().map(|&v| f64::from(v)).sum::<f64>() / inner as f64) as f32)
        .collect();
    Ok(FTensor { shape, data })
}

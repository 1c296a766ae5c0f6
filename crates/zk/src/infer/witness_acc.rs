//! The accumulators of a requantized layer, recomputed from the traced
//! input with the engine's own GEMM kernel and requantizers, and checked
//! against the traced output element by element: a witness whose
//! accumulators would not requantize to the engine's values is refused
//! (`TraceMismatch`) instead of producing a proof that fails to verify.

use veris_engine::exact::kernels::linear_acc;
use veris_engine::exact::{IntTensor, Requant, rq_div};

use super::key::{LinearKey, Stage};
use super::key_cnn::{ConvKey, PoolKey};
use super::prove::ProveError;
use super::tables::RequantTables;
use super::{QMAX, QMIN};

fn mismatch(op: usize, index: usize) -> ProveError {
    ProveError::TraceMismatch { op, index }
}

fn to_i16(x: &IntTensor, op: usize) -> Result<Vec<i16>, ProveError> {
    x.data
        .iter()
        .enumerate()
        .map(|(i, &v)| i16::try_from(v).map_err(|_| mismatch(op, i)))
        .collect()
}

/// `acc` (row-major like `out`) of stage `stage`, whose traced input is `x` and output `out`.
pub(crate) fn accumulators(
    stage: &Stage,
    t: &RequantTables,
    x: &IntTensor,
    out: &IntTensor,
    op: usize,
) -> Result<Vec<i64>, ProveError> {
    match stage {
        Stage::Linear(key) => linear(key, t, x, out, op),
        Stage::Conv(key) => conv(key, t, x, out, op),
        Stage::AvgPool(key) => pool(key, x, out, op),
        Stage::Relu
        | Stage::Lut(_)
        | Stage::Reshape(_)
        | Stage::Flatten(_)
        | Stage::Transpose(_)
        | Stage::MatMul(_)
        | Stage::MaxPool(_)
        | Stage::LayerNorm(_)
        | Stage::Add(_)
        | Stage::Softmax(_) => Err(mismatch(op, 0)),
    }
}

/// Adds the bias of channel `channel(i)` and checks `sat(rq(acc)) = out` everywhere.
fn finish(
    key: &LinearKey,
    acc: &mut [i64],
    out: &IntTensor,
    op: usize,
    channel: impl Fn(usize) -> usize,
) -> Result<(), ProveError> {
    let floor = if key.relu { 0 } else { QMIN };
    for (index, (a, &y)) in acc.iter_mut().zip(&out.data).enumerate() {
        let j = channel(index);
        *a += key.bias[j];
        let r = Requant {
            multiplier: key.requant[j].multiplier,
            shift: key.requant[j].shift,
        };
        if r.apply_sat(*a, floor, QMAX) != y {
            return Err(mismatch(op, index));
        }
    }
    Ok(())
}

fn linear(
    key: &LinearKey,
    t: &RequantTables,
    x: &IntTensor,
    out: &IntTensor,
    op: usize,
) -> Result<Vec<i64>, ProveError> {
    let (k, n) = (key.k as usize, key.n as usize);
    let rows = x.data.len() / k;
    if x.data.len() != rows * k || out.data.len() != rows * n {
        return Err(mismatch(op, 0));
    }
    let mut acc = vec![0i64; rows * n];
    linear_acc(&to_i16(x, op)?, rows, k, &t.weights, n, true, &mut acc);
    finish(key, &mut acc, out, op, |i| i % n)?;
    Ok(acc)
}

fn conv(key: &ConvKey, t: &RequantTables, x: &IntTensor, out: &IntTensor, op: usize) -> Result<Vec<i64>, ProveError> {
    let (&[n, c, h, w], &[on, m, oh, ow]) = (x.shape.as_slice(), out.shape.as_slice()) else {
        return Err(mismatch(op, 0));
    };
    let win = &key.window;
    let (kh, kw, g) = (win.kernel[0] as usize, win.kernel[1] as usize, key.group as usize);
    if on != n || c != key.c_in as usize || m != key.channels.n as usize || out.data.len() != n * m * oh * ow {
        return Err(mismatch(op, 0));
    }
    let (cg, mg, pixels) = (c / g, m / g, oh * ow);
    // Per group: im2col with one row per output pixel (n, oy, ox) and columns
    // (c, i, j) over the group's input channels (padding reads 0), then the GEMM.
    let (k, rows) = (cg * kh * kw, n * pixels);
    let xs = to_i16(x, op)?;
    let mut acc = vec![0i64; rows * m];
    let mut col = vec![0i16; rows * k];
    let mut pixel_major = vec![0i64; rows * mg];
    for gi in 0..g {
        for (r, patch) in col.chunks_exact_mut(k.max(1)).enumerate() {
            let (ni, oy, ox) = (r / pixels, (r / ow) % oh, r % ow);
            for (q, v) in patch.iter_mut().enumerate() {
                let (ci, i, j) = (gi * cg + q / (kh * kw), (q / kw) % kh, q % kw);
                let (iy, ix) = (win.pos(0, oy, i), win.pos(1, ox, j));
                let inside = (0..h as i64).contains(&iy) && (0..w as i64).contains(&ix);
                *v = if inside {
                    xs[((ni * c + ci) * h + iy as usize) * w + ix as usize]
                } else {
                    0
                };
            }
        }
        let weights = &t.weights[gi * mg * k..(gi + 1) * mg * k];
        linear_acc(&col, rows, k, weights, mg, true, &mut pixel_major);
        // To NCHW: acc[n][gi·mg + j][p] = pixel_major[n·P + p][j].
        for (r, row) in pixel_major.chunks_exact(mg).enumerate() {
            for (j, &a) in row.iter().enumerate() {
                acc[((r / pixels) * m + gi * mg + j) * pixels + r % pixels] = a;
            }
        }
    }
    finish(&key.channels, &mut acc, out, op, |i| (i / pixels) % m)?;
    Ok(acc)
}

fn pool(key: &PoolKey, x: &IntTensor, out: &IntTensor, op: usize) -> Result<Vec<i64>, ProveError> {
    let (&[n, c, h, w], &[on, oc, oh, ow]) = (x.shape.as_slice(), out.shape.as_slice()) else {
        return Err(mismatch(op, 0));
    };
    if on != n || oc != c || out.data.len() != n * c * oh * ow {
        return Err(mismatch(op, 0));
    }
    let win = &key.window;
    let r = Requant {
        multiplier: key.requant.multiplier,
        shift: key.requant.shift,
    };
    let taps = key.window.taps() as i64;
    let mut acc = Vec::with_capacity(out.data.len());
    for (index, &y) in out.data.iter().enumerate() {
        let (plane, oy, ox) = (index / (oh * ow), (index / ow) % oh, index % ow);
        let mut sum = 0i64;
        for i in 0..win.kernel[0] as usize {
            for j in 0..win.kernel[1] as usize {
                let (iy, ix) = (win.pos(0, oy, i), win.pos(1, ox, j));
                if (0..h as i64).contains(&iy) && (0..w as i64).contains(&ix) {
                    sum += x.data[(plane * h + iy as usize) * w + ix as usize];
                }
            }
        }
        if rq_div(r, sum, taps).clamp(i128::from(QMIN), i128::from(QMAX)) != i128::from(y) {
            return Err(mismatch(op, index));
        }
        acc.push(sum);
    }
    Ok(acc)
}

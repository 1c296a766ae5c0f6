//! Plain, obviously-correct versions of the fast kernels, for tests.

/// `acc[r, j] = Σ_p x[r, p] · w[j, p]`, one i64 multiply-add at a time.
pub fn linear_acc_ref(x: &[i16], rows: usize, k: usize, w: &[i16], n: usize) -> Vec<i64> {
    let mut acc = vec![0i64; rows * n];
    for r in 0..rows {
        for j in 0..n {
            let mut s = 0i64;
            for p in 0..k {
                s += i64::from(x[r * k + p]) * i64::from(w[j * k + p]);
            }
            acc[r * n + j] = s;
        }
    }
    acc
}

/// The Conv op of the semantics computed directly from its definition, one
/// output element at a time: `y[n, m, oy, ox] = sat(rq_m(Σ_{c, i, j}
/// x[n, g·c_g + c, oy·s_h − p_top + i·d_h, ox·s_w − p_left + j·d_w] ·
/// w[m, c, i, j] + bias[m]))`, padding reading 0, lower bound 0 with `relu`.
/// `x` is `[N, c_in, H, W]`; `w` is `c_out × (c_in/group · kh · kw)`.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_ref(
    x: &[i64],
    [n, c_in, h, w]: [usize; 4],
    weights: &[i16],
    bias: &[i64],
    requant: &[super::Requant],
    c_out: usize,
    group: usize,
    kernel: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    pads: [usize; 4],
    (lo, hi): (i64, i64),
) -> (Vec<usize>, Vec<i64>) {
    let out_len = |axis: usize, len: usize| {
        let extent = dilations[axis] * (kernel[axis] - 1) + 1;
        (len + pads[axis] + pads[axis + 2] - extent) / strides[axis] + 1
    };
    let (oh, ow) = (out_len(0, h), out_len(1, w));
    let (cg, mg) = (c_in / group, c_out / group);
    let k = cg * kernel[0] * kernel[1];
    let mut y = Vec::with_capacity(n * c_out * oh * ow);
    for b in 0..n {
        for m in 0..c_out {
            let g = m / mg;
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias[m];
                    for c in 0..cg {
                        for i in 0..kernel[0] {
                            for j in 0..kernel[1] {
                                let iy = (oy * strides[0] + i * dilations[0]) as i64 - pads[0] as i64;
                                let ix = (ox * strides[1] + j * dilations[1]) as i64 - pads[1] as i64;
                                if iy < 0 || ix < 0 || iy >= h as i64 || ix >= w as i64 {
                                    continue;
                                }
                                let xv = x[((b * c_in + g * cg + c) * h + iy as usize) * w + ix as usize];
                                let wv = weights[m * k + (c * kernel[0] + i) * kernel[1] + j];
                                acc += xv * i64::from(wv);
                            }
                        }
                    }
                    y.push(requant[m].apply_sat(acc, lo, hi));
                }
            }
        }
    }
    (vec![n, c_out, oh, ow], y)
}

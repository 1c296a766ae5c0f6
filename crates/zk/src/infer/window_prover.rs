//! The prover's side of the claim reductions of [`super::window`]: the
//! sumcheck tables of each step, built from the padded input, the padded
//! weights and the layer point. The im2col matrix appears only as its
//! restriction `I(r_pix, ·)` to the layer point (`2^kv` entries), computed
//! axis by axis; the window step works on `X(r_n, ρ_c, ·, ·)` (`2^(hv+wv)`).

use super::circuit::{RequantLayer, ceil_log2};
use super::claims::ClaimSink;
use super::key::Stage;
use super::layout::{AxisMap, Layout, tap_weights};
use super::proof::Step;
use super::walk::Kind;
use super::window::{axis_maps, grids, step_shapes, window_of};
use super::window_grouped::conv_key;
use super::window_grouped::prover::prove_grouped;
use crate::error::{ProverError, VerifyError};
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::mle::eq_table;
use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
use crate::transcript::Transcript;

/// `Σ_rows eq(point, row) · m[row]` for a row-major table `m` with rows of `width`.
pub(crate) fn fold_rows(m: &[i64], width: usize, point: &[E]) -> Vec<E> {
    let mut out = vec![E::ZERO; width];
    for (e, row) in eq_table(point).into_iter().zip(m.chunks_exact(width)) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += e.mul_base(F::from_i64(v));
        }
    }
    out
}

fn product(tables: Vec<Vec<E>>) -> Result<SumOfProducts, ProverError> {
    let factors = (0..tables.len()).collect();
    SumOfProducts::new(tables, vec![ProductTerm { coeff: E::ONE, factors }])
}

fn sink_ok(r: Result<(), VerifyError>) {
    r.expect("the prover's sink checks nothing");
}

/// `I(r_pix, (c, i, j))` for every padded kernel index: the im2col matrix
/// folded at the output pixel point, via `B[c][h][j] = Σ_x eq(r_x, x)·X̄[c][h][pos_W(x, j)]`.
fn im2col_at(
    xn: &[E],
    [cv, hv, wv]: [usize; 3],
    [iv, jv]: [usize; 2],
    maps: &[AxisMap<'_>; 2],
    r: [&[E]; 2],
) -> Vec<E> {
    let (eq_y, eq_x) = (eq_table(r[0]), eq_table(r[1]));
    let (kh, kw) = (maps[0].window.kernel[0] as usize, maps[1].window.kernel[1] as usize);
    let mut b = vec![E::ZERO; (1 << (cv + hv)) * kw];
    for ch_h in 0..1usize << (cv + hv) {
        let row = &xn[ch_h << wv..][..1 << wv];
        maps[1].for_each(|x, j, w| b[ch_h * kw + j] += eq_x[x] * row[w]);
    }
    let mut out = vec![E::ZERO; 1 << (cv + iv + jv)];
    for c in 0..1usize << cv {
        maps[0].for_each(|y, i, h| {
            for j in 0..kw {
                out[(((c << iv) + i) << jv) + j] += eq_y[y] * b[((c << hv) + h) * kw + j];
            }
        });
    }
    debug_assert!(kh <= 1 << iv);
    out
}

#[allow(clippy::too_many_arguments)] // the verifier's operands plus the input and weight tables
/// Proves layer `l`'s reduction at the layer point `r` (the verifier's [`super::window::verify_reduction`]).
pub(crate) fn prove_reduction<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    stage: &Stage,
    l: &RequantLayer,
    r: &[E],
    target: E,
    x: &[i64],
    weights: &[i64],
) -> Result<Vec<Step>, ProverError> {
    let shapes = step_shapes(l);
    let mut steps = Vec::with_capacity(shapes.len());
    let mut run = |t: &mut Transcript<H>, i: usize, tables: Vec<Vec<E>>, claim: E, sent: &[usize]| {
        let out = prove_sumcheck(t, product(tables)?, claim);
        let evals: Vec<E> = sent.iter().map(|&j| out.final_evals[j]).collect();
        t.absorb_fields(shapes[i].label, &evals);
        steps.push(Step {
            sumcheck: out.proof,
            evals: evals.clone(),
        });
        Ok::<_, ProverError>((out.point, evals))
    };
    match (l.kind, l.out) {
        (Kind::Linear, Layout::Matrix(d)) => {
            let (r_row, r_col) = r.split_at(d.row_vars);
            let kp = 1usize << shapes[0].sumcheck.num_vars;
            let tables = vec![fold_rows(x, kp, r_row), fold_rows(weights, kp, r_col)];
            let (rho, evals) = run(t, 0, tables, target, &[0, 1])?;
            sink_ok(sink.input(l, &[r_row, &rho].concat(), evals[0]));
            sink_ok(sink.weights(l, [r_col, &rho].concat(), evals[1]));
        }
        (Kind::Conv | Kind::Pool, _) => {
            let bad = |_| ProverError::InvalidInput {
                what: "window layer",
                detail: "circuit and key disagree".into(),
            };
            let (input, out) = grids(l).map_err(bad)?;
            let window = window_of(stage).map_err(bad)?;
            let maps = axis_maps(window, &input, &out);
            let part = |axis: usize| &r[out.offset(axis)..out.offset(axis) + out.vars[axis]];
            let [_, cv, hv, wv] = input.vars;
            let (mut channel_point, mut claim) = (part(1).to_vec(), target);
            let mut taps = [0, 1].map(|a| vec![E::ONE; window.kernel[a] as usize]);
            if l.kind == Kind::Conv {
                let kv = shapes[0].sumcheck.num_vars;
                let iv = ceil_log2(window.kernel[0] as usize);
                let xn = fold_rows(x, 1 << (cv + hv + wv), part(0));
                let im2col = im2col_at(&xn, [cv, hv, wv], [iv, kv - cv - iv], &maps, [part(2), part(3)]);
                let tables = vec![fold_rows(weights, 1 << kv, part(1)), im2col];
                let (rho, evals) = run(t, 0, tables, target, &[0, 1])?;
                sink_ok(sink.weights(l, [part(1), &rho].concat(), evals[0]));
                taps = [
                    tap_weights(&rho[cv..cv + iv], window.kernel[0] as usize),
                    tap_weights(&rho[cv + iv..], window.kernel[1] as usize),
                ];
                channel_point = rho[..cv].to_vec();
                claim = evals[1];
            }
            let xr = fold_rows(x, 1 << (hv + wv), &[part(0), &channel_point].concat());
            let sh = maps[0].selector_table(part(2), &taps[0], hv);
            let sw = maps[1].selector_table(part(3), &taps[1], wv);
            let sh_ext = (0..1usize << (hv + wv)).map(|i| sh[i >> wv]).collect();
            let sw_ext = (0..1usize << (hv + wv)).map(|i| sw[i & ((1 << wv) - 1)]).collect();
            let (sigma, evals) = run(t, shapes.len() - 1, vec![xr, sh_ext, sw_ext], claim, &[0])?;
            sink_ok(sink.input(l, &[part(0), &channel_point, &sigma].concat(), evals[0]));
        }
        (Kind::GroupedConv, _) => {
            let bad = |_| ProverError::InvalidInput {
                what: "grouped conv",
                detail: "circuit and key disagree".into(),
            };
            let (input, out) = grids(l).map_err(bad)?;
            let key = conv_key(stage).map_err(bad)?;
            let maps = axis_maps(&key.window, &input, &out);
            let part = |axis: usize| &r[out.offset(axis)..out.offset(axis) + out.vars[axis]];
            let [_, cv, hv, wv] = input.vars;
            let iv = ceil_log2(key.window.kernel[0] as usize);
            let jv = ceil_log2(key.window.kernel[1] as usize);
            let xn = fold_rows(x, 1 << (cv + hv + wv), part(0));
            let im2col = im2col_at(&xn, [cv, hv, wv], [iv, jv], &maps, [part(2), part(3)]);
            return prove_grouped(t, sink, key, l, r, target, &shapes, &im2col, xn, weights);
        }
        (Kind::MatMul | Kind::LayerNorm, _) => {
            return Err(ProverError::InvalidInput {
                what: "activation matmul or layernorm",
                detail: "proved by its own module, not as a window".into(),
            });
        }
        (Kind::Linear, Layout::Grid(_)) => {
            return Err(ProverError::InvalidInput {
                what: "linear layer",
                detail: "output is not a matrix".into(),
            });
        }
    }
    Ok(steps)
}

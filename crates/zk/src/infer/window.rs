//! The claim reductions of requantized layers (`docs/proof-system.md`
//! §9.3, §9.8): from a claim on the accumulators `acc(r)` (minus the bias)
//! to claims on the layer's input and weights, in one or two sumchecks.
//!
//! | layer | steps (sumcheck variables, degree → evaluations sent) |
//! |---|---|
//! | Linear | `Σ_p X(r_row, p)·W(r_col, p)` (`kv`, 2 → `X, W`; over a flattened grid `p = (c, h, w)`, `kv = cv+hv+wv`) |
//! | Conv | `Σ_k W(r_m, k)·I(r_pix, k)` (`cv+iv+jv`, 2 → `W, I`), then `I = Σ_{h,w} X(r_n, ρ_c, h, w)·S_H(h)·S_W(w)` (`hv+wv`, 3 → `X`) |
//! | AvgPool | `Σ_{h,w} X(r_n, r_c, h, w)·S_H(h)·S_W(w)` with unit taps (`hv+wv`, 3 → `X`) |
//! | activation MatMul | `Σ_{b,p} eq(r_b, b)·A(b, r_i, p)·B(b, p, r_j)` (`bv+kv`, 3 → `A, B`), see [`super::matmul_act`] |
//! | grouped Conv | over `(m, k)` (`nv+kv`, 3 → `W, Î`), then over `(c, h, w)` (4 → `X`), see [`super::window_grouped`] |
//!
//! `I` is the im2col matrix, never committed: a virtual polynomial whose
//! claim the window sumcheck reduces to one on `X`. The selectors `S_H`,
//! `S_W` ([`AxisMap`]) are evaluated by the verifier.

use super::circuit::RequantLayer;
use super::claims::ClaimSink;
use super::columns::{bias_eval, row_mask_eval};
use super::key::Stage;
use super::layout::{AxisMap, Grid, Layout, tap_weights};
use super::matmul_act::{matmul_step, verify_matmul};
use super::proof::Step;
use super::walk::Kind;
use super::window_grouped::verify_grouped;
use crate::error::VerifyError;
use crate::field::{E, Field};
use crate::hash::Hasher;
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// One step of a reduction: its sumcheck shape, the evaluations the prover sends, their label.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepShape {
    pub sumcheck: SumcheckShape,
    pub evals: usize,
    pub label: &'static [u8],
}

fn step(num_vars: usize, degree: usize, evals: usize, label: &'static [u8]) -> StepShape {
    StepShape {
        sumcheck: SumcheckShape { num_vars, degree },
        evals,
        label,
    }
}

/// The input and output grids of a window layer.
pub(crate) fn grids(l: &RequantLayer) -> Result<(Grid, Grid), VerifyError> {
    match (l.in_layout, l.out) {
        (Layout::Grid(i), Layout::Grid(o)) => Ok((i, o)),
        _ => Err(VerifyError::FinalClaim("window layer without grids")),
    }
}

/// The window of a Conv or AvgPool stage.
pub(crate) fn window_of(stage: &Stage) -> Result<&super::key_cnn::WindowKey, VerifyError> {
    match stage {
        Stage::Conv(c) => Ok(&c.window),
        Stage::AvgPool(p) => Ok(&p.window),
        _ => Err(VerifyError::FinalClaim("circuit and key disagree")),
    }
}

/// The steps of layer `l` (sizes follow from the circuit alone).
pub(crate) fn step_shapes(l: &RequantLayer) -> Vec<StepShape> {
    let window_vars = |layout: &Layout| match layout {
        Layout::Grid(g) => g.vars[2] + g.vars[3],
        Layout::Matrix(d) => d.col_vars,
    };
    match l.kind {
        Kind::Linear => {
            // The feature variables: a matrix's columns, or a flattened grid's `(c, h, w)`.
            let features = match l.in_layout {
                Layout::Grid(g) => g.total_vars() - g.vars[0],
                Layout::Matrix(d) => d.col_vars,
            };
            vec![step(features, 2, 2, b"inference/matmul-evals")]
        }
        Kind::Conv => {
            let kv = l
                .model
                .weights
                .map_or(0, |w| w.log_size)
                .saturating_sub(l.channel_vars().1);
            vec![
                step(kv, 2, 2, b"inference/kernel-evals"),
                step(window_vars(&l.in_layout), 3, 1, b"inference/window-eval"),
            ]
        }
        Kind::Pool => vec![step(window_vars(&l.in_layout), 3, 1, b"inference/window-eval")],
        Kind::MatMul => l.operand_b.iter().map(|b| matmul_step(b.vars)).collect(),
        Kind::LayerNorm => l.norm.as_deref().map(super::norm::norm_steps).unwrap_or_default(),
        Kind::GroupedConv => {
            let weights = l.model.weights.map_or(0, |w| w.log_size);
            let channels = match l.in_layout {
                Layout::Grid(g) => g.vars[1],
                Layout::Matrix(_) => 0,
            };
            vec![
                step(weights, 3, 2, b"inference/kernel-evals"),
                step(channels + window_vars(&l.in_layout), 4, 1, b"inference/window-eval"),
            ]
        }
    }
}

/// `bias(r_j)·mask(r)`: the bias on real (unpadded) output positions, 0 for a pool.
pub(crate) fn bias_term(stage: &Stage, l: &RequantLayer, r: &[E]) -> E {
    match (stage, l.out) {
        (Stage::Linear(k), Layout::Matrix(d)) => {
            let (r_row, r_col) = r.split_at(d.row_vars);
            bias_eval(&k.bias, r_col) * row_mask_eval(d.rows, r_row)
        }
        (Stage::Conv(c), Layout::Grid(g)) => {
            let mut value = E::ONE;
            for axis in 0..4 {
                let z = &r[g.offset(axis)..g.offset(axis) + g.vars[axis]];
                value *= match axis {
                    1 => bias_eval(&c.channels.bias, z),
                    _ => row_mask_eval(g.dims[axis], z),
                };
            }
            value
        }
        _ => E::ZERO,
    }
}

/// The two spatial axis maps of a window layer.
pub(crate) fn axis_maps<'a>(window: &'a super::key_cnn::WindowKey, input: &Grid, out: &Grid) -> [AxisMap<'a>; 2] {
    [0, 1].map(|axis| AxisMap {
        window,
        axis,
        out_len: out.dims[2 + axis],
        in_len: input.dims[2 + axis],
    })
}

/// Verifies layer `l`'s reduction of `Σ … = target` at the layer point `r`, recording the final claims.
pub(crate) fn verify_reduction<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    stage: &Stage,
    l: &RequantLayer,
    r: &[E],
    target: E,
    steps: &[Step],
) -> Result<(), VerifyError> {
    let shapes = step_shapes(l);
    if steps.len() != shapes.len() || steps.iter().zip(&shapes).any(|(s, h)| s.evals.len() != h.evals) {
        return Err(VerifyError::Shape {
            what: "reduction steps",
            expected: shapes.len(),
            got: steps.len(),
        });
    }
    let mut run = |i: usize, claim: E| -> Result<(Vec<E>, E), VerifyError> {
        let sub = verify_sumcheck(t, shapes[i].sumcheck, claim, &steps[i].sumcheck)?;
        t.absorb_fields(shapes[i].label, &steps[i].evals);
        Ok((sub.point, sub.value))
    };
    match l.kind {
        Kind::GroupedConv => verify_grouped(t, sink, stage, l, r, target, steps, &shapes),
        Kind::LayerNorm => match stage {
            Stage::LayerNorm(key) => super::norm::verify_norm(t, sink, key, l, r, target, steps),
            _ => Err(VerifyError::FinalClaim("circuit and key disagree")),
        },
        Kind::MatMul => {
            let b = l
                .operand_b
                .as_ref()
                .ok_or(VerifyError::FinalClaim("circuit: a matmul without its right operand"))?;
            verify_matmul(t, sink, l, b.vars, r, target, &steps[0])
        }
        Kind::Linear => {
            let Layout::Matrix(d) = l.out else {
                return Err(VerifyError::FinalClaim("linear layer without a matrix"));
            };
            let (rho, value) = run(0, target)?;
            let [x, w] = [steps[0].evals[0], steps[0].evals[1]];
            if x * w != value {
                return Err(VerifyError::FinalClaim("matmul sumcheck"));
            }
            let (r_row, r_col) = r.split_at(d.row_vars);
            sink.input(l, &[r_row, &rho].concat(), x)?;
            sink.weights(l, [r_col, &rho].concat(), w)
        }
        Kind::Conv | Kind::Pool => {
            let (input, out) = grids(l)?;
            let window = window_of(stage)?;
            let part = |axis: usize| &r[out.offset(axis)..out.offset(axis) + out.vars[axis]];
            let (mut channel_point, mut claim) = (part(1).to_vec(), target);
            let mut taps = [0, 1].map(|a| vec![E::ONE; window.kernel[a] as usize]);
            if l.kind == Kind::Conv {
                let (rho, value) = run(0, target)?;
                let [w, im2col] = [steps[0].evals[0], steps[0].evals[1]];
                if w * im2col != value {
                    return Err(VerifyError::FinalClaim("conv kernel sumcheck"));
                }
                sink.weights(l, [part(1), &rho].concat(), w)?;
                let (cv, iv) = (input.vars[1], super::circuit::ceil_log2(window.kernel[0] as usize));
                taps = [
                    tap_weights(&rho[cv..cv + iv], window.kernel[0] as usize),
                    tap_weights(&rho[cv + iv..], window.kernel[1] as usize),
                ];
                channel_point = rho[..cv].to_vec();
                claim = im2col;
            }
            let last = shapes.len() - 1;
            let (sigma, value) = run(last, claim)?;
            let x = steps[last].evals[0];
            let [mh, mw] = axis_maps(window, &input, &out);
            let (sh, sw) = sigma.split_at(input.vars[2]);
            let selector = mh.selector_eval(part(2), &taps[0], sh) * mw.selector_eval(part(3), &taps[1], sw);
            if x * selector != value {
                return Err(VerifyError::FinalClaim("window sumcheck"));
            }
            sink.input(l, &[part(0), &channel_point, &sigma].concat(), x)
        }
    }
}

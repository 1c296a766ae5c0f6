//! The reduction of a grouped Conv (`g > 1`, depthwise included;
//! `docs/proof-system.md` §9.8). Output channel `m` reads the input channels
//! of its group `γ(m) = m / (n/g)`, so the im2col matrix depends on `m`:
//!
//! ```text
//! acc(r) − bias·mask = Σ_{m, k} eq(r_m, m) · W(m, k) · Î(m, k),   Î(m, (c', i, j)) = I(r_pix, (γ(m)·c_in/g + c', i, j))
//! Î(μ, ρ) = Σ_{c, h, w} X(r_n, c, h, w) · C(c) · S_H(h) · S_W(w),
//! C(c) = Σ_{m < n, c' < c_in/g, c = γ(m)·c_in/g + c'} eq(μ, m) · eq(ρ_c, c')
//! ```
//!
//! Step 1: sumcheck over `(m, k)` (degree 3) → `(μ, ρ)`, the prover sends
//! `W(μ, ρ)`, `Î(μ, ρ)`; the verifier checks `eq(r_m, μ)·W·Î`. Step 2:
//! sumcheck over the input's `(c, h, w)` (degree 4) → `σ`, the prover sends
//! `X(r_n, σ)`; the verifier evaluates the channel selector `C` in
//! `O(n·c_in/g + 2^cv)` and the window selectors as for one group.

use super::circuit::{RequantLayer, ceil_log2};
use super::claims::ClaimSink;
use super::key::Stage;
use super::key_cnn::ConvKey;
use super::layout::tap_weights;
use super::proof::Step;
use super::window::{StepShape, axis_maps, grids};
use crate::error::VerifyError;
use crate::field::{E, Field};
use crate::hash::Hasher;
use crate::mle::{eq_eval, eq_table};
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// The channel selector `C` as a table over the input's padded channels (`2^cv` entries).
pub(crate) fn channel_selector(key: &ConvKey, mu: &[E], rho_c: &[E], cv: usize) -> Vec<E> {
    let (eq_m, eq_c) = (eq_table(mu), eq_table(rho_c));
    let (cg, mg) = (
        key.group_channels() as usize,
        (key.channels.n / key.group.max(1)) as usize,
    );
    let mut table = vec![E::ZERO; 1 << cv];
    for m in 0..key.channels.n as usize {
        for c in 0..cg {
            table[(m / mg) * cg + c] += eq_m[m] * eq_c[c];
        }
    }
    table
}

/// The conv key of a grouped layer.
pub(crate) fn conv_key(stage: &Stage) -> Result<&ConvKey, VerifyError> {
    match stage {
        Stage::Conv(c) => Ok(c),
        _ => Err(VerifyError::FinalClaim("circuit and key disagree")),
    }
}

/// Verifies a grouped conv's two steps (shapes from [`super::window::step_shapes`]).
#[allow(clippy::too_many_arguments)] // the reduction's operands, as for one group
pub(crate) fn verify_grouped<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    stage: &Stage,
    l: &RequantLayer,
    r: &[E],
    target: E,
    steps: &[Step],
    shapes: &[StepShape],
) -> Result<(), VerifyError> {
    let key = conv_key(stage)?;
    let (input, out) = grids(l)?;
    let part = |axis: usize| &r[out.offset(axis)..out.offset(axis) + out.vars[axis]];
    let nv = out.vars[1];
    let sub = verify_sumcheck(t, shapes[0].sumcheck, target, &steps[0].sumcheck)?;
    t.absorb_fields(shapes[0].label, &steps[0].evals);
    let (mu, rho) = sub.point.split_at(nv);
    let [w, im2col] = [steps[0].evals[0], steps[0].evals[1]];
    if eq_eval(part(1), mu) * w * im2col != sub.value {
        return Err(VerifyError::FinalClaim("grouped conv kernel sumcheck"));
    }
    sink.weights(l, sub.point.clone(), w)?;
    let sub = verify_sumcheck(t, shapes[1].sumcheck, im2col, &steps[1].sumcheck)?;
    t.absorb_fields(shapes[1].label, &steps[1].evals);
    let x = steps[1].evals[0];
    let window = &key.window;
    let (cvg, iv) = (
        ceil_log2(key.group_channels() as usize),
        ceil_log2(window.kernel[0] as usize),
    );
    let taps = [
        tap_weights(&rho[cvg..cvg + iv], window.kernel[0] as usize),
        tap_weights(&rho[cvg + iv..], window.kernel[1] as usize),
    ];
    let [mh, mw] = axis_maps(window, &input, &out);
    let (cv, hv) = (input.vars[1], input.vars[2]);
    let (sc, rest) = sub.point.split_at(cv);
    let (sh, sw) = rest.split_at(hv);
    let channel = channel_selector(key, mu, &rho[..cvg], cv);
    let channel = crate::mle::evaluate(&channel, sc);
    let selector = channel * mh.selector_eval(part(2), &taps[0], sh) * mw.selector_eval(part(3), &taps[1], sw);
    if x * selector != sub.value {
        return Err(VerifyError::FinalClaim("grouped conv window sumcheck"));
    }
    sink.input(l, &[part(0), &sub.point].concat(), x)
}

#[cfg(feature = "prover")]
pub(crate) mod prover {
    use super::*;
    use crate::error::ProverError;
    use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};

    fn product(tables: Vec<Vec<E>>) -> Result<SumOfProducts, ProverError> {
        let factors = (0..tables.len()).collect();
        SumOfProducts::new(tables, vec![ProductTerm { coeff: E::ONE, factors }])
    }

    /// Proves a grouped conv's two steps. `im2col` is `I(r_pix, (c, i, j))` over all
    /// padded input channels `c`, `xn = X(r_n, ·)` the input folded at the batch point.
    #[allow(clippy::too_many_arguments)] // the verifier's operands plus the prover's tables
    pub(crate) fn prove_grouped<H: Hasher>(
        t: &mut Transcript<H>,
        sink: &mut ClaimSink<'_>,
        key: &ConvKey,
        l: &RequantLayer,
        r: &[E],
        target: E,
        shapes: &[StepShape],
        im2col: &[E],
        xn: Vec<E>,
        weights: &[i64],
    ) -> Result<Vec<Step>, ProverError> {
        let bad = |_| ProverError::InvalidInput {
            what: "grouped conv",
            detail: "circuit and key disagree".into(),
        };
        let (input, out) = grids(l).map_err(bad)?;
        let part = |axis: usize| &r[out.offset(axis)..out.offset(axis) + out.vars[axis]];
        let window = &key.window;
        let (nv, kv) = (out.vars[1], shapes[0].sumcheck.num_vars - out.vars[1]);
        let (cvg, iv) = (
            ceil_log2(key.group_channels() as usize),
            ceil_log2(window.kernel[0] as usize),
        );
        let jv = kv - cvg - iv;
        let (mg, cg) = ((key.channels.n / key.group) as usize, key.group_channels() as usize);
        let cv_in = input.vars[1];
        // Step 1 tables over (m, k): eq(r_m, m), W(m, k), Î(m, k).
        let eq_m = eq_table(part(1));
        let mut eq_ext = Vec::with_capacity(1 << (nv + kv));
        let mut hat = vec![E::ZERO; 1 << (nv + kv)];
        for (m, &e) in eq_m.iter().enumerate() {
            eq_ext.extend(std::iter::repeat_n(e, 1 << kv));
            if m >= key.channels.n as usize {
                continue;
            }
            for c in 0..cg {
                let from = ((m / mg) * cg + c) << (iv + jv);
                let to = (m << kv) + (c << (iv + jv));
                hat[to..to + (1 << (iv + jv))].copy_from_slice(&im2col[from..from + (1 << (iv + jv))]);
            }
        }
        let w: Vec<E> = weights.iter().map(|&v| E::from(crate::field::F::from_i64(v))).collect();
        let step1 = prove_sumcheck(t, product(vec![eq_ext, w, hat])?, target);
        let evals1 = vec![step1.final_evals[1], step1.final_evals[2]];
        t.absorb_fields(shapes[0].label, &evals1);
        sink.weights(l, step1.point.clone(), evals1[0])
            .expect("the prover's sink checks nothing");
        let (mu, rho) = step1.point.split_at(nv);
        // Step 2 tables over (c, h, w).
        let taps = [
            tap_weights(&rho[cvg..cvg + iv], window.kernel[0] as usize),
            tap_weights(&rho[cvg + iv..], window.kernel[1] as usize),
        ];
        let [mh, mw] = axis_maps(window, &input, &out);
        let (hv, wv) = (input.vars[2], input.vars[3]);
        let channel = channel_selector(key, mu, &rho[..cvg], cv_in);
        let sh = mh.selector_table(part(2), &taps[0], hv);
        let sw = mw.selector_table(part(3), &taps[1], wv);
        let size = 1usize << (cv_in + hv + wv);
        let c_ext = (0..size).map(|i| channel[i >> (hv + wv)]).collect();
        let h_ext = (0..size).map(|i| sh[(i >> wv) & ((1 << hv) - 1)]).collect();
        let w_ext = (0..size).map(|i| sw[i & ((1 << wv) - 1)]).collect();
        let step2 = prove_sumcheck(t, product(vec![xn, c_ext, h_ext, w_ext])?, evals1[1]);
        let evals2 = vec![step2.final_evals[0]];
        t.absorb_fields(shapes[1].label, &evals2);
        sink.input(l, &[part(0), &step2.point].concat(), evals2[0])
            .expect("the prover's sink checks nothing");
        Ok(vec![
            Step {
                sumcheck: step1.proof,
                evals: evals1,
            },
            Step {
                sumcheck: step2.proof,
                evals: evals2,
            },
        ])
    }
}

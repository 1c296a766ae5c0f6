//! The window maximum: `MaxPool` (exact engine op tag 7, verifying-key stage
//! tag 10), proved without comparisons in the field (`docs/proof-system.md`
//! §9.10, "MaxPool").
//!
//! For every output element `y` (index `o` of the output grid) and every tap
//! `t = (i, j)` of its `kh × kw` window (each kernel axis padded to a power of
//! two), the prover commits a difference and a selector,
//! ```text
//! D[o, t] = y[o] − G[o, t],   G[o, t] = x[window tap t of o]  (a tap inside the input)
//!                                     = −128                 (a padding tap, a padded tap index)
//!                                     = 0                    (a padded output position o)
//! S[o, t] ∈ {0, 1}
//! ```
//! and proves (1) every `(S, D)` is a row of the public table
//! `{(0, u) : u < 256} ∪ {(1, 0)}` (one LogUp): `D ∈ [0, 256)`, and `S = 1`
//! only where `D = 0`; (2) `D = y − G` everywhere, at a random point: a window
//! sumcheck reduces `G`'s input part to one claim on `x` (the selector of
//! §9.8 with tap weights `eq(r_t, ·)`), the rest the verifier evaluates;
//! (3) `Σ_{t < kh·kw} S[o, t] = 1` for every `o`, at the same random point
//! (a sumcheck over the taps). So each window has a tap whose difference is
//! 0 and no tap whose difference is negative: `y` is the maximum of the
//! window's values, the padding taps taking part as −128. Since every window
//! has at least one tap inside the input (checked by the shape walk), and
//! −128 is the least 8-bit value, that maximum is the semantics' maximum over
//! the non-padding taps. On padded output positions `D = y`, so the one tap
//! with `D = 0` forces `y = 0` there, as consumers require.
//!
//! The argument is not specific to pooling: any "`y` is the maximum of a
//! public gather of `x`" (a softmax lane maximum, say) fits by replacing
//! the window selector with that gather's.

use super::circuit::{Source, ceil_log2};
use super::claims::ClaimSink;
use super::columns::binary_value;
use super::key_cnn::WindowKey;
use super::layout::{Grid, Layout, tap_weights};
use super::pointwise::prefix_mask;
use super::proof::LayerProof;
use super::slots::Slot;
use super::window::{StepShape, axis_maps};
use super::{QMIN, VALUE_VARS};
use crate::error::VerifyError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::logup::{LookupClaims, LookupShape};
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// The verifying-key stage tag of a `MaxPool`.
pub(crate) const TAG_MAX_POOL: u8 = 10;
/// Variables of the selector-and-difference table (`2 × 256` rows).
pub(crate) const MAX_TABLE_VARS: usize = VALUE_VARS + 1;
/// Columns of the lookup: selector, difference.
pub(crate) const MAX_LOOKUP_COLUMNS: usize = 2;

/// The key's invariants for a max pool window: the window's ranges, and every
/// pad smaller than its axis's extent (the semantics' rule for pools).
pub(crate) fn check_max_pool(window: &WindowKey) -> Result<(), String> {
    window.check()?;
    if !window.pads_below_extent() {
        return Err(format!(
            "max pool window {window:?}: a pad is not smaller than the extent"
        ));
    }
    Ok(())
}

/// Whether every output position along both axes has a tap inside the input
/// (the semantics refuses a window of padding only; proving one would give −128).
pub(crate) fn every_window_reads_input(window: &WindowKey, input: &Grid, out: &Grid) -> bool {
    axis_maps(window, input, out).iter().all(|m| {
        let mut seen = vec![false; m.out_len];
        m.for_each(|o, _, _| seen[o] = true);
        seen.into_iter().all(|s| s)
    })
}

/// A proved max pool layer (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MaxPoolLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub input: Source,
    /// The layer producing `input` (`None`: the public input).
    pub from: Option<usize>,
    pub output: Source,
    pub in_grid: Grid,
    pub out: Grid,
    /// Variables of the two kernel axes, `[⌈log kh⌉, ⌈log kw⌉]`.
    pub tap_vars: [usize; 2],
    /// `D` and `S`, index `o·2^tv + (i·2^jv + j)`.
    pub diffs: Slot,
    pub selector: Slot,
    /// Multiplicities of the 512-row table.
    pub multiplicities: Slot,
}

impl MaxPoolLayer {
    /// Variables of the tap index `t = (i, j)`.
    pub fn tap_total(&self) -> usize {
        self.tap_vars[0] + self.tap_vars[1]
    }

    /// Variables of `D` and `S`: the output grid's, then the taps'.
    pub fn vars(&self) -> usize {
        self.out.total_vars() + self.tap_total()
    }

    /// The shape of the layer's lookup.
    pub fn lookup_shape(&self) -> LookupShape {
        LookupShape {
            witness_vars: self.vars(),
            table_vars: MAX_TABLE_VARS,
            columns: MAX_LOOKUP_COLUMNS,
        }
    }

    /// The two reduction steps: the window sumcheck (ends in `x`), the selector sum (ends in `S`).
    pub fn step_shapes(&self) -> [StepShape; 2] {
        let step = |num_vars, degree, label| StepShape {
            sumcheck: SumcheckShape { num_vars, degree },
            evals: 1,
            label,
        };
        [
            step(self.in_grid.vars[2] + self.in_grid.vars[3], 3, b"inference/window-eval"),
            step(self.tap_total(), 2, b"inference/selector-eval"),
        ]
    }
}

/// `[⌈log kh⌉, ⌈log kw⌉]`.
pub(crate) fn tap_vars(window: &WindowKey) -> [usize; 2] {
    [0, 1].map(|a| ceil_log2(window.kernel[a] as usize))
}

/// The table's columns at `z` (row `b·256 + u` is `(b, (1 − b)·u)`; `b` the first variable).
pub(crate) fn table_evals(z: &[E]) -> [E; 2] {
    [z[0], (E::ONE - z[0]) * binary_value(&z[1..])]
}

/// The real-tap indicator `[i < kh]·[j < kw]` at `τ = (τ_i, τ_j)`.
fn real_taps(window: &WindowKey, vars: [usize; 2], tau: &[E]) -> E {
    let (ti, tj) = tau.split_at(vars[0]);
    prefix_mask(ti, window.kernel[0] as usize) * prefix_mask(tj, window.kernel[1] as usize)
}

/// The extension of `V(o, t)` = "output `o` is real and its tap `t` lies inside the input" at `(r_o, r_t)`.
fn inside_taps(l: &MaxPoolLayer, window: &WindowKey, r_o: &[E], r_t: &[E]) -> E {
    let out = &l.out;
    let part = |axis: usize| &r_o[out.offset(axis)..out.offset(axis) + out.vars[axis]];
    let (ri, rj) = r_t.split_at(l.tap_vars[0]);
    let taps = [
        tap_weights(ri, window.kernel[0] as usize),
        tap_weights(rj, window.kernel[1] as usize),
    ];
    let mut value = prefix_mask(part(0), out.dims[0]) * prefix_mask(part(1), out.dims[1]);
    for (axis, map) in axis_maps(window, &l.in_grid, out).iter().enumerate() {
        let eq_out = crate::mle::eq_table(part(2 + axis));
        let mut sum = E::ZERO;
        map.for_each(|o, t, _| sum += eq_out[o] * taps[axis][t]);
        value *= sum;
    }
    value
}

/// `G`'s input part at `(r_o, r_t)` from the relation: `y(r_o) + 128·mask(r_o) − 128·V(r_o, r_t) − D(r)`.
pub(crate) fn window_target(l: &MaxPoolLayer, window: &WindowKey, r: &[E], d: E, y: E) -> E {
    let (r_o, r_t) = r.split_at(l.out.total_vars());
    let floor = E::from(F::from_i64(-QMIN));
    let mask = Layout::Grid(l.out).mask_eval(r_o);
    y + floor * mask - floor * inside_taps(l, window, r_o, r_t) - d
}

/// The lookup's claims: public table columns checked, `S`, `D` and the multiplicities recorded.
pub(crate) fn lookup_claims(sink: &mut ClaimSink<'_>, l: &MaxPoolLayer, c: &LookupClaims) -> Result<(), VerifyError> {
    if sink.checks_public() && c.table_evals[..] != table_evals(&c.table_point)[..] {
        return Err(VerifyError::FinalClaim("max pool lookup: public table"));
    }
    sink.witness(l.selector, &c.witness_point, c.witness_evals[0]);
    sink.witness(l.diffs, &c.witness_point, c.witness_evals[1]);
    sink.witness(l.multiplicities, &c.table_point, c.multiplicity_eval);
    Ok(())
}

/// Verifies layer `l`'s reduction (transcript order of §9.10): the layer
/// point, `[D(r), y(r_o)]`, the window sumcheck, the selector sumcheck.
pub(crate) fn verify_max_pool<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    window: &WindowKey,
    l: &MaxPoolLayer,
    lp: &LayerProof,
) -> Result<(), VerifyError> {
    let shapes = l.step_shapes();
    let well_formed = lp.relation.len() == 2
        && lp.steps.len() == 2
        && lp.steps.iter().zip(&shapes).all(|(s, h)| s.evals.len() == h.evals);
    if !well_formed {
        return Err(VerifyError::Shape {
            what: "max pool reduction",
            expected: 2,
            got: lp.steps.len(),
        });
    }
    let r = t.challenge_exts(b"inference/layer-point", l.vars());
    t.absorb_fields(b"inference/relation", &lp.relation);
    let (r_o, r_t) = r.split_at(l.out.total_vars());
    let [d, y] = [lp.relation[0], lp.relation[1]];
    sink.witness(l.diffs, &r, d);
    sink.source(l.output, &Layout::Grid(l.out), r_o, y)?;

    // Step 1: Σ_{h,w} x(r_n, r_c, h, w)·S_H(h)·S_W(w) with tap weights eq(r_t, ·).
    let target = window_target(l, window, &r, d, y);
    let sub = verify_sumcheck(t, shapes[0].sumcheck, target, &lp.steps[0].sumcheck)?;
    t.absorb_fields(shapes[0].label, &lp.steps[0].evals);
    let x = lp.steps[0].evals[0];
    let out = &l.out;
    let part = |axis: usize| &r_o[out.offset(axis)..out.offset(axis) + out.vars[axis]];
    let (ri, rj) = r_t.split_at(l.tap_vars[0]);
    let taps = [
        tap_weights(ri, window.kernel[0] as usize),
        tap_weights(rj, window.kernel[1] as usize),
    ];
    let [mh, mw] = axis_maps(window, &l.in_grid, out);
    let (sh, sw) = sub.point.split_at(l.in_grid.vars[2]);
    let selector = mh.selector_eval(part(2), &taps[0], sh) * mw.selector_eval(part(3), &taps[1], sw);
    if x * selector != sub.value {
        return Err(VerifyError::FinalClaim("max pool window sumcheck"));
    }
    let input_point = [part(0), part(1), &sub.point].concat();
    sink.source(l.input, &Layout::Grid(l.in_grid), &input_point, x)?;

    // Step 2: Σ_t [t real]·S(r_o, t) = 1.
    let sub = verify_sumcheck(t, shapes[1].sumcheck, E::ONE, &lp.steps[1].sumcheck)?;
    t.absorb_fields(shapes[1].label, &lp.steps[1].evals);
    let s = lp.steps[1].evals[0];
    if s * real_taps(window, l.tap_vars, &sub.point) != sub.value {
        return Err(VerifyError::FinalClaim("max pool selector sum"));
    }
    sink.witness(l.selector, &[r_o, &sub.point].concat(), s);
    Ok(())
}

#[cfg(feature = "prover")]
pub(crate) mod prover;

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::mle::evaluate;

    fn window(k: u32, s: u32, p: u32) -> WindowKey {
        WindowKey {
            kernel: [k, k],
            strides: [s, s],
            dilations: [1, 1],
            pads: [p; 4],
        }
    }

    fn layer(w: &WindowKey, dims: [usize; 4]) -> MaxPoolLayer {
        let input = Grid::new(dims);
        let out = Grid::new([
            dims[0],
            dims[1],
            w.out_len(0, dims[2]).unwrap(),
            w.out_len(1, dims[3]).unwrap(),
        ]);
        let slot = Slot { offset: 0, log_size: 0 };
        MaxPoolLayer {
            stage: 0,
            input: Source::Input,
            from: None,
            output: Source::Output,
            in_grid: input,
            out,
            tap_vars: tap_vars(w),
            diffs: slot,
            selector: slot,
            multiplicities: slot,
        }
    }

    #[test]
    fn table_extension_matches_its_columns() {
        let z: Vec<E> = (0..MAX_TABLE_VARS)
            .map(|i| E::new(F::new(7 + 3 * i as u64), F::new(2 + i as u64)))
            .collect();
        let columns = prover::table();
        let want: Vec<E> = columns.iter().map(|c| evaluate(c, &z)).collect();
        assert_eq!(table_evals(&z)[..], want[..]);
    }

    #[test]
    fn columns_mark_the_maximum_and_refuse_padding_only_windows() {
        // One 3 × 3 plane, the stem pool (3×3, stride 2, pad 1): 2 × 2 outputs.
        let w = window(3, 2, 1);
        let l = layer(&w, [1, 1, 3, 3]);
        assert!(every_window_reads_input(&w, &l.in_grid, &l.out));
        let x: Vec<i64> = [5, -3, 9, 0, 7, -128, 2, 2, 1].to_vec();
        let xp = Layout::Grid(l.in_grid).pad(&x);
        let y = Layout::Grid(l.out).pad(&[7, 9, 7, 7]);
        let (d, s) = prover::columns(&l, &w, &xp, &y);
        let taps = 1 << l.tap_total();
        for o in 0..y.len() {
            let row = o * taps..(o + 1) * taps;
            assert_eq!(s[row.clone()].iter().sum::<i64>(), 1, "output {o}");
            assert!(d[row.clone()].iter().all(|v| (0..256).contains(v)), "output {o}");
            let on = s[row.clone()].iter().position(|&v| v == 1).unwrap();
            assert_eq!(d[row.start + on], 0);
        }
        let counts = prover::multiplicities(&d, &s);
        assert_eq!(counts.iter().sum::<u64>(), d.len() as u64);
        // A value above the maximum leaves no zero difference: no selector.
        let (_, s) = prover::columns(&l, &w, &xp, &Layout::Grid(l.out).pad(&[8, 9, 7, 7]));
        assert_eq!(s[..taps].iter().sum::<i64>(), 0);
        // Dilation 4, pads 2: on a width of 1 the window reads −2 and 2 only.
        let w = WindowKey {
            kernel: [1, 2],
            strides: [1, 1],
            dilations: [1, 4],
            pads: [0, 2, 0, 2],
        };
        let l = layer(&w, [1, 1, 2, 1]);
        assert!(!every_window_reads_input(&w, &l.in_grid, &l.out));
        assert!(check_max_pool(&w).is_ok());
        assert!(check_max_pool(&window(3, 1, 3)).is_err());
    }
}

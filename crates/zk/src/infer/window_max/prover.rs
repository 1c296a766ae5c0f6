//! The max pool's witness columns and its reduction's sumcheck tables.

use super::*;
use crate::error::ProverError;
use crate::infer::proof::Step;
use crate::infer::window_prover::fold_rows;
use crate::mle::evaluate;
use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};

/// `D` and `S` (see the module docs) from the padded input and output grids;
/// `S` marks the first real tap whose difference is 0 (none if no such tap: a
/// false output, which the verifier then rejects).
pub(crate) fn columns(l: &MaxPoolLayer, window: &WindowKey, x: &[i64], y: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let (out, input) = (&l.out, &l.in_grid);
    let [iv, jv] = l.tap_vars;
    let (kh, kw) = (window.kernel[0] as usize, window.kernel[1] as usize);
    let taps = 1usize << (iv + jv);
    let mut diffs = vec![0i64; y.len() * taps];
    let mut selector = vec![0i64; y.len() * taps];
    let [_, cv, ohv, owv] = out.vars;
    let [_, _, hv, wv] = input.vars;
    for (o, &yo) in y.iter().enumerate() {
        let ox = o & ((1 << owv) - 1);
        let oy = (o >> owv) & ((1 << ohv) - 1);
        let c = (o >> (owv + ohv)) & ((1 << cv) - 1);
        let n = o >> (owv + ohv + cv);
        let real = n < out.dims[0] && c < out.dims[1] && oy < out.dims[2] && ox < out.dims[3];
        let row = &mut diffs[o * taps..][..taps];
        for (t, d) in row.iter_mut().enumerate() {
            let (i, j) = (t >> jv, t & ((1 << jv) - 1));
            let (h, w) = (window.pos(0, oy, i), window.pos(1, ox, j));
            let inside =
                i < kh && j < kw && (0..input.dims[2] as i64).contains(&h) && (0..input.dims[3] as i64).contains(&w);
            *d = match (real, inside) {
                (true, true) => yo - x[(((((n << cv) + c) << hv) + h as usize) << wv) + w as usize],
                (true, false) => yo - QMIN,
                (false, _) => yo,
            };
        }
        let first = (0..taps).find(|&t| (t >> jv) < kh && (t & ((1 << jv) - 1)) < kw && row[t] == 0);
        if let Some(t) = first {
            selector[o * taps + t] = 1;
        }
    }
    (diffs, selector)
}

/// Uses of each table row: `(0, u)` is row `u`, `(1, 0)` row 256; other pairs count nowhere.
pub(crate) fn multiplicities(diffs: &[i64], selector: &[i64]) -> Vec<u64> {
    let mut counts = vec![0u64; 1 << MAX_TABLE_VARS];
    for (&d, &s) in diffs.iter().zip(selector) {
        let row = match (s, d) {
            (0, 0..=255) => Some(d as usize),
            (1, 0) => Some(256),
            _ => None,
        };
        if let Some(row) = row {
            counts[row] += 1;
        }
    }
    counts
}

/// The public table's two columns, row by row.
pub(crate) fn table() -> Vec<Vec<F>> {
    let rows = 1usize << MAX_TABLE_VARS;
    vec![
        (0..rows).map(|i| F::new((i >> 8) as u64)).collect(),
        (0..rows).map(|i| F::new(if i < 256 { i as u64 } else { 0 })).collect(),
    ]
}

fn to_f(v: &[i64]) -> Vec<F> {
    v.iter().map(|&x| F::from_i64(x)).collect()
}

fn product(tables: Vec<Vec<E>>) -> Result<SumOfProducts, ProverError> {
    let factors = (0..tables.len()).collect();
    SumOfProducts::new(tables, vec![ProductTerm { coeff: E::ONE, factors }])
}

#[allow(clippy::too_many_arguments)] // the verifier's operands plus the three tables
/// Proves layer `l`'s reduction (the verifier's [`verify_max_pool`]) from the
/// padded input `x`, output `y`, differences and selectors.
pub(crate) fn prove_max_pool<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    window: &WindowKey,
    l: &MaxPoolLayer,
    x: &[i64],
    y: &[i64],
    diffs: &[i64],
    selector: &[i64],
) -> Result<LayerProof, ProverError> {
    let shapes = l.step_shapes();
    let r = t.challenge_exts(b"inference/layer-point", l.vars());
    let (r_o, r_t) = r.split_at(l.out.total_vars());
    let relation = vec![evaluate(&to_f(diffs), &r), evaluate(&to_f(y), r_o)];
    t.absorb_fields(b"inference/relation", &relation);
    sink.witness(l.diffs, &r, relation[0]);
    let ok = |r: Result<(), VerifyError>| r.expect("the prover's sink checks nothing");
    ok(sink.source(l.output, &Layout::Grid(l.out), r_o, relation[1]));

    let target = window_target(l, window, &r, relation[0], relation[1]);
    let out = &l.out;
    let part = |axis: usize| &r_o[out.offset(axis)..out.offset(axis) + out.vars[axis]];
    let (ri, rj) = r_t.split_at(l.tap_vars[0]);
    let taps = [
        tap_weights(ri, window.kernel[0] as usize),
        tap_weights(rj, window.kernel[1] as usize),
    ];
    let [_, _, hv, wv] = l.in_grid.vars;
    let maps = axis_maps(window, &l.in_grid, out);
    let xr = fold_rows(x, 1 << (hv + wv), &[part(0), part(1)].concat());
    let sh = maps[0].selector_table(part(2), &taps[0], hv);
    let sw = maps[1].selector_table(part(3), &taps[1], wv);
    let sh_ext = (0..1usize << (hv + wv)).map(|i| sh[i >> wv]).collect();
    let sw_ext = (0..1usize << (hv + wv)).map(|i| sw[i & ((1 << wv) - 1)]).collect();
    let window_out = prove_sumcheck(t, product(vec![xr, sh_ext, sw_ext])?, target);
    let x_eval = window_out.final_evals[0];
    t.absorb_fields(shapes[0].label, &[x_eval]);
    let input_point = [part(0), part(1), &window_out.point].concat();
    ok(sink.source(l.input, &Layout::Grid(l.in_grid), &input_point, x_eval));

    let tv = l.tap_total();
    let s_r = fold_rows(selector, 1 << tv, r_o);
    let [iv, jv] = l.tap_vars;
    let (kh, kw) = (window.kernel[0] as usize, window.kernel[1] as usize);
    let real: Vec<E> = (0..1usize << tv)
        .map(|t| {
            if (t >> jv) < kh && (t & ((1 << jv) - 1)) < kw {
                E::ONE
            } else {
                E::ZERO
            }
        })
        .collect();
    debug_assert_eq!(iv + jv, tv);
    let sum_out = prove_sumcheck(t, product(vec![s_r, real])?, E::ONE);
    let s_eval = sum_out.final_evals[0];
    t.absorb_fields(shapes[1].label, &[s_eval]);
    sink.witness(l.selector, &[r_o, &sum_out.point].concat(), s_eval);
    Ok(LayerProof {
        relation,
        steps: vec![
            Step {
                sumcheck: window_out.proof,
                evals: vec![x_eval],
            },
            Step {
                sumcheck: sum_out.proof,
                evals: vec![s_eval],
            },
        ],
    })
}

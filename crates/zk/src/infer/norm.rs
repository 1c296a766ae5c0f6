//! The `LayerNorm` reduction (`docs/proof-system.md` §9.11.4): from the
//! requantized layer's claim on `t(z)` (its "accumulator", the normalized
//! value) to claims on the input `x` and the stage's committed per-block and
//! per-element columns, in three sumchecks.
//!
//! The requantization `y = sat(rq_j(t·g_j + h_j))` is the threshold lookup of
//! §9.3 on `t`, with one function per position `j` and one all-zero function
//! for padded blocks (channel `2^cv`), so padding stays zero.
//!
//! 1. **Product** (`rv` variables, degree 3): with `ρ̃ = Σ 2^(8i)·ρ_i` the
//!    limbs of the shift remainder and `k = 8Λρ − (K − F)`,
//!    `(2^(8Λρ)·t(z) + ρ̃(z) − 2^(8Λρ−1)) / 2^k = Σ_b eq(z_b, b)·R(b)·(n·x(b, z_j) − cm(z_j)·s(b))`,
//!    i.e. `2^k·(c·R + 2^(K−F−1)) = 2^(8Λρ)·t + ρ̃` entrywise: `t = shr(c·R, K − F)`.
//! 2. **Blocks** (zerocheck over `rv` variables, degree 4): per block, with
//!    `D = n·Q − s² + eps·n²·m` (`m` the real-block mask), `A = R·D`,
//!    `R·A + u = 2^(2K)·m` by four 16-bit column identities with carries,
//!    `w = 2A + D − u − m + z·(2^(2K) + 1)` and `z·D = 0`: with every limb in
//!    `[0, 256)`, `R = isqrt_inv(D, K)` whenever `D > 0` (`u ≥ 0`, `w ≥ 0`), and
//!    `D = 0` (a constant block, every `c = 0`) leaves `t = 0` whatever `R` is.
//! 3. **Sums** (`rv + cv` variables, degree 3): `Q(ρ) + μ·s(ρ) = Σ_{b,j} eq(ρ, b)·(x(b, j)² + μ·x(b, j))`.

use super::circuit::RequantLayer;
use super::claims::ClaimSink;
use super::key_norm::{A_LIMBS, CARRIES, CARRY_LIMBS, NormKey, R_LIMBS, ROW_LIMBS, ROW_VALUES, U_LIMBS, W_LIMBS};
use super::pointwise::prefix_mask;
use super::proof::Step;
use super::slots::Slot;
use super::verify::recombine;
use super::window::StepShape;
use crate::error::VerifyError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::mle::eq_eval;
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
use crate::transcript::Transcript;

/// A LayerNorm layer's own witness tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormSlots {
    /// Real blocks (rows of the `rows × n` layout).
    pub rows: usize,
    pub row_vars: usize,
    pub col_vars: usize,
    /// `s`, `Q`, `z`, one entry per block.
    pub values: Vec<Slot>,
    /// Per block: limbs of `r`, `A`, `u`, `w`, then of the three carries (in the range region).
    pub row_limbs: Vec<Slot>,
    /// Per element: limbs of the shift remainder `ρ̃` (in the range region).
    pub rho_limbs: Vec<Slot>,
}

/// Atoms of the block constraints: the mask, then values recombined from the columns.
pub(crate) const ATOMS: usize = 20;
const M: usize = 0;
const S: usize = 1;
const Q: usize = 2;
const Z: usize = 3;
const R: usize = 4;
const R_CHUNK: usize = 5; // two 16-bit chunks
const A: usize = 7;
const A_CHUNK: usize = 8; // three
const U_CHUNK: usize = 11; // four
const U: usize = 15;
const W: usize = 16;
const C: usize = 17; // three carries

fn f(v: u64) -> E {
    E::from(F::new(v))
}

fn from_i(v: i128) -> E {
    let m = f(v.unsigned_abs() as u64);
    if v < 0 { -m } else { m }
}

/// The atoms of one block from its columns (`s, Q, z`, then the limbs in slot order) and its mask.
pub(crate) fn atoms(cols: &[E], m: E) -> [E; ATOMS] {
    let mut at = [E::ZERO; ATOMS];
    at[M] = m;
    at[S] = cols[0];
    at[Q] = cols[1];
    at[Z] = cols[2];
    let limbs = &cols[ROW_VALUES..];
    let (r, rest) = limbs.split_at(R_LIMBS);
    let (a, rest) = rest.split_at(A_LIMBS);
    let (u, rest) = rest.split_at(U_LIMBS);
    let (w, carries) = rest.split_at(W_LIMBS);
    at[R] = recombine(r);
    at[A] = recombine(a);
    at[U] = recombine(u);
    at[W] = recombine(w);
    for (i, pair) in r.chunks(2).enumerate() {
        at[R_CHUNK + i] = recombine(pair);
    }
    for (i, pair) in a.chunks(2).enumerate() {
        at[A_CHUNK + i] = recombine(pair);
    }
    for (i, pair) in u.chunks(2).enumerate() {
        at[U_CHUNK + i] = recombine(pair);
    }
    for (i, carry) in carries.chunks(CARRY_LIMBS).enumerate() {
        at[C + i] = recombine(carry);
    }
    at
}

/// The batched block constraints `Σ_k λ^k·E_k` as `(coefficient, atom factors)` terms.
pub(crate) fn row_terms(key: &NormKey, lambda: E) -> Vec<(E, Vec<usize>)> {
    let n = f(u64::from(key.n));
    let eps_n2 = from_i(i128::from(key.eps) * i128::from(key.n) * i128::from(key.n));
    let two_k = 2 * u32::from(key.sqrt_bits);
    let target = |k: u32| if two_k / 16 == k { f(1 << (two_k % 16)) } else { E::ZERO };
    let base = f(1 << 16);
    let mut terms: Vec<Vec<(E, Vec<usize>)>> = Vec::new();
    // E0: A − R·D.
    terms.push(vec![
        (E::ONE, vec![A]),
        (-n, vec![R, Q]),
        (E::ONE, vec![R, S, S]),
        (-eps_n2, vec![R, M]),
    ]);
    // E1..E4: Σ_{i+j=k} R_i·A_j + U_k + C_{k−1} − 2^16·C_k − T_k·m (no carry out of the top chunk).
    for k in 0..4usize {
        let mut e = Vec::new();
        for i in 0..2usize {
            if let Some(j) = k.checked_sub(i).filter(|&j| j < 3) {
                e.push((E::ONE, vec![R_CHUNK + i, A_CHUNK + j]));
            }
        }
        e.push((E::ONE, vec![U_CHUNK + k]));
        if k > 0 {
            e.push((E::ONE, vec![C + k - 1]));
        }
        if k < CARRIES {
            e.push((-base, vec![C + k]));
        }
        e.push((-target(k as u32), vec![M]));
        terms.push(e);
    }
    // E5: w − 2A − D + u + m − z·(2^(2K) + 1).
    terms.push(vec![
        (E::ONE, vec![W]),
        (-f(2), vec![A]),
        (-n, vec![Q]),
        (E::ONE, vec![S, S]),
        (-eps_n2, vec![M]),
        (E::ONE, vec![U]),
        (E::ONE, vec![M]),
        (-f((1 << two_k) + 1), vec![Z]),
    ]);
    // E6: z·D.
    terms.push(vec![(n, vec![Z, Q]), (-E::ONE, vec![Z, S, S]), (eps_n2, vec![Z, M])]);
    let mut power = E::ONE;
    let mut out = Vec::new();
    for group in terms {
        out.extend(group.into_iter().map(|(c, atoms)| (c * power, atoms)));
        power *= lambda;
    }
    out
}

/// `Σ coefficient·Π atoms`.
pub(crate) fn combine(terms: &[(E, Vec<usize>)], at: &[E; ATOMS]) -> E {
    terms
        .iter()
        .map(|(c, factors)| factors.iter().fold(*c, |acc, &i| acc * at[i]))
        .sum()
}

/// The three steps of a LayerNorm layer.
pub(crate) fn norm_steps(s: &NormSlots) -> Vec<StepShape> {
    let step = |num_vars: usize, degree: usize, evals: usize, label: &'static [u8]| StepShape {
        sumcheck: SumcheckShape { num_vars, degree },
        evals,
        label,
    };
    vec![
        step(
            s.row_vars,
            3,
            s.rho_limbs.len() + R_LIMBS + 2,
            b"inference/norm-product-evals",
        ),
        step(s.row_vars, 4, ROW_VALUES + ROW_LIMBS, b"inference/norm-block-evals"),
        step(s.row_vars + s.col_vars, 3, 1, b"inference/norm-sums-eval"),
    ]
}

/// `2^e` in the field (`e < 64`).
pub(crate) fn pow2(e: usize) -> E {
    f(1u64 << e)
}

/// The product step's claimed sum, from `t(z)` and the remainder limbs at `z`.
pub(crate) fn product_claim(key: &NormKey, t: E, rho_limbs: &[E]) -> E {
    let bits = 8 * rho_limbs.len();
    let k = bits - usize::from(key.sqrt_bits - key.frac_bits);
    let inv = pow2(k).inverse().expect("2^k is invertible");
    (pow2(bits) * t + recombine(rho_limbs) - pow2(bits - 1)) * inv
}

/// The layer's slots, or a circuit/key disagreement.
pub(crate) fn slots_of(l: &RequantLayer) -> Result<&NormSlots, VerifyError> {
    l.norm
        .as_deref()
        .ok_or(VerifyError::FinalClaim("circuit: a layernorm without its columns"))
}

/// Verifies the three steps for the claim `t(r) = target`, recording the final claims.
pub(crate) fn verify_norm<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    key: &NormKey,
    l: &RequantLayer,
    r: &[E],
    target: E,
    steps: &[Step],
) -> Result<(), VerifyError> {
    let s = slots_of(l)?;
    let shapes = norm_steps(s);
    if steps.len() != 3 || steps.iter().zip(&shapes).any(|(st, sh)| st.evals.len() != sh.evals) {
        return Err(VerifyError::FinalClaim("layernorm steps"));
    }
    let (z_b, z_j) = r.split_at(s.row_vars);
    // 1. Product.
    let e = &steps[0].evals;
    let lr = s.rho_limbs.len();
    let sub = verify_sumcheck(
        t,
        shapes[0].sumcheck,
        product_claim(key, target, &e[..lr]),
        &steps[0].sumcheck,
    )?;
    t.absorb_fields(shapes[0].label, e);
    let beta = sub.point;
    let root = recombine(&e[lr..lr + R_LIMBS]);
    let (x, sum) = (e[lr + R_LIMBS], e[lr + R_LIMBS + 1]);
    let centered = f(u64::from(key.n)) * x - prefix_mask(z_j, key.n as usize) * sum;
    if eq_eval(z_b, &beta) * root * centered != sub.value {
        return Err(VerifyError::FinalClaim("layernorm product sumcheck"));
    }
    for (&slot, &v) in s.rho_limbs.iter().zip(&e[..lr]) {
        sink.witness_claim(slot, r, v);
    }
    for (&slot, &v) in s.row_limbs[..R_LIMBS].iter().zip(&e[lr..lr + R_LIMBS]) {
        sink.witness_claim(slot, &beta, v);
    }
    sink.input(l, &[&beta[..], z_j].concat(), x)?;
    sink.witness_claim(s.values[0], &beta, sum);
    // 2. Blocks.
    let tau = t.challenge_exts(b"inference/norm-block-point", s.row_vars);
    let lambda = t.challenge_ext(b"inference/norm-batch");
    let sub = verify_sumcheck(t, shapes[1].sumcheck, E::ZERO, &steps[1].sumcheck)?;
    let cols = &steps[1].evals;
    t.absorb_fields(shapes[1].label, cols);
    let at = atoms(cols, prefix_mask(&sub.point, s.rows));
    if eq_eval(&tau, &sub.point) * combine(&row_terms(key, lambda), &at) != sub.value {
        return Err(VerifyError::FinalClaim("layernorm block constraints"));
    }
    for (&slot, &v) in s.values.iter().chain(&s.row_limbs).zip(cols.iter()) {
        sink.witness_claim(slot, &sub.point, v);
    }
    let rho = sub.point;
    // 3. Sums.
    let mu = t.challenge_ext(b"inference/norm-sums");
    let sub = verify_sumcheck(t, shapes[2].sumcheck, cols[1] + mu * cols[0], &steps[2].sumcheck)?;
    let x = steps[2].evals[0];
    t.absorb_fields(shapes[2].label, &steps[2].evals);
    if eq_eval(&rho, &sub.point[..s.row_vars]) * (x * x + mu * x) != sub.value {
        return Err(VerifyError::FinalClaim("layernorm sums sumcheck"));
    }
    sink.input(l, &sub.point, x)
}

/// The channel column of a LayerNorm's threshold lookup at `point = (z_b, z_j)`:
/// the position `j` on real blocks, `2^cv` (the all-zero function) on padded blocks.
pub(crate) fn channel_eval(s: &NormSlots, point: &[E]) -> E {
    let (z_b, z_j) = point.split_at(s.row_vars);
    let m = prefix_mask(z_b, s.rows);
    m * super::columns::binary_value(z_j) + (E::ONE - m) * pow2(s.col_vars)
}

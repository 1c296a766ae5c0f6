//! The prover's side of a LayerNorm layer ([`super::norm`]): its threshold
//! tables, its witness (from the engine's trace, with the engine's own
//! integer functions) and its three sumchecks.

use veris_engine::exact::intmath::{inv_sqrt, shift_round_half_up};
use veris_engine::exact::{IntTensor, Requant};

use super::circuit::RequantLayer;
use super::claims::ClaimSink;
use super::key_norm::{A_LIMBS, CARRIES, CARRY_LIMBS, NormKey, R_LIMBS, U_LIMBS, W_LIMBS};
use super::norm::{ATOMS, NormSlots, atoms, norm_steps, product_claim, row_terms, slots_of};
use super::pointwise::prefix_mask;
use super::proof::Step;
use super::prove::ProveError;
use super::tables::{RequantTables, VALUES, thresholds};
use super::witness::channel_of;
use super::{LIMB_BITS, QMAX, QMIN};
use crate::error::{ProverError, VerifyError};
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::prover::{ProductTerm, SumOfProducts, prove as prove_sumcheck};
use crate::transcript::Transcript;

/// A LayerNorm layer's own committed columns. Per block (padded to `2^rv`):
/// `sums` (`s`), `squares` (`Q`), `roots` (`r`); the rest is derived from them,
/// the accumulators `t` and the input by [`NormWitness::derive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormWitness {
    /// `s = Σ x` per block.
    pub sums: Vec<i64>,
    /// `Q = Σ x²` per block.
    pub squares: Vec<i64>,
    /// `r = isqrt_inv(D, K)` per block.
    pub roots: Vec<i64>,
    /// `z`: 1 on a real block with `D = 0`, else 0.
    pub flags: Vec<i64>,
    /// Limbs of `r`, `A`, `u`, `w` and the three carries, per block.
    pub row_limbs: Vec<Vec<i64>>,
    /// Limbs of the shift remainder `ρ̃`, per element.
    pub rho_limbs: Vec<Vec<i64>>,
}

fn requant(r: super::key::RequantParams) -> Requant {
    Requant {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

/// `y_j = G_j(t) = sat(rq_j(t·g_j + h_j))`.
fn apply(key: &NormKey, j: usize, t: i64) -> i64 {
    requant(key.requant[j]).apply_sat(t * key.gamma[j] + key.beta[j], QMIN, QMAX)
}

/// Threshold tables of `t ↦ G_j(t)` on `[−T, T]`, `2^(cv+1)` channels (positions,
/// padded positions and padded blocks: `G ≡ 0`). `G_j` is monotone; for `g_j < 0`
/// it is non-increasing and the intervals are those of `a ↦ G_j(−a)` reflected.
pub(crate) fn norm_tables(key: &NormKey) -> RequantTables {
    let bound = key.t_bound() as i64;
    let channels = 2usize << key.col_vars();
    let (mut lower, mut upper) = (
        Vec::with_capacity(channels * VALUES),
        Vec::with_capacity(channels * VALUES),
    );
    for j in 0..channels {
        let (lo, up) = match key.gamma.get(j) {
            Some(&g) if g < 0 => {
                let (l, u) = thresholds(|a| apply(key, j, -a), bound);
                (u.iter().map(|v| -v).collect(), l.iter().map(|v| -v).collect())
            }
            Some(_) => thresholds(|a| apply(key, j, a), bound),
            None => thresholds(|_| 0, bound),
        };
        lower.extend(lo);
        upper.extend(up);
    }
    RequantTables {
        weights: Vec::new(),
        padded_weights: Vec::new(),
        lower,
        upper,
    }
}

/// The channel of entry `i` of a requantized layer's output table.
pub(crate) fn channel_at(l: &RequantLayer, i: usize) -> usize {
    match l.norm.as_deref() {
        Some(s) => {
            let (b, j) = (i >> s.col_vars, i & ((1 << s.col_vars) - 1));
            if b < s.rows { j } else { 1 << s.col_vars }
        }
        None => channel_of(i, l.channel_vars(), l.out.vars()),
    }
}

/// `D = n·Q − s² + eps·n²` of one block.
fn block_d(key: &NormKey, s: i64, q: i64) -> i128 {
    let n = i128::from(key.n);
    n * i128::from(q) - i128::from(s) * i128::from(s) + i128::from(key.eps) * n * n
}

/// The engine's `t` (row-major like `out`), checked to requantize to the traced output.
pub(crate) fn accumulators(key: &NormKey, x: &IntTensor, out: &IntTensor, op: usize) -> Result<Vec<i64>, ProveError> {
    let n = key.n as usize;
    let (k, f) = (u32::from(key.sqrt_bits), u32::from(key.frac_bits));
    if !x.data.len().is_multiple_of(n) || out.data.len() != x.data.len() {
        return Err(ProveError::TraceMismatch { op, index: 0 });
    }
    let mut acc = Vec::with_capacity(x.data.len());
    for (b, xs) in x.data.chunks_exact(n).enumerate() {
        let s: i64 = xs.iter().sum();
        let q: i64 = xs.iter().map(|v| v * v).sum();
        let d = block_d(key, s, q);
        let r = inv_sqrt(d as u128, k).ok_or(ProveError::TraceMismatch { op, index: b * n })? as i128;
        for (j, &v) in xs.iter().enumerate() {
            let index = b * n + j;
            let t = shift_round_half_up((i128::from(key.n) * i128::from(v) - i128::from(s)) * r, k - f) as i64;
            if apply(key, j, t) != out.data[index] {
                return Err(ProveError::TraceMismatch { op, index });
            }
            acc.push(t);
        }
    }
    Ok(acc)
}

/// `count` 8-bit limbs of `v`'s two's-complement bits (wrong for values out of range, as they must be).
fn limbs(v: i128, count: usize) -> impl Iterator<Item = i64> {
    (0..count).map(move |i| ((v as u128 >> (LIMB_BITS as usize * i).min(127)) & 0xff) as i64)
}

impl NormWitness {
    /// The honest base columns of padded input `x` (`2^rv × 2^cv`); derived columns empty.
    pub(crate) fn base(key: &NormKey, s: &NormSlots, x: &[i64]) -> Self {
        let width = 1usize << s.col_vars;
        let rows = 1usize << s.row_vars;
        let (mut sums, mut squares, mut roots) = (vec![0; rows], vec![0; rows], vec![0; rows]);
        for (b, xs) in x.chunks_exact(width).enumerate().take(s.rows) {
            sums[b] = xs.iter().sum();
            squares[b] = xs.iter().map(|v| v * v).sum();
            let d = block_d(key, sums[b], squares[b]);
            roots[b] = inv_sqrt(d.max(0) as u128, u32::from(key.sqrt_bits)).unwrap_or(0) as i64;
        }
        Self {
            sums,
            squares,
            roots,
            flags: Vec::new(),
            row_limbs: Vec::new(),
            rho_limbs: Vec::new(),
        }
    }

    /// Recomputes `z`, the limbs of `A = r·D`, `u`, `w`, the carries and `ρ̃` from
    /// `s`, `Q`, `r`, the accumulators `t` and the padded input `x`.
    pub(crate) fn derive(&mut self, key: &NormKey, s: &NormSlots, x: &[i64], t: &[i64]) {
        let rows = 1usize << s.row_vars;
        let two_k = 2 * u32::from(key.sqrt_bits);
        let target = 1i128 << two_k;
        self.flags = vec![0; rows];
        self.row_limbs = vec![vec![0; rows]; super::key_norm::ROW_LIMBS];
        for b in 0..rows {
            let m = i128::from(b < s.rows);
            let d =
                block_d(key, self.sums[b], self.squares[b]) - (1 - m) * i128::from(key.eps) * i128::from(key.n).pow(2);
            let z = i128::from(b < s.rows && d == 0);
            self.flags[b] = z as i64;
            let r = i128::from(self.roots[b]);
            let a = r * d;
            let u = target * m - r * a;
            let w = 2 * a + d - u - m + z * (target + 1);
            // Carries of R·A + u = 2^(2K)·m in 16-bit chunks.
            let chunk = |v: i128, i: usize| (v >> (16 * i)) & 0xffff;
            let mut carries = [0i128; CARRIES];
            let mut carry = 0i128;
            for (k, c) in carries.iter_mut().enumerate() {
                let p: i128 = (0..2)
                    .filter_map(|i| k.checked_sub(i).filter(|&j| j < 3).map(|j| chunk(r, i) * chunk(a, j)))
                    .sum();
                let t_k = if two_k / 16 == k as u32 { m << (two_k % 16) } else { 0 };
                carry = (p + chunk(u, k) + carry - t_k) >> 16;
                *c = carry;
            }
            let values = limbs(r, R_LIMBS)
                .chain(limbs(a, A_LIMBS))
                .chain(limbs(u, U_LIMBS))
                .chain(limbs(w, W_LIMBS))
                .chain(carries.iter().flat_map(|&c| limbs(c, CARRY_LIMBS)));
            for (column, v) in self.row_limbs.iter_mut().zip(values) {
                column[b] = v;
            }
        }
        let lr = key.rho_limbs();
        let bits = 8 * lr as u32;
        let shift = bits - u32::from(key.sqrt_bits - key.frac_bits);
        let half = 1i128 << (key.sqrt_bits - key.frac_bits - 1);
        self.rho_limbs = vec![vec![0; x.len()]; lr];
        let width_mask = (1usize << s.col_vars) - 1;
        for (i, (&xv, &tv)) in x.iter().zip(t).enumerate() {
            let (b, j) = (i >> s.col_vars, i & width_mask);
            let real_col = i128::from(j < key.n as usize);
            let c = i128::from(key.n) * i128::from(xv) - i128::from(self.sums[b]) * real_col;
            let rho = ((c * i128::from(self.roots[b]) + half) << shift) - (i128::from(tv) << bits);
            for (column, v) in self.rho_limbs.iter_mut().zip(limbs(rho, lr)) {
                column[i] = v;
            }
        }
    }

    /// Per block, the field columns `s, Q, z`, then the limbs (slot order).
    fn columns(&self) -> Vec<Vec<E>> {
        let to_e = |v: &Vec<i64>| v.iter().map(|&x| E::from(F::from_i64(x))).collect::<Vec<E>>();
        [&self.sums, &self.squares, &self.flags]
            .into_iter()
            .chain(&self.row_limbs)
            .map(to_e)
            .collect()
    }
}

fn sum_of(tables: Vec<Vec<E>>, terms: Vec<(E, Vec<usize>)>) -> Result<SumOfProducts, ProverError> {
    let terms = terms
        .into_iter()
        .map(|(coeff, factors)| ProductTerm { coeff, factors })
        .collect();
    SumOfProducts::new(tables, terms)
}

fn ok(r: Result<(), VerifyError>) {
    r.expect("the prover's sink checks nothing");
}

fn to_e(v: &[i64]) -> Vec<E> {
    v.iter().map(|&x| E::from(F::from_i64(x))).collect()
}

/// Proves the three steps (the verifier's [`super::norm::verify_norm`]); `x` is the padded input.
#[allow(clippy::too_many_arguments)] // the verifier's operands plus the input and the layer's columns
pub(crate) fn prove_norm<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    key: &NormKey,
    l: &RequantLayer,
    r: &[E],
    target: E,
    x: &[i64],
    w: &NormWitness,
) -> Result<Vec<Step>, ProveError> {
    let s = slots_of(l).map_err(|_| ProveError::TraceMismatch { op: l.stage, index: 0 })?;
    let shapes = norm_steps(s);
    let (rv, cv) = (s.row_vars, s.col_vars);
    let (z_b, z_j) = r.split_at(rv);
    let n = E::from(F::new(u64::from(key.n)));
    let mut steps = Vec::with_capacity(3);
    // 1. Product.
    let rho_evals: Vec<E> = w.rho_limbs.iter().map(|c| evaluate(&to_e(c), r)).collect();
    let claim = product_claim(key, target, &rho_evals);
    let eq_j = eq_table(z_j);
    let x_at: Vec<E> = x
        .chunks_exact(1 << cv)
        .map(|row| row.iter().zip(&eq_j).map(|(&v, e)| e.mul_base(F::from_i64(v))).sum())
        .collect();
    let cm = prefix_mask(z_j, key.n as usize);
    let cols = w.columns();
    let root: Vec<E> = (0..1usize << rv)
        .map(|b| {
            super::verify::recombine(
                &w.row_limbs[..R_LIMBS]
                    .iter()
                    .map(|c| E::from(F::from_i64(c[b])))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let centered: Vec<E> = x_at.iter().zip(&cols[0]).map(|(&xv, &sv)| n * xv - cm * sv).collect();
    let poly = sum_of(vec![eq_table(z_b), root, centered], vec![(E::ONE, vec![0, 1, 2])])?;
    let out = prove_sumcheck(t, poly, claim);
    let beta = out.point;
    let mut evals = rho_evals.clone();
    evals.extend(cols[3..3 + R_LIMBS].iter().map(|c| evaluate(c, &beta)));
    let (xb, sb) = (evaluate(&x_at, &beta), evaluate(&cols[0], &beta));
    evals.extend([xb, sb]);
    t.absorb_fields(shapes[0].label, &evals);
    for (&slot, &v) in s.rho_limbs.iter().zip(&rho_evals) {
        sink.witness_claim(slot, r, v);
    }
    for (&slot, &v) in s.row_limbs[..R_LIMBS].iter().zip(&evals[rho_evals.len()..]) {
        sink.witness_claim(slot, &beta, v);
    }
    ok(sink.input(l, &[&beta[..], z_j].concat(), xb));
    sink.witness_claim(s.values[0], &beta, sb);
    steps.push(Step {
        sumcheck: out.proof,
        evals,
    });
    // 2. Blocks.
    let tau = t.challenge_exts(b"inference/norm-block-point", rv);
    let lambda = t.challenge_ext(b"inference/norm-batch");
    let mut tables = vec![eq_table(&tau)];
    tables.extend((0..ATOMS).map(|_| vec![E::ZERO; 1 << rv]));
    for b in 0..1usize << rv {
        let row: Vec<E> = cols.iter().map(|c| c[b]).collect();
        let m = E::from(F::new(u64::from(b < s.rows)));
        for (a, v) in atoms(&row, m).into_iter().enumerate() {
            tables[a + 1][b] = v;
        }
    }
    let terms = row_terms(key, lambda)
        .into_iter()
        .map(|(c, f)| (c, std::iter::once(0).chain(f.into_iter().map(|a| a + 1)).collect()))
        .collect();
    let out = prove_sumcheck(t, sum_of(tables, terms)?, E::ZERO);
    let rho = out.point;
    let col_evals: Vec<E> = cols.iter().map(|c| evaluate(c, &rho)).collect();
    t.absorb_fields(shapes[1].label, &col_evals);
    for (&slot, &v) in s.values.iter().chain(&s.row_limbs).zip(&col_evals) {
        sink.witness_claim(slot, &rho, v);
    }
    steps.push(Step {
        sumcheck: out.proof,
        evals: col_evals.clone(),
    });
    // 3. Sums.
    let mu = t.challenge_ext(b"inference/norm-sums");
    let eq_rows = eq_table(&rho);
    let eq_full: Vec<E> = (0..x.len()).map(|i| eq_rows[i >> cv]).collect();
    let xs = to_e(x);
    let poly = sum_of(
        vec![eq_full, xs.clone(), xs],
        vec![(E::ONE, vec![0, 1, 2]), (mu, vec![0, 1])],
    )?;
    let out = prove_sumcheck(t, poly, col_evals[1] + mu * col_evals[0]);
    let evals = vec![out.final_evals[1]];
    t.absorb_fields(shapes[2].label, &evals);
    ok(sink.input(l, &out.point, evals[0]));
    steps.push(Step {
        sumcheck: out.proof,
        evals,
    });
    Ok(steps)
}

//! How a value between layers lies in its multilinear table: a matrix
//! (`rows × cols`, [`Dims`]) or an NCHW grid whose four axes are each
//! zero-padded to a power of two ([`Grid`]); and the window selector, the
//! multilinear extension of "output position `o` with tap `t` reads input
//! position `h`" along one spatial axis (`docs/proof-system.md` §9.8).

use super::circuit::{Dims, ceil_log2};
use super::key_cnn::WindowKey;
use super::pointwise::prefix_mask;
use crate::field::{E, F, Field};
use crate::mle::eq_table;

/// An `[N, C, H, W]` tensor padded axis by axis to `2^vars[a]` (index
/// `((n·2^cv + c)·2^hv + h)·2^wv + w`, batch variables first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    pub dims: [usize; 4],
    pub vars: [usize; 4],
}

impl Grid {
    pub fn new(dims: [usize; 4]) -> Self {
        Self {
            dims,
            vars: dims.map(ceil_log2),
        }
    }

    /// Variables of the padded table.
    pub fn total_vars(&self) -> usize {
        self.vars.iter().sum()
    }

    /// The first variable of axis `a`.
    pub fn offset(&self, a: usize) -> usize {
        self.vars[..a].iter().sum()
    }
}

/// The table layout of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Matrix(Dims),
    Grid(Grid),
}

impl Layout {
    pub fn vars(&self) -> usize {
        match self {
            Layout::Matrix(d) => d.vars(),
            Layout::Grid(g) => g.total_vars(),
        }
    }

    /// Real (unpadded) elements.
    #[cfg(feature = "prover")]
    pub fn elements(&self) -> usize {
        match self {
            Layout::Matrix(d) => d.rows * d.cols,
            Layout::Grid(g) => g.dims.iter().product(),
        }
    }

    /// The variables that index the channel of a requantized value
    /// (`(start, count)`): a matrix's columns, a grid's `C` axis.
    pub fn channel_vars(&self) -> (usize, usize) {
        match self {
            Layout::Matrix(d) => (d.row_vars, d.col_vars),
            Layout::Grid(g) => (g.offset(1), g.vars[1]),
        }
    }

    /// Row-major data of the unpadded shape, zero-padded into this layout.
    pub fn pad(&self, data: &[i64]) -> Vec<i64> {
        let mut out = vec![0; 1 << self.vars()];
        match self {
            Layout::Matrix(d) => {
                let width = 1usize << d.col_vars;
                for (r, row) in data.chunks_exact(d.cols.max(1)).take(d.rows).enumerate() {
                    out[r * width..r * width + d.cols].copy_from_slice(row);
                }
            }
            Layout::Grid(g) => {
                let [_, c, h, w] = g.dims;
                let [_, cv, hv, wv] = g.vars;
                for (i, &v) in data.iter().enumerate().take(g.dims.iter().product()) {
                    let (x, rest) = (i % w, i / w);
                    let (y, rest) = (rest % h, rest / h);
                    let (ch, n) = (rest % c, rest / c);
                    out[(((n << cv) + ch) << hv << wv) + (y << wv) + x] = v;
                }
            }
        }
        out
    }

    /// The extension of the real-entry indicator (1 on unpadded entries) at `z`, in `O(vars)`.
    pub fn mask_eval(&self, z: &[E]) -> E {
        match self {
            Layout::Matrix(d) => {
                let (rows, cols) = z.split_at(d.row_vars);
                prefix_mask(rows, d.rows) * prefix_mask(cols, d.cols)
            }
            Layout::Grid(g) => (0..4)
                .map(|a| prefix_mask(&z[g.offset(a)..g.offset(a) + g.vars[a]], g.dims[a]))
                .fold(E::ONE, |acc, m| acc * m),
        }
    }

    /// [`Layout::pad`] as field elements.
    pub fn pad_field(&self, data: &[i64]) -> Vec<F> {
        self.pad(data).into_iter().map(F::from_i64).collect()
    }
}

/// One spatial axis of a window op: output length, input length, and the window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisMap<'a> {
    pub window: &'a WindowKey,
    pub axis: usize,
    pub out_len: usize,
    pub in_len: usize,
}

impl AxisMap<'_> {
    /// Calls `f(o, t, h)` for every output position `o`, tap `t` and the
    /// in-input position `h` it reads (padding taps are skipped: they read 0).
    pub fn for_each(&self, mut f: impl FnMut(usize, usize, usize)) {
        let taps = self.window.kernel[self.axis] as usize;
        for o in 0..self.out_len {
            for t in 0..taps {
                let h = self.window.pos(self.axis, o, t);
                if (0..self.in_len as i64).contains(&h) {
                    f(o, t, h as usize);
                }
            }
        }
    }

    #[cfg(any(test, feature = "prover"))]
    /// The selector table over input positions (`2^in_vars` entries):
    /// `S[h] = Σ_{o, t reading h} eq(r_out, o)·tap[t]`.
    pub fn selector_table(&self, r_out: &[E], tap: &[E], in_vars: usize) -> Vec<E> {
        let eq_out = eq_table(r_out);
        let mut s = vec![E::ZERO; 1 << in_vars];
        self.for_each(|o, t, h| s[h] += eq_out[o] * tap[t]);
        s
    }

    /// The selector's multilinear extension at `z` (`in_vars` coordinates):
    /// `Σ_{o, t, h = pos(o, t) ∈ [0, L)} eq(r_out, o)·tap[t]·eq(z, h)`,
    /// in `O(2^out_vars + 2^in_vars + out_len·kernel)` operations.
    pub fn selector_eval(&self, r_out: &[E], tap: &[E], z: &[E]) -> E {
        let (eq_out, eq_in) = (eq_table(r_out), eq_table(z));
        let mut acc = E::ZERO;
        self.for_each(|o, t, h| acc += eq_out[o] * tap[t] * eq_in[h]);
        acc
    }
}

/// Tap weights `eq(ρ, t)` for `t < taps` (a conv's kernel coordinate).
pub(crate) fn tap_weights(rho: &[E], taps: usize) -> Vec<E> {
    let mut eq = eq_table(rho);
    eq.truncate(taps);
    eq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mle::evaluate;

    #[test]
    fn selector_extension_matches_its_table() {
        let window = WindowKey {
            kernel: [3, 2],
            strides: [2, 1],
            dilations: [1, 2],
            pads: [1, 0, 2, 1],
        };
        for axis in 0..2 {
            let in_len = 7;
            let out_len = window.out_len(axis, in_len).unwrap();
            let map = AxisMap {
                window: &window,
                axis,
                out_len,
                in_len,
            };
            let (ov, iv) = (ceil_log2(out_len), ceil_log2(in_len));
            let r: Vec<E> = (0..ov).map(|i| E::from_u64(5 + i as u64)).collect();
            let rho: Vec<E> = (0..2).map(|i| E::from_u64(9 + i as u64)).collect();
            let tap = tap_weights(&rho, window.kernel[axis] as usize);
            let z: Vec<E> = (0..iv).map(|i| E::from_u64(13 + 2 * i as u64)).collect();
            let table = map.selector_table(&r, &tap, iv);
            assert_eq!(evaluate(&table, &z), map.selector_eval(&r, &tap, &z));
        }
    }

    #[test]
    fn grid_padding_places_each_axis() {
        let g = Layout::Grid(Grid::new([1, 3, 2, 3]));
        let data: Vec<i64> = (1..=18).collect();
        let padded = g.pad(&data);
        assert_eq!(padded.len(), 4 * 2 * 4);
        // (c = 2, h = 1, w = 2) = 18 → index ((2·2 + 1)·4 + 2).
        assert_eq!(padded[(2 * 2 + 1) * 4 + 2], 18);
        assert_eq!(padded.iter().filter(|&&v| v != 0).count(), 18);
    }
}

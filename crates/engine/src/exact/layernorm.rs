//! `LayerNorm` (tag 34): ONNX `LayerNormalization` over the trailing axes
//! from `axis`, in integers.
//!
//! For one block `x_1 … x_n` (`n` = the product of the normalized axes):
//!
//! ```text
//! s   = Σ x_i                      c_i = n · x_i − s           (= n · (x_i − mean))
//! V   = n · Σ x_i² − s²            D   = V + eps · n²          (= n² · (var + eps), V >= 0)
//! r   = floor(2^K / sqrt(D))       (0 when D = 0; then every c_i = 0)
//! t_i = round_half_up(c_i · r / 2^(K−F))                       (normalized value, F fraction bits)
//! y_i = sat(rq_j(t_i · g_j + h_j))  into [qmin, qmax],  j = position of i in the block
//! ```
//!
//! Bounds: `Σ c_i² = n · V <= n · D`, so `|c_i| · r <= sqrt(n) · 2^K` and
//! `|t_i| <= T = ceil(sqrt(n)) · 2^F + 1`. Validation requires `n <= 2^16`,
//! `0 <= eps <= 2^62`, `F < K <= 63` and `T · qmax + max|h| <= 2^62`, so
//! `s`, `V`, `D` fit i128 and the final accumulator fits i64.

use super::codec::{Reader, Writer};
use super::intmath::{inv_sqrt, isqrt_ceil, shift_round_half_up};
use super::model::{Bits, IntTensor};
use super::op::{Budget, IntOp, check_requants};
use super::quant::Requant;
use super::validate::{ACC_BOUND, MAX_RANK};

pub const TAG_LAYER_NORM: u8 = 34;

/// Largest normalized block.
pub const MAX_NORM_ELEMENTS: u32 = 1 << 16;

/// See the module documentation for the formula.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayerNorm {
    pub input: u32,
    /// First normalized axis (negative counts from the end).
    pub axis: i64,
    /// Elements per normalized block; the input's trailing axes must multiply to it.
    pub n: u32,
    /// `eps` in units of `s_in²`.
    pub eps: i64,
    /// `K`: precision of the inverse square root.
    pub sqrt_bits: u8,
    /// `F`: fraction bits of the normalized value.
    pub frac_bits: u8,
    /// `g_j`, in `[−qmax, qmax]`.
    pub gamma: Vec<i16>,
    /// `h_j`, at the scale of `t · g_j`.
    pub beta: Vec<i64>,
    pub requant: Vec<Requant>,
}

impl LayerNorm {
    /// `T · qmax + max|h|`, the accumulator bound (see the module docs).
    pub fn acc_bound(&self, qmax: i64) -> i128 {
        let t = i128::try_from(isqrt_ceil(u128::from(self.n))).unwrap_or(i128::MAX) * (1i128 << self.frac_bits) + 1;
        let h = self
            .beta
            .iter()
            .map(|b| i128::from(b.unsigned_abs()))
            .max()
            .unwrap_or(0);
        t.saturating_mul(i128::from(qmax)).saturating_add(h)
    }

    pub(crate) fn decode(r: &mut Reader<'_>, bits: Bits, budget: &mut Budget<'_>) -> Result<LayerNorm, String> {
        let input = r.u32("layernorm input")?;
        let axis = r.i64("layernorm axis")?;
        let n = r.u32("layernorm n")?;
        let eps = r.i64("layernorm eps")?;
        let sqrt_bits = r.u8("layernorm sqrt bits")?;
        let frac_bits = r.u8("layernorm frac bits")?;
        if n > MAX_NORM_ELEMENTS {
            return Err(format!("layernorm block of {n} elements exceeds {MAX_NORM_ELEMENTS}"));
        }
        let n = n as usize;
        budget(2 * n)?;
        if n.saturating_mul(usize::from(bits.width() / 8) + 13) > r.0.len() {
            return Err("truncated layernorm parameters".into());
        }
        let gamma = r
            .values(bits, n, "layernorm gamma")?
            .into_iter()
            .map(|v| v as i16)
            .collect();
        let beta = (0..n).map(|_| r.i64("layernorm beta")).collect::<Result<_, _>>()?;
        let requant = (0..n)
            .map(|_| r.requant("layernorm multiplier"))
            .collect::<Result<_, _>>()?;
        Ok(LayerNorm {
            input,
            axis,
            n: n as u32,
            eps,
            sqrt_bits,
            frac_bits,
            gamma,
            beta,
            requant,
        })
    }
}

impl IntOp for LayerNorm {
    fn name(&self) -> &'static str {
        "LayerNorm"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, bits: Bits) -> Result<(), String> {
        let n = self.n as usize;
        if self.axis.unsigned_abs() > MAX_RANK as u64 {
            return Err(format!("axis {}", self.axis));
        }
        if !(1..=MAX_NORM_ELEMENTS).contains(&self.n) {
            return Err(format!("block of {} elements (1 to {MAX_NORM_ELEMENTS})", self.n));
        }
        if self.gamma.len() != n || self.beta.len() != n || self.requant.len() != n {
            return Err("inconsistent parameter counts".into());
        }
        if !(0..=1i64 << 62).contains(&self.eps) {
            return Err(format!("eps {} outside [0, 2^62]", self.eps));
        }
        if !(self.frac_bits < self.sqrt_bits && self.sqrt_bits <= 63) {
            return Err(format!(
                "precisions F = {} and K = {} (need F < K <= 63)",
                self.frac_bits, self.sqrt_bits
            ));
        }
        let qmax = bits.qmax();
        if self.gamma.iter().any(|&g| i64::from(g).abs() > qmax) {
            return Err(format!("gamma outside [-{qmax}, {qmax}]"));
        }
        check_requants(&self.requant)?;
        if self.acc_bound(qmax) > ACC_BOUND {
            return Err("accumulator bound exceeds 2^62".into());
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_LAYER_NORM
    }
    fn encode(&self, w: &mut Writer, bits: Bits) {
        w.u32(self.input);
        w.i64(self.axis);
        w.u32(self.n);
        w.i64(self.eps);
        w.u8(self.sqrt_bits);
        w.u8(self.frac_bits);
        self.gamma.iter().for_each(|&g| w.value(bits, i64::from(g)));
        self.beta.iter().for_each(|&b| w.i64(b));
        self.requant.iter().for_each(|&r| w.requant(r));
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let rank = x.shape.len() as i64;
        let a = if self.axis < 0 { self.axis + rank } else { self.axis };
        if !(0..rank).contains(&a) {
            return Err(format!("axis {} out of range for rank {rank}", self.axis));
        }
        let n = self.n as usize;
        let block: usize = x.shape[a as usize..].iter().product();
        if block != n {
            return Err(format!(
                "normalized axes of {:?} hold {block} elements, not {n}",
                x.shape
            ));
        }
        let (lo, hi) = (bits.qmin(), bits.qmax());
        let (k, f) = (u32::from(self.sqrt_bits), u32::from(self.frac_bits));
        let nn = n as i128;
        let mut y = Vec::with_capacity(x.data.len());
        for xs in x.data.chunks_exact(n) {
            let s: i128 = xs.iter().map(|&v| i128::from(v)).sum();
            let sq: i128 = xs.iter().map(|&v| i128::from(v) * i128::from(v)).sum();
            let d = nn * sq - s * s + i128::from(self.eps) * nn * nn;
            let r = inv_sqrt(d as u128, k).ok_or("inverse square root precision")? as i128;
            for (j, &v) in xs.iter().enumerate() {
                let t = shift_round_half_up((nn * i128::from(v) - s) * r, k - f);
                let acc = t * i128::from(self.gamma[j]) + i128::from(self.beta[j]);
                let acc = i64::try_from(acc).map_err(|_| "layernorm accumulator outside i64")?;
                y.push(self.requant[j].apply_sat(acc, lo, hi));
            }
        }
        Ok(IntTensor {
            shape: x.shape.clone(),
            data: y,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(n: usize, frac_bits: u8, sqrt_bits: u8) -> LayerNorm {
        LayerNorm {
            input: 0,
            axis: -1,
            n: n as u32,
            eps: 0,
            sqrt_bits,
            frac_bits,
            gamma: vec![1; n],
            beta: vec![0; n],
            // ratio 1: output = t (normalized value with F fraction bits).
            requant: vec![Requant::for_ratio(1.0).unwrap(); n],
        }
    }

    #[test]
    fn normalizes_exactly_on_a_simple_block() {
        // x = [1, 3]: mean 2, var 1 → normalized [−1, 1] = [−2^F, 2^F].
        let op = unit(2, 6, 20);
        op.check(Bits::B16).unwrap();
        let x = IntTensor {
            shape: vec![1, 2],
            data: vec![1, 3],
        };
        assert_eq!(op.run(&[&x], Bits::B16).unwrap().data, [-64, 64]);
        // A constant block has D = 0 and normalizes to 0 (then to h).
        let c = IntTensor {
            shape: vec![2, 2],
            data: vec![5, 5, -7, -7],
        };
        assert_eq!(op.run(&[&c], Bits::B16).unwrap().data, [0, 0, 0, 0]);
        let wrong = IntTensor {
            shape: vec![3],
            data: vec![1, 2, 3],
        };
        assert!(op.run(&[&wrong], Bits::B16).is_err());
    }

    #[test]
    fn extreme_blocks_stay_in_bounds() {
        let n = 1024;
        let op = unit(n, 8, 40);
        op.check(Bits::B16).unwrap();
        // One outlier: its normalized value is sqrt(n − 1) ≈ 31.98.
        let mut data = vec![-32768; n];
        data[0] = 32767;
        let x = IntTensor { shape: vec![n], data };
        let y = op.run(&[&x], Bits::B16).unwrap();
        assert_eq!(y.data[0], (1023f64.sqrt() * 256.0).round() as i64);
        assert!(op.acc_bound(32767) <= ACC_BOUND);
        let bad = LayerNorm { sqrt_bits: 8, ..op };
        assert!(bad.check(Bits::B16).is_err());
    }
}

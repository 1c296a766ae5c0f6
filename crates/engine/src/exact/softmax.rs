//! `Softmax` (tag 33) along one axis, all integer: subtract the lane's
//! maximum, look `e^(x − max)` up in a table of `P`-bit fixed-point values,
//! sum exactly, and divide with rounding half up into `[0, qmax]` (output
//! scale `1 / qmax`).
//!
//! Bounds: `d = max − x ∈ [0, 2^b − 1]` indexes the table; entries lie in
//! `[0, 2^P]` with `table[0] = 2^P`, so the lane sum `S` satisfies
//! `2^P <= S <= L · 2^P` (never zero) and every output is in `[0, qmax]`.
//! A lane length `L` with `2 · L · 2^P · qmax > 2^62` is a run-time error,
//! which keeps every intermediate below `2^62`.

use super::codec::{Reader, Writer};
use super::intmath::div_round_half_up;
use super::lut::domain;
use super::model::{Bits, IntTensor};
use super::nonlinear::exp;
use super::op::{Budget, IntOp};
use super::table::{TABLE_ENTRY_COST, read_table, write_table};
use super::validate::MAX_RANK;

pub const TAG_SOFTMAX: u8 = 33;

/// Largest fixed-point precision `P` of the exp table.
pub const MAX_EXP_BITS: u8 = 30;

/// `y = round_half_up(qmax · e / S)` with `e = exp_table[max − x]`, `S = Σ e`
/// over the lane along `axis`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Softmax {
    pub input: u32,
    /// Negative counts from the end.
    pub axis: i64,
    /// `P`: the table holds `round(2^P · e^(−d · s_in))`.
    pub exp_bits: u8,
    /// `2^b` entries, `d = 0, 1, …`.
    pub exp_table: Vec<i64>,
}

/// The precision the compiler uses: 14 bits for 8-bit models, 22 for 16-bit.
pub fn exp_bits_for(bits: Bits) -> u8 {
    match bits {
        Bits::B8 => 14,
        Bits::B16 => 22,
    }
}

/// `round_half_away(2^p · e^(−d · s_in))` for `d` in `0 .. 2^b` (compile time).
pub fn exp_table(bits: Bits, s_in: f64, p: u8) -> Vec<i64> {
    let one = (1u64 << p) as f64;
    (0..domain(bits))
        .map(|d| (one * exp(-(d as f64) * s_in)).round() as i64)
        .collect()
}

/// `(outer, len, inner)` of `shape` around `axis` (negative counts from the end).
pub fn split_axis(shape: &[usize], axis: i64) -> Result<(usize, usize, usize), String> {
    let rank = shape.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return Err(format!("axis {axis} out of range for rank {rank}"));
    }
    let a = a as usize;
    Ok((shape[..a].iter().product(), shape[a], shape[a + 1..].iter().product()))
}

impl Softmax {
    pub(crate) fn decode(r: &mut Reader<'_>, bits: Bits, budget: &mut Budget<'_>) -> Result<Softmax, String> {
        let input = r.u32("softmax input")?;
        let axis = r.i64("softmax axis")?;
        let exp_bits = r.u8("softmax exp bits")?;
        budget(domain(bits) * TABLE_ENTRY_COST)?;
        let exp_table = read_table(r, domain(bits), "softmax exp table")?;
        Ok(Softmax {
            input,
            axis,
            exp_bits,
            exp_table,
        })
    }
}

impl IntOp for Softmax {
    fn name(&self) -> &'static str {
        "Softmax"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, bits: Bits) -> Result<(), String> {
        if self.axis.unsigned_abs() > MAX_RANK as u64 {
            return Err(format!("axis {}", self.axis));
        }
        if !(1..=MAX_EXP_BITS).contains(&self.exp_bits) {
            return Err(format!("exp precision {} outside 1..={MAX_EXP_BITS}", self.exp_bits));
        }
        let one = 1i64 << self.exp_bits;
        if self.exp_table.len() != domain(bits) || self.exp_table[0] != one {
            return Err(format!("exp table must have {} entries and start at 2^P", domain(bits)));
        }
        if self.exp_table.iter().any(|&e| !(0..=one).contains(&e)) {
            return Err("exp table entry outside [0, 2^P]".into());
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_SOFTMAX
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        w.i64(self.axis);
        w.u8(self.exp_bits);
        write_table(w, &self.exp_table);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let (outer, len, inner) = split_axis(&x.shape, self.axis)?;
        let q = i128::from(bits.qmax());
        if 2 * (len as i128) * (1i128 << self.exp_bits) * q > 1i128 << 62 {
            return Err(format!("softmax axis of {len} exceeds the exact bound"));
        }
        let mut y = vec![0i64; x.data.len()];
        let mut e = vec![0i64; len];
        for o in 0..outer {
            for i in 0..inner {
                let at = |l: usize| o * len * inner + l * inner + i;
                let max = (0..len).map(|l| x.data[at(l)]).max().unwrap_or(0);
                let mut sum = 0i128;
                for (l, e) in e.iter_mut().enumerate() {
                    let d = usize::try_from(max - x.data[at(l)]).map_err(|_| "negative difference")?;
                    *e = *self
                        .exp_table
                        .get(d)
                        .ok_or_else(|| format!("difference {d} outside the table"))?;
                    sum += i128::from(*e);
                }
                for (l, &e) in e.iter().enumerate() {
                    let v = div_round_half_up(i128::from(e) * q, sum).ok_or("softmax sum is zero")?;
                    y[at(l)] = v as i64;
                }
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

    #[test]
    fn exp_table_starts_at_one_and_decreases() {
        for bits in [Bits::B8, Bits::B16] {
            let p = exp_bits_for(bits);
            let t = exp_table(bits, 0.05, p);
            assert_eq!(t[0], 1 << p);
            assert!(t.windows(2).all(|w| w[0] >= w[1]), "{bits:?}: not monotone");
            assert_eq!(*t.last().unwrap(), 0);
        }
    }

    #[test]
    fn lanes_sum_to_about_qmax() {
        let op = Softmax {
            input: 0,
            axis: -1,
            exp_bits: 14,
            exp_table: exp_table(Bits::B8, 0.05, 14),
        };
        op.check(Bits::B8).unwrap();
        let x = IntTensor {
            shape: vec![2, 3],
            data: vec![0, 20, 40, -128, -128, -128],
        };
        let y = op.run(&[&x], Bits::B8).unwrap();
        // e^(−2), e^(−1), 1 over their sum: 0.0900, 0.2447, 0.6652.
        assert_eq!(y.data[..3], [11, 31, 84]);
        assert_eq!(y.data[3..], [42, 42, 42]); // 127 / 3 = 42.33
        // Axis 0: lanes of length 2.
        let op0 = Softmax { axis: 0, ..op };
        let y0 = op0.run(&[&x], Bits::B8).unwrap();
        assert_eq!(y0.data[0] + y0.data[3], 127);
    }
}

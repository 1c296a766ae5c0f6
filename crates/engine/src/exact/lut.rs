//! `Lut` (tag 32): a pointwise function as a lookup table over every value
//! of the model's width, `y = table[x − qmin]`. Sigmoid, Tanh, Erf and Gelu
//! compile to it; any pointwise function can.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::{Budget, IntOp};
use super::table::{TABLE_ENTRY_COST, read_table, write_table};

pub const TAG_LUT: u8 = 32;

/// `y = table[x − qmin]`: `2^b` entries, each an activation in `[qmin, qmax]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lut {
    pub input: u32,
    pub table: Vec<i64>,
}

/// Number of entries of a table indexed by one activation: `2^b`.
pub fn domain(bits: Bits) -> usize {
    1 << bits.width()
}

impl Lut {
    /// Tabulates `f` for an input of scale `s_in`: entry `i` stands for
    /// `x = (i + qmin) · s_in`. The output scale is the largest `|f(x)|` over
    /// the whole domain divided by `qmax` (1 if `f` is 0 there), so no entry
    /// saturates; entries are `round_half_away(f(x) / s_out)`. Returns the
    /// table and the output scale (compile time only).
    pub fn tabulate(bits: Bits, s_in: f64, f: impl Fn(f64) -> f64) -> (Vec<i64>, f64) {
        let (qmin, qmax) = (bits.qmin(), bits.qmax());
        let ys: Vec<f64> = (qmin..=qmax).map(|q| f(q as f64 * s_in)).collect();
        let m = ys.iter().fold(0f64, |m, y| m.max(y.abs()));
        let s_out = if m > 0.0 && m.is_finite() { m / qmax as f64 } else { 1.0 };
        let table = ys
            .iter()
            .map(|y| {
                let q = (y / s_out).round();
                if q.is_nan() {
                    0
                } else {
                    q.clamp(qmin as f64, qmax as f64) as i64
                }
            })
            .collect();
        (table, s_out)
    }

    pub(crate) fn decode(r: &mut Reader<'_>, bits: Bits, budget: &mut Budget<'_>) -> Result<Lut, String> {
        let input = r.u32("lut input")?;
        budget(domain(bits) * TABLE_ENTRY_COST)?;
        let table = read_table(r, domain(bits), "lut table")?;
        Ok(Lut { input, table })
    }
}

impl IntOp for Lut {
    fn name(&self) -> &'static str {
        "Lut"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.input]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.input]
    }
    fn check(&self, bits: Bits) -> Result<(), String> {
        if self.table.len() != domain(bits) {
            return Err(format!(
                "table of {} entries, {} expected",
                self.table.len(),
                domain(bits)
            ));
        }
        let (qmin, qmax) = (bits.qmin(), bits.qmax());
        if self.table.iter().any(|&v| v < qmin || v > qmax) {
            return Err(format!("table entry outside [{qmin}, {qmax}]"));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_LUT
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.input);
        write_table(w, &self.table);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let x = args[0];
        let qmin = bits.qmin();
        let data = x
            .data
            .iter()
            .map(|&v| {
                usize::try_from(v - qmin)
                    .ok()
                    .and_then(|i| self.table.get(i).copied())
                    .ok_or_else(|| format!("value {v} outside the table's domain"))
            })
            .collect::<Result<_, _>>()?;
        Ok(IntTensor {
            shape: x.shape.clone(),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::nonlinear::{sigmoid, tanh};

    #[test]
    fn tables_cover_the_domain_without_saturating() {
        let (t, s_out) = Lut::tabulate(Bits::B8, 8.0 / 127.0, tanh);
        assert_eq!(t.len(), 256);
        assert_eq!(t[128], 0); // tanh(0)
        // The largest |f| is at x = −128 · s_in and maps to −qmax.
        assert_eq!((t[0], t[255]), (-127, 127));
        assert_eq!(s_out, tanh(128.0 * 8.0 / 127.0) / 127.0);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        let (t, _) = Lut::tabulate(Bits::B16, 1e-3, sigmoid);
        assert_eq!(t.len(), 65536);
        assert!(t.iter().all(|&v| (0..=32767).contains(&v)));
        let (zeros, s) = Lut::tabulate(Bits::B8, 1.0, |_| 0.0);
        assert!(zeros.iter().all(|&v| v == 0) && s == 1.0);
    }

    #[test]
    fn lookup_indexes_from_qmin() {
        let lut = Lut {
            input: 0,
            table: (0..256).map(|i| 127 - i / 2).collect(),
        };
        lut.check(Bits::B8).unwrap();
        let x = IntTensor {
            shape: vec![3],
            data: vec![-128, 0, 127],
        };
        assert_eq!(lut.run(&[&x], Bits::B8).unwrap().data, [127, 63, 0]);
        let bad = IntTensor {
            shape: vec![1],
            data: vec![128],
        };
        assert!(lut.run(&[&bad], Bits::B8).is_err());
        assert!(lut.check(Bits::B16).is_err());
    }
}

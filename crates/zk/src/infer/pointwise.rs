//! Pointwise layers proved by one lookup of `(x, y)` pairs into a public
//! 256-row table `u ↦ (u − 128, f(u − 128))` (`docs/proof-system.md` §9.3
//! "Standalone ReLU" and §9.11.1).
//!
//! Two tables exist: ReLU (`f(v) = max(v, 0)`, whose second column has a
//! closed-form multilinear extension) and the exact engine's `Lut` op (any
//! 8-bit to 8-bit function listed entry by entry in the verifying key:
//! Sigmoid, Tanh, Erf, GELU, Exp, …). The verifier evaluates either table's
//! extension itself (`O(1)` for ReLU, 256 multiply-adds for a `Lut`), so
//! nothing of a pointwise layer is committed but its output and its
//! multiplicities.

use super::columns::{binary_value, relu_table};
use super::key::Stage;
use super::{QMAX, QMIN, VALUE_VARS};
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::field::{E, F, Field};
use crate::mle::evaluate;

/// Entries of a pointwise table (one per 8-bit value).
pub const LUT_ENTRIES: usize = 256;
/// The verifying-key stage tag of a [`LutKey`].
pub(crate) const TAG_LUT: u8 = 16;

/// The exact engine's `Lut` op: `y = table[x + 128]`, every entry in `[−128, 127]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LutKey {
    /// Exactly [`LUT_ENTRIES`] entries.
    pub table: Vec<i64>,
}

impl LutKey {
    /// The key's invariants: 256 entries, each an 8-bit activation.
    pub fn check(&self) -> Result<(), String> {
        if self.table.len() != LUT_ENTRIES {
            return Err(format!(
                "lut table of {} entries, {LUT_ENTRIES} required",
                self.table.len()
            ));
        }
        if self.table.iter().any(|v| !(QMIN..=QMAX).contains(v)) {
            return Err(format!("lut entry outside [{QMIN}, {QMAX}]"));
        }
        Ok(())
    }

    /// Encoding after the tag: 256 × i8 (two's complement).
    pub(crate) fn write(&self, w: &mut Writer) {
        let bytes: Vec<u8> = self.table.iter().map(|&v| v as i8 as u8).collect();
        w.bytes(&bytes);
    }

    /// Reads the 256 entries; every byte is a valid `i8`, so the decoded key always checks.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bytes = r.bytes(LUT_ENTRIES)?;
        Ok(Self {
            table: bytes.iter().map(|&b| i64::from(b as i8)).collect(),
        })
    }
}

/// The function a pointwise layer applies, and the public table its lookup uses.
///
/// - ReLU: 2 columns, 256 rows `(v, max(v, 0))`. Padding entries are `(0, 0)`,
///   a row of the table.
/// - Lut: 3 columns, 512 rows `(1, v, f(v))` for rows `u < 256`, `v = u − 128`,
///   and `(0, 0, 0)` for rows `u ≥ 256`; the witness columns are
///   `(mask, x, y)` with `mask` the public real-entry indicator of the layout.
///   Real entries must be rows of `f`; padding entries (`x = y = 0`) are the
///   zero row, which they could not be if `f(0) ≠ 0` without the mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PointTable {
    /// `max(v, 0)`.
    Relu,
    /// `table[v + 128]` (a checked [`LutKey`]'s entries).
    Lut(Vec<i64>),
}

impl PointTable {
    /// The table of a pointwise stage.
    pub fn of(stage: &Stage) -> Self {
        match stage {
            Stage::Lut(l) => PointTable::Lut(l.table.clone()),
            _ => PointTable::Relu,
        }
    }

    #[cfg(feature = "prover")]
    /// `f(x)` for an 8-bit `x`; `None` outside `[−128, 127]`.
    pub fn apply(&self, x: i64) -> Option<i64> {
        if !(QMIN..=QMAX).contains(&x) {
            return None;
        }
        match self {
            PointTable::Relu => Some(x.max(0)),
            PointTable::Lut(t) => t.get((x - QMIN) as usize).copied(),
        }
    }

    /// Columns of the lookup (witness and table alike).
    pub fn columns(&self) -> usize {
        match self {
            PointTable::Relu => 2,
            PointTable::Lut(_) => 3,
        }
    }

    /// Variables of the table (its multiplicities have as many).
    pub fn table_vars(&self) -> usize {
        match self {
            PointTable::Relu => VALUE_VARS,
            PointTable::Lut(_) => VALUE_VARS + 1,
        }
    }

    #[cfg(feature = "prover")]
    /// The table's columns, row by row (prover side).
    pub fn table(&self) -> Vec<Vec<i64>> {
        let values: Vec<i64> = (QMIN..=QMAX).collect();
        let outputs: Vec<i64> = values.iter().map(|&v| self.apply(v).expect("in range")).collect();
        match self {
            PointTable::Relu => vec![values, outputs],
            PointTable::Lut(_) => {
                let padded = |mut c: Vec<i64>| {
                    c.resize(2 * c.len(), 0);
                    c
                };
                vec![padded(vec![1; values.len()]), padded(values), padded(outputs)]
            }
        }
    }

    /// The table row a witness row `(mask, x, y)` matches, if any (`mask` is
    /// ignored for ReLU, whose padding `(0, 0)` is an ordinary row).
    #[cfg(feature = "prover")]
    pub fn row_of(&self, real: bool, x: i64, y: i64) -> Option<usize> {
        match self {
            PointTable::Lut(_) if !real => (x == 0 && y == 0).then_some(LUT_ENTRIES),
            _ => (self.apply(x) == Some(y)).then(|| (x - QMIN) as usize),
        }
    }

    /// The table columns' multilinear extensions at `point` (`table_vars` variables).
    pub fn evaluate(&self, point: &[E]) -> Vec<E> {
        match self {
            PointTable::Relu => relu_table(point).to_vec(),
            PointTable::Lut(t) => {
                // Row u = b·256 + u': the first variable b selects the zero half.
                let keep = E::ONE - point[0];
                let column: Vec<F> = t.iter().map(|&v| F::from_i64(v)).collect();
                let rest = &point[1..];
                vec![
                    keep,
                    keep * (binary_value(rest) + E::from(F::from_i64(QMIN))),
                    keep * evaluate(&column, rest),
                ]
            }
        }
    }
}

/// `Σ_{i < n} eq(z, i)`: the extension of the indicator of the first `n` of
/// `2^|z|` entries (`n ≤ 2^|z|`), in `O(|z|)`.
pub(crate) fn prefix_mask(z: &[E], n: usize) -> E {
    let Some((&top, rest)) = z.split_first() else {
        return if n >= 1 { E::ONE } else { E::ZERO };
    };
    let half = 1usize << rest.len();
    if n > half {
        (E::ONE - top) + top * prefix_mask(rest, n - half)
    } else {
        (E::ONE - top) * prefix_mask(rest, n)
    }
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;

    fn sigmoid_like() -> Vec<i64> {
        (0..256i64).map(|u| ((u - 128) / 2 + 10).clamp(-128, 127)).collect()
    }

    #[test]
    fn lut_extension_matches_its_columns() {
        let t = PointTable::Lut(sigmoid_like());
        let z: Vec<E> = (0..9)
            .map(|i| E::new(F::new(3 + 5 * i as u64), F::new(11 + i as u64)))
            .collect();
        let columns = t.table();
        assert_eq!(columns.len(), t.columns());
        let evals: Vec<E> = columns
            .iter()
            .map(|c| evaluate(&c.iter().map(|&v| F::from_i64(v)).collect::<Vec<_>>(), &z))
            .collect();
        assert_eq!(t.evaluate(&z), evals);
        assert_eq!(t.apply(-128), Some(-54));
        assert_eq!(t.apply(128), None);
        assert_eq!(
            (
                t.row_of(true, 0, 10),
                t.row_of(true, 0, 0),
                t.row_of(false, 0, 0),
                t.row_of(false, 1, 0)
            ),
            (Some(128), None, Some(256), None)
        );
        assert_eq!(PointTable::Relu.table()[1][..129], [0; 129]);
    }

    #[test]
    fn prefix_masks_match_their_tables() {
        let z: Vec<E> = (0..4).map(|i| E::new(F::new(9 + i), F::new(2 * i + 1))).collect();
        for n in 0..=16 {
            let mask: Vec<F> = (0..16).map(|i| F::new(u64::from(i < n))).collect();
            assert_eq!(prefix_mask(&z, n), evaluate(&mask, &z), "n = {n}");
        }
    }

    #[test]
    fn lut_keys_round_trip_and_refuse_bad_tables() {
        let key = LutKey { table: sigmoid_like() };
        key.check().unwrap();
        let mut w = Writer::new();
        key.write(&mut w);
        let bytes = w.finish();
        assert_eq!(bytes.len(), LUT_ENTRIES);
        let mut r = Reader::new(&bytes);
        assert_eq!(LutKey::read(&mut r).unwrap(), key);
        assert!(LutKey::read(&mut Reader::new(&bytes[..255])).is_err());
        assert!(LutKey { table: vec![0; 255] }.check().is_err());
        let mut big = sigmoid_like();
        big[3] = 128;
        assert!(LutKey { table: big }.check().is_err());
    }
}

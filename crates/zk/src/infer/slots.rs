//! Packing many multilinear tables into one committed polynomial.
//!
//! Each table (a *slot*) has a power-of-two size `2^d` and is placed at an
//! offset that is a multiple of `2^d` (slots are placed largest first, which
//! keeps every offset aligned). With the first variable the most significant
//! index bit ([`crate::mle`]), table entry `i` of a slot at offset `o` is
//! entry `o + i` of the big table, so a claim `T(z) = v` on the slot is the
//! claim `P(bits(o / 2^d), z) = v` on the big polynomial `P` in `D` variables,
//! with the `D − d` leading coordinates fixed to the bits of `o / 2^d`.

use super::error::StatementError;
use crate::field::{E, Field};

/// A table's place inside a packed polynomial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// First entry (a multiple of `2^log_size`).
    pub offset: usize,
    /// log2 of the table length.
    pub log_size: usize,
}

impl Slot {
    /// The table length.
    pub fn len(&self) -> usize {
        1 << self.log_size
    }

    /// The entries of the packed table this slot occupies.
    pub fn range(&self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// The point of the packed polynomial (in `num_vars` variables) at which
    /// it equals this slot's table evaluated at `local`.
    pub fn global_point(&self, num_vars: usize, local: &[E]) -> Vec<E> {
        debug_assert_eq!(local.len(), self.log_size);
        let prefix = num_vars - self.log_size;
        let index = self.offset >> self.log_size;
        let bit = |t: usize| {
            if (index >> (prefix - 1 - t)) & 1 == 1 {
                E::ONE
            } else {
                E::ZERO
            }
        };
        (0..prefix).map(bit).chain(local.iter().copied()).collect()
    }
}

/// Places tables of sizes `2^log_sizes[i]` (returned in request order) and
/// returns the packed polynomial's number of variables (at least 1, at most `max_vars`).
pub(crate) fn allocate(
    what: &'static str,
    log_sizes: &[usize],
    max_vars: usize,
) -> Result<(Vec<Slot>, usize), StatementError> {
    let too_large = |got| StatementError::TooLarge {
        what,
        got,
        max: max_vars,
    };
    if let Some(&big) = log_sizes.iter().find(|&&l| l > max_vars) {
        return Err(too_large(big));
    }
    let mut order: Vec<usize> = (0..log_sizes.len()).collect();
    order.sort_by_key(|&i| core::cmp::Reverse(log_sizes[i]));
    let mut slots = vec![Slot { offset: 0, log_size: 0 }; log_sizes.len()];
    let mut offset: u64 = 0;
    for i in order {
        slots[i] = Slot {
            offset: offset as usize,
            log_size: log_sizes[i],
        };
        offset += 1u64 << log_sizes[i];
        if offset > 1u64 << max_vars {
            return Err(too_large(64 - (offset - 1).leading_zeros() as usize));
        }
    }
    let num_vars = (64 - offset.saturating_sub(1).leading_zeros() as usize).max(1);
    Ok((slots, num_vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_aligned_disjoint_and_tight() {
        let (slots, vars) = allocate("t", &[3, 5, 0, 5, 2], 10).unwrap();
        assert_eq!(vars, 7); // 8 + 32 + 1 + 32 + 4 = 77 → 128
        for s in &slots {
            assert_eq!(s.offset % s.len(), 0);
        }
        for (i, a) in slots.iter().enumerate() {
            for b in &slots[i + 1..] {
                assert!(a.range().end <= b.offset || b.range().end <= a.offset);
            }
        }
        assert!(allocate("t", &[9, 9, 9], 10).is_err());
        assert_eq!(allocate("t", &[0], 10).unwrap().1, 1);
    }

    #[test]
    fn global_point_selects_the_slot() {
        let (slots, vars) = allocate("t", &[2, 1, 1], 3).unwrap();
        let mut big = vec![0u64; 1 << vars];
        let tables: Vec<Vec<u64>> = vec![vec![1, 2, 3, 4], vec![5, 6], vec![7, 8]];
        for (s, t) in slots.iter().zip(&tables) {
            big[s.range()].copy_from_slice(t);
        }
        let big: Vec<crate::field::F> = big.into_iter().map(crate::field::F::new).collect();
        for (s, t) in slots.iter().zip(&tables) {
            let local: Vec<E> = (0..s.log_size).map(|i| E::from_u64(3 + i as u64)).collect();
            let t: Vec<crate::field::F> = t.iter().map(|&v| crate::field::F::new(v)).collect();
            let want = crate::mle::evaluate(&t, &local);
            assert_eq!(crate::mle::evaluate(&big, &s.global_point(vars, &local)), want);
        }
    }
}

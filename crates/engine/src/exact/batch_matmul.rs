//! `MatMul` of two activations (tag 36): `[.., M, K] × [.., K, N] → [.., M, N]`
//! with numpy broadcasting over the leading (batch) axes, as in attention
//! (`Q · Kᵀ`, `P · V`).
//!
//! `acc = Σ_p a[.., i, p] · b[.., p, j]` exactly, `y = sat(rq(acc))` into
//! `[qmin, qmax]`. Both operands are activations (`|v| <= 2^(b−1)`) and
//! `K <= 2^26` (the element limit), so `|acc| <= 2^26 · 2^(2b−2) <= 2^56`:
//! i64 accumulation cannot overflow, in any order.

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::op::IntOp;
use super::quant::Requant;
use super::shape::{MAX_ELEMENTS, broadcast, elements};

pub const TAG_BATCH_MATMUL: u8 = 36;

/// `y = sat(requant(a · b))` per batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BatchMatMul {
    pub a: u32,
    pub b: u32,
    pub requant: Requant,
}

/// The broadcast batch shape, and per output batch the batch indices of `a` and `b`.
type Batches = (Vec<usize>, Vec<(usize, usize)>);

/// The batches of `a × b`, numpy-broadcast; errors unless both ranks are at least 2.
fn batches(a: &[usize], b: &[usize]) -> Result<Batches, String> {
    if a.len() < 2 || b.len() < 2 {
        return Err(format!("MatMul operands of rank < 2: {a:?} x {b:?}"));
    }
    let (ba, bb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    let out = broadcast(ba, bb)?;
    let mut pairs = Vec::with_capacity(elements(&out)?);
    super::shape::broadcast_indices(&out, ba, bb, |i, j| pairs.push((i, j)));
    Ok((out, pairs))
}

impl BatchMatMul {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<BatchMatMul, String> {
        Ok(BatchMatMul {
            a: r.u32("matmul a")?,
            b: r.u32("matmul b")?,
            requant: r.requant("matmul multiplier")?,
        })
    }
}

impl IntOp for BatchMatMul {
    fn name(&self) -> &'static str {
        "MatMul"
    }
    fn operands(&self) -> Vec<u32> {
        vec![self.a, self.b]
    }
    fn operands_mut(&mut self) -> Vec<&mut u32> {
        vec![&mut self.a, &mut self.b]
    }
    fn check(&self, _: Bits) -> Result<(), String> {
        if !self.requant.is_valid() {
            return Err(format!("invalid multiplier {:?}", self.requant));
        }
        Ok(())
    }
    fn tag(&self) -> u8 {
        TAG_BATCH_MATMUL
    }
    fn encode(&self, w: &mut Writer, _: Bits) {
        w.u32(self.a);
        w.u32(self.b);
        w.requant(self.requant);
    }
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String> {
        let (a, b) = (args[0], args[1]);
        let (batch, pairs) = batches(&a.shape, &b.shape)?;
        let (m, k) = (a.shape[a.shape.len() - 2], a.shape[a.shape.len() - 1]);
        let (kb, n) = (b.shape[b.shape.len() - 2], b.shape[b.shape.len() - 1]);
        if k != kb {
            return Err(format!("MatMul inner dimensions differ: {:?} x {:?}", a.shape, b.shape));
        }
        if k > MAX_ELEMENTS {
            return Err(format!("MatMul inner dimension {k} exceeds {MAX_ELEMENTS}"));
        }
        let mut shape = batch;
        shape.extend([m, n]);
        let total = elements(&shape)?;
        let (lo, hi) = (bits.qmin(), bits.qmax());
        let mut y = Vec::with_capacity(total);
        let mut bt = vec![0i64; k * n];
        for (ia, ib) in pairs {
            let am = &a.data[ia * m * k..][..m * k];
            let bm = &b.data[ib * k * n..][..k * n];
            // Bᵀ, so that both operands of each dot product are contiguous.
            for p in 0..k {
                for j in 0..n {
                    bt[j * k + p] = bm[p * n + j];
                }
            }
            for row in am.chunks_exact(k.max(1)).take(m) {
                for col in bt.chunks_exact(k.max(1)).take(n) {
                    let acc: i64 = row.iter().zip(col).map(|(x, w)| x * w).sum();
                    y.push(self.requant.apply_sat(acc, lo, hi));
                }
            }
            if k == 0 {
                y.extend(std::iter::repeat_n(self.requant.apply_sat(0, lo, hi), m * n));
            }
        }
        Ok(IntTensor { shape, data: y })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_batches_multiply_exactly() {
        let one = Requant::for_ratio(1.0).unwrap();
        let op = BatchMatMul {
            a: 0,
            b: 1,
            requant: one,
        };
        // a: [2, 1, 2] (two 1×2 matrices), b: [2, 1] (one 2×1, broadcast).
        let a = IntTensor {
            shape: vec![2, 1, 2],
            data: vec![1, 2, -3, 4],
        };
        let b = IntTensor {
            shape: vec![2, 1],
            data: vec![5, 6],
        };
        let y = op.run(&[&a, &b], Bits::B8).unwrap();
        assert_eq!(y.shape, [2, 1, 1]);
        assert_eq!(y.data, [17, 9]);
        // [1, 2, 2] x [3, 2, 1] broadcasts to [3, 2, 1].
        let a = IntTensor {
            shape: vec![1, 2, 2],
            data: vec![1, 0, 0, 1],
        };
        let b = IntTensor {
            shape: vec![3, 2, 1],
            data: vec![1, 2, 3, 4, 5, 6],
        };
        let y = op.run(&[&a, &b], Bits::B8).unwrap();
        assert_eq!(
            (y.shape.as_slice(), y.data.as_slice()),
            (&[3usize, 2, 1][..], &[1i64, 2, 3, 4, 5, 6][..])
        );
        assert!(op.run(&[&b, &b], Bits::B8).is_err());
        let saturating = IntTensor {
            shape: vec![1, 2],
            data: vec![127, 127],
        };
        let col = IntTensor {
            shape: vec![2, 1],
            data: vec![127, 127],
        };
        assert_eq!(op.run(&[&saturating, &col], Bits::B8).unwrap().data, [127]);
    }
}

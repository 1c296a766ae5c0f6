//! The interface every op of the CNN/general group implements, so that
//! [`ExactOp`](super::ExactOp)'s shared dispatch (operands, validation,
//! encoding, running) is one arm per op ([`ExactOp::ext`](super::ExactOp)).

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::quant::Requant;

/// Charges `n` parameters against the decoder's parameter budget.
pub(crate) type Budget<'a> = dyn FnMut(usize) -> Result<(), String> + 'a;

/// One op of the integer program (see `docs/exact-semantics.md`, §3).
pub(crate) trait IntOp {
    /// The op name used in errors and traces.
    fn name(&self) -> &'static str;
    /// The values it reads, in order.
    fn operands(&self) -> Vec<u32>;
    /// The same, mutably (the compiler renumbers values).
    fn operands_mut(&mut self) -> Vec<&mut u32>;
    /// Every invariant the runner relies on (operands defined earlier are
    /// checked by the caller).
    fn check(&self, bits: Bits) -> Result<(), String>;
    /// The encoding tag.
    fn tag(&self) -> u8;
    /// The fields after the tag.
    fn encode(&self, w: &mut Writer, bits: Bits);
    /// Runs on the operands (in [`IntOp::operands`] order); errors are
    /// shapes the op cannot accept.
    fn run(&self, args: &[&IntTensor], bits: Bits) -> Result<IntTensor, String>;
}

/// Checks that every multiplier is valid.
pub(crate) fn check_requants<'a>(rs: impl IntoIterator<Item = &'a Requant>) -> Result<(), String> {
    match rs.into_iter().find(|r| !r.is_valid()) {
        Some(r) => Err(format!("invalid multiplier {r:?}")),
        None => Ok(()),
    }
}

/// Reads a list of `n` i64 values (n ≤ `max`) preceded by its u8 length.
pub(crate) fn read_i64s(r: &mut Reader<'_>, max: usize, what: &str) -> Result<Vec<i64>, String> {
    let n = usize::from(r.u8(what)?);
    if n > max {
        return Err(format!("{what}: {n} entries exceed {max}"));
    }
    (0..n).map(|_| r.i64(what)).collect()
}

/// Writes a list read by [`read_i64s`].
pub(crate) fn write_i64s(w: &mut Writer, v: &[i64]) {
    w.u8(v.len() as u8);
    v.iter().for_each(|&x| w.i64(x));
}

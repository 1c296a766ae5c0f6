//! The interface every op of the CNN/general group implements, so that
//! [`ExactOp`](super::ExactOp)'s shared dispatch (operands, validation,
//! encoding, running) is one arm per op ([`ExactOp::ext`](super::ExactOp)).

use super::codec::{Reader, Writer};
use super::model::{Bits, IntTensor};
use super::quant::Requant;
use super::window::Window2d;

/// Most multiply-adds (Conv) or window taps (pools) one op may take:
/// `output elements × taps per output`. Bounds the time a hostile model
/// can make one op run.
pub const MAX_OP_WORK: u128 = 1 << 36;

/// Refuses an op whose `outputs × per_output` exceeds [`MAX_OP_WORK`].
pub(crate) fn check_work(outputs: usize, per_output: usize) -> Result<(), String> {
    let work = outputs as u128 * per_output as u128;
    if work > MAX_OP_WORK {
        return Err(format!("{work} multiply-adds exceed the limit of 2^36 per op"));
    }
    Ok(())
}

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

/// The lower clamp of an op with an optional fused Relu.
pub(crate) fn floor(relu: bool, bits: Bits) -> i64 {
    if relu { 0 } else { bits.qmin() }
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

/// Writes a [`Window2d`]: kernel, strides, dilations (u32 × 2 each), pads
/// (u32 × 4), ceil_mode (u8).
pub(crate) fn write_window(w: &mut Writer, win: &Window2d) {
    for v in win
        .kernel
        .iter()
        .chain(&win.strides)
        .chain(&win.dilations)
        .chain(&win.pads)
    {
        w.u32(*v);
    }
    w.u8(u8::from(win.ceil_mode));
}

/// Reads what [`write_window`] wrote (ranges are checked by validation).
pub(crate) fn read_window(r: &mut Reader<'_>) -> Result<Window2d, String> {
    let mut v = [0u32; 10];
    for x in &mut v {
        *x = r.u32("window")?;
    }
    Ok(Window2d {
        kernel: [v[0], v[1]],
        strides: [v[2], v[3]],
        dilations: [v[4], v[5]],
        pads: [v[6], v[7], v[8], v[9]],
        ceil_mode: r.bool("window ceil_mode")?,
    })
}

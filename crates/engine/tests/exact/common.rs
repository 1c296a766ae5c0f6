//! Shared helpers: the digits data (`tests/support`), compiled exact models.

use std::sync::OnceLock;

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};

pub use crate::support::*;

/// Calibration set: the first 64 held-out rows as one batch. (The repository
/// has no separate calibration split; see the test report.)
pub fn calibration() -> Vec<TensorMap> {
    let (_, data) = heldout();
    vec![input_map(64, data[..64 * 64].to_vec())]
}

/// The digits model compiled at `bits`, once per binary.
pub fn digits_exact(bits: Bits) -> &'static ExactModel {
    static B8: OnceLock<ExactModel> = OnceLock::new();
    static B16: OnceLock<ExactModel> = OnceLock::new();
    let cell = match bits {
        Bits::B8 => &B8,
        Bits::B16 => &B16,
    };
    cell.get_or_init(|| {
        let bytes = digits_bytes();
        compile(&bytes, ModelId::of_bytes(&bytes), &calibration(), bits).expect("compile digits")
    })
}

//! Shared helpers: the digits data (`tests/support`), compiled exact models.

use std::sync::OnceLock;

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};

pub use crate::support::*;

/// Calibration set: `models/digits/calibration.json`, 64 rows of the
/// training split (disjoint from the held-out set the tests score).
pub fn calibration() -> Vec<TensorMap> {
    vec![calibration_batch()]
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

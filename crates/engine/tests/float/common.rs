//! Shared helpers: the digits data (`tests/support`), the loaded float model.

use std::sync::{Arc, OnceLock};

use veris_core::TensorMap;
use veris_engine::FloatModel;

pub use crate::support::*;

/// The digits model, loaded once per test binary.
pub fn digits() -> Arc<FloatModel> {
    static MODEL: OnceLock<Arc<FloatModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| Arc::new(FloatModel::load(&digits_bytes()).expect("load digits")))
        .clone()
}

/// The `logits` output as (shape, values).
pub fn logits(out: &TensorMap) -> (Vec<usize>, Vec<f32>) {
    assert_eq!(out.keys().collect::<Vec<_>>(), ["logits"]);
    let t = &out["logits"];
    (t.shape().to_vec(), t.as_f32().expect("float32 logits").to_vec())
}

pub fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|x| x.to_bits()).collect()
}

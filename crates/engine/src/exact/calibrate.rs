//! Calibration: the range of every tensor over sample inputs, and the
//! default sample set.

use std::collections::BTreeMap;

use veris_core::{DType, Dim, Tensor, TensorData, TensorMap, TensorSpec};

use super::ExactError;
use super::float_ref::run_float;
use super::ir::Graph;

/// Samples in [`default_calibration`].
pub const DEFAULT_CALIBRATION_SAMPLES: usize = 64;
/// Seed of [`default_calibration`] (splitmix64).
pub const DEFAULT_CALIBRATION_SEED: u64 = 0x5645_5249_535f_4351; // "VERIS_CQ"

/// 64 inputs with every float value uniform in `[0, 1)`: splitmix64 seeded
/// with [`DEFAULT_CALIBRATION_SEED`], one draw per float value in sample,
/// input (spec order) and row-major order, value = `(draw >> 40) / 2^24`.
/// int64 index inputs are all 0 (the one index every table has; no draws).
/// Symbolic dimensions are 1. A fallback for callers with no real samples:
/// real data calibrates better, and models with index inputs need it.
pub fn default_calibration(specs: &[TensorSpec]) -> Result<Vec<TensorMap>, ExactError> {
    let mut state = DEFAULT_CALIBRATION_SEED;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut samples = Vec::with_capacity(DEFAULT_CALIBRATION_SAMPLES);
    for _ in 0..DEFAULT_CALIBRATION_SAMPLES {
        let mut map = TensorMap::new();
        for spec in specs {
            if !matches!(spec.dtype, DType::Float32 | DType::Int64) {
                return Err(ExactError::Calibration {
                    reason: format!(
                        "input `{}` is {}, only float32 and int64 inputs are calibrated",
                        spec.name, spec.dtype
                    ),
                });
            }
            let shape: Vec<usize> = spec
                .shape
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n as usize,
                    Dim::Symbol(_) => 1,
                })
                .collect();
            let count = shape.iter().product::<usize>();
            let data = match spec.dtype {
                DType::Int64 => TensorData::Int64(vec![0; count]),
                _ => TensorData::Float32((0..count).map(|_| (next() >> 40) as f32 / 16_777_216.0).collect()),
            };
            let t = Tensor::new(&spec.name, shape, data)?;
            map.insert(spec.name.clone(), t);
        }
        samples.push(map);
    }
    Ok(samples)
}

/// What calibration measures, per float tensor (inputs and node outputs).
#[derive(Debug, Clone, Default)]
pub struct Calibrated {
    /// `max |x|` over all samples.
    pub max: BTreeMap<String, f64>,
    /// The shape in the first sample.
    pub shapes: BTreeMap<String, Vec<usize>>,
}

/// Runs the float reference over every sample.
pub fn ranges(graph: &Graph, samples: &[TensorMap]) -> Result<Calibrated, ExactError> {
    if samples.is_empty() {
        return Err(ExactError::Calibration {
            reason: "no calibration samples".into(),
        });
    }
    let mut cal = Calibrated::default();
    for (i, sample) in samples.iter().enumerate() {
        run_float(graph, sample, &mut |name, t| {
            let m = t.data.iter().fold(0f64, |m, &x| m.max(f64::from(x).abs()));
            let e = cal.max.entry(name.to_string()).or_insert(0.0);
            *e = e.max(m);
            cal.shapes.entry(name.to_string()).or_insert_with(|| t.shape.clone());
        })
        .map_err(|e| match e {
            // An op the reference cannot evaluate is a property of the model.
            unsupported @ ExactError::Unsupported { .. } => unsupported,
            other => ExactError::Calibration {
                reason: format!("sample {i}: {other}"),
            },
        })?;
    }
    Ok(cal)
}

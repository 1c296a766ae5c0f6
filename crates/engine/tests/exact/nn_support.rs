//! Helpers of the transformer-op tests: seeded inputs for any input specs,
//! compiling a fixture, and comparing exact, float-reference and tract
//! outputs.

use std::collections::BTreeMap;

use veris_core::{DType, Dim, ModelId, Tensor, TensorData, TensorMap, TensorSpec};
use veris_engine::FloatModel;
use veris_engine::exact::{Bits, ExactModel, compile, float_ref::run_float, import};

use crate::common::{Rng, fixture};

/// Inputs for `specs`: symbolic dimensions from `dims` (by symbol name,
/// default 1), float values uniform in `[0, 1)`, int64 values uniform in
/// `[0, index_range)`.
pub fn random_inputs(specs: &[TensorSpec], dims: &[(&str, usize)], index_range: usize, rng: &mut Rng) -> TensorMap {
    random_inputs_in(specs, dims, index_range, (0.0, 1.0), rng)
}

/// [`random_inputs`] with float values uniform in `[lo, hi)`.
pub fn random_inputs_in(
    specs: &[TensorSpec],
    dims: &[(&str, usize)],
    index_range: usize,
    (lo, hi): (f32, f32),
    rng: &mut Rng,
) -> TensorMap {
    let mut map = TensorMap::new();
    for spec in specs {
        let shape: Vec<usize> = spec
            .shape
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => *n as usize,
                Dim::Symbol(s) => dims.iter().find(|(n, _)| n == s).map_or(1, |(_, v)| *v),
            })
            .collect();
        let count: usize = shape.iter().product();
        let data = match spec.dtype {
            DType::Int64 => TensorData::Int64((0..count).map(|_| rng.below(index_range) as i64).collect()),
            _ => TensorData::Float32(
                (0..count)
                    .map(|_| lo + (hi - lo) * ((rng.next_u64() >> 40) as f32 / 16_777_216.0))
                    .collect(),
            ),
        };
        map.insert(spec.name.clone(), Tensor::new(&spec.name, shape, data).unwrap());
    }
    map
}

/// `count` calibration samples from `seed`, float values uniform in
/// `[−0.1, 1.1)`: a little wider than the test inputs (`[0, 1)`), so that
/// test inputs stay inside the calibrated ranges of the fixtures' affine
/// first layers and what the tests measure is rounding, not saturation.
pub fn calibration(
    specs: &[TensorSpec],
    dims: &[(&str, usize)],
    index_range: usize,
    count: usize,
    seed: u64,
) -> Vec<TensorMap> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| random_inputs_in(specs, dims, index_range, (-0.1, 1.1), &mut rng))
        .collect()
}

/// A fixture compiled at `bits` on 8 batches of 64 (every other symbolic
/// dimension 8), seed 1.
pub fn compile_fixture(name: &str, bits: Bits) -> ExactModel {
    let bytes = fixture(name);
    let specs = import(&bytes).unwrap().inputs;
    let calib = calibration(&specs, &[("N", 64), ("seq", 8)], 1, 8, 1);
    compile(&bytes, ModelId::of_bytes(&bytes), &calib, bits).unwrap()
}

/// Per output: `(max |exact − float|, the same in output steps)`.
pub fn deviation(model: &ExactModel, bytes: &[u8], inputs: &TensorMap) -> BTreeMap<String, (f32, f32)> {
    let graph = import(bytes).unwrap();
    let float = run_float(&graph, inputs, &mut |_, _| {}).unwrap();
    let exact = model.run(inputs).unwrap();
    model
        .outputs()
        .iter()
        .map(|o| {
            let e = exact.dequantized[&o.name].as_f32().unwrap();
            let f = &float[&o.name];
            assert_eq!(exact.dequantized[&o.name].shape(), f.shape.as_slice(), "{}", o.name);
            let max = e.iter().zip(&f.data).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            (o.name.clone(), (max, max / o.scale as f32))
        })
        .collect()
}

/// `max |float reference − tract|` over every output.
pub fn reference_vs_tract(bytes: &[u8], inputs: &TensorMap) -> f32 {
    let graph = import(bytes).unwrap();
    let float = run_float(&graph, inputs, &mut |_, _| {}).unwrap();
    let tract = FloatModel::load(bytes).unwrap().run(inputs).unwrap();
    let mut max = 0f32;
    for (name, t) in &float {
        let other = tract[name].as_f32().unwrap();
        assert_eq!(tract[name].shape(), t.shape.as_slice(), "{name}");
        max = t.data.iter().zip(other).map(|(a, b)| (a - b).abs()).fold(max, f32::max);
    }
    max
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

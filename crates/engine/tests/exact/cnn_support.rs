//! Shared checks of the CNN/general op fixtures (`tests/fixtures/exact-*.onnx`,
//! written by `make_fixtures.py`): the float reference against tract, and
//! the exact program against the float reference.

use veris_core::{Dim, ModelId, Tensor, TensorData, TensorMap, TensorSpec};
use veris_engine::FloatModel;
use veris_engine::exact::{Bits, ExactModel, compile, float_ref::run_float, import};

use crate::common::{Rng, fixture};

/// Batch size given to symbolic dimensions.
pub const BATCH: usize = 2;

/// One input map with every value uniform in `[-1, 1)` (seeded).
pub fn random_inputs(specs: &[TensorSpec], rng: &mut Rng) -> TensorMap {
    let mut map = TensorMap::new();
    for spec in specs {
        let shape: Vec<usize> = spec
            .shape
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => *n as usize,
                Dim::Symbol(_) => BATCH,
            })
            .collect();
        let count = shape.iter().product();
        let data = (0..count).map(|_| rng.below(1 << 16) as f32 / 32768.0 - 1.0).collect();
        let t = Tensor::new(&spec.name, shape, TensorData::Float32(data)).unwrap();
        map.insert(spec.name.clone(), t);
    }
    map
}

/// The largest |float reference − tract| over every output of `name`, on
/// three random inputs; asserts it is at most `1e-4` (relative to values
/// above 1).
pub fn float_reference_matches_tract(name: &str) -> f32 {
    let bytes = fixture(name);
    let graph = import(&bytes).unwrap();
    let tract = FloatModel::load(&bytes).unwrap();
    let mut rng = Rng::new(11);
    let mut worst = 0f32;
    for _ in 0..3 {
        let inputs = random_inputs(&graph.inputs, &mut rng);
        let ours = run_float(&graph, &inputs, &mut |_, _| {}).unwrap();
        let theirs = tract.run(&inputs).unwrap();
        for (out, t) in &ours {
            let want = &theirs[out];
            assert_eq!(t.shape, want.shape(), "{name}: shape of {out}");
            for (a, b) in t.data.iter().zip(want.as_f32().unwrap()) {
                let d = (a - b).abs() / b.abs().max(1.0);
                assert!(d <= 1e-4, "{name}: {out}: ours {a} vs tract {b}");
                worst = worst.max(d);
            }
        }
    }
    worst
}

/// The inputs the error is measured on.
fn test_inputs(specs: &[TensorSpec]) -> Vec<TensorMap> {
    let mut rng = Rng::new(99);
    (0..2).map(|_| random_inputs(specs, &mut rng)).collect()
}

/// Compiles fixture `name` at `bits`, calibrated on 8 random inputs plus
/// the test inputs, so that no tensor leaves its calibrated range: the
/// measured error is the arithmetic's, not range clipping's.
pub fn compile_fixture(name: &str, bits: Bits) -> ExactModel {
    let bytes = fixture(name);
    let specs = import(&bytes).unwrap().inputs;
    let mut rng = Rng::new(5);
    let mut calibration: Vec<TensorMap> = (0..8).map(|_| random_inputs(&specs, &mut rng)).collect();
    calibration.extend(test_inputs(&specs));
    compile(&bytes, ModelId::of_bytes(&bytes), &calibration, bits).unwrap()
}

/// Per output: the largest |exact dequantized − float| in output
/// quantization steps, over the test inputs.
pub fn exact_error_steps(name: &str, model: &ExactModel) -> Vec<(String, f64)> {
    let bytes = fixture(name);
    let graph = import(&bytes).unwrap();
    let mut worst: Vec<(String, f64)> = model.outputs().iter().map(|o| (o.name.clone(), 0.0)).collect();
    for inputs in test_inputs(&graph.inputs) {
        let float = run_float(&graph, &inputs, &mut |_, _| {}).unwrap();
        let exact = model.run(&inputs).unwrap();
        for (o, (_, w)) in model.outputs().iter().zip(&mut worst) {
            let got = exact.dequantized[&o.name].as_f32().unwrap();
            let want = &float[&o.name];
            assert_eq!(
                exact.dequantized[&o.name].shape(),
                want.shape,
                "{name}: shape of {}",
                o.name
            );
            for (a, b) in got.iter().zip(&want.data) {
                *w = w.max(f64::from((a - b).abs()) / o.scale);
            }
        }
    }
    worst
}

/// Compiles `name` at 8 and 16 bits, round-trips the encoding, and checks
/// every output within `steps8` / `steps16` output quantization steps of the
/// float reference. Returns the 8-bit model.
pub fn check_exact(name: &str, steps8: f64, steps16: f64) -> ExactModel {
    let mut b8 = None;
    for (bits, limit) in [(Bits::B8, steps8), (Bits::B16, steps16)] {
        let model = compile_fixture(name, bits);
        assert_eq!(
            ExactModel::decode(&model.encode()).unwrap(),
            model,
            "{name} {bits:?} round trip"
        );
        for (out, steps) in exact_error_steps(name, &model) {
            println!("{name} {bits:?} {out}: max |exact − float| = {steps:.2} output steps");
            assert!(steps <= limit, "{name} {bits:?} {out}: {steps:.2} steps > {limit}");
        }
        if bits == Bits::B8 {
            b8 = Some(model);
        }
    }
    b8.unwrap()
}

/// The op names of a compiled program.
pub fn op_names(model: &ExactModel) -> Vec<&'static str> {
    model.ops().iter().map(|op| op.name()).collect()
}

//! Accuracy of the exact engine on the real CNNs `models/lenet` (Conv,
//! AveragePool, Gemm) and `models/resnet` (Conv + BatchNormalization,
//! residual Adds, GlobalAveragePool): top-1 agreement with the float engine
//! and accuracy drop on the 450 held-out digits, int8 and int16.
//! Calibration: each model's `calibration.json` (64 training rows).

use std::sync::OnceLock;

use serde_json::Value;
use veris_core::{ModelId, Tensor, TensorData, TensorMap};
use veris_engine::FloatModel;
use veris_engine::exact::{Bits, ExactModel, compile, float_ref::run_float, import};

use crate::common::argmax;

const MODELS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");

/// A held-out set: labels and one `input` batch.
pub struct Data {
    pub labels: Vec<usize>,
    pub input: TensorMap,
    pub calibration: TensorMap,
    pub onnx: Vec<u8>,
}

fn tensor(name: &str, v: &Value) -> Tensor {
    assert_eq!(v["dtype"], "float32");
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::new(name, shape, TensorData::Float32(data)).unwrap()
}

fn read(model: &str, file: &str) -> Value {
    let text = std::fs::read_to_string(format!("{MODELS_DIR}/{model}/{file}")).expect("read json");
    serde_json::from_str(&text).unwrap()
}

fn load(model: &str, onnx: &str) -> Data {
    let held = read(model, "heldout.json");
    let labels = held["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap() as usize)
        .collect();
    let input = tensor("input", &held["input"]["input"]);
    // 64 single-row samples, stacked into one batch (same ranges, one run).
    let samples = read(model, "calibration.json");
    let rows: Vec<Tensor> = samples
        .as_array()
        .unwrap()
        .iter()
        .map(|s| tensor("input", &s["input"]))
        .collect();
    let mut shape = rows[0].shape().to_vec();
    shape[0] = rows.iter().map(|t| t.shape()[0]).sum();
    let data = rows.iter().flat_map(|t| t.as_f32().unwrap().to_vec()).collect();
    let calibration = Tensor::new("input", shape, TensorData::Float32(data)).unwrap();
    Data {
        labels,
        input: TensorMap::from([("input".to_string(), input)]),
        calibration: TensorMap::from([("input".to_string(), calibration)]),
        onnx: std::fs::read(format!("{MODELS_DIR}/{model}/{onnx}")).unwrap(),
    }
}

pub fn lenet() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| load("lenet", "lenet.onnx"))
}

pub fn resnet() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| load("resnet", "resnet.onnx"))
}

fn float_logits(d: &Data) -> Vec<f32> {
    let out = FloatModel::load(&d.onnx).unwrap().run(&d.input).unwrap();
    out["logits"].as_f32().unwrap().to_vec()
}

fn ints(t: &Tensor) -> Vec<i64> {
    match t.data() {
        TensorData::Int8(v) => v.iter().map(|&x| i64::from(x)).collect(),
        TensorData::Int32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        other => panic!("unexpected dtype {:?}", other.dtype()),
    }
}

/// The model compiled at `bits` on its calibration set.
pub fn compiled(d: &Data, bits: Bits) -> ExactModel {
    compile(
        &d.onnx,
        ModelId::of_bytes(&d.onnx),
        std::slice::from_ref(&d.calibration),
        bits,
    )
    .unwrap()
}

fn check(name: &str, d: &Data, bits: Bits, min_agreement: f64, max_drop: f64) -> ExactModel {
    let model = compiled(d, bits);
    let rows = d.labels.len();
    let started = std::time::Instant::now();
    let q = ints(&model.run(&d.input).unwrap().quantized["logits"]);
    let exact_time = started.elapsed();
    let started = std::time::Instant::now();
    let float = float_logits(d);
    let float_time = started.elapsed();
    let (mut agree, mut exact_ok, mut float_ok) = (0, 0, 0);
    for i in 0..rows {
        let (e, f) = (argmax(&q[i * 10..][..10]), argmax(&float[i * 10..][..10]));
        agree += usize::from(e == f);
        exact_ok += usize::from(e == d.labels[i]);
        float_ok += usize::from(f == d.labels[i]);
    }
    let pct = |n: usize| 100.0 * n as f64 / rows as f64;
    println!(
        "{name} {bits:?}: {rows} rows in one batch: exact run {exact_time:?}, float (tract, incl. load) {float_time:?}"
    );
    println!(
        "{name} {bits:?}: top-1 agreement {agree}/{rows} = {:.2}%, exact accuracy {exact_ok}/{rows} = {:.2}%, float accuracy {float_ok}/{rows} = {:.2}%, drop {:.2} points; {} ops, {} encoded bytes",
        pct(agree),
        pct(exact_ok),
        pct(float_ok),
        pct(float_ok) - pct(exact_ok),
        model.ops().len(),
        model.encode().len(),
    );
    assert!(pct(agree) >= min_agreement, "{name} {bits:?}: agreement {agree}/{rows}");
    assert!(
        pct(float_ok) - pct(exact_ok) <= max_drop,
        "{name} {bits:?}: accuracy drop"
    );
    model
}

/// On the 64 calibration rows (the float reference is a slow interpreter).
#[test]
fn float_reference_matches_tract_on_lenet_and_resnet() {
    for (name, d) in [("lenet", lenet()), ("resnet", resnet())] {
        let graph = import(&d.onnx).unwrap();
        let ours = run_float(&graph, &d.calibration, &mut |_, _| {}).unwrap();
        let theirs = FloatModel::load(&d.onnx).unwrap().run(&d.calibration).unwrap();
        let max = ours["logits"]
            .data
            .iter()
            .zip(theirs["logits"].as_f32().unwrap())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        println!("{name}: float reference vs tract, max |diff| = {max:e} over 64 rows");
        assert!(max <= 1e-4, "{name}: {max}");
    }
}

#[test]
fn lenet_int8_and_int16_agree_with_float() {
    let m = check("lenet", lenet(), Bits::B8, 98.0, 1.0);
    let names: Vec<&str> = m.ops().iter().map(|op| op.name()).collect();
    assert_eq!(
        names,
        [
            "Conv",
            "AveragePool",
            "Conv",
            "AveragePool",
            "Flatten",
            "Linear",
            "Linear"
        ]
    );
    check("lenet", lenet(), Bits::B16, 99.5, 0.5);
}

#[test]
fn resnet_int8_and_int16_agree_with_float() {
    let m = check("resnet", resnet(), Bits::B8, 98.0, 1.0);
    // Every BatchNormalization (and every Relu) folded into its Conv.
    let names: Vec<&str> = m.ops().iter().map(|op| op.name()).collect();
    assert_eq!(names.iter().filter(|n| **n == "Conv").count(), 9, "{names:?}");
    assert!(!names.contains(&"Relu"), "{names:?}");
    check("resnet", resnet(), Bits::B16, 99.5, 0.5);
}

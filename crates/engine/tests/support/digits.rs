//! Helpers shared by the engine's test binaries: the digits model and its
//! data, the ONNX fixtures, and seeded randomness.

// Each test binary uses a different subset.
#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::Value;
use veris_core::{Tensor, TensorData, TensorMap};

pub const DIGITS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/digits");
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn digits_bytes() -> Vec<u8> {
    std::fs::read(format!("{DIGITS_DIR}/digits-mlp.onnx")).expect("read digits-mlp.onnx")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES_DIR}/{name}")).expect("read fixture")
}

/// A float32 `input` tensor map of `rows` x 64 values.
pub fn input_map(rows: usize, data: Vec<f32>) -> TensorMap {
    one("input", vec![rows, 64], TensorData::Float32(data))
}

pub fn one(name: &str, shape: Vec<usize>, data: TensorData) -> TensorMap {
    let t = Tensor::new(name, shape, data).expect("consistent tensor");
    TensorMap::from([(name.to_string(), t)])
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIGITS_DIR}/{name}")).expect("read json");
    serde_json::from_str(&text).expect("parse json")
}

/// `(shape, data)` of a `{"dtype": "float32", "shape": [...], "data": [...]}` object.
fn f32_tensor(v: &Value) -> (Vec<usize>, Vec<f32>) {
    assert_eq!(v["dtype"], "float32");
    let shape = v["shape"]
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
    (shape, data)
}

/// The 8 samples of `samples.json`: label and a [1, 64] input.
pub fn samples() -> Vec<(usize, TensorMap)> {
    read_json("samples.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (shape, data) = f32_tensor(&s["input"]["input"]);
            assert_eq!(shape, [1, 64]);
            (s["label"].as_u64().unwrap() as usize, input_map(1, data))
        })
        .collect()
}

/// The calibration set (64 training rows, never held-out data) as one batch.
pub fn calibration_batch() -> TensorMap {
    let (shape, data) = f32_tensor(&read_json("calibration.json")["input"]);
    assert_eq!(shape, [64, 64]);
    input_map(64, data)
}

/// The held-out set: labels and the flat [450 x 64] data, read once.
pub fn heldout() -> (Vec<usize>, Vec<f32>) {
    static DATA: OnceLock<(Vec<usize>, Vec<f32>)> = OnceLock::new();
    DATA.get_or_init(|| {
        let v = read_json("heldout.json");
        let labels: Vec<usize> = v["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_u64().unwrap() as usize)
            .collect();
        let (shape, data) = f32_tensor(&v["input"]["input"]);
        assert_eq!(shape, [labels.len(), 64]);
        (labels, data)
    })
    .clone()
}

/// Index of the first largest value.
pub fn argmax<T: PartialOrd + Copy>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best
}

/// splitmix64: seeded, dependency-free randomness for reproducible tests.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

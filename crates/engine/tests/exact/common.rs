//! Shared helpers: the digits model and data, compiled exact models.

use std::sync::OnceLock;

use serde_json::Value;
use veris_core::{ModelId, Tensor, TensorData, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};

pub const DIGITS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/digits");
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn digits_bytes() -> Vec<u8> {
    std::fs::read(format!("{DIGITS_DIR}/digits-mlp.onnx")).expect("read digits-mlp.onnx")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES_DIR}/{name}")).expect("read fixture")
}

pub fn input_map(rows: usize, data: Vec<f32>) -> TensorMap {
    let t = Tensor::new("input", vec![rows, 64], TensorData::Float32(data)).expect("tensor");
    TensorMap::from([("input".to_string(), t)])
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIGITS_DIR}/{name}")).expect("read json");
    serde_json::from_str(&text).expect("parse json")
}

fn f32_data(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// The 8 samples of `samples.json`: label and a [1, 64] input.
pub fn samples() -> Vec<(usize, TensorMap)> {
    read_json("samples.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["label"].as_u64().unwrap() as usize,
                input_map(1, f32_data(&s["input"]["input"])),
            )
        })
        .collect()
}

/// The held-out set: labels and the flat [450 x 64] data.
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
        let data = f32_data(&v["input"]["input"]);
        assert_eq!(data.len(), labels.len() * 64);
        (labels, data)
    })
    .clone()
}

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

pub fn argmax<T: PartialOrd + Copy>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best
}

/// splitmix64: seeded randomness for reproducible tests.
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
}

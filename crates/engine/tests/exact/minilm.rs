//! MiniLM-L6 (all-MiniLM-L6-v2, `models/minilm`) compiled at 16 bits:
//! calibrated on the first 32 sentences of `models/minilm/inputs.json`,
//! measured on the other 32 against the float embeddings of
//! `reference.json` (onnxruntime). Ignored by default: the 90 MB ONNX file is
//! not committed. Generate it with `python3 models/minilm/export.py`, then
//!
//! ```sh
//! VERIS_MINILM_ONNX=models/minilm/minilm.onnx \
//!   cargo nextest run -p veris-engine --release --run-ignored only minilm
//! ```
//!
//! (a relative path is taken from the repository root).

use std::time::Instant;

use serde_json::Value;
use veris_core::{ModelId, Tensor, TensorData, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};

use crate::nn_support::cosine;

const MINILM_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/minilm");
const CALIBRATION_SENTENCES: usize = 32;

fn json_lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{MINILM_DIR}/{name}")).expect("read minilm json");
    serde_json::from_str::<Vec<Value>>(&text).expect("parse minilm json")
}

fn ids(v: &Value) -> TensorMap {
    let t = &v["input_ids"];
    let shape: Vec<usize> = t["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<i64> = t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_i64().unwrap())
        .collect();
    let tensor = Tensor::new("input_ids", shape, TensorData::Int64(data)).unwrap();
    TensorMap::from([("input_ids".to_string(), tensor)])
}

fn embedding(v: &Value) -> Vec<f32> {
    v["embedding"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Per evaluated sentence, the cosine similarity of the exact embedding to
/// the float reference; prints timings.
fn evaluate(model: &ExactModel, inputs: &[TensorMap], reference: &[Vec<f32>]) -> Vec<f64> {
    let start = Instant::now();
    let cosines: Vec<f64> = inputs
        .iter()
        .zip(reference)
        .map(|(input, want)| {
            let out = model.run(input).unwrap();
            cosine(out.dequantized["embedding"].as_f32().unwrap(), want)
        })
        .collect();
    println!(
        "run: {:.1} ms per sentence ({} sentences)",
        start.elapsed().as_secs_f64() * 1e3 / inputs.len() as f64,
        inputs.len()
    );
    cosines
}

#[test]
#[ignore = "needs VERIS_MINILM_ONNX (models/minilm/export.py writes it); slow in debug builds"]
fn minilm_16_bit_tracks_the_float_embeddings() {
    let Ok(path) = std::env::var("VERIS_MINILM_ONNX") else {
        println!("skipped: set VERIS_MINILM_ONNX to models/minilm/minilm.onnx (see models/minilm/README.md)");
        return;
    };
    let path = if std::path::Path::new(&path).is_absolute() {
        path
    } else {
        format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
    };
    let bytes = std::fs::read(&path).expect("read the MiniLM ONNX file");
    let inputs: Vec<TensorMap> = json_lines("inputs.json").iter().map(ids).collect();
    let reference: Vec<Vec<f32>> = json_lines("reference.json").iter().map(embedding).collect();
    let (calib, test) = inputs.split_at(CALIBRATION_SENTENCES);

    let start = Instant::now();
    let model = compile(&bytes, ModelId::of_bytes(&bytes), calib, Bits::B16).unwrap();
    println!(
        "compile (16-bit, {} calibration sentences): {:.1} s, {} ops, encoding {} bytes, id {}",
        calib.len(),
        start.elapsed().as_secs_f64(),
        model.ops().len(),
        model.encode().len(),
        model.id()
    );
    let cosines = evaluate(&model, test, &reference[CALIBRATION_SENTENCES..]);
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    let min = cosines.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "16-bit: cosine to float on {} held-out sentences: mean {mean:.6}, min {min:.6}",
        cosines.len()
    );
    assert!(mean >= 0.99, "mean cosine {mean}");

    // 8 bits, for the record (no target).
    let model8 = compile(&bytes, ModelId::of_bytes(&bytes), calib, Bits::B8).unwrap();
    let c8 = evaluate(&model8, test, &reference[CALIBRATION_SENTENCES..]);
    let mean8 = c8.iter().sum::<f64>() / c8.len() as f64;
    println!(
        "8-bit: mean cosine {mean8:.6}, min {:.6}",
        c8.iter().copied().fold(f64::INFINITY, f64::min)
    );
}

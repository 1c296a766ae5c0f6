//! Inference proofs end to end (harness = false; plain timing).
//!
//! `cargo bench -p veris-zk --bench infer` measures, for the digits MLP
//! (64-64-32-10) and a 784-128-64-10 MLP with seeded weights on synthetic
//! 28×28 inputs: exact compilation, proof setup (keys + model commitment),
//! proving (engine run with trace + witness + proof), verification
//! (including decoding), proof size and peak resident memory while proving,
//! for rayon pools of 1 and 2 threads; then the LeNet CNN (`models/lenet`:
//! conv 1→4 5×5, avgpool 2, conv 4→8 5×5, avgpool 2, fc 128→32→10, int8,
//! calibrated on its 64 calibration rows, proved on 5 held-out images); then
//! prints ratios against EZKL's figures for the 784-128-64-10 MLP and for
//! LeNet, measured on the development machine. Also the encoder block's FFN
//! sublayer (8 tokens, Gemm 64→128, GELU as one `Lut`, Gemm 128→64).

#[path = "../tests/infer/mlp_onnx.rs"]
mod mlp_onnx;

mod common;

use std::time::{Duration, Instant};

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::hash::DefaultHash;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::setup;
use veris_zk::infer::verify_bytes;
use veris_zk::pcs::PcsParams;

use common::{input, peak_mib, reset_peak};

/// EZKL's figures for one model on the development machine.
struct Ezkl {
    prove_s: f64,
    verify_s: f64,
    /// The proof file (JSON); the KZG proof inside is 3,072 bytes.
    proof_kb: f64,
    setup_s: f64,
    srs_s: f64,
}

/// EZKL on the 784-128-64-10 MLP.
const EZKL_MLP: Ezkl = Ezkl {
    prove_s: 10.1,
    verify_s: 0.03,
    proof_kb: 18.7,
    setup_s: 8.4,
    srs_s: 15.6,
};

/// EZKL on the LeNet CNN.
const EZKL_LENET: Ezkl = Ezkl {
    prove_s: 35.7,
    verify_s: 0.14,
    proof_kb: 18.7,
    setup_s: 26.9,
    srs_s: 46.8,
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn digits() -> (ExactModel, Vec<TensorMap>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/digits");
    let onnx = std::fs::read(format!("{dir}/digits-mlp.onnx")).expect("digits model");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/calibration.json")).expect("calibration"))
            .expect("json");
    let data: Vec<f32> = json["input"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect();
    let model = compile(
        &onnx,
        ModelId::of_bytes(&onnx),
        &[input(vec![64, 64], data.clone())],
        Bits::B8,
    )
    .expect("compile digits");
    let inputs = data
        .chunks_exact(64)
        .take(5)
        .map(|row| input(vec![1, 64], row.to_vec()))
        .collect();
    (model, inputs)
}

fn mlp() -> (ExactModel, Vec<TensorMap>, Duration) {
    let onnx = mlp_onnx::mlp_784_128_64_10(1);
    let calib: Vec<TensorMap> = mlp_onnx::synthetic_images(2, 16)
        .into_iter()
        .map(|image| input(vec![1, 1, 28, 28], image))
        .collect();
    let start = Instant::now();
    let model = compile(&onnx, ModelId::of_bytes(&onnx), &calib, Bits::B8).expect("compile mlp");
    let compile_time = start.elapsed();
    let inputs = mlp_onnx::synthetic_images(3, 5)
        .into_iter()
        .map(|image| input(vec![1, 1, 28, 28], image))
        .collect();
    (model, inputs, compile_time)
}

/// The encoder block's FFN sublayer (`models/encoder` sizes): 8 token rows,
/// Gemm 64→128, GELU (one `Lut`), Gemm 128→64; seeded weights, inputs uniform in ±2.
fn gelu_ffn() -> (ExactModel, Vec<TensorMap>) {
    let onnx = mlp_onnx::activation_mlp(7, "Gelu", &[64, 128, 64]);
    let mut u = mlp_onnx::Uniform(8);
    let mut rows = |n: usize| input(vec![n, 64], (0..n * 64).map(|_| u.next(-2.0, 2.0)).collect());
    let calib: Vec<TensorMap> = (0..16).map(|_| rows(8)).collect();
    let model = compile(&onnx, ModelId::of_bytes(&onnx), &calib, Bits::B8).expect("compile ffn");
    let inputs = (0..5).map(|_| rows(8)).collect();
    (model, inputs)
}

fn lenet() -> (ExactModel, Vec<TensorMap>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/lenet");
    let onnx = std::fs::read(format!("{dir}/lenet.onnx")).expect("lenet model");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).expect("json file")).expect("json")
    };
    let f32s = |v: &serde_json::Value| -> Vec<f32> {
        let data = v["data"].as_array().expect("data");
        data.iter().map(|x| x.as_f64().expect("number") as f32).collect()
    };
    let rows = read("calibration.json");
    let rows = rows.as_array().expect("rows");
    let calib: Vec<f32> = rows.iter().flat_map(|r| f32s(&r["input"])).collect();
    let calib = input(vec![rows.len(), 1, 28, 28], calib);
    let model = compile(&onnx, ModelId::of_bytes(&onnx), &[calib], Bits::B8).expect("compile lenet");
    let held = f32s(&read("heldout.json")["input"]["input"]);
    let inputs = held
        .chunks_exact(784)
        .take(5)
        .map(|image| input(vec![1, 1, 28, 28], image.to_vec()))
        .collect();
    (model, inputs)
}

struct Figures {
    setup: Duration,
    prove: Duration,
    verify: Duration,
    proof_bytes: usize,
    peak_prove_mib: f64,
}

fn measure(model: &ExactModel, inputs: &[TensorMap]) -> Figures {
    let start = Instant::now();
    let (pk, vk) = setup::<DefaultHash>(model, PcsParams::default()).expect("setup");
    let setup_time = start.elapsed();
    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut proof_bytes = 0;
    let mut peak = 0f64;
    for x in inputs {
        let resettable = reset_peak();
        let start = Instant::now();
        let proved = prove(&pk, model, x).expect("prove");
        let bytes = proved.proof.encode();
        prove_times.push(start.elapsed());
        peak = if resettable { peak.max(peak_mib()) } else { peak_mib() };
        proof_bytes = bytes.len();
        for _ in 0..5 {
            let start = Instant::now();
            verify_bytes::<DefaultHash>(&vk, &proved.statement, &bytes).expect("verifies");
            verify_times.push(start.elapsed());
        }
    }
    Figures {
        setup: setup_time,
        prove: median(prove_times),
        verify: median(verify_times),
        proof_bytes,
        peak_prove_mib: peak,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores, load average {}", load.trim());
    let (digits, digit_inputs) = digits();
    let (mlp, mlp_inputs, mlp_compile) = mlp();
    let (lenet, lenet_inputs) = lenet();
    let (ffn, ffn_inputs) = gelu_ffn();
    println!("mlp-784-128-64-10 exact compile: {:.1} ms", ms(mlp_compile));
    if !reset_peak() {
        println!("peak MiB: the process's high-water mark so far (VmHWM cannot be reset here)");
    }
    println!(
        "{:<34} {:>7} {:>10} {:>10} {:>10} {:>11} {:>12}",
        "benchmark", "threads", "setup ms", "prove ms", "verify ms", "proof KiB", "peak MiB"
    );
    let mut ratios = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        for (name, model, inputs) in [
            ("infer::lenet-cnn/batch1", &lenet, &lenet_inputs),
            ("infer::digits-64-64-32-10/batch1", &digits, &digit_inputs),
            ("infer::mlp-784-128-64-10/batch1", &mlp, &mlp_inputs),
            ("infer::gelu-ffn-64-128-64/seq8", &ffn, &ffn_inputs),
        ] {
            let f = pool.install(|| measure(model, inputs));
            println!(
                "{name:<34} {threads:>7} {:>10.1} {:>10.1} {:>10.2} {:>11.1} {:>12.1}",
                ms(f.setup),
                ms(f.prove),
                ms(f.verify),
                f.proof_bytes as f64 / 1024.0,
                f.peak_prove_mib
            );
            if std::ptr::eq(model, &mlp) {
                ratios.push(("784-128-64-10 MLP", &EZKL_MLP, threads, f));
            } else if std::ptr::eq(model, &lenet) {
                ratios.push(("LeNet CNN", &EZKL_LENET, threads, f));
            }
        }
    }
    println!("\nvs EZKL (EZKL / Veris; > 1 means Veris is faster or smaller):");
    for (name, e, threads, f) in &ratios {
        println!(
            "  {name}, {threads} thread(s): prove {:.0}x, verify {:.1}x, setup {:.0}x ({:.0}x with EZKL's SRS), proof size {:.3}x",
            e.prove_s / f.prove.as_secs_f64(),
            e.verify_s / f.verify.as_secs_f64(),
            e.setup_s / f.setup.as_secs_f64(),
            (e.setup_s + e.srs_s) / f.setup.as_secs_f64(),
            e.proof_kb * 1000.0 / f.proof_bytes as f64,
        );
    }
}

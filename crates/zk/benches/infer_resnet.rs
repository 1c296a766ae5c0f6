//! Residual networks end to end (harness = false; plain timing).
//!
//! `cargo bench -p veris-zk --bench infer_resnet` measures, on the machine's
//! rayon pool, the small BN-folded ResNet of `models/resnet` (16×16 digits,
//! 3 residual blocks; 3 held-out images) and, when
//! `models/resnet18/resnet18.onnx` exists (`python3 models/resnet18/export.py`),
//! torchvision's ResNet-18 at 32×32 (one seeded input): exact compilation,
//! setup (keys + model commitment), proving (engine run + witness + proof),
//! verification (with decoding), proof size and the prover's peak resident
//! memory (VmHWM, reset before each proof), then the proving time per phase
//! (engine run and witness, witness commitment, lookups per layer kind,
//! matmul / conv / pool sumchecks, the two batched openings).
//! `VERIS_BENCH_MODEL=resnet18` runs only ResNet-18, so that the peak is its own;
//! `VERIS_BENCH_SIDE=64` measures the `64 × 64` export instead
//! (`python3 models/resnet18/export.py --side 64` writes `resnet18-64x64.onnx`).
//!
//! Measurement of record (whole-process peak from `/usr/bin/time -v`):
//! ```text
//! python3 models/resnet18/export.py        # once: writes models/resnet18/resnet18.onnx (stem MaxPool kept;
//!                                          # --no-maxpool: replaced by Identity, the variant measured below)
//! cargo bench -p veris-zk --bench infer_resnet --no-run
//! cd crates/zk && VERIS_BENCH_MODEL=resnet18 /usr/bin/time -v \
//!     $CARGO_TARGET_DIR/release/deps/infer_resnet-<hash> --bench
//! ```
//! On the 2-core development machine (shared, load ≈ 10, the process got 49 %
//! of the CPU), ResNet-18 (11.19 M parameters, 32×32, stem MaxPool removed):
//! setup 15.8 s, prove 13.4–14.1 s (of which the model opening ≈ 8 s), verify
//! 0.16–0.18 s, proof 3964 KiB (3.87 MiB), peak RSS 3.2 GiB for the whole process.

mod common;

use std::time::{Duration, Instant};

use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::hash::DefaultHash;
use veris_zk::infer::prove::{prove_witness_profiled, witness};
use veris_zk::infer::setup::setup;
use veris_zk::infer::verify_bytes;
use veris_zk::pcs::PcsParams;

use common::{input, peak_mib, reset_peak};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");

fn f32s(v: &serde_json::Value) -> Vec<f32> {
    let data = v["data"].as_array().expect("data");
    data.iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

fn small_resnet() -> (ExactModel, Vec<TensorMap>) {
    let dir = format!("{MODELS}/resnet");
    let onnx = std::fs::read(format!("{dir}/resnet.onnx")).expect("resnet model");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).expect("json file")).expect("json")
    };
    let rows = read("calibration.json");
    let rows = rows.as_array().expect("rows");
    let calib: Vec<f32> = rows.iter().flat_map(|r| f32s(&r["input"])).collect();
    let calib = input(vec![rows.len(), 1, 16, 16], calib);
    let model = compile(&onnx, ModelId::of_bytes(&onnx), &[calib], Bits::B8).expect("compile resnet");
    let held = f32s(&read("heldout.json")["input"]["input"]);
    let inputs = held
        .chunks_exact(256)
        .take(3)
        .map(|image| input(vec![1, 1, 16, 16], image.to_vec()))
        .collect();
    (model, inputs)
}

/// Seeded pseudo-random images in `[0, 1)` (xorshift), `[1, 3, side, side]` each.
fn images(seed: u64, count: usize, side: usize) -> Vec<Vec<f32>> {
    let mut s = seed.max(1);
    (0..count)
        .map(|_| {
            (0..3 * side * side)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s >> 40) as f32 / (1u64 << 24) as f32
                })
                .collect()
        })
        .collect()
}

/// ResNet-18 at `side × side` compiled on 8 seeded images, with one seeded input; `None` if not exported.
fn resnet18(side: usize) -> Option<(ExactModel, Vec<TensorMap>, Duration)> {
    let (path, export) = match side {
        32 => (format!("{MODELS}/resnet18/resnet18.onnx"), String::new()),
        _ => (
            format!("{MODELS}/resnet18/resnet18-{side}x{side}.onnx"),
            format!(" --side {side}"),
        ),
    };
    let Ok(onnx) = std::fs::read(&path) else {
        println!("skipping ResNet-18: {path} is absent (run `python3 models/resnet18/export.py{export}`)");
        return None;
    };
    let calib: Vec<f32> = images(7, 8, side).concat();
    let start = Instant::now();
    let model = compile(
        &onnx,
        ModelId::of_bytes(&onnx),
        &[input(vec![8, 3, side, side], calib)],
        Bits::B8,
    )
    .expect("compile resnet18");
    let compile_time = start.elapsed();
    let inputs = images(11, 1, side)
        .into_iter()
        .map(|x| input(vec![1, 3, side, side], x))
        .collect();
    Some((model, inputs, compile_time))
}

fn measure(name: &str, model: &ExactModel, inputs: &[TensorMap]) {
    let start = Instant::now();
    let (pk, vk) = setup::<DefaultHash>(model, PcsParams::default()).expect("setup");
    let setup_time = start.elapsed();
    for (i, x) in inputs.iter().enumerate() {
        let resettable = reset_peak();
        let start = Instant::now();
        let (_, w) = witness(&pk, model, x).expect("witness");
        let witness_time = start.elapsed();
        let (proof, profile) = prove_witness_profiled(&pk, &w).expect("prove");
        let bytes = proof.encode();
        let prove_time = start.elapsed();
        let peak = peak_mib();
        let start = Instant::now();
        verify_bytes::<DefaultHash>(&vk, &w.statement, &bytes).expect("verifies");
        let verify_time = start.elapsed();
        println!(
            "{name:<28} input {i}: setup {:>8.1} ms, prove {:>9.1} ms, verify {:>7.1} ms, proof {:>7.1} KiB, \
             peak {:>8.1} MiB{}",
            setup_time.as_secs_f64() * 1e3,
            prove_time.as_secs_f64() * 1e3,
            verify_time.as_secs_f64() * 1e3,
            bytes.len() as f64 / 1024.0,
            peak,
            if resettable { "" } else { " (process high-water mark)" }
        );
        println!(
            "  {:<36} {:>9.1} ms",
            "engine run + witness",
            witness_time.as_secs_f64() * 1e3
        );
        for (phase, time) in &profile.phases {
            println!("  {phase:<36} {:>9.1} ms", time.as_secs_f64() * 1e3);
        }
    }
}

fn main() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let threads = rayon::current_num_threads();
    println!("machine: {threads} rayon threads, load average {}", load.trim());
    let only = std::env::var("VERIS_BENCH_MODEL").unwrap_or_default();
    if only != "resnet18" {
        let (model, inputs) = small_resnet();
        measure("infer::resnet-digits/batch1", &model, &inputs);
    }
    let side = match std::env::var("VERIS_BENCH_SIDE") {
        Ok(v) => v.parse().expect("VERIS_BENCH_SIDE: a side length such as 64"),
        Err(_) => 32,
    };
    if let Some((model, inputs, compile_time)) = resnet18(side) {
        println!("resnet18 exact compile: {:.1} s", compile_time.as_secs_f64());
        measure(&format!("infer::resnet18-{side}x{side}/batch1"), &model, &inputs);
    }
}

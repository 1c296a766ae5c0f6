//! The reference digits MLP: specs, accuracy, batching, determinism.

use veris_core::{DType, Dim, TensorSpec};

use crate::common::*;

#[test]
fn specs_match_the_onnx_graph() {
    let model = digits();
    let n = || Dim::Symbol("N".into());
    assert_eq!(
        model.inputs(),
        [TensorSpec {
            name: "input".into(),
            dtype: DType::Float32,
            shape: vec![n(), Dim::Fixed(64)],
        }]
    );
    assert_eq!(
        model.outputs(),
        [TensorSpec {
            name: "logits".into(),
            dtype: DType::Float32,
            shape: vec![n(), Dim::Fixed(10)],
        }]
    );
}

#[test]
fn classifies_the_eight_samples() {
    let model = digits();
    let samples = samples();
    assert_eq!(samples.len(), 8);
    for (label, input) in samples {
        let (shape, values) = logits(&model.run(&input).unwrap());
        assert_eq!(shape, [1, 10]);
        assert_eq!(argmax(&values), label);
    }
}

#[test]
fn heldout_batch_is_accurate_and_matches_row_by_row() {
    let model = digits();
    let (labels, data) = heldout();
    let rows = labels.len();
    let (shape, batch) = logits(&model.run(&input_map(rows, data.clone())).unwrap());
    assert_eq!(shape, [rows, 10]);

    let correct = (0..rows)
        .filter(|&i| argmax(&batch[i * 10..][..10]) == labels[i])
        .count();
    let accuracy = correct as f64 / rows as f64;
    assert!(accuracy >= 0.97, "accuracy {correct}/{rows} = {accuracy:.4}");

    let mut max_diff = 0f32;
    for i in 0..rows {
        let row = data[i * 64..][..64].to_vec();
        let (shape, single) = logits(&model.run(&input_map(1, row)).unwrap());
        assert_eq!(shape, [1, 10]);
        for (a, b) in single.iter().zip(&batch[i * 10..][..10]) {
            max_diff = max_diff.max((a - b).abs());
        }
    }
    assert!(max_diff <= 1e-5, "batch vs row-by-row differ by {max_diff}");
}

#[test]
fn any_batch_size_runs_with_one_plan() {
    let model = digits();
    let (_, data) = heldout();
    for rows in [1usize, 2, 3, 17, 64, 128, 449] {
        let (shape, values) = logits(&model.run(&input_map(rows, data[..rows * 64].to_vec())).unwrap());
        assert_eq!(shape, [rows, 10]);
        assert!(values.iter().all(|x| x.is_finite()));
    }
    // An empty batch is valid input: it must give an empty result or a
    // typed error, never a panic.
    match model.run(&input_map(0, vec![])) {
        Ok(out) => assert_eq!(out["logits"].shape(), [0, 10]),
        Err(e) => panic!("empty batch failed: {e}"),
    }
}

#[test]
fn repeated_runs_are_bit_identical() {
    let model = digits();
    let (labels, data) = heldout();
    let input = input_map(labels.len(), data);
    let first = bits(&logits(&model.run(&input).unwrap()).1);
    for _ in 0..20 {
        assert_eq!(bits(&logits(&model.run(&input).unwrap()).1), first);
    }
    for (_, sample) in samples() {
        let once = bits(&logits(&model.run(&sample).unwrap()).1);
        for _ in 0..50 {
            assert_eq!(bits(&logits(&model.run(&sample).unwrap()).1), once);
        }
    }
}

/// Median latency of `run` on one sample. Run with
/// `cargo test --release -p veris-engine --test float -- --ignored --nocapture latency`.
#[test]
#[ignore = "benchmark; run in release mode"]
fn latency_of_one_sample() {
    let model = digits();
    let (_, input) = samples().swap_remove(0);
    let calls = 10_000;
    for _ in 0..1_000 {
        model.run(&input).unwrap();
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = std::time::Instant::now();
        let out = model.run(&input).unwrap();
        times.push(start.elapsed());
        std::hint::black_box(out);
    }
    times.sort();
    println!(
        "float::run/digits-1: median {:?}, p90 {:?}, p99 {:?} over {calls} calls",
        times[calls / 2],
        times[calls * 9 / 10],
        times[calls * 99 / 100]
    );
}

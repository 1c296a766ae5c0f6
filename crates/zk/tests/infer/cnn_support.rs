//! Shared CNN fixtures: the LeNet model (`models/lenet`) compiled at 8 bits
//! on its calibration rows, its keys, held-out images and one proof, each
//! made once per binary; and random small CNN programs.

#![allow(dead_code)] // each test module uses a different subset

use std::sync::OnceLock;

use serde_json::Value;
use veris_core::{ModelId, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::{Statement, VerifyingKey};
use veris_zk::pcs::PcsParams;

use crate::support::*;

pub const LENET_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/lenet");

fn read_json(name: &str) -> Value {
    read_json_in(LENET_DIR, name)
}

/// A JSON fixture of a model directory.
pub fn read_json_in(dir: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{dir}/{name}")).expect("read json");
    serde_json::from_str(&text).expect("parse json")
}

pub fn f32s(v: &Value) -> Vec<f32> {
    let data = v["data"].as_array().expect("data");
    data.iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

/// LeNet compiled at 8 bits on the 64 calibration rows, once per binary.
pub fn lenet() -> &'static ExactModel {
    static MODEL: OnceLock<ExactModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(format!("{LENET_DIR}/lenet.onnx")).expect("read lenet");
        let rows = read_json("calibration.json");
        let rows = rows.as_array().expect("calibration rows");
        let data: Vec<f32> = rows.iter().flat_map(|r| f32s(&r["input"])).collect();
        let calib = float_input("input", vec![rows.len(), 1, 28, 28], data);
        compile(&bytes, ModelId::of_bytes(&bytes), &[calib], Bits::B8).expect("compile lenet")
    })
}

/// LeNet's keys, made once per binary.
pub fn lenet_keys() -> &'static (ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| setup::<H>(lenet(), PcsParams::default()).expect("lenet setup"))
}

/// Held-out images `first..first + count`, each a `[1, 1, 28, 28]` input, with their labels.
pub fn lenet_heldout(first: usize, count: usize) -> Vec<(TensorMap, usize)> {
    let held = read_json("heldout.json");
    let pixels = f32s(&held["input"]["input"]);
    let labels = held["labels"].as_array().expect("labels");
    (first..first + count)
        .map(|i| {
            let image = pixels[i * 784..(i + 1) * 784].to_vec();
            let label = labels[i].as_u64().expect("label") as usize;
            (float_input("input", vec![1, 1, 28, 28], image), label)
        })
        .collect()
}

/// A proof and its statement for held-out image 0, made once per binary.
pub fn lenet_proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let (input, _) = lenet_heldout(0, 1).remove(0);
        let proved = veris_zk::infer::prove::prove(&lenet_keys().0, lenet(), &input).expect("prove lenet");
        (proved.statement, proved.proof.encode())
    })
}

/// A window with square kernel `k`, stride `s` and pads `p` on every side.
pub fn square(k: u32, s: u32, p: u32) -> Window {
    Window {
        kernel: [k, k],
        strides: [s, s],
        dilations: [1, 1],
        pads: [p; 4],
    }
}

/// A random small CNN on `[N, c, h, w]` inputs: conv (random window, one
/// group or `c` groups) →
/// average pool (2×2 or 3×3 with counted padding) → conv (1 or 2 groups) →
/// flatten → linear (`H`, `W` of the flattened grid often not powers of two).
/// Returns the model and its input shape (batch `n`).
pub fn random_cnn(rng: &mut Rng) -> (ExactModel, Vec<usize>) {
    let (n, c) = (1 + rng.below(2) as usize, 1 + rng.below(3) as u32);
    let (h, w) = (6 + rng.below(5) as usize, 6 + rng.below(6) as usize);
    let mut b = ExactBuilder::default();
    // Grouped (depthwise-style, g = c) half of the time.
    let g1 = if rng.below(2) == 0 { 1 } else { c };
    let c1 = g1 * (1 + rng.below(2) as u32) + if g1 == 1 { rng.below(3) as u32 } else { 0 };
    // Dilation 2 only with stride 1, so that every output is at least 2 × 2.
    let dilation = 1 + rng.below(2) as u32;
    let win1 = Window {
        kernel: [1 + rng.below(3) as u32, 1 + rng.below(3) as u32],
        strides: [
            if dilation == 2 { 1 } else { 1 + rng.below(2) as u32 },
            1 + rng.below(2) as u32,
        ],
        dilations: [dilation, 1],
        pads: [0, 1, 0, 2].map(|m| rng.below(m + 1) as u32),
    };
    let k1 = (c / g1) * win1.kernel[0] * win1.kernel[1];
    let (w1, b1, r1) = random_linear(rng, k1, c1);
    let relu = rng.below(2) == 0;
    b.op(Op::Conv {
        c_in: c,
        c_out: c1,
        group: g1,
        window: win1,
        relu,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    let (oh, ow) = (out_len(&win1, 0, h), out_len(&win1, 1, w));
    let pool = if rng.below(2) == 0 {
        square(2, 2, 0)
    } else {
        square(3, 1, 1)
    };
    let pool_shift = 30 + rng.below(3) as u8;
    b.op(Op::AvgPool {
        window: pool,
        count_include_pad: true,
        requant: (rng.range(1 << 29, (1 << 31) - 1) as u32, pool_shift),
    });
    let (ph, pw) = (out_len(&pool, 0, oh), out_len(&pool, 1, ow));
    let g2 = if c1.is_multiple_of(2) && rng.below(2) == 0 {
        2
    } else {
        1
    };
    let c2 = g2 * (1 + rng.below(2) as u32);
    let win2 = square(if ph.min(pw) >= 2 { 2 } else { 1 }, 1, 0);
    let k2 = (c1 / g2) * win2.kernel[0] * win2.kernel[1];
    let (w2, b2, r2) = random_linear(rng, k2, c2);
    b.op(Op::Conv {
        c_in: c1,
        c_out: c2,
        group: g2,
        window: win2,
        relu: !relu,
        weights: &w2,
        bias: &b2,
        requant: &r2,
    });
    let (qh, qw) = (out_len(&win2, 0, ph), out_len(&win2, 1, pw));
    // The linear layer reads the flattened grid (as a matrix when H and W are powers of two,
    // otherwise through weights laid out over the padded grid).
    b.op(Op::Flatten(1));
    let k3 = c2 * (qh * qw) as u32;
    let (w3, b3, r3) = random_linear(rng, k3, 3);
    b.op(Op::Linear {
        k: k3,
        n: 3,
        relu: false,
        weights: &w3,
        bias: &b3,
        requant: &r3,
    });
    let dims = [None, Some(u64::from(c)), Some(h as u64), Some(w as u64)];
    (b.build(&dims), vec![n, c as usize, h, w])
}

fn out_len(w: &Window, axis: usize, len: usize) -> usize {
    let extent = (w.dilations[axis] * (w.kernel[axis] - 1) + 1) as usize;
    (len + (w.pads[axis] + w.pads[axis + 2]) as usize - extent) / w.strides[axis] as usize + 1
}

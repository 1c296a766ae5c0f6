//! Shared helpers: the digits model, seeded randomness, random exact MLPs
//! (built through the canonical exact-model encoding) and proving shortcuts.

#![allow(dead_code)] // each test module uses a different subset

use std::sync::OnceLock;

use serde_json::Value;
use veris_core::{ModelId, Tensor, TensorData, TensorMap};
use veris_engine::exact::{Bits, ExactModel, compile};
use veris_zk::hash::DefaultHash;
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::{Statement, VerifyingKey};
use veris_zk::pcs::PcsParams;

pub type H = DefaultHash;

pub const DIGITS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/digits");

/// splitmix64: seeded, dependency-free randomness.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIGITS_DIR}/{name}")).expect("read json");
    serde_json::from_str(&text).expect("parse json")
}

fn f32s(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

pub fn float_input(name: &str, shape: Vec<usize>, data: Vec<f32>) -> TensorMap {
    let t = Tensor::new(name, shape, TensorData::Float32(data)).expect("consistent tensor");
    TensorMap::from([(name.to_string(), t)])
}

/// The digits MLP compiled at 8 bits on its calibration split, once per binary.
pub fn digits() -> &'static ExactModel {
    static MODEL: OnceLock<ExactModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(format!("{DIGITS_DIR}/digits-mlp.onnx")).expect("read digits");
        let calib = float_input("input", vec![64, 64], f32s(&read_json("calibration.json")["input"]));
        compile(&bytes, ModelId::of_bytes(&bytes), &[calib], Bits::B8).expect("compile digits")
    })
}

/// The digits model's keys, made once per binary.
pub fn digits_keys() -> &'static (ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| setup::<H>(digits(), PcsParams::default()).expect("digits setup"))
}

/// The 8 labelled samples of `samples.json`, each a `[1, 64]` input.
pub fn digit_samples() -> Vec<TensorMap> {
    read_json("samples.json")
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| float_input("input", vec![1, 64], f32s(&s["input"]["input"])))
        .collect()
}

/// A proof and its statement for one digits sample, made once per binary.
pub fn digits_proof() -> &'static (Statement, Vec<u8>) {
    static PROOF: OnceLock<(Statement, Vec<u8>)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let proved = veris_zk::infer::prove::prove(&digits_keys().0, digits(), &digit_samples()[0]).expect("prove");
        (proved.statement, proved.proof.encode())
    })
}

/// Builds exact models through their canonical encoding (`docs/exact-semantics.md` §7).
#[derive(Debug, Default)]
pub struct ExactBuilder {
    ops: Vec<u8>,
    count: u32,
}

pub enum Op<'a> {
    Linear {
        k: u32,
        n: u32,
        relu: bool,
        weights: &'a [i8],
        bias: &'a [i64],
        requant: &'a [(u32, u8)],
    },
    Relu,
    Reshape(&'a [i64]),
    Flatten(i64),
    /// Output axis `i` is input axis `perm[i]`.
    Transpose(&'a [u8]),
    /// `window` = kernel, strides, dilations, pads (top, left, bottom, right).
    Conv {
        c_in: u32,
        c_out: u32,
        group: u32,
        window: Window,
        relu: bool,
        weights: &'a [i8],
        bias: &'a [i64],
        requant: &'a [(u32, u8)],
    },
    AvgPool {
        window: Window,
        count_include_pad: bool,
        requant: (u32, u8),
    },
    GlobalAvgPool {
        requant: (u32, u8),
    },
    MaxPool {
        window: Window,
    },
    /// `MatMul` of two activations by value id (0 = the input, op `i` = `i + 1`);
    /// `a: None` is the previous value.
    MatMul {
        a: Option<u32>,
        b: u32,
        requant: (u32, u8),
    },
    /// LayerNorm (engine tag 34) over the axes from `axis`: `n` per block, `eps`,
    /// precisions `K` (`sqrt_bits`) and `F` (`frac_bits`), per position `g`, `h`, `rq`.
    LayerNorm {
        axis: i64,
        n: u32,
        eps: i64,
        sqrt_bits: u8,
        frac_bits: u8,
        gamma: &'a [i8],
        beta: &'a [i64],
        requant: &'a [(u32, u8)],
    },
    /// Softmax along `axis` with precision `exp_bits` and a 256-entry exp table.
    Softmax {
        axis: i64,
        exp_bits: u8,
        table: &'a [i64],
    },
}

/// The exact compiler's exp table for input scale `scale` at precision `p`:
/// `round(2^p · e^(−d·scale))`, `d < 256`.
pub fn exp_table(scale: f64, p: u8) -> Vec<i64> {
    (0..256)
        .map(|d| ((1u64 << p) as f64 * (-(d as f64) * scale).exp()).round() as i64)
        .collect()
}

/// A table in the exact-model encoding's canonical form (`docs/exact-semantics.md` §7.1):
/// maximal runs `(zigzag delta, length − 1)` when shorter than the raw entries, else raw.
fn table_bytes(o: &mut Vec<u8>, table: &[i64]) {
    fn varint(o: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            o.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        o.push(v as u8);
    }
    let mut runs: Vec<(i64, u64)> = Vec::new();
    let mut prev = 0;
    for &v in table {
        match runs.last_mut() {
            Some((d, n)) if *d == v - prev => *n += 1,
            _ => runs.push((v - prev, 1)),
        }
        prev = v;
    }
    let width: u8 = if table.iter().all(|v| (-128..128).contains(v)) {
        1
    } else if table.iter().all(|v| (-32768..32768).contains(v)) {
        2
    } else {
        4
    };
    let mut encoded = Vec::new();
    for &(d, n) in &runs {
        varint(&mut encoded, ((d << 1) ^ (d >> 63)) as u64);
        varint(&mut encoded, n - 1);
    }
    if 4 + encoded.len() < table.len() * usize::from(width) {
        o.push(0);
        o.extend_from_slice(&(runs.len() as u32).to_le_bytes());
        o.extend_from_slice(&encoded);
    } else {
        o.push(width);
        table
            .iter()
            .for_each(|v| o.extend_from_slice(&v.to_le_bytes()[..usize::from(width)]));
    }
}

/// A 2-D window: kernel, strides, dilations, pads `[top, left, bottom, right]`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub kernel: [u32; 2],
    pub strides: [u32; 2],
    pub dilations: [u32; 2],
    pub pads: [u32; 4],
}

fn window_bytes(o: &mut Vec<u8>, w: &Window) {
    for v in w.kernel.iter().chain(&w.strides).chain(&w.dilations).chain(&w.pads) {
        o.extend_from_slice(&v.to_le_bytes());
    }
    o.push(0); // ceil_mode
}

fn channel_bytes(o: &mut Vec<u8>, weights: &[i8], bias: &[i64], requant: &[(u32, u8)]) {
    o.extend(weights.iter().map(|&w| w as u8));
    bias.iter().for_each(|b| o.extend_from_slice(&b.to_le_bytes()));
    for (m, s) in requant {
        o.extend_from_slice(&m.to_le_bytes());
        o.push(*s);
    }
}

fn str_bytes(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl ExactBuilder {
    /// Appends an op reading the previous value (value 0 is the input).
    pub fn op(&mut self, op: Op<'_>) {
        self.op_reading(self.count, op);
    }

    /// Appends `y = sat(rq_a(value a) + rq_b(value b))` (value `i + 1` is op `i`'s output).
    pub fn add(&mut self, a: u32, b: u32, rq_a: (u32, u8), rq_b: (u32, u8), relu: bool) {
        let o = &mut self.ops;
        o.push(2);
        o.extend_from_slice(&a.to_le_bytes());
        o.extend_from_slice(&b.to_le_bytes());
        for (m, s) in [rq_a, rq_b] {
            o.extend_from_slice(&m.to_le_bytes());
            o.push(s);
        }
        o.push(u8::from(relu));
        self.count += 1;
    }

    /// Appends an op reading value `input` (0 is the input, `i + 1` op `i`'s output).
    pub fn op_reading(&mut self, input: u32, op: Op<'_>) {
        let o = &mut self.ops;
        let tag = match op {
            Op::Linear { .. } => 1u8,
            Op::Relu => 3,
            Op::Reshape(_) => 4,
            Op::Flatten(_) => 5,
            Op::Transpose(_) => 14,
            Op::Conv { .. } => 6,
            Op::AvgPool { .. } => 8,
            Op::GlobalAvgPool { .. } => 9,
            Op::MaxPool { .. } => 7,
            Op::MatMul { .. } => 36,
            Op::Softmax { .. } => 33,
            Op::LayerNorm { .. } => 34,
        };
        o.push(tag);
        let input = match op {
            Op::MatMul { a: Some(a), .. } => a,
            _ => input,
        };
        o.extend_from_slice(&input.to_le_bytes());
        match op {
            Op::Linear {
                k,
                n,
                relu,
                weights,
                bias,
                requant,
            } => {
                o.extend_from_slice(&k.to_le_bytes());
                o.extend_from_slice(&n.to_le_bytes());
                o.push(u8::from(relu));
                channel_bytes(o, weights, bias, requant);
            }
            Op::Conv {
                c_in,
                c_out,
                group,
                window,
                relu,
                weights,
                bias,
                requant,
            } => {
                for v in [c_in, c_out, group] {
                    o.extend_from_slice(&v.to_le_bytes());
                }
                window_bytes(o, &window);
                o.push(u8::from(relu));
                channel_bytes(o, weights, bias, requant);
            }
            Op::AvgPool {
                window,
                count_include_pad,
                requant,
            } => {
                window_bytes(o, &window);
                o.push(u8::from(count_include_pad));
                o.extend_from_slice(&requant.0.to_le_bytes());
                o.push(requant.1);
            }
            Op::MatMul { b, requant, .. } => {
                o.extend_from_slice(&b.to_le_bytes());
                o.extend_from_slice(&requant.0.to_le_bytes());
                o.push(requant.1);
            }
            Op::GlobalAvgPool { requant } => {
                o.extend_from_slice(&requant.0.to_le_bytes());
                o.push(requant.1);
            }
            Op::LayerNorm {
                axis,
                n,
                eps,
                sqrt_bits,
                frac_bits,
                gamma,
                beta,
                requant,
            } => {
                o.extend_from_slice(&axis.to_le_bytes());
                o.extend_from_slice(&n.to_le_bytes());
                o.extend_from_slice(&eps.to_le_bytes());
                o.extend([sqrt_bits, frac_bits]);
                channel_bytes(o, gamma, beta, requant);
            }
            Op::MaxPool { window } => window_bytes(o, &window),
            Op::Softmax { axis, exp_bits, table } => {
                o.extend_from_slice(&axis.to_le_bytes());
                o.push(exp_bits);
                table_bytes(o, table);
            }
            Op::Relu => {}
            Op::Reshape(dims) => {
                o.push(dims.len() as u8);
                dims.iter().for_each(|d| o.extend_from_slice(&d.to_le_bytes()));
            }
            Op::Flatten(axis) => o.extend_from_slice(&axis.to_le_bytes()),
            Op::Transpose(perm) => {
                o.push(perm.len() as u8);
                o.extend_from_slice(perm);
            }
        }
        self.count += 1;
    }

    /// The model with input `x` of `dims` (`None` = symbolic) quantized by ratio 1
    /// (so integer-valued floats are the program's input values) and output `y`.
    pub fn build(&self, dims: &[Option<u64>]) -> ExactModel {
        let mut b = b"VERISXQ\0".to_vec();
        b.extend_from_slice(&1u32.to_le_bytes());
        b.push(8);
        b.extend_from_slice(&[0x01, 0x55, 0x12, 0x20]);
        b.extend_from_slice(&[7u8; 32]);
        b.extend_from_slice(&1u32.to_le_bytes());
        str_bytes(&mut b, "x");
        b.push(dims.len() as u8);
        for d in dims {
            match d {
                Some(v) => {
                    b.push(0);
                    b.extend_from_slice(&v.to_le_bytes());
                }
                None => {
                    b.push(1);
                    str_bytes(&mut b, "N");
                }
            }
        }
        b.extend_from_slice(&(1u32 << 30).to_le_bytes());
        b.push(30);
        b.extend_from_slice(&0u32.to_le_bytes()); // no constants
        b.extend_from_slice(&self.count.to_le_bytes());
        b.extend_from_slice(&self.ops);
        b.extend_from_slice(&1u32.to_le_bytes());
        str_bytes(&mut b, "y");
        b.extend_from_slice(&self.count.to_le_bytes());
        b.extend_from_slice(&1.0f64.to_bits().to_le_bytes());
        ExactModel::decode(&b).expect("valid exact model")
    }
}

/// Random weights, biases and requantizers for a `k → n` layer: mostly
/// gains well below 1 (outputs spread over the range), sometimes gains
/// above 1 (values the function skips) and large biases (saturation).
pub fn random_linear(rng: &mut Rng, k: u32, n: u32) -> (Vec<i8>, Vec<i64>, Vec<(u32, u8)>) {
    let weights = (0..k * n).map(|_| rng.range(-127, 127) as i8).collect();
    let big_bias = rng.below(4) == 0;
    let bias = (0..n)
        .map(|_| {
            if big_bias {
                rng.range(-200_000, 200_000)
            } else {
                rng.range(-3000, 3000)
            }
        })
        .collect();
    let k_bits = 64 - u64::from(k).leading_zeros() as u8;
    let requant = (0..n)
        .map(|_| {
            let m = rng.range(1, (1 << 31) - 1) as u32;
            let s = if rng.below(5) == 0 {
                rng.range(28, 31) as u8
            } else {
                31 + k_bits + rng.range(2, 7) as u8
            };
            (m, s)
        })
        .collect();
    (weights, bias, requant)
}

/// Integer-valued float inputs in `[−128, 127]`.
pub fn random_input(rng: &mut Rng, shape: &[usize]) -> TensorMap {
    let count = shape.iter().product();
    let data = (0..count).map(|_| rng.range(-128, 127) as f32).collect();
    float_input("x", shape.to_vec(), data)
}

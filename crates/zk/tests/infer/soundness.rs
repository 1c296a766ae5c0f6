//! A malicious prover: the honest witness with one value altered per run, in
//! every layer, proved with the honest prover code. No such proof may verify.
//! Also: statements that differ from the proved one, and a proof checked
//! against another model's key.

use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::{prove_witness, witness};
use veris_zk::infer::setup::{ProverKey, setup};
use veris_zk::infer::witness::{LayerWitness, Witness};
use veris_zk::infer::{VerifyingKey, verify, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::softmax_tamper::{self, SOFTMAX_TAMPERS, SoftmaxTamper};
use crate::support::*;

/// One way of lying about one layer's values.
#[derive(Debug, Clone, Copy)]
pub enum Tamper {
    /// An accumulator (matmul output) ± 1, thresholds and limbs re-derived.
    MatmulOutput,
    /// A requantized output ± 1 (also the next layer's input), lookups re-derived.
    Requantized,
    /// A requantized output ± 1 and the statement's output with it (last layer: a false claim).
    RequantizedAndClaimed,
    /// One use moved between two rows of the threshold table.
    Multiplicity,
    /// A weight the prover uses ± 1 (the opening no longer matches the commitment).
    Weight,
    /// A weight + 1 with every accumulator it feeds recomputed: a consistent run
    /// of another model, caught only by the model commitment (or, when an
    /// output would change, by the threshold and range lookups).
    WeightAndAccumulators,
    /// A limb + 256 with the next limb − 1: same value, limb out of range.
    LimbOutOfRange,
    /// A looked-up lower threshold − 1, with the limbs of `acc − Lc` kept consistent.
    Threshold,
    /// One use moved between two rows of the range table.
    RangeMultiplicity,
    /// A pointwise layer's output changed (ReLU and Lut layers only).
    PointwiseOutput,
    /// One use moved between two rows of a pointwise table.
    PointwiseMultiplicity,
    /// A residual Add's output ± 1 (also its readers' input), multiplicities recounted.
    AddOutput,
    /// One use moved between two rows of an Add's pair table.
    AddMultiplicity,
    /// A max pool output lowered to the next value below its window's maximum
    /// (another tap's value, or the padding stand-in −128), columns re-derived.
    MaxNotMax,
    /// A max pool output raised above its window's maximum, columns re-derived.
    MaxAboveMax,
    /// [`Tamper::MaxAboveMax`] with the statement's output rewritten (last layer: a false claim).
    MaxAboveMaxAndClaimed,
    /// A max pool's selector moved to a tap whose difference is not 0.
    MaxSelector,
    /// A max pool difference + 1.
    MaxDifference,
    /// One use moved between two rows of a max pool's table.
    MaxMultiplicity,
    /// A lie about a Softmax layer ([`crate::softmax_tamper`]).
    Softmax(SoftmaxTamper),
}

/// Residual Add: its output and its lookup's multiplicities.
pub const ADD_TAMPERS: [Tamper; 2] = [Tamper::AddOutput, Tamper::AddMultiplicity];

/// Conv: every linear tamper but the weight-and-accumulators one (which needs the matmul layout).
pub const CONV_TAMPERS: [Tamper; 8] = [
    Tamper::MatmulOutput,
    Tamper::Requantized,
    Tamper::RequantizedAndClaimed,
    Tamper::Multiplicity,
    Tamper::Weight,
    Tamper::LimbOutOfRange,
    Tamper::Threshold,
    Tamper::RangeMultiplicity,
];

/// AvgPool: no weights.
pub const POOL_TAMPERS: [Tamper; 7] = [
    Tamper::MatmulOutput,
    Tamper::Requantized,
    Tamper::RequantizedAndClaimed,
    Tamper::Multiplicity,
    Tamper::LimbOutOfRange,
    Tamper::Threshold,
    Tamper::RangeMultiplicity,
];

const LINEAR_TAMPERS: [Tamper; 9] = [
    Tamper::MatmulOutput,
    Tamper::WeightAndAccumulators,
    Tamper::Requantized,
    Tamper::RequantizedAndClaimed,
    Tamper::Multiplicity,
    Tamper::Weight,
    Tamper::LimbOutOfRange,
    Tamper::Threshold,
    Tamper::RangeMultiplicity,
];

fn bump(v: &mut i64) {
    *v = if *v < 127 { *v + 1 } else { *v - 1 };
}

fn limbs_of(v: i64, count: usize) -> Vec<i64> {
    (0..count).map(|t| ((v as u64 >> (8 * t)) & 255) as i64).collect()
}

/// Applies `tamper` to layer `layer` at element `index`; false if it does not apply.
fn apply(w: &mut Witness, pk: &ProverKey<H>, layer: usize, index: usize, tamper: Tamper) -> bool {
    let last = layer + 1 == w.layers.len();
    match (&mut w.layers[layer], tamper) {
        (
            LayerWitness::Linear(l)
            | LayerWitness::Conv(l)
            | LayerWitness::Pool(l)
            | LayerWitness::MatMul(l)
            | LayerWitness::LayerNorm(l, _),
            Tamper::MatmulOutput,
        ) => {
            l.acc[index] += if index.is_multiple_of(2) { 1 } else { -1 };
            w.derive_columns(pk);
            w.count_multiplicities(pk);
        }
        (
            LayerWitness::Linear(l)
            | LayerWitness::Conv(l)
            | LayerWitness::Pool(l)
            | LayerWitness::MatMul(l)
            | LayerWitness::LayerNorm(l, _),
            Tamper::Requantized | Tamper::RequantizedAndClaimed,
        ) => {
            bump(&mut l.output[index]);
            let claimed = l.output.clone();
            w.derive_columns(pk);
            w.count_multiplicities(pk);
            if matches!(tamper, Tamper::RequantizedAndClaimed) {
                if !last {
                    return false;
                }
                // Rewrite the statement's output to the tampered (unpadded) values.
                let n = *w.statement.output.shape.last().expect("rank ≥ 1");
                let padded_n = n.next_power_of_two();
                for (i, v) in w.statement.output.data.iter_mut().enumerate() {
                    *v = claimed[(i / n) * padded_n + i % n];
                }
            }
        }
        (
            LayerWitness::Linear(l)
            | LayerWitness::Conv(l)
            | LayerWitness::Pool(l)
            | LayerWitness::MatMul(l)
            | LayerWitness::LayerNorm(l, _),
            Tamper::Multiplicity,
        ) => {
            let used = l.multiplicities.iter().position(|&m| m > 0).expect("a used row");
            l.multiplicities[used] -= 1;
            let other = (used + 1 + index) % l.multiplicities.len();
            l.multiplicities[other] += 1;
        }
        (LayerWitness::Linear(l) | LayerWitness::Conv(l), Tamper::Weight) => {
            let i = index % l.weights.len();
            l.weights[i] += 1;
        }
        (LayerWitness::Linear(_), Tamper::WeightAndAccumulators) => {
            let x = w.layer_input(layer);
            let LayerWitness::Linear(l) = &mut w.layers[layer] else {
                unreachable!()
            };
            // Padded sizes: weights n·kp, accumulators r·n, input r·kp.
            let kp = ((l.weights.len() * x.len() / l.acc.len()) as f64).sqrt().round() as usize;
            let (n, rows) = (l.weights.len() / kp, x.len() / kp);
            let Some(p) = (0..kp).find(|&p| x[p] != 0) else {
                return false;
            };
            let j = index % n;
            l.weights[j * kp + p] += 1;
            for r in 0..rows {
                l.acc[r * n + j] += x[r * kp + p];
            }
            w.derive_columns(pk);
            w.count_multiplicities(pk);
        }
        (
            LayerWitness::Linear(l)
            | LayerWitness::Conv(l)
            | LayerWitness::Pool(l)
            | LayerWitness::MatMul(l)
            | LayerWitness::LayerNorm(l, _),
            Tamper::LimbOutOfRange,
        ) => {
            l.e_limbs[0][index] += 256;
            if l.e_limbs.len() > 1 {
                l.e_limbs[1][index] -= 1;
            }
            w.count_multiplicities(pk);
        }
        (
            LayerWitness::Linear(l)
            | LayerWitness::Conv(l)
            | LayerWitness::Pool(l)
            | LayerWitness::MatMul(l)
            | LayerWitness::LayerNorm(l, _),
            Tamper::Threshold,
        ) => {
            l.lower[index] -= 1;
            let e = l.acc[index] - l.lower[index];
            let count = l.e_limbs.len();
            for (limb, v) in l.e_limbs.iter_mut().zip(limbs_of(e, count)) {
                limb[index] = v;
            }
            w.count_multiplicities(pk);
        }
        (_, Tamper::RangeMultiplicity) => {
            let used = w.range_multiplicities.iter().position(|&m| m > 0).expect("a used limb");
            w.range_multiplicities[used] -= 1;
            w.range_multiplicities[(used + 1 + index) % 256] += 1;
        }
        (LayerWitness::Pointwise(r), Tamper::PointwiseOutput) => {
            bump(&mut r.output[index]);
            w.count_multiplicities(pk);
        }
        (LayerWitness::Pointwise(r), Tamper::PointwiseMultiplicity) => {
            let used = r.multiplicities.iter().position(|&m| m > 0).expect("a used row");
            r.multiplicities[used] -= 1;
            let other = (used + 1 + index) % r.multiplicities.len();
            r.multiplicities[other] += 1;
        }
        (LayerWitness::Add(a), Tamper::AddOutput) => {
            bump(&mut a.output[index]);
            w.derive_columns(pk);
            w.count_multiplicities(pk);
        }
        (LayerWitness::MaxPool(_), _) => return crate::max_pool::apply_max(w, pk, layer, index, tamper),
        (LayerWitness::Add(a), Tamper::AddMultiplicity) => {
            let used = a.multiplicities.iter().position(|&m| m > 0).expect("a used row");
            a.multiplicities[used] -= 1;
            let other = (used + 1 + index) % a.multiplicities.len();
            a.multiplicities[other] += 1;
        }
        (LayerWitness::Softmax(_), Tamper::Softmax(t)) => return softmax_tamper::apply(w, pk, layer, index, t),
        _ => return false,
    }
    true
}

/// Every tamper at several elements (real and padding) of every layer is rejected.
fn never_accepted(model: &ExactModel, input: &veris_core::TensorMap, pk: &ProverKey<H>, vk: &VerifyingKey) -> usize {
    never_accepted_in(model, input, pk, vk, |_| true)
}

/// [`never_accepted`] on the layers `select` picks.
pub fn never_accepted_in(
    model: &ExactModel,
    input: &veris_core::TensorMap,
    pk: &ProverKey<H>,
    vk: &VerifyingKey,
    select: impl Fn(&LayerWitness) -> bool,
) -> usize {
    let (_, honest) = witness(pk, model, input).expect("honest witness");
    let layers: Vec<usize> = (0..honest.layers.len())
        .filter(|&i| select(&honest.layers[i]))
        .collect();
    never_accepted_at(model, input, pk, vk, &layers)
}

/// [`never_accepted`] on the proved layers `layers` (indices into the witness's layers).
pub fn never_accepted_at(
    model: &ExactModel,
    input: &veris_core::TensorMap,
    pk: &ProverKey<H>,
    vk: &VerifyingKey,
    layers: &[usize],
) -> usize {
    let (_, honest) = witness(pk, model, input).expect("honest witness");
    let honest_proof = prove_witness(pk, &honest).expect("prove");
    verify::<H>(vk, &honest.statement, &honest_proof).expect("the untampered witness verifies");
    let mut runs = 0;
    for &layer in layers {
        let len = honest.layers[layer].output().len();
        let tampers: &[Tamper] = match honest.layers[layer] {
            LayerWitness::Linear(_) => &LINEAR_TAMPERS,
            LayerWitness::Conv(_) => &CONV_TAMPERS,
            LayerWitness::Pool(_) | LayerWitness::MatMul(_) | LayerWitness::LayerNorm(..) => &POOL_TAMPERS,
            LayerWitness::Pointwise(_) => &[Tamper::PointwiseOutput, Tamper::PointwiseMultiplicity],
            LayerWitness::Add(_) => &ADD_TAMPERS,
            LayerWitness::MaxPool(_) => &crate::max_pool::MAX_TAMPERS,
            LayerWitness::Softmax(_) => &SOFTMAX_TAMPERS,
        };
        for &tamper in tampers {
            for index in [0, len / 2 + 1, len - 1].map(|i| i.min(len - 1)) {
                let mut w = honest.clone();
                if !apply(&mut w, pk, layer, index, tamper) {
                    continue;
                }
                if w == honest {
                    continue;
                }
                runs += 1;
                let proof = prove_witness(pk, &w).expect("the prover proves any witness");
                let verdict = verify_bytes::<H>(vk, &w.statement, &proof.encode());
                let Err(why) = verdict else {
                    panic!("accepted: layer {layer}, {tamper:?} at {index}");
                };
                eprintln!("layer {layer} {tamper:?} at {index}: rejected ({why})");
            }
        }
    }
    runs
}

#[test]
fn malicious_prover_on_digits_is_rejected_in_every_layer() {
    let (pk, vk) = digits_keys();
    let runs = never_accepted(digits(), &digit_samples()[1], pk, vk);
    assert!(runs >= 3 * LINEAR_TAMPERS.len() * 2, "only {runs} tampered runs");
}

#[test]
fn malicious_prover_on_a_chain_with_standalone_relus_is_rejected() {
    // 2 rows, input ReLU, linear 6 → 5 (no fused ReLU), standalone ReLU, linear 5 → 3.
    let mut rng = Rng(42);
    let mut b = ExactBuilder::default();
    b.op(Op::Relu);
    let (w1, b1, r1) = random_linear(&mut rng, 6, 5);
    b.op(Op::Linear {
        k: 6,
        n: 5,
        relu: false,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    b.op(Op::Relu);
    let (w2, b2, r2) = random_linear(&mut rng, 5, 3);
    b.op(Op::Linear {
        k: 5,
        n: 3,
        relu: true,
        weights: &w2,
        bias: &b2,
        requant: &r2,
    });
    let model = b.build(&[None, Some(6)]);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[2, 6]);
    let runs = never_accepted(&model, &input, &pk, &vk);
    assert!(runs >= 2 * LINEAR_TAMPERS.len(), "only {runs} tampered runs");
}

#[test]
fn altered_statements_are_rejected() {
    let (_, vk) = digits_keys();
    let (statement, proof) = digits_proof();
    verify_bytes::<H>(vk, statement, proof).expect("honest");
    for i in [0, 17, 63] {
        let mut s = statement.clone();
        s.input.data[i] = if s.input.data[i] < 127 { s.input.data[i] + 1 } else { 0 };
        assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "changed input {i}");
    }
    for i in 0..10 {
        let mut s = statement.clone();
        bump(&mut s.output.data[i]);
        assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "changed output {i}");
    }
    let mut s = statement.clone();
    s.output.data[0] = 300;
    assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "output out of range");
    let mut s = statement.clone();
    s.model_id[35] ^= 1;
    assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "other model id");
    let mut s = statement.clone();
    s.output.shape = vec![10, 1];
    assert!(verify_bytes::<H>(vk, &s, proof).is_err(), "other output shape");
}

#[test]
fn a_proof_for_model_a_does_not_verify_against_model_b() {
    // Model B: the digits model with one weight changed (same shapes, same everything else).
    let a = digits();
    let mut bytes = a.encode();
    let (statement, proof) = digits_proof();
    let first_weight = find_first_weight(&bytes);
    bytes[first_weight] = bytes[first_weight].wrapping_add(1);
    let b = ExactModel::decode(&bytes).expect("model B decodes");
    assert_ne!(a.id(), b.id());
    let (_, vk_b) = setup::<H>(&b, PcsParams::default()).expect("setup B");
    let mut s = statement.clone();
    s.model_id = vk_b.model_id().to_owned();
    assert!(
        verify_bytes::<H>(&vk_b, &s, proof).is_err(),
        "proof for A under B's key"
    );
    assert!(
        verify_bytes::<H>(&vk_b, statement, proof).is_err(),
        "A's statement under B's key"
    );
}

/// Offset of the first weight byte of the first Linear op in an exact-model encoding
/// (digits: one input `input` of shape `[N, 64]`, no constants).
fn find_first_weight(bytes: &[u8]) -> usize {
    // magic 8, version 4, width 1, source 36, input count 4, name (2 + 5), rank 1,
    // dims: (1 + 2 + 1) symbolic "N" + (1 + 8) fixed 64, rq 5, const count 4, op count 4.
    let op = 8 + 4 + 1 + 36 + 4 + 2 + 5 + 1 + (1 + 2 + 1) + (1 + 8) + 5 + 4 + 4;
    assert_eq!(bytes[op], 1, "the first op is a Linear");
    // tag, input u32, k u32, n u32, relu u8.
    op + 1 + 4 + 4 + 4 + 1
}

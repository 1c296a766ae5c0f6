//! MaxPool (key stage tag 10): CNNs with ResNet's stem pool (3×3, stride 2,
//! pad 1) and the 2×2 stride-2 pool prove and verify with the engine's own
//! outputs (batches with padded grids, a pool reading the public input, a
//! pool as the last layer); a malicious prover claiming a non-maximum, a
//! value above the maximum, a moved selector, a changed difference or
//! multiplicity is rejected; mutated proofs and keys are rejected; a window
//! lying in the padding only is refused.

use veris_engine::exact::ExactModel;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::witness::{LayerWitness, Witness};
use veris_zk::infer::{Stage, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::cnn_support::square;
use crate::soundness::{Tamper, never_accepted_in};
use crate::support::*;

/// The max pool tampers of the malicious-prover harness.
pub const MAX_TAMPERS: [Tamper; 6] = [
    Tamper::MaxNotMax,
    Tamper::MaxAboveMax,
    Tamper::MaxAboveMaxAndClaimed,
    Tamper::MaxSelector,
    Tamper::MaxDifference,
    Tamper::MaxMultiplicity,
];

/// The padded index of real element `i` of an `[N, C, H, W]` tensor (each axis padded to a power of two).
fn grid_index(shape: &[usize], i: usize) -> usize {
    let (mut rest, mut index, mut stride) = (i, 0, 1);
    for &d in shape.iter().rev() {
        index += (rest % d) * stride;
        rest /= d;
        stride *= d.next_power_of_two();
    }
    index
}

/// Applies a max pool `tamper` to layer `layer` at output element `index`; false if it does not apply.
pub fn apply_max(w: &mut Witness, pk: &ProverKey<H>, layer: usize, index: usize, tamper: Tamper) -> bool {
    let last = layer + 1 == w.layers.len();
    let LayerWitness::MaxPool(m) = &mut w.layers[layer] else {
        return false;
    };
    let taps = m.diffs.len() / m.output.len();
    let row = index * taps..(index + 1) * taps;
    match tamper {
        Tamper::MaxNotMax => {
            let Some(step) = m.diffs[row].iter().copied().filter(|&d| d > 0).min() else {
                return false;
            };
            m.output[index] -= step;
        }
        Tamper::MaxAboveMax | Tamper::MaxAboveMaxAndClaimed => {
            if m.output[index] == 127 || (matches!(tamper, Tamper::MaxAboveMaxAndClaimed) && !last) {
                return false;
            }
            m.output[index] += 1;
        }
        Tamper::MaxSelector => {
            let (Some(on), Some(off)) = (
                m.selector[row.clone()].iter().position(|&s| s == 1),
                m.diffs[row.clone()].iter().position(|&d| d != 0),
            ) else {
                return false;
            };
            m.selector[row.start + on] = 0;
            m.selector[row.start + off] = 1;
            w.count_multiplicities(pk);
            return true;
        }
        Tamper::MaxDifference => {
            m.diffs[row.start] += 1;
            w.count_multiplicities(pk);
            return true;
        }
        Tamper::MaxMultiplicity => {
            let used = m.multiplicities.iter().position(|&c| c > 0).expect("a used row");
            m.multiplicities[used] -= 1;
            let other = (used + 1 + index) % m.multiplicities.len();
            m.multiplicities[other] += 1;
            return true;
        }
        _ => return false,
    }
    let claimed = m.output.clone();
    w.derive_columns(pk);
    w.count_multiplicities(pk);
    if matches!(tamper, Tamper::MaxAboveMaxAndClaimed) {
        let shape = w.statement.output.shape.clone();
        for (i, v) in w.statement.output.data.iter_mut().enumerate() {
            *v = claimed[grid_index(&shape, i)];
        }
    }
    true
}

/// `[N, c, h, w]` → conv `c → 4` (3×3, pad 1, ReLU or not) → MaxPool `stem` →
/// MaxPool 2×2 stride 2 → flatten → linear `→ 3`; with `input_pool`, a
/// MaxPool 2×2 stride 1 reads the public input first.
fn pooled_cnn(rng: &mut Rng, [c, h, w]: [u32; 3], stem: Window, input_pool: bool, tail: bool) -> ExactModel {
    let mut b = ExactBuilder::default();
    let dims = [None, Some(u64::from(c)), Some(u64::from(h)), Some(u64::from(w))];
    let (mut h, mut w) = (h as usize, w as usize);
    let out = |len: usize, win: &Window, axis: usize| {
        (len + (win.pads[axis] + win.pads[axis + 2]) as usize - win.kernel[axis] as usize) / win.strides[axis] as usize
            + 1
    };
    if input_pool {
        let win = square(2, 1, 0);
        b.op(Op::MaxPool { window: win });
        (h, w) = (out(h, &win, 0), out(w, &win, 1));
    }
    let (w1, b1, r1) = random_linear(rng, c * 9, 4);
    b.op(Op::Conv {
        c_in: c,
        c_out: 4,
        group: 1,
        window: square(3, 1, 1),
        relu: rng.below(2) == 0,
        weights: &w1,
        bias: &b1,
        requant: &r1,
    });
    b.op(Op::MaxPool { window: stem });
    (h, w) = (out(h, &stem, 0), out(w, &stem, 1));
    let half = square(2, 2, 0);
    b.op(Op::MaxPool { window: half });
    (h, w) = (out(h, &half, 0), out(w, &half, 1));
    if tail {
        assert!(h.is_power_of_two() && w.is_power_of_two(), "{h} × {w}");
        b.op(Op::Flatten(1));
        let k = 4 * (h * w) as u32;
        let (w2, b2, r2) = random_linear(rng, k, 3);
        b.op(Op::Linear {
            k,
            n: 3,
            relu: false,
            weights: &w2,
            bias: &b2,
            requant: &r2,
        });
    }
    b.build(&dims)
}

fn stem_pool() -> Window {
    square(3, 2, 1)
}

#[test]
fn cnns_with_max_pools_prove_and_verify_the_engine_outputs() {
    let mut rng = Rng(7);
    // (channels, input plane, pool on the input, linear tail, batch)
    let cases = [
        ([2, 8, 8], false, true, 1),
        ([3, 8, 8], false, true, 2),
        ([1, 9, 9], true, true, 3),
        ([3, 7, 6], false, false, 2),
        ([2, 11, 10], true, false, 1),
    ];
    for (case, (plane, input_pool, tail, n)) in cases.into_iter().enumerate() {
        let model = pooled_cnn(&mut rng, plane, stem_pool(), input_pool, tail);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let pools = vk.stages().iter().filter(|s| matches!(s, Stage::MaxPool(_))).count();
        assert_eq!(pools, 2 + usize::from(input_pool), "case {case}");
        assert_eq!(
            &VerifyingKey::decode(&vk.encode(), VkLimits::default()).expect("decodes"),
            &vk
        );
        let [c, h, w] = plane.map(|v| v as usize);
        let input = random_input(&mut rng, &[n, c, h, w]);
        let proved = prove(&pk, &model, &input).unwrap_or_else(|e| panic!("case {case}: prove: {e}"));
        assert_eq!(proved.outputs, model.run(&input).expect("engine run"), "case {case}");
        let bytes = proved.proof.encode();
        verify_bytes::<H>(&vk, &proved.statement, &bytes).unwrap_or_else(|e| panic!("case {case}: {e}"));
        for i in [0, proved.statement.output.data.len() - 1] {
            let mut other = proved.statement.clone();
            let v = &mut other.output.data[i];
            *v = if *v < 127 { *v + 1 } else { *v - 1 };
            assert!(
                verify_bytes::<H>(&vk, &other, &bytes).is_err(),
                "case {case}: output {i}"
            );
        }
    }
}

#[test]
fn malicious_prover_on_max_pools_is_rejected() {
    let mut rng = Rng(21);
    // The pools are the last layers here, so false claims of the output are covered too.
    let model = pooled_cnn(&mut rng, [2, 7, 7], stem_pool(), true, false);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[2, 2, 7, 7]);
    let pools = |w: &LayerWitness| matches!(w, LayerWitness::MaxPool(_));
    let runs = never_accepted_in(&model, &input, &pk, &vk, pools);
    // Three pools, three elements each, every tamper but the claimed one on all of them.
    assert!(runs >= 3 * 2 * (MAX_TAMPERS.len() - 1), "only {runs} tampered runs");
}

#[test]
fn mutated_max_pool_proofs_and_keys_are_rejected() {
    let mut rng = Rng(3);
    let model = pooled_cnn(&mut rng, [2, 8, 8], stem_pool(), true, true);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[1, 2, 8, 8]);
    let proved = prove(&pk, &model, &input).expect("prove");
    let bytes = proved.proof.encode();
    verify_bytes::<H>(&vk, &proved.statement, &bytes).expect("honest proof verifies");
    let len = bytes.len();
    assert_proof_mutations_rejected(
        &vk,
        &proved.statement,
        &bytes,
        &mut rng,
        150,
        &[0, 40, len / 2, len - 1],
    );
    let mut decoded = 0;
    for_each_decodable_key_mutation(&vk, &mut rng, 150, |pos, key| {
        decoded += 1;
        assert!(
            verify_bytes::<H>(key, &proved.statement, &bytes).is_err(),
            "mutated key at byte {pos}"
        );
    });
    assert!(decoded > 0, "no mutated key decoded");
}

#[test]
fn a_key_with_another_max_pool_window_refuses_the_proof() {
    let mut rng = Rng(5);
    let model = pooled_cnn(&mut rng, [1, 8, 8], stem_pool(), false, false);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let input = random_input(&mut rng, &[1, 1, 8, 8]);
    let proved = prove(&pk, &model, &input).expect("prove");
    let bytes = proved.proof.encode();
    // The stem pool (stage 1) as 3×3 stride 2 without padding, or with a dilation: shapes change or the proof fails.
    let encoded = vk.encode();
    let window = [3u32, 3, 2, 2, 1, 1, 1, 1, 1, 1];
    let at = encoded
        .windows(40)
        .position(|w| w == window.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
        .expect("the stem window in the key");
    for (field, value) in [(6, 0u32), (4, 2), (0, 2)] {
        let mut bad = encoded.clone();
        bad[at + 4 * field..at + 4 * field + 4].copy_from_slice(&value.to_le_bytes());
        match VerifyingKey::decode(&bad, VkLimits::default()) {
            Ok(key) => assert!(
                verify_bytes::<H>(&key, &proved.statement, &bytes).is_err(),
                "window field {field} = {value}"
            ),
            Err(e) => panic!("window field {field} = {value} does not decode: {e}"),
        }
    }
    // A pad as large as the extent does not decode.
    let mut bad = encoded.clone();
    bad[at + 24..at + 28].copy_from_slice(&3u32.to_le_bytes());
    assert!(VerifyingKey::decode(&bad, VkLimits::default()).is_err());
}

#[test]
fn a_max_pool_window_of_padding_only_is_refused() {
    // W axis: kernel 2, dilation 4 (extent 5), pads 2 and 2 on a width of 1: the one window reads −2 and 2.
    let mut b = ExactBuilder::default();
    b.op(Op::MaxPool {
        window: Window {
            kernel: [1, 2],
            strides: [1, 1],
            dilations: [1, 4],
            pads: [0, 2, 0, 2],
        },
    });
    let model = b.build(&[Some(1), Some(1), Some(2), Some(1)]);
    assert!(matches!(
        setup::<H>(&model, PcsParams::default()),
        Err(SetupError::Circuit(_))
    ));
}

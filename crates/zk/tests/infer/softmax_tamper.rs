//! The malicious prover's lies about a Softmax layer (used by
//! [`crate::soundness`]): wrong lane maxima, exp values, outputs (±1, and a
//! false statement), remainders, selectors, `y` limbs and multiplicities.

use veris_zk::infer::Stage;
use veris_zk::infer::setup::ProverKey;
use veris_zk::infer::witness::{LayerWitness, Witness};

use crate::soundness::Tamper;
use crate::support::H;

/// One way of lying about a Softmax layer.
#[derive(Debug, Clone, Copy)]
pub enum SoftmaxTamper {
    /// The lane's maximum + 1, `e = E[m − x]` recomputed (the selected entry now has `d = 1`).
    MaxUp,
    /// The lane's maximum − 1, `e` recomputed (the selected entry has `d = −1`).
    MaxDown,
    /// The lane's maximum + 1, `e` recomputed and the selector cleared (no entry has `d = 0`).
    MaxUpUnselected,
    /// One `e` + 1, the remainder limbs re-derived.
    Exp,
    /// One output + 1, the remainder limbs re-derived.
    OutputUp,
    /// One output − 1, the remainder limbs re-derived (`ρ + 2D`: `f` goes negative).
    OutputDown,
    /// One output + 1 and the statement's output with it (last layer only).
    OutputClaimed,
    /// `ρ + 1` and `f − 1`, both in range: the division identity fails.
    Remainder,
    /// The selector moved to a non-maximal entry of its lane.
    Selector,
    /// The `y` limb differs from the output.
    YLimb,
    /// One use moved between two rows of the lane-max table.
    Multiplicity,
}

/// Every Softmax tamper.
pub const SOFTMAX_TAMPERS: [Tamper; 11] = [
    Tamper::Softmax(SoftmaxTamper::MaxUp),
    Tamper::Softmax(SoftmaxTamper::MaxDown),
    Tamper::Softmax(SoftmaxTamper::MaxUpUnselected),
    Tamper::Softmax(SoftmaxTamper::Exp),
    Tamper::Softmax(SoftmaxTamper::OutputUp),
    Tamper::Softmax(SoftmaxTamper::OutputDown),
    Tamper::Softmax(SoftmaxTamper::OutputClaimed),
    Tamper::Softmax(SoftmaxTamper::Remainder),
    Tamper::Softmax(SoftmaxTamper::Selector),
    Tamper::Softmax(SoftmaxTamper::YLimb),
    Tamper::Softmax(SoftmaxTamper::Multiplicity),
];

fn value_of(limbs: &[Vec<i64>], i: usize) -> i64 {
    limbs.iter().rev().fold(0, |acc, l| acc * 256 + l[i])
}

fn set_value(limbs: &mut [Vec<i64>], i: usize, v: i64) {
    for (t, l) in limbs.iter_mut().enumerate() {
        l[i] = (v >> (8 * t)) & 255;
    }
}

/// Applies `tamper` to Softmax layer `layer` at output element `index`; false if it does not apply.
pub fn apply(w: &mut Witness, pk: &ProverKey<H>, layer: usize, index: usize, tamper: SoftmaxTamper) -> bool {
    let last = layer + 1 == w.layers.len();
    let LayerWitness::Softmax(s) = &mut w.layers[layer] else {
        return false;
    };
    let width = s.output.len() / s.max.len();
    let row = index / width;
    match tamper {
        SoftmaxTamper::MaxUp | SoftmaxTamper::MaxDown | SoftmaxTamper::MaxUpUnselected => {
            s.max[row] += if matches!(tamper, SoftmaxTamper::MaxDown) {
                -1
            } else {
                1
            };
            if matches!(tamper, SoftmaxTamper::MaxUpUnselected) {
                s.sel[row * width..(row + 1) * width].fill(0);
            }
            w.derive_softmax_exp();
            w.derive_columns(pk);
        }
        SoftmaxTamper::Exp => {
            s.exp[index] += 1;
            w.derive_columns(pk);
        }
        SoftmaxTamper::OutputUp | SoftmaxTamper::OutputClaimed => {
            s.output[index] += 1;
            let claimed = s.output.clone();
            w.derive_columns(pk);
            if matches!(tamper, SoftmaxTamper::OutputClaimed) {
                if !last {
                    return false;
                }
                let n = *w.statement.output.shape.last().expect("rank ≥ 1");
                let padded_n = n.next_power_of_two();
                for (i, v) in w.statement.output.data.iter_mut().enumerate() {
                    *v = claimed[(i / n) * padded_n + i % n];
                }
            }
        }
        SoftmaxTamper::OutputDown => {
            s.output[index] -= 1;
            w.derive_columns(pk);
        }
        SoftmaxTamper::Remainder => {
            let rho = value_of(&s.rho_limbs, index);
            let f = value_of(&s.f_limbs, index);
            if f == 0 {
                return false;
            }
            set_value(&mut s.rho_limbs, index, rho + 1);
            set_value(&mut s.f_limbs, index, f - 1);
        }
        SoftmaxTamper::Selector => {
            let lane = row * width..(row + 1) * width;
            let Some(from) = lane.clone().find(|&i| s.sel[i] == 1) else {
                return false;
            };
            // A real entry that is not a maximum: its exp is below E[0] = 2^P.
            let top = softmax_table(w, pk, layer)[0];
            let LayerWitness::Softmax(s) = &mut w.layers[layer] else {
                unreachable!()
            };
            let Some(to) = lane.clone().find(|&i| s.exp[i] != 0 && s.exp[i] != top) else {
                return false;
            };
            s.sel[from] = 0;
            s.sel[to] = 1;
        }
        SoftmaxTamper::YLimb => {
            s.y_limb[index] += 1;
        }
        SoftmaxTamper::Multiplicity => {
            let used = s.multiplicities.iter().position(|&m| m > 0).expect("a used row");
            s.multiplicities[used] -= 1;
            let other = (used + 1 + index) % s.multiplicities.len();
            s.multiplicities[other] += 1;
            return true;
        }
    }
    w.count_multiplicities(pk);
    true
}

/// The exp table of the Softmax stage behind witness layer `layer`.
fn softmax_table(w: &Witness, pk: &ProverKey<H>, layer: usize) -> Vec<i64> {
    let nth = w.layers[..layer]
        .iter()
        .filter(|l| matches!(l, LayerWitness::Softmax(_)))
        .count();
    let mut tables = pk.verifying_key().stages().iter().filter_map(|s| match s {
        Stage::Softmax(k) => Some(k.exp_table.clone()),
        _ => None,
    });
    tables.nth(nth).expect("one stage per softmax layer")
}

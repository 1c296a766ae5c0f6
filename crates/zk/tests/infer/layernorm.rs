//! LayerNorm (engine tag 34, key stage 20, `docs/proof-system.md` §9.11.4):
//! honest proofs verify and match the engine bit for bit (negative `g`,
//! padded blocks and constant blocks with `eps = 0`, i.e. `D = 0`,
//! included); a malicious prover changing `r`, `t`, `ρ`, `s`, `Q` or the
//! constant-block flag is rejected, as is the generic tamper set on the
//! layer; proof bytes and keys are hostile-safe; the encoder's own LayerNorm
//! parameters prove; blocks whose bounds exceed the field are refused.

use std::sync::OnceLock;

use veris_engine::exact::{ExactModel, ExactOp};
use veris_zk::infer::prove::{prove, prove_witness, witness};
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::infer::witness::LayerWitness;
use veris_zk::infer::{Stage, VerifyingKey, VkLimits, verify_bytes};
use veris_zk::pcs::PcsParams;

use crate::byte_mutations::{assert_proof_mutations_rejected, for_each_decodable_key_mutation};
use crate::soundness::never_accepted_in;
use crate::support::*;

/// `K = min(63, 2b + ceil(1.5·bitlen(n)) + 2)` for 8-bit models, as the compiler chooses it.
fn sqrt_bits(n: u32) -> u8 {
    let bitlen = 32 - n.leading_zeros();
    (16 + (3 * bitlen).div_ceil(2) + 2) as u8
}

struct Norm {
    gamma: Vec<i8>,
    beta: Vec<i64>,
    requant: Vec<(u32, u8)>,
}

/// Random `g` (both signs), `h` and requantizers mapping `t·g + h` (about ±2^18) onto the 8-bit range.
fn random_norm(rng: &mut Rng, n: u32) -> Norm {
    Norm {
        gamma: (0..n).map(|_| rng.range(-127, 127) as i8).collect(),
        beta: (0..n).map(|_| rng.range(-20_000, 20_000)).collect(),
        requant: (0..n)
            .map(|_| (rng.range(1 << 30, (1 << 31) - 1) as u32, rng.range(39, 42) as u8))
            .collect(),
    }
}

fn layer_norm(b: &mut ExactBuilder, n: u32, eps: i64, p: &Norm) {
    b.op(Op::LayerNorm {
        axis: -1,
        n,
        eps,
        sqrt_bits: sqrt_bits(n),
        frac_bits: 8,
        gamma: &p.gamma,
        beta: &p.beta,
        requant: &p.requant,
    });
}

fn linear(b: &mut ExactBuilder, rng: &mut Rng, k: u32, n: u32) {
    let (weights, bias, requant) = random_linear(rng, k, n);
    b.op(Op::Linear {
        k,
        n,
        relu: false,
        weights: &weights,
        bias: &bias,
        requant: &requant,
    });
}

/// `x [N, 64]` → Linear 64→64 → LayerNorm (n = 64, K = 29, F = 8, eps 3) → Linear 64→16.
fn block_model(seed: u64) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    linear(&mut b, &mut rng, 64, 64);
    let p = random_norm(&mut rng, 64);
    layer_norm(&mut b, 64, 3, &p);
    linear(&mut b, &mut rng, 64, 16);
    b.build(&[None, Some(64)])
}

/// `x [N, 4, 16]` → LayerNorm (n = 16, eps = 0) of the public input, the program's output.
fn input_norm_model(seed: u64) -> ExactModel {
    let mut rng = Rng(seed);
    let mut b = ExactBuilder::default();
    let p = random_norm(&mut rng, 16);
    layer_norm(&mut b, 16, 0, &p);
    b.build(&[None, Some(4), Some(16)])
}

fn keys() -> &'static (ExactModel, ProverKey<H>, VerifyingKey) {
    static KEYS: OnceLock<(ExactModel, ProverKey<H>, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let model = block_model(3);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
        (model, pk, vk)
    })
}

/// Rows 1 and 3 of each sample are constant (`D = 0` with `eps = 0`).
fn constant_rows_input(seed: u64, batch: usize) -> veris_core::TensorMap {
    let mut rng = Rng(seed);
    let data = (0..batch * 4 * 16)
        .map(|i| match (i / 16) % 4 {
            1 => 7.0,
            3 => -128.0,
            _ => rng.range(-128, 127) as f32,
        })
        .collect();
    float_input("x", vec![batch, 4, 16], data)
}

#[test]
fn layernorm_proves_and_matches_the_engine() {
    let (model, pk, vk) = keys();
    let norms: Vec<_> = vk
        .stages()
        .iter()
        .filter_map(|s| if let Stage::LayerNorm(k) = s { Some(k) } else { None })
        .collect();
    assert_eq!(norms.len(), 1);
    assert_eq!(
        (norms[0].n, norms[0].sqrt_bits, norms[0].frac_bits, norms[0].eps),
        (64, 29, 8, 3)
    );
    for (seed, n) in [(7, 1), (8, 3)] {
        let input = random_input(&mut Rng(seed), &[n, 64]);
        let proved = prove(pk, model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"), "batch {n}");
        assert!(proved.statement.output.data.iter().any(|&v| v != 0));
        verify_bytes::<H>(vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
    }
    let bytes = vk.encode();
    let decoded = VerifyingKey::decode(&bytes, VkLimits::default()).expect("key decodes");
    assert_eq!(&decoded, vk);
    assert_eq!(decoded.encode(), bytes);
}

#[test]
fn constant_blocks_with_zero_eps_prove() {
    let model = input_norm_model(11);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    for batch in [1, 3] {
        let input = constant_rows_input(12 + batch as u64, batch);
        let proved = prove(&pk, &model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"));
        verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()).expect("honest proof verifies");
        let (_, w) = witness(&pk, &model, &input).expect("witness");
        let LayerWitness::LayerNorm(_, norm) = &w.layers[0] else {
            panic!("layer 0 is the layernorm")
        };
        // Blocks 1 and 3 of every sample are constant: D = 0, r = 0, flag set.
        for b in 0..4 * batch {
            let constant = b % 4 == 1 || b % 4 == 3;
            assert_eq!(norm.flags[b], i64::from(constant), "block {b}");
            assert_eq!(norm.roots[b] == 0, constant, "block {b}");
        }
    }
}

/// Proves `w` after `tamper`, re-deriving every column the tamper does not name; must be rejected.
fn assert_tamper_rejected(
    model: &ExactModel,
    pk: &ProverKey<H>,
    vk: &VerifyingKey,
    input: &veris_core::TensorMap,
    what: &str,
    tamper: impl Fn(&mut veris_zk::infer::witness::Witness),
) {
    let (_, honest) = witness(pk, model, input).expect("witness");
    let mut w = honest.clone();
    tamper(&mut w);
    assert_ne!(w, honest, "{what}: the tamper changes the witness");
    let proof = prove_witness(pk, &w).expect("the prover proves any witness");
    assert!(
        verify_bytes::<H>(vk, &w.statement, &proof.encode()).is_err(),
        "accepted: {what}"
    );
}

fn norm_of(w: &mut veris_zk::infer::witness::Witness, layer: usize) -> &mut veris_zk::infer::witness::NormWitness {
    match &mut w.layers[layer] {
        LayerWitness::LayerNorm(_, n) => n,
        _ => panic!("layer {layer} is not a layernorm"),
    }
}

#[test]
fn a_malicious_prover_is_rejected_on_every_layernorm_column() {
    let (model, pk, vk) = keys();
    let input = random_input(&mut Rng(21), &[3, 64]);
    let layer = 1;
    type Tamper = Box<dyn Fn(&mut veris_zk::infer::witness::Witness)>;
    let derive = |w: &mut veris_zk::infer::witness::Witness| {
        w.derive_columns(pk);
        w.count_multiplicities(pk);
    };
    let mut tampers: Vec<(String, Tamper)> = Vec::new();
    for block in [0usize, 2] {
        for delta in [1i64, -1] {
            tampers.push((
                format!("r {delta:+} at block {block}"),
                Box::new(move |w| {
                    norm_of(w, layer).roots[block] += delta;
                    derive(w);
                }),
            ));
            tampers.push((
                format!("s {delta:+} at block {block}"),
                Box::new(move |w| {
                    norm_of(w, layer).sums[block] += delta;
                    derive(w);
                }),
            ));
            tampers.push((
                format!("Q {delta:+} at block {block}"),
                Box::new(move |w| {
                    norm_of(w, layer).squares[block] += delta;
                    derive(w);
                }),
            ));
        }
        tampers.push((
            format!("constant-block flag at block {block}"),
            Box::new(move |w| {
                let n = norm_of(w, layer);
                n.flags[block] = 1;
                w.count_multiplicities(pk);
            }),
        ));
    }
    for index in [0usize, 70, 130] {
        for delta in [1i64, -1] {
            // t off by one with its remainder, thresholds and limbs re-derived.
            tampers.push((
                format!("t {delta:+} at {index}"),
                Box::new(move |w| {
                    if let LayerWitness::LayerNorm(l, _) = &mut w.layers[layer] {
                        l.acc[index] += delta;
                    }
                    derive(w);
                }),
            ));
        }
        tampers.push((
            format!("remainder limb at {index}"),
            Box::new(move |w| {
                let limb = &mut norm_of(w, layer).rho_limbs[0][index];
                *limb = (*limb + 1) % 256;
                w.count_multiplicities(pk);
            }),
        ));
    }
    for (what, tamper) in &tampers {
        assert_tamper_rejected(model, pk, vk, &input, what, tamper);
    }
}

#[test]
fn the_generic_malicious_prover_is_rejected_on_the_layernorm() {
    let (model, pk, vk) = keys();
    let runs = never_accepted_in(model, &random_input(&mut Rng(22), &[3, 64]), pk, vk, |w| {
        matches!(w, LayerWitness::LayerNorm(..))
    });
    // Seven tampers at three elements, less the output-and-statement one (not the last layer).
    assert!(runs >= 15, "only {runs} tampered runs");
}

#[test]
fn mutated_layernorm_proofs_and_keys_are_rejected() {
    let model = input_norm_model(31);
    let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("setup");
    let proved = prove(&pk, &model, &constant_rows_input(32, 2)).expect("prove");
    let (statement, proof) = (proved.statement, proved.proof.encode());
    verify_bytes::<H>(&vk, &statement, &proof).expect("honest proof verifies");
    let mut rng = Rng(33);
    let len = proof.len();
    assert_proof_mutations_rejected(&vk, &statement, &proof, &mut rng, 100, &[0, len / 3, len - 1]);
    for_each_decodable_key_mutation(&vk, &mut rng, 200, |pos, k| {
        assert!(
            verify_bytes::<H>(k, &statement, &proof).is_err(),
            "mutated key at {pos}"
        );
    });
}

#[test]
fn blocks_beyond_the_field_bounds_are_refused() {
    // n = 384 (MiniLM's width) at 8 bits: K = 32 > 31 and D up to 2^31.2.
    let mut rng = Rng(41);
    let mut b = ExactBuilder::default();
    let p = random_norm(&mut rng, 384);
    layer_norm(&mut b, 384, 0, &p);
    let model = b.build(&[None, Some(384)]);
    match setup::<H>(&model, PcsParams::default()) {
        Err(SetupError::NotYetProvable(why)) => {
            assert!(why.starts_with("op 0 (LayerNorm)"), "{why}");
            assert!(why.contains("K = 32"), "{why}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

/// Every LayerNorm of `models/encoder` (compiled as the engine does) proves
/// with its own parameters on a block `[N, 8, 64]` of the calibration input.
#[test]
fn the_encoders_layernorm_parameters_prove() {
    let encoder = crate::encoder::compiled_encoder();
    let norms: Vec<_> = encoder
        .ops()
        .iter()
        .filter_map(|op| {
            if let ExactOp::LayerNorm(ln) = op {
                Some(ln.clone())
            } else {
                None
            }
        })
        .collect();
    assert!(!norms.is_empty());
    for ln in &norms {
        eprintln!(
            "encoder LayerNorm: n = {}, K = {}, F = {}, eps = {}, axis = {}",
            ln.n, ln.sqrt_bits, ln.frac_bits, ln.eps, ln.axis
        );
        let mut b = ExactBuilder::default();
        let gamma: Vec<i8> = ln.gamma.iter().map(|&g| g as i8).collect();
        let requant: Vec<(u32, u8)> = ln.requant.iter().map(|r| (r.multiplier, r.shift)).collect();
        b.op(Op::LayerNorm {
            axis: ln.axis,
            n: ln.n,
            eps: ln.eps,
            sqrt_bits: ln.sqrt_bits,
            frac_bits: ln.frac_bits,
            gamma: &gamma,
            beta: &ln.beta,
            requant: &requant,
        });
        let model = b.build(&[None, Some(8), Some(u64::from(ln.n))]);
        let (pk, vk) = setup::<H>(&model, PcsParams::default()).expect("the encoder's layernorm sets up");
        let input = random_input(&mut Rng(50), &[1, 8, ln.n as usize]);
        let proved = prove(&pk, &model, &input).expect("prove");
        assert_eq!(proved.outputs, model.run(&input).expect("run"));
        verify_bytes::<H>(&vk, &proved.statement, &proved.proof.encode()).expect("verifies");
    }
}

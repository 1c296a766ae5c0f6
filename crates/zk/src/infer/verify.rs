//! The inference verifier: statement checks, then the protocol of
//! [`crate::infer`] step by step, in the prover's transcript order.

use super::circuit::{Circuit, Layer, RequantLayer, SoftmaxLayer};
use super::claims::ClaimSink;
use super::error::{InferVerifyError, StatementError};
use super::key::{Stage, VerifyingKey};
use super::opening::verify_batch;
use super::proof::{LayerProof, Proof, lookup_shapes, witness_commitment};
use super::softmax::{lookup_claims, verify_softmax};
use super::statement::{QuantTensor, Statement};
use super::window::{bias_term, verify_reduction};
use super::window_max;
use super::{LIMB_BITS, PROTOCOL, QMAX, QMIN};
use crate::error::VerifyError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::logup;
use crate::transcript::Transcript;

/// Decodes `proof` and verifies it for `statement` under `vk`.
pub fn verify_bytes<H: Hasher>(vk: &VerifyingKey, statement: &Statement, proof: &[u8]) -> Result<(), InferVerifyError> {
    check_hash::<H>(vk)?;
    let proof = Proof::decode(proof, vk, statement)?;
    verify::<H>(vk, statement, &proof)
}

/// Verifies that the exact model behind `vk` maps `statement.input` to `statement.output`.
pub fn verify<H: Hasher>(vk: &VerifyingKey, statement: &Statement, proof: &Proof) -> Result<(), InferVerifyError> {
    check_hash::<H>(vk)?;
    let circuit = Circuit::new(vk, &statement.input.shape)?;
    check_statement(vk, statement, &circuit)?;
    let mut t = start_transcript::<H>(vk, statement);
    run(&mut t, vk, statement, &circuit, proof)?;
    Ok(())
}

fn check_hash<H: Hasher>(vk: &VerifyingKey) -> Result<(), InferVerifyError> {
    if vk.hash != H::NAME {
        return Err(InferVerifyError::HashMismatch {
            key: vk.hash.clone(),
            verifier: H::NAME,
        });
    }
    Ok(())
}

/// The transcript after the context every proof binds: semantics version,
/// model commitment, verifying key digest and the full statement.
pub(crate) fn start_transcript<H: Hasher>(vk: &VerifyingKey, statement: &Statement) -> Transcript<H> {
    let mut t = Transcript::new(PROTOCOL);
    t.absorb_bytes(b"inference/semantics-version", &vk.semantics_version.to_le_bytes());
    t.absorb_digest(b"inference/model-commitment", &vk.model_root);
    t.absorb_digest(b"inference/verifying-key", &vk.digest::<H>());
    t.absorb_bytes(b"inference/statement", &statement.encode());
    t
}

/// The statement names this key's model, and its tensors are well formed and in range.
pub(crate) fn check_statement(vk: &VerifyingKey, s: &Statement, circuit: &Circuit) -> Result<(), StatementError> {
    if s.model_id != vk.model_id {
        return Err(StatementError::ModelMismatch);
    }
    if s.output.shape != circuit.output_shape {
        return Err(StatementError::Shape {
            what: "output",
            detail: format!("shape {:?}, the model gives {:?}", s.output.shape, circuit.output_shape),
        });
    }
    check_tensor("input", &s.input)?;
    check_tensor("output", &s.output)
}

fn check_tensor(what: &'static str, t: &QuantTensor) -> Result<(), StatementError> {
    if !t.is_consistent() {
        return Err(StatementError::Shape {
            what,
            detail: format!("{} values for shape {:?}", t.data.len(), t.shape),
        });
    }
    match t.data.iter().position(|v| !(QMIN..=QMAX).contains(v)) {
        Some(index) => Err(StatementError::ValueRange {
            what,
            index,
            value: t.data[index],
            min: QMIN,
            max: QMAX,
        }),
        None => Ok(()),
    }
}

fn shape_err(what: &'static str, expected: usize, got: usize) -> VerifyError {
    VerifyError::Shape { what, expected, got }
}

/// The layers with a claim reduction after the lookups (requantized and max pool layers), in order.
pub(crate) fn reduced_layers(circuit: &Circuit) -> Vec<&Layer> {
    circuit
        .layers
        .iter()
        .filter(|l| matches!(l, Layer::Requant(_) | Layer::MaxPool(_)))
        .collect()
}

fn run<H: Hasher>(
    t: &mut Transcript<H>,
    vk: &VerifyingKey,
    statement: &Statement,
    circuit: &Circuit,
    proof: &Proof,
) -> Result<(), VerifyError> {
    let mut sink = ClaimSink::new(statement, true);
    let shapes = lookup_shapes(circuit);
    if proof.lookups.len() != shapes.len() {
        return Err(shape_err("lookups", shapes.len(), proof.lookups.len()));
    }
    t.absorb_digest(b"inference/witness-commitment", &proof.witness_root);
    let roots = [proof.witness_root];
    let mut diffs = Vec::new();
    for (i, (shape, lookup)) in shapes.iter().zip(&proof.lookups).enumerate() {
        let claims = logup::verifier::verify(t, &roots, *shape, lookup)?;
        match circuit.layers.get(i) {
            Some(Layer::Requant(l)) => sink.requant_lookup(l, &claims)?,
            Some(Layer::Pointwise(r)) => sink.pointwise_lookup(r, &claims)?,
            Some(Layer::Add(a)) => match vk.stages.get(a.stage) {
                Some(Stage::Add(key)) => sink.add_lookup(a, key, &claims)?,
                _ => return Err(VerifyError::FinalClaim("circuit and key disagree")),
            },
            Some(Layer::MaxPool(m)) => window_max::lookup_claims(&mut sink, m, &claims)?,
            Some(Layer::Softmax(s)) => diffs.push(lookup_claims(&mut sink, s, &claims)?),
            None => sink.range_lookup(circuit, &claims)?,
        }
    }
    let reduced = reduced_layers(circuit);
    if proof.requant.len() != reduced.len() {
        return Err(shape_err(
            "requantized layer proofs",
            reduced.len(),
            proof.requant.len(),
        ));
    }
    for (layer, lp) in reduced.into_iter().zip(&proof.requant) {
        let index = match layer {
            Layer::Requant(l) => l.stage,
            Layer::MaxPool(m) => m.stage,
            Layer::Pointwise(_) | Layer::Add(_) | Layer::Softmax(_) => unreachable!("reduced layers only"),
        };
        let stage = vk
            .stages
            .get(index)
            .ok_or(VerifyError::FinalClaim("circuit and key disagree"))?;
        match (layer, stage) {
            (Layer::Requant(l), _) => requant_layer(t, &mut sink, stage, l, lp)?,
            (Layer::MaxPool(m), Stage::MaxPool(window)) => window_max::verify_max_pool(t, &mut sink, window, m, lp)?,
            _ => return Err(VerifyError::FinalClaim("circuit and key disagree")),
        }
    }
    let softmax = softmax_layers(circuit);
    if proof.softmax.len() != softmax.len() {
        return Err(shape_err("softmax layer proofs", softmax.len(), proof.softmax.len()));
    }
    for ((layer, diff), sp) in softmax.into_iter().zip(&diffs).zip(&proof.softmax) {
        verify_softmax(t, &mut sink, layer, diff, sp)?;
    }
    let witness = witness_commitment(vk, circuit, proof.witness_root);
    verify_batch(t, b"witness", &witness, &sink.witness, &proof.witness_opening)?;
    verify_batch(t, b"model", &vk.model_commitment(), &sink.model, &proof.model_opening)
}

fn requant_layer<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    stage: &Stage,
    l: &RequantLayer,
    lp: &LayerProof,
) -> Result<(), VerifyError> {
    let limbs = l.e_limbs.len();
    if lp.relation.len() != 2 + 2 * limbs {
        return Err(shape_err("relation evaluations", 2 + 2 * limbs, lp.relation.len()));
    }
    let r = t.challenge_exts(b"inference/layer-point", l.out.vars());
    t.absorb_fields(b"inference/relation", &lp.relation);
    let (e, f) = lp.relation[2..].split_at(limbs);
    let acc = lp.relation[0] + recombine(e);
    if lp.relation[1] - recombine(f) != acc {
        return Err(VerifyError::FinalClaim("requantization relation"));
    }
    sink.relation(l, &r, &lp.relation);
    let target = acc - bias_term(stage, l, &r);
    verify_reduction(t, sink, stage, l, &r, target, &lp.steps)
}

/// The Softmax layers of a circuit, in order.
pub(crate) fn softmax_layers(circuit: &Circuit) -> Vec<&SoftmaxLayer> {
    circuit
        .layers
        .iter()
        .filter_map(|l| if let Layer::Softmax(s) = l { Some(&**s) } else { None })
        .collect()
}

/// `Σ_i 2^(8i)·limb_i`.
pub(crate) fn recombine(limbs: &[E]) -> E {
    let base = E::from(F::new(1 << LIMB_BITS));
    limbs.iter().rev().fold(E::ZERO, |acc, &l| acc * base + l)
}

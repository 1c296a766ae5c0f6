//! The inference verifier: statement checks, then the protocol of
//! [`crate::infer`] step by step, in the prover's transcript order.

use super::circuit::{Circuit, Layer, LinearLayer};
use super::claims::ClaimSink;
use super::columns::{bias_eval, row_mask_eval};
use super::error::{InferVerifyError, StatementError};
use super::key::{LinearKey, Stage, VerifyingKey};
use super::opening::verify_batch;
use super::proof::{LinearProof, Proof, lookup_shapes, witness_commitment};
use super::statement::{QuantTensor, Statement};
use super::{LIMB_BITS, PROTOCOL, QMAX, QMIN};
use crate::error::VerifyError;
use crate::field::{E, F, Field};
use crate::hash::Hasher;
use crate::logup;
use crate::sumcheck::SumcheckShape;
use crate::sumcheck::verifier::verify as verify_sumcheck;
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

/// The linear layers of a circuit, in order.
pub(crate) fn linear_layers(circuit: &Circuit) -> Vec<&LinearLayer> {
    circuit
        .layers
        .iter()
        .filter_map(|l| if let Layer::Linear(l) = l { Some(l) } else { None })
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
    for (i, (shape, lookup)) in shapes.iter().zip(&proof.lookups).enumerate() {
        let claims = logup::verifier::verify(t, &roots, *shape, lookup)?;
        match circuit.layers.get(i) {
            Some(Layer::Linear(l)) => sink.linear_lookup(l, &claims)?,
            Some(Layer::Relu(r)) => sink.relu_lookup(r, &claims)?,
            None => sink.range_lookup(circuit, &claims)?,
        }
    }
    let linear = linear_layers(circuit);
    if proof.linear.len() != linear.len() {
        return Err(shape_err("linear layer proofs", linear.len(), proof.linear.len()));
    }
    for (layer, lp) in linear.into_iter().zip(&proof.linear) {
        let Stage::Linear(key) = &vk.stages[layer.stage] else {
            return Err(VerifyError::FinalClaim("circuit and key disagree"));
        };
        linear_layer(t, &mut sink, key, layer, lp)?;
    }
    let witness = witness_commitment(vk, circuit, proof.witness_root);
    verify_batch(t, b"witness", &witness, &sink.witness, &proof.witness_opening)?;
    verify_batch(t, b"model", &vk.model_commitment(), &sink.model, &proof.model_opening)
}

fn linear_layer<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    key: &LinearKey,
    l: &LinearLayer,
    lp: &LinearProof,
) -> Result<(), VerifyError> {
    let limbs = l.e_limbs.len();
    if lp.relation.len() != 2 + 2 * limbs {
        return Err(shape_err("relation evaluations", 2 + 2 * limbs, lp.relation.len()));
    }
    let rv = l.out_dims.row_vars;
    let r = t.challenge_exts(b"inference/layer-point", l.out_dims.vars());
    t.absorb_fields(b"inference/relation", &lp.relation);
    let (e, f) = lp.relation[2..].split_at(limbs);
    let acc = lp.relation[0] + recombine(e);
    if lp.relation[1] - recombine(f) != acc {
        return Err(VerifyError::FinalClaim("requantization relation"));
    }
    sink.relation(l, &r, &lp.relation);
    let (r_row, r_col) = r.split_at(rv);
    let target = acc - bias_term(key, l, r_row, r_col);
    let shape = SumcheckShape {
        num_vars: l.in_dims.col_vars,
        degree: 2,
    };
    let sub = verify_sumcheck(t, shape, target, &lp.sumcheck)?;
    t.absorb_fields(b"inference/matmul-evals", &lp.matmul);
    if lp.matmul[0] * lp.matmul[1] != sub.value {
        return Err(VerifyError::FinalClaim("matmul sumcheck"));
    }
    sink.matmul(l, r_row, r_col, &sub.point, lp.matmul)
}

/// `Σ_i 2^(8i)·limb_i`.
pub(crate) fn recombine(limbs: &[E]) -> E {
    let base = E::from(F::new(1 << LIMB_BITS));
    limbs.iter().rev().fold(E::ZERO, |acc, &l| acc * base + l)
}

/// `bias(r_col) · mask(r_row)`: the bias, present on real rows only.
pub(crate) fn bias_term(key: &LinearKey, l: &LinearLayer, r_row: &[E], r_col: &[E]) -> E {
    bias_eval(&key.bias, r_col) * row_mask_eval(l.out_dims.rows, r_row)
}

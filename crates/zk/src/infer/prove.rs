//! The inference prover: runs the exact engine with a trace observer, builds
//! the witness, and proves it in the verifier's transcript order.

use std::time::Instant;

use thiserror::Error;
use veris_core::TensorMap;
use veris_engine::exact::{ExactError, ExactModel, ExactOutputs};

use super::circuit::{Layer, RequantLayer};
use super::claims::ClaimSink;
use super::error::StatementError;
use super::key::Stage;
use super::key_add::PAIR_VARS;
use super::matmul_act::prover::prove_matmul;
use super::norm_prover::{NormWitness, channel_at, prove_norm};
use super::opening::prover::prove_batch;
use super::pointwise::PointTable;
use super::profile::ProveProfile;
use super::proof::{LayerProof, Proof};
use super::setup::ProverKey;
use super::softmax::lookup_claims;
use super::softmax_prover::{lookup_columns as softmax_lookup_columns, prove_softmax};
use super::statement::{QuantTensor, Statement};
use super::verify::{recombine, softmax_layers, start_transcript};
use super::walk::Kind;
use super::window::bias_term;
use super::window_max;
use super::window_max::prover::{prove_max_pool, table as max_table};
use super::window_prover::prove_reduction;
use super::witness::{LayerWitness, Recorder, RequantWitness, Witness};
use super::{LOOKUP_COLUMNS_LINEAR, QMIN};
use crate::error::ProverError;
use crate::field::{F, Field};
use crate::hash::Hasher;
use crate::logup::prover::{LookupWitness, prove as prove_lookup};
use crate::mle::evaluate;
use crate::pcs::prover::commit;
use crate::transcript::Transcript;

/// Why no proof was produced.
#[derive(Debug, Error)]
pub enum ProveError {
    /// The model is not the one the key was made for.
    #[error("the model's id differs from the proving key's")]
    ModelMismatch,
    /// The engine refused the run.
    #[error("exact engine: {0}")]
    Engine(#[from] ExactError),
    /// The trace disagrees with the program (a bug in the engine or the prover, never expected).
    #[error("trace of op {op} disagrees with the program at element {index}")]
    TraceMismatch {
        /// The op index.
        op: usize,
        /// The first differing element.
        index: usize,
    },
    /// The run's statement does not fit the key.
    #[error("statement: {0}")]
    Statement(#[from] StatementError),
    /// A sub-prover refused its inputs.
    #[error("prover: {0}")]
    Prover(#[from] ProverError),
}

/// An exact run with its proof.
#[derive(Debug, Clone)]
pub struct Proved {
    /// The engine's outputs (as from [`ExactModel::run`]).
    pub outputs: ExactOutputs,
    /// What the proof asserts.
    pub statement: Statement,
    /// The proof.
    pub proof: Proof,
}

/// Runs `model` on `inputs` with the engine and proves the run.
pub fn prove<H: Hasher>(pk: &ProverKey<H>, model: &ExactModel, inputs: &TensorMap) -> Result<Proved, ProveError> {
    let witness = witness::<H>(pk, model, inputs)?;
    let proof = prove_witness(pk, &witness.1)?;
    Ok(Proved {
        outputs: witness.0,
        statement: witness.1.statement,
        proof,
    })
}

/// Runs `model` on `inputs` and returns its outputs and the honest witness.
pub fn witness<H: Hasher>(
    pk: &ProverKey<H>,
    model: &ExactModel,
    inputs: &TensorMap,
) -> Result<(ExactOutputs, Witness), ProveError> {
    if model.id().to_cid_bytes() != pk.vk.model_id {
        return Err(ProveError::ModelMismatch);
    }
    let mut trace = Recorder::default();
    let outputs = model.run_traced(inputs, &mut trace)?;
    let tensor = |t: &veris_engine::exact::IntTensor| QuantTensor {
        shape: t.shape.clone(),
        data: t.data.clone(),
    };
    let mismatch = || ProveError::TraceMismatch { op: 0, index: 0 };
    let statement = Statement {
        model_id: pk.vk.model_id,
        input: tensor(trace.input.as_ref().ok_or_else(mismatch)?),
        output: tensor(&trace.ops.last().ok_or_else(mismatch)?.1),
    };
    let witness = Witness::from_trace(pk, statement, &trace)?;
    Ok((outputs, witness))
}

fn to_f(v: &[i64]) -> Vec<F> {
    v.iter().map(|&x| F::from_i64(x)).collect()
}

fn to_f_u(v: &[u64]) -> Vec<F> {
    v.iter().map(|&x| F::new(x)).collect()
}

/// Proves `witness` as it stands. Never checks it: an altered witness yields
/// a proof the verifier rejects (what the malicious-prover tests rely on).
pub fn prove_witness<H: Hasher>(pk: &ProverKey<H>, witness: &Witness) -> Result<Proof, ProveError> {
    prove_witness_profiled(pk, witness).map(|(proof, _)| proof)
}

/// The phase of a requantized layer's lookup or reduction.
fn requant_phase(kind: Kind, lookup: bool) -> &'static str {
    match (kind, lookup) {
        (Kind::Linear, true) => "lookup: linear thresholds",
        (Kind::Conv | Kind::GroupedConv, true) => "lookup: conv thresholds",
        (Kind::Pool, true) => "lookup: pool thresholds",
        (Kind::MatMul, true) => "lookup: activation matmul thresholds",
        (Kind::Linear, false) => "sumcheck: matmul",
        (Kind::Conv | Kind::GroupedConv, false) => "sumcheck: conv",
        (Kind::Pool, false) => "sumcheck: pool",
        (Kind::MatMul, false) => "sumcheck: activation matmul",
        (Kind::LayerNorm, true) => "lookup: layernorm thresholds",
        (Kind::LayerNorm, false) => "sumcheck: layernorm",
    }
}

/// [`prove_witness`], with the wall time of each phase.
pub fn prove_witness_profiled<H: Hasher>(
    pk: &ProverKey<H>,
    witness: &Witness,
) -> Result<(Proof, ProveProfile), ProveError> {
    let mut profile = ProveProfile::default();
    let mut lap = Instant::now();
    let circuit = &witness.circuit;
    let mut t = start_transcript::<H>(&pk.vk, &witness.statement);
    let big = pack(witness);
    let (commitment, data) = commit::<H>(std::slice::from_ref(&big), pk.vk.params)?;
    lap = profile.lap("commitment: witness", lap);
    t.absorb_digest(b"inference/witness-commitment", &commitment.root);
    let roots = [commitment.root];
    let mut sink = ClaimSink::new(&witness.statement, false);

    let mut lookups = Vec::with_capacity(circuit.layers.len() + 1);
    let mut diffs = Vec::new();
    let mut tables = pk.tables.iter();
    for (i, (layer, lw)) in circuit.layers.iter().zip(&witness.layers).enumerate() {
        let (columns, table, mult) = match (layer, lw.requant()) {
            (Layer::Requant(l), Some(w)) => {
                let t = tables.next().expect("one table per requantized stage");
                let nv = l.table_channel_vars();
                let chan = (0..1usize << l.out.vars())
                    .map(|i| F::new(channel_at(l, i) as u64))
                    .collect();
                let columns = vec![chan, to_f(&w.output), to_f(&w.lower), to_f(&w.upper)];
                let table = vec![
                    (0..1u64 << (nv + 8)).map(|i| F::new(i >> 8)).collect(),
                    (0..1i64 << (nv + 8)).map(|i| F::from_i64((i & 255) + QMIN)).collect(),
                    to_f(&t.lower),
                    to_f(&t.upper),
                ];
                debug_assert_eq!(columns.len(), LOOKUP_COLUMNS_LINEAR);
                (columns, table, to_f_u(&w.multiplicities))
            }
            (Layer::Pointwise(p), None) => {
                let LayerWitness::Pointwise(w) = lw else {
                    return Err(shape_error("witness layers do not follow the circuit"));
                };
                let mut columns = vec![to_f(&witness.layer_input(i)), to_f(&w.output)];
                if let PointTable::Lut(_) = p.table {
                    let ones = vec![1; p.layout.elements()];
                    columns.insert(0, to_f(&p.layout.pad(&ones)));
                }
                let table = p.table.table().iter().map(|c| to_f(c)).collect();
                (columns, table, to_f_u(&w.multiplicities))
            }
            (Layer::Add(a), None) => {
                let (LayerWitness::Add(w), Some(Stage::Add(key))) = (lw, pk.vk.stages.get(a.stage)) else {
                    return Err(shape_error("witness layers do not follow the circuit"));
                };
                let values: Vec<F> = (0..256).map(|u| F::from_i64(u + QMIN)).collect();
                let a_col = (0..1usize << PAIR_VARS).map(|i| values[i >> 8]).collect();
                let b_col = (0..1usize << PAIR_VARS).map(|i| values[i & 255]).collect();
                let [xa, xb] = witness.add_inputs(i);
                let columns = vec![to_f(&xa), to_f(&xb), to_f(&w.output)];
                (
                    columns,
                    vec![a_col, b_col, key.output_column()],
                    to_f_u(&w.multiplicities),
                )
            }
            (Layer::MaxPool(_), None) => {
                let LayerWitness::MaxPool(w) = lw else {
                    return Err(shape_error("witness layers do not follow the circuit"));
                };
                let columns = vec![to_f(&w.selector), to_f(&w.diffs)];
                (columns, max_table(), to_f_u(&w.multiplicities))
            }
            (Layer::Softmax(s), None) => {
                let LayerWitness::Softmax(w) = lw else {
                    return Err(shape_error("witness layers do not follow the circuit"));
                };
                let columns = softmax_lookup_columns(s, &witness.layer_input(i), w);
                let table = s.table.table().iter().map(|c| to_f(c)).collect();
                (columns, table, to_f_u(&w.multiplicities))
            }
            _ => return Err(shape_error("witness layers do not follow the circuit")),
        };
        let lw = LookupWitness {
            columns: &columns,
            table: &table,
            multiplicities: &mult,
        };
        let (proof, claims) = prove_lookup(&mut t, &roots, lw)?;
        match layer {
            Layer::Requant(l) => sink.requant_lookup(l, &claims),
            Layer::Pointwise(r) => sink.pointwise_lookup(r, &claims),
            Layer::Add(a) => match pk.vk.stages.get(a.stage) {
                Some(Stage::Add(key)) => sink.add_lookup(a, key, &claims),
                _ => return Err(shape_error("circuit and key disagree")),
            },
            Layer::MaxPool(m) => window_max::lookup_claims(&mut sink, m, &claims),
            Layer::Softmax(s) => lookup_claims(&mut sink, s, &claims).map(|diff| diffs.push(diff)),
        }
        .expect("the prover's sink checks nothing");
        lookups.push(proof);
        let phase = match layer {
            Layer::Requant(l) => requant_phase(l.kind, true),
            Layer::Pointwise(_) => "lookup: relu and lut",
            Layer::Add(_) => "lookup: add",
            Layer::MaxPool(_) => "lookup: max pool",
            Layer::Softmax(_) => "lookup: softmax lane max",
        };
        lap = profile.lap(phase, lap);
    }
    let region = vec![big[circuit.range_region.range()].to_vec()];
    let range_table = vec![(0..256u64).map(F::new).collect()];
    let mult = to_f_u(&witness.range_multiplicities);
    let lw = LookupWitness {
        columns: &region,
        table: &range_table,
        multiplicities: &mult,
    };
    let (proof, claims) = prove_lookup(&mut t, &roots, lw)?;
    sink.range_lookup(circuit, &claims)
        .expect("the prover's sink checks nothing");
    lookups.push(proof);
    lap = profile.lap("lookup: range", lap);

    let mut requant = Vec::new();
    for (i, (layer, lw)) in circuit.layers.iter().zip(&witness.layers).enumerate() {
        match (layer, lw) {
            (Layer::Requant(l), lw) => {
                let w = lw
                    .requant()
                    .ok_or_else(|| shape_error("witness layers do not follow the circuit"))?;
                let operands = (witness.layer_input(i), witness.layer_input_b(i));
                let norm = match lw {
                    LayerWitness::LayerNorm(_, n) => Some(&**n),
                    _ => None,
                };
                requant.push(prove_requant(&mut t, &mut sink, pk, l, (w, norm), operands)?);
                lap = profile.lap(requant_phase(l.kind, false), lap);
            }
            (Layer::MaxPool(m), LayerWitness::MaxPool(w)) => {
                let Some(Stage::MaxPool(window)) = pk.vk.stages.get(m.stage) else {
                    return Err(shape_error("circuit and key disagree"));
                };
                let x = witness.layer_input(i);
                let lp = prove_max_pool(&mut t, &mut sink, window, m, &x, &w.output, &w.diffs, &w.selector)?;
                requant.push(lp);
                lap = profile.lap("sumcheck: max pool", lap);
            }
            _ => {}
        }
    }
    let mut softmax = Vec::new();
    let softmax_witnesses = witness.layers.iter().filter_map(|w| match w {
        LayerWitness::Softmax(w) => Some(w),
        _ => None,
    });
    for ((l, diff), w) in softmax_layers(circuit).into_iter().zip(&diffs).zip(softmax_witnesses) {
        softmax.push(prove_softmax(&mut t, &mut sink, l, diff, w)?);
        lap = profile.lap("softmax: relation and sumcheck", lap);
    }
    let witness_opening = prove_batch(&mut t, b"witness", &commitment, &data, &big, &sink.witness)?;
    lap = profile.lap("opening: witness", lap);
    let model_opening = prove_batch(
        &mut t,
        b"model",
        &pk.model_commitment,
        &pk.model_data,
        &pk.model_poly,
        &sink.model,
    )?;
    profile.lap("opening: model", lap);
    let proof = Proof {
        witness_root: commitment.root,
        lookups,
        requant,
        softmax,
        witness_opening,
        model_opening,
    };
    Ok((proof, profile))
}

fn shape_error(detail: &str) -> ProveError {
    ProveError::Prover(ProverError::InvalidInput {
        what: "inference witness",
        detail: detail.into(),
    })
}

/// The witness polynomial: every committed table at its slot.
fn pack(w: &Witness) -> Vec<F> {
    let c = &w.circuit;
    let mut big = vec![F::ZERO; 1 << c.witness_vars];
    let mut put = |slot: super::slots::Slot, values: Vec<F>| {
        for (dst, v) in big[slot.range()].iter_mut().zip(values) {
            *dst = v;
        }
    };
    for (layer, lw_full) in c.layers.iter().zip(&w.layers) {
        match (layer, lw_full.requant()) {
            (Layer::Requant(l), Some(lw)) => {
                if let super::circuit::Source::Witness(s) = l.output {
                    put(s, to_f(&lw.output));
                }
                put(l.lower, to_f(&lw.lower));
                put(l.upper, to_f(&lw.upper));
                for (&s, v) in l
                    .e_limbs
                    .iter()
                    .zip(&lw.e_limbs)
                    .chain(l.f_limbs.iter().zip(&lw.f_limbs))
                {
                    put(s, to_f(v));
                }
                put(l.multiplicities, to_f_u(&lw.multiplicities));
                if let (Some(slots), LayerWitness::LayerNorm(_, norm)) = (l.norm.as_deref(), lw_full) {
                    let values = [&norm.sums, &norm.squares, &norm.flags];
                    for (&s, v) in slots.values.iter().zip(values) {
                        put(s, to_f(v));
                    }
                    for (&s, v) in slots.rho_limbs.iter().zip(&norm.rho_limbs) {
                        put(s, to_f(v));
                    }
                    for (&s, v) in slots.row_limbs.iter().zip(&norm.row_limbs) {
                        put(s, to_f(v));
                    }
                }
            }
            (Layer::Pointwise(r), None) => {
                let LayerWitness::Pointwise(rw) = lw_full else { continue };
                if let super::circuit::Source::Witness(s) = r.output {
                    put(s, to_f(&rw.output));
                }
                put(r.multiplicities, to_f_u(&rw.multiplicities));
            }
            (Layer::Add(a), None) => {
                let LayerWitness::Add(aw) = lw_full else { continue };
                if let super::circuit::Source::Witness(s) = a.output {
                    put(s, to_f(&aw.output));
                }
                put(a.multiplicities, to_f_u(&aw.multiplicities));
            }
            (Layer::MaxPool(m), None) => {
                let LayerWitness::MaxPool(mw) = lw_full else { continue };
                if let super::circuit::Source::Witness(s) = m.output {
                    put(s, to_f(&mw.output));
                }
                put(m.diffs, to_f(&mw.diffs));
                put(m.selector, to_f(&mw.selector));
                put(m.multiplicities, to_f_u(&mw.multiplicities));
            }
            (Layer::Softmax(s), None) => {
                let LayerWitness::Softmax(sw) = lw_full else { continue };
                if let super::circuit::Source::Witness(slot) = s.output {
                    put(slot, to_f(&sw.output));
                }
                put(s.max, to_f(&sw.max));
                put(s.exp, to_f(&sw.exp));
                put(s.sel, to_f(&sw.sel));
                put(s.multiplicities, to_f_u(&sw.multiplicities));
                let limbs = s.rho_limbs.iter().chain(&s.f_limbs).chain([&s.y_limb]);
                for (&slot, v) in limbs.zip(sw.rho_limbs.iter().chain(&sw.f_limbs).chain([&sw.y_limb])) {
                    put(slot, to_f(v));
                }
            }
            _ => {}
        }
    }
    put(c.range_multiplicities, to_f_u(&w.range_multiplicities));
    big
}

fn prove_requant<H: Hasher>(
    t: &mut Transcript<H>,
    sink: &mut ClaimSink<'_>,
    pk: &ProverKey<H>,
    l: &RequantLayer,
    (w, norm): (&RequantWitness, Option<&NormWitness>),
    (x, b): (Vec<i64>, Option<Vec<i64>>),
) -> Result<LayerProof, ProveError> {
    let stage = &pk.vk.stages[l.stage];
    let r = t.challenge_exts(b"inference/layer-point", l.out.vars());
    let mut relation = vec![evaluate(&to_f(&w.lower), &r), evaluate(&to_f(&w.upper), &r)];
    relation.extend(w.e_limbs.iter().chain(&w.f_limbs).map(|v| evaluate(&to_f(v), &r)));
    t.absorb_fields(b"inference/relation", &relation);
    sink.relation(l, &r, &relation);
    let limbs = l.e_limbs.len();
    let acc = relation[0] + recombine(&relation[2..2 + limbs]);
    let target = acc - bias_term(stage, l, &r);
    let steps = match (&l.operand_b, b, stage, norm) {
        (_, _, Stage::LayerNorm(key), Some(norm)) => prove_norm(t, sink, key, l, &r, target, &x, norm)?,
        (Some(operand), Some(b), _, _) => vec![prove_matmul(t, sink, l, operand.vars, &r, target, &x, &b)?],
        _ => prove_reduction(t, sink, stage, l, &r, target, &x, &w.weights)?,
    };
    Ok(LayerProof { relation, steps })
}

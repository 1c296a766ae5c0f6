//! The inference proof and its canonical encoding.
//!
//! ```text
//! magic "VERISZKP" ‖ u32 format version (1)
//! ‖ witness commitment root (32)
//! ‖ one LogUp proof per layer (in order), then the range LogUp proof
//! ‖ per requantized layer (Linear, Conv, AvgPool, activation MatMul): relation evaluations (2 + 2·limbs E)
//!   ‖ per reduction step ([`super::window`]): sumcheck (vars·(degree + 1) E) ‖ its evaluations;
//!   a MaxPool layer in the same sequence (layer order): `D(r), y(r_o)` (2 E) ‖ window sumcheck ‖ 1 E
//!   ‖ selector sumcheck ‖ 1 E ([`super::window_max`])
//! ‖ per Softmax layer ([`super::softmax`]): m̃ (1 E) ‖ relation (5 + 2·limbs E)
//!   ‖ row sumcheck (row_vars·4 E) ‖ 2 E
//! ‖ batched opening of the witness commitment ‖ batched opening of the model commitment
//! ```
//! with a batched opening = sumcheck (`D·3` E) ‖ 1 E ‖ PCS opening. Every
//! size follows from the verifying key and the statement (the circuit) except
//! the PCS column and sibling counts, which are length-prefixed and bounded.

use super::InferVerifyError;
use super::circuit::{Circuit, Layer};
use super::key::VerifyingKey;
use super::key_add::PAIR_VARS;
use super::lane_max::LANE_TABLE_VARS;
use super::opening::BatchProof;
use super::softmax::SoftmaxProof;
use super::statement::Statement;
use super::window::step_shapes;
use super::{LOOKUP_COLUMNS_LINEAR, VALUE_VARS};
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::field::E;
use crate::hash::Digest;
use crate::logup::{LookupProof, LookupShape};
use crate::pcs::{Commitment, Shape};
use crate::sumcheck::SumcheckProof;

/// First bytes of an encoded proof.
pub const PROOF_MAGIC: &[u8; 8] = b"VERISZKP";
/// Version of this encoding (and of the protocol it encodes).
pub const PROOF_FORMAT_VERSION: u32 = 1;
/// Largest encoded proof accepted.
pub const MAX_PROOF_BYTES: usize = 64 << 20;

/// One sumcheck of a layer's claim reduction and the evaluations that end it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub sumcheck: SumcheckProof,
    pub evals: Vec<E>,
}

/// A requantized or max pool layer's part of the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerProof {
    /// `Lc(r), Uc(r), e_0(r) … e_{L−1}(r), f_0(r) … f_{L−1}(r)`.
    pub relation: Vec<E>,
    /// The reduction of `acc(r)` to the input and weights.
    pub steps: Vec<Step>,
}

/// A proof that an exact model maps a statement's input to its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub(crate) witness_root: Digest,
    pub(crate) lookups: Vec<LookupProof>,
    /// One per requantized or max pool layer, in layer order.
    pub(crate) requant: Vec<LayerProof>,
    pub(crate) softmax: Vec<SoftmaxProof>,
    pub(crate) witness_opening: BatchProof,
    pub(crate) model_opening: BatchProof,
}

/// The shapes of every lookup of a circuit, layers first, then the range lookup.
pub(crate) fn lookup_shapes(circuit: &Circuit) -> Vec<LookupShape> {
    let mut shapes: Vec<LookupShape> = circuit
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Requant(l) => LookupShape {
                witness_vars: l.out.vars(),
                table_vars: l.table_channel_vars() + VALUE_VARS,
                columns: LOOKUP_COLUMNS_LINEAR,
            },
            Layer::Pointwise(r) => LookupShape {
                witness_vars: r.layout.vars(),
                table_vars: r.table.table_vars(),
                columns: r.table.columns(),
            },
            Layer::Add(a) => LookupShape {
                witness_vars: a.layout.vars(),
                table_vars: PAIR_VARS,
                columns: 3,
            },
            Layer::MaxPool(m) => m.lookup_shape(),
            Layer::Softmax(s) => LookupShape {
                witness_vars: s.dims.vars(),
                table_vars: LANE_TABLE_VARS,
                columns: s.table.columns(),
            },
        })
        .collect();
    shapes.push(LookupShape {
        witness_vars: circuit.range_region.log_size,
        table_vars: VALUE_VARS,
        columns: 1,
    });
    shapes
}

/// The witness commitment's shape for a circuit.
pub(crate) fn witness_commitment(vk: &VerifyingKey, circuit: &Circuit, root: Digest) -> Commitment {
    Commitment {
        root,
        shape: Shape::new(circuit.witness_vars, 1, vk.params),
    }
}

impl Proof {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(PROOF_MAGIC);
        w.u32(PROOF_FORMAT_VERSION);
        w.digest(&self.witness_root);
        self.lookups.iter().for_each(|l| l.write(&mut w));
        for l in &self.requant {
            w.fields(&l.relation);
            for s in &l.steps {
                s.sumcheck.write(&mut w);
                w.fields(&s.evals);
            }
        }
        self.softmax.iter().for_each(|s| s.write(&mut w));
        self.witness_opening.write(&mut w);
        self.model_opening.write(&mut w);
        w.finish()
    }

    /// Decodes a proof for `statement` under `vk` (the circuit fixes every size).
    pub fn decode(bytes: &[u8], vk: &VerifyingKey, statement: &Statement) -> Result<Self, InferVerifyError> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(DecodeError::TooLarge {
                what: "proof bytes",
                got: bytes.len() as u64,
                max: MAX_PROOF_BYTES as u64,
            }
            .into());
        }
        let circuit = Circuit::new(vk, &statement.input.shape)?;
        Ok(Self::read(bytes, vk, &circuit)?)
    }

    pub(crate) fn read(bytes: &[u8], vk: &VerifyingKey, circuit: &Circuit) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.bytes(8)? != PROOF_MAGIC {
            return Err(DecodeError::Invalid("not an inference proof (magic)"));
        }
        let version = r.u32()?;
        if version != PROOF_FORMAT_VERSION {
            return Err(DecodeError::Mismatch {
                what: "proof format version",
                expected: u64::from(PROOF_FORMAT_VERSION),
                got: u64::from(version),
            });
        }
        let witness_root = r.digest()?;
        let lookups = lookup_shapes(circuit)
            .into_iter()
            .map(|shape| LookupProof::read(&mut r, shape))
            .collect::<Result<_, _>>()?;
        let mut requant = Vec::new();
        for layer in &circuit.layers {
            let (relation, shapes) = match layer {
                Layer::Requant(l) => (2 + 2 * l.e_limbs.len(), step_shapes(l)),
                Layer::MaxPool(m) => (2, m.step_shapes().to_vec()),
                Layer::Pointwise(_) | Layer::Add(_) | Layer::Softmax(_) => continue,
            };
            let relation = r.fields(relation)?;
            let steps = shapes
                .into_iter()
                .map(|shape| {
                    Ok(Step {
                        sumcheck: SumcheckProof::read(&mut r, shape.sumcheck)?,
                        evals: r.fields(shape.evals)?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            requant.push(LayerProof { relation, steps });
        }
        let softmax = circuit
            .layers
            .iter()
            .filter_map(|layer| match layer {
                Layer::Softmax(s) => Some(SoftmaxProof::read(&mut r, s)),
                _ => None,
            })
            .collect::<Result<_, _>>()?;
        let witness_opening = BatchProof::read(&mut r, &witness_commitment(vk, circuit, witness_root))?;
        let model_opening = BatchProof::read(&mut r, &vk.model_commitment())?;
        r.finish()?;
        Ok(Self {
            witness_root,
            lookups,
            requant,
            softmax,
            witness_opening,
            model_opening,
        })
    }
}

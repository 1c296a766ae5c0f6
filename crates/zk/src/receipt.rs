//! Zero-knowledge evidence for Veris receipts (feature `receipt`).
//!
//! [`evidence`] packs a proved run into the [`ZkProof`] a `zk` receipt
//! carries; [`ZkChecker`] is the [`ProofChecker`] that `veris_core::verify`
//! calls for such receipts. It checks, without the model's weights:
//!
//! 1. the proof system is this one;
//! 2. the verifying key's bytes hash to its stated content id, decode under
//!    limits, name the receipt's model, and **the id is one the caller
//!    trusts for that model** (a key the receipt merely states proves nothing);
//! 3. the statement names the receipt's model, its quantized input is the
//!    receipt's embedded float input under the key's input rule, and the
//!    receipt's float output is the statement's quantized output under the
//!    key's output scale, bit for bit;
//! 4. the proof verifies against the key and the statement.

use veris_core::quant::{dequantize, quantize_f32};
use veris_core::verify::{Check, ProofChecker};
use veris_core::{ModelId, Receipt, Tensor, TensorData, TensorMap, ZkProof};

use crate::hash::{Blake3, Hasher, Keccak256};
use crate::infer::{Proof, QMAX, QMIN, QuantTensor, Statement, StatementLimits, VerifyingKey, VkLimits, verify_bytes};

/// The proof system name receipts carry.
pub const SYSTEM: &str = "veris-zk/inference/v1";

/// The evidence for a proved run: the key, the statement and the proof, encoded.
pub fn evidence(vk: &VerifyingKey, statement: &Statement, proof: &Proof) -> ZkProof {
    let key = vk.encode();
    ZkProof {
        system: SYSTEM.into(),
        verifying_key: ModelId::of_bytes(&key),
        key,
        statement: statement.encode(),
        proof: proof.encode(),
    }
}

/// Checks `zk` receipts against the verifying-key id the caller trusts for
/// the receipt's model, or fails them with the reason there is none.
#[derive(Debug, Clone)]
pub struct ZkChecker {
    /// The trusted verifying key id, or why the caller has none.
    pub trusted: Result<ModelId, String>,
}

impl ProofChecker for ZkChecker {
    fn check(&self, receipt: &Receipt, proof: &ZkProof) -> Vec<Check> {
        let mut checks = Vec::new();
        if proof.system != SYSTEM {
            checks.push(Check::fail(
                "proof",
                format!(
                    "unknown proof system `{}` (this verifier checks {SYSTEM})",
                    proof.system
                ),
            ));
            return checks;
        }
        let vk = match self.key(receipt, proof) {
            Ok(vk) => {
                checks.push(Check::pass(
                    "verifying_key",
                    format!(
                        "trusted verifying key {} for model {}",
                        proof.verifying_key, receipt.model
                    ),
                ));
                vk
            }
            Err(e) => {
                checks.push(Check::fail("verifying_key", e));
                return checks;
            }
        };
        let statement = match statement_of(receipt, proof, &vk) {
            Ok(s) => {
                checks.push(Check::pass(
                    "statement",
                    "the proof's statement is the receipt's model, input and output",
                ));
                s
            }
            Err(e) => {
                checks.push(Check::fail("statement", e));
                return checks;
            }
        };
        let verified = match vk.hash_name() {
            Blake3::NAME => verify_bytes::<Blake3>(&vk, &statement, &proof.proof),
            Keccak256::NAME => verify_bytes::<Keccak256>(&vk, &statement, &proof.proof),
            other => {
                checks.push(Check::fail("proof", format!("unknown hash `{other}`")));
                return checks;
            }
        };
        checks.push(match verified {
            Ok(()) => Check::pass(
                "proof",
                format!("zero-knowledge proof verified ({} bytes)", proof.proof.len()),
            ),
            Err(e) => Check::fail("proof", format!("proof rejected: {e}")),
        });
        checks
    }
}

impl ZkChecker {
    fn key(&self, receipt: &Receipt, proof: &ZkProof) -> Result<VerifyingKey, String> {
        let actual = ModelId::of_bytes(&proof.key);
        if actual != proof.verifying_key {
            return Err(format!(
                "the key's bytes hash to {actual}, the receipt names {}",
                proof.verifying_key
            ));
        }
        match &self.trusted {
            Ok(id) if *id == actual => {}
            Ok(id) => {
                return Err(format!(
                    "the receipt's verifying key {actual} is not the trusted key {id} of model {}",
                    receipt.model
                ));
            }
            Err(why) => return Err(format!("no trusted verifying key for model {}: {why}", receipt.model)),
        }
        let vk = VerifyingKey::decode(&proof.key, VkLimits::default()).map_err(|e| format!("verifying key: {e}"))?;
        if *vk.model_id() != receipt.model.to_cid_bytes() {
            return Err("the verifying key is for another model".into());
        }
        Ok(vk)
    }
}

fn statement_of(receipt: &Receipt, proof: &ZkProof, vk: &VerifyingKey) -> Result<Statement, String> {
    let statement = Statement::decode(&proof.statement, StatementLimits::default()).map_err(|e| e.to_string())?;
    if statement.model_id != receipt.model.to_cid_bytes() {
        return Err("the statement is about another model".into());
    }
    let b = vk.boundary();
    let output = single(&receipt.outputs, &b.output_name, "output")?;
    let expected: Vec<u32> = statement
        .output
        .data
        .iter()
        .map(|&q| dequantize(q, b.output_scale()).to_bits())
        .collect();
    if output.shape() != statement.output.shape.as_slice() || float_bits(output)? != expected {
        return Err("the receipt's output is not the dequantized output the proof states".into());
    }
    if let Some(inputs) = &receipt.inputs {
        let input = single(inputs, &b.input_name, "input")?;
        let quantized = QuantTensor {
            shape: input.shape().to_vec(),
            data: float_values(input)?
                .iter()
                .map(|&x| quantize_f32(x, b.input_quant.multiplier, b.input_quant.shift, QMIN, QMAX))
                .collect(),
        };
        if quantized != statement.input {
            return Err("the receipt's input does not quantize to the input the proof states".into());
        }
    }
    Ok(statement)
}

fn single<'a>(map: &'a TensorMap, name: &str, what: &str) -> Result<&'a Tensor, String> {
    match (map.len(), map.get(name)) {
        (1, Some(t)) => Ok(t),
        _ => Err(format!("the receipt must have exactly one {what}, `{name}`")),
    }
}

fn float_values(t: &Tensor) -> Result<&[f32], String> {
    match t.data() {
        TensorData::Float32(v) => Ok(v),
        _ => Err("the proved model's tensors are float32".into()),
    }
}

fn float_bits(t: &Tensor) -> Result<Vec<u32>, String> {
    Ok(float_values(t)?.iter().map(|x| x.to_bits()).collect())
}

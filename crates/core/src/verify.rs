//! Offline verification of a receipt: everything that can be checked
//! without the model. Re-execution (`--replay`) is added by callers that
//! have an engine, as further [`Check`]s on the same report.
//!
//! A `zk` receipt's proof is checked by a [`ProofChecker`] (`veris-zk`
//! provides one): this crate knows no proof system, and without a checker
//! the proof counts as *not verified*, so such a report never passes.

use serde::{Deserialize, Serialize};

use crate::digest::Digest32;
use crate::key::recover;
use crate::receipt::{Evidence, RECEIPT_FORMAT_VERSION, Receipt};
use crate::tensor::{TensorLimits, TensorMap};
use crate::tensor_codec;
use crate::zk_proof::ZkProof;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn pass(name: &str, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        }
    }

    fn from(name: &str, ok: bool, pass: impl Into<String>, fail: impl Into<String>) -> Self {
        if ok {
            Check::pass(name, pass)
        } else {
            Check::fail(name, fail)
        }
    }
}

/// Every check run on a receipt, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub receipt_id: Digest32,
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check passed (and there was at least one).
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }
}

/// The `limits` check: outputs and embedded inputs within the decoder's limits.
pub(crate) fn limits_check(limits: &TensorLimits, outputs: &TensorMap, inputs: Option<&TensorMap>) -> Check {
    let sizes = limits.check_map(outputs).and_then(|_| match inputs {
        Some(inputs) => limits.check_map(inputs),
        None => Ok(()),
    });
    match sizes {
        Ok(()) => Check::pass("limits", "tensors within limits"),
        Err(e) => Check::fail("limits", e.to_string()),
    }
}

/// Checks a `zk` receipt's proof against its statement.
pub trait ProofChecker {
    /// The checks on `proof` (at least one; each failing on any doubt).
    fn check(&self, receipt: &Receipt, proof: &ZkProof) -> Vec<Check>;
}

/// Checks format, limits, digests, operator identity and the signature.
/// A zero-knowledge proof is reported as not verified: see [`verify_with`].
pub fn verify(receipt: &Receipt, limits: &TensorLimits) -> Report {
    verify_with(receipt, limits, None)
}

/// [`verify`], with `zk` proofs checked by `proofs`.
pub fn verify_with(receipt: &Receipt, limits: &TensorLimits, proofs: Option<&dyn ProofChecker>) -> Report {
    let mut checks = Vec::new();
    checks.push(Check::from(
        "format",
        receipt.format == RECEIPT_FORMAT_VERSION,
        format!("format version {}", receipt.format),
        format!(
            "unsupported format version {} (expected {RECEIPT_FORMAT_VERSION})",
            receipt.format
        ),
    ));
    checks.push(Check::from(
        "mode",
        receipt.evidence.suits(receipt.mode),
        format!("mode {}", receipt.mode.name()),
        format!("mode {} does not take this kind of evidence", receipt.mode.name()),
    ));
    checks.push(limits_check(limits, &receipt.outputs, receipt.inputs.as_ref()));
    let out = tensor_codec::digest(&receipt.outputs);
    checks.push(Check::from(
        "output_digest",
        out == receipt.output_digest,
        "outputs match their digest",
        format!("outputs hash to {out}, receipt says {}", receipt.output_digest),
    ));
    checks.push(match &receipt.inputs {
        Some(inputs) => {
            let d = tensor_codec::digest(inputs);
            Check::from(
                "input_digest",
                d == receipt.input_digest,
                "embedded inputs match their digest",
                format!("embedded inputs hash to {d}, receipt says {}", receipt.input_digest),
            )
        }
        None => Check::pass("input_digest", "inputs not embedded; digest taken as stated"),
    });
    checks.push(match receipt.operator.public_key.address() {
        Ok(a) => Check::from(
            "operator",
            a == receipt.operator.address,
            format!("operator {a}"),
            format!("public key belongs to {a}, receipt names {}", receipt.operator.address),
        ),
        Err(e) => Check::fail("operator", e.to_string()),
    });
    let id = receipt.id();
    checks.push(match recover(&id.0, receipt.evidence.signature()) {
        Ok(pk) => Check::from(
            "signature",
            pk == receipt.operator.public_key,
            "signed by the operator (EIP-712)",
            "signature was made by a different key".to_string(),
        ),
        Err(e) => Check::fail("signature", e.to_string()),
    });
    if let Evidence::Zk { proof, .. } = &receipt.evidence {
        match (proof.within_limits(), proofs) {
            (Err(e), _) => checks.push(Check::fail("proof", e)),
            (Ok(()), Some(checker)) => checks.extend(checker.check(receipt, proof)),
            (Ok(()), None) => checks.push(Check::fail(
                "proof",
                "this verifier does not check zero-knowledge proofs (use `veris verify` or veris-zk)",
            )),
        }
    }
    Report { receipt_id: id, checks }
}

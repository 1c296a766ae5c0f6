//! Replicated receipts: the result of one job run by k independent
//! operators, with the quorum certificate of those that agreed bit for bit.
//!
//! A [`ReplicatedReceipt`] carries the outputs (and, by default, the
//! inputs) and a [`QuorumCertificate`] over the job statement whose digests
//! bind them. It is a separate envelope from [`crate::Receipt`] — its
//! evidence is many signatures over a statement that names no operator —
//! and is told apart in JSON by `"mode": "replicated"`
//! ([`is_replicated_json`]).
//!
//! [`verify_replicated`] checks it offline against the verifier's accepted
//! operators and quorum, as a [`Report`] of named checks like a receipt's.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Digest32;
use crate::quorum::{AcceptedOperators, QuorumCertificate, verify_certificate};
use crate::tensor::{TensorLimits, TensorMap};
use crate::tensor_codec;
use crate::verify::{Check, Report, limits_check};

/// The replicated receipt format this build writes and verifies.
pub const REPLICATED_FORMAT_VERSION: u16 = 1;

/// The `mode` of a replicated receipt or request: always `"replicated"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplicatedMode {
    #[default]
    Replicated,
}

/// The outputs of a replicated job and the certificate that binds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicatedReceipt {
    pub format: u16,
    pub mode: ReplicatedMode,
    /// Operators the entry node asked to run the job.
    pub k: u16,
    /// Agreeing operators the entry node required. A verifier applies its own quorum.
    pub quorum: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TensorMap>,
    pub outputs: TensorMap,
    pub certificate: QuorumCertificate,
}

impl ReplicatedReceipt {
    /// The receipt id: the certified statement's signing hash.
    pub fn id(&self) -> Digest32 {
        self.certificate.statement.id()
    }
}

/// Whether a JSON document (a receipt or a request) says `"mode": "replicated"`.
pub fn is_replicated_json(value: &Value) -> bool {
    value.get("mode").and_then(Value::as_str) == Some("replicated")
}

/// Checks format, limits, the digests against the certified statement, and
/// the certificate against `accepted` and `quorum`.
pub fn verify_replicated(
    receipt: &ReplicatedReceipt,
    accepted: &AcceptedOperators,
    quorum: usize,
    limits: &TensorLimits,
) -> Report {
    let statement = &receipt.certificate.statement;
    let mut checks = Vec::new();
    checks.push(if receipt.format == REPLICATED_FORMAT_VERSION {
        Check::pass("format", format!("replicated format version {}", receipt.format))
    } else {
        Check::fail(
            "format",
            format!(
                "unsupported replicated format version {} (expected {REPLICATED_FORMAT_VERSION})",
                receipt.format
            ),
        )
    });
    checks.push(limits_check(limits, &receipt.outputs, receipt.inputs.as_ref()));
    let out = tensor_codec::digest(&receipt.outputs);
    checks.push(if out == statement.output_digest {
        Check::pass("output_digest", "outputs match the certified output digest")
    } else {
        Check::fail(
            "output_digest",
            format!(
                "outputs hash to {out}, the certificate says {}",
                statement.output_digest
            ),
        )
    });
    checks.push(match &receipt.inputs {
        Some(inputs) => {
            let d = tensor_codec::digest(inputs);
            if d == statement.input_digest {
                Check::pass("input_digest", "embedded inputs match the certified input digest")
            } else {
                Check::fail(
                    "input_digest",
                    format!(
                        "embedded inputs hash to {d}, the certificate says {}",
                        statement.input_digest
                    ),
                )
            }
        }
        None => Check::pass("input_digest", "inputs not embedded; digest taken as certified"),
    });
    checks.push(match verify_certificate(&receipt.certificate, accepted, quorum) {
        Ok(certified) => {
            let names: Vec<String> = certified.signers.iter().map(ToString::to_string).collect();
            Check::pass(
                "certificate",
                format!(
                    "{} accepted operators signed (quorum {quorum}): {}",
                    names.len(),
                    names.join(", ")
                ),
            )
        }
        Err(e) => Check::fail("certificate", e.to_string()),
    });
    Report {
        receipt_id: receipt.id(),
        checks,
    }
}

//! `veris verify-evidence FILE`: checks fraud evidence offline (both
//! signatures, that the statements are about one job and conflict, the
//! replay claim, the embedded inputs) and says what it proves.

use serde::Serialize;
use serde_json::Value;
use veris_core::TensorLimits;
use veris_core::fraud::{FraudEvidence, MAX_EVIDENCE_BYTES, Verdict, verify_evidence};
use veris_core::{Digest32, fraud};

use crate::args::VerifyEvidenceArgs;
use crate::exit::{VerificationFailed, bad_input_from};
use crate::files::read_limited;
use crate::output::Printer;

#[derive(Serialize)]
struct Outcome {
    ok: bool,
    id: Digest32,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    conclusive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The evidence in a file: bare, or a record of `GET /v1/evidence` (`{"id", "verdict", "evidence"}`).
fn decode(bytes: &[u8], shown: &str) -> anyhow::Result<FraudEvidence> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad_input_from(format!("{shown} is not JSON"), e))?;
    let inner = match value.get("evidence") {
        Some(inner) if value.get("accused").is_none() => inner.clone(),
        _ => value,
    };
    let bytes = serde_json::to_vec(&inner).map_err(|e| bad_input_from(format!("{shown} is not fraud evidence"), e))?;
    fraud::decode_evidence(&bytes).map_err(|e| bad_input_from(format!("{shown} is not fraud evidence"), e))
}

pub fn run(args: VerifyEvidenceArgs, out: Printer) -> anyhow::Result<()> {
    let shown = args.file.display().to_string();
    let bytes = read_limited(&args.file, MAX_EVIDENCE_BYTES as u64)?;
    let evidence = decode(&bytes, &shown)?;
    let id = evidence.id();
    let result = verify_evidence(&evidence, &TensorLimits::default());
    let outcome = Outcome {
        ok: result.is_ok(),
        id,
        verdict: result.as_ref().ok().copied(),
        conclusive: result.as_ref().is_ok_and(Verdict::conclusive),
        error: result.as_ref().err().map(ToString::to_string),
    };
    out.emit(&outcome, || text(id, &result))?;
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(VerificationFailed(format!("the evidence proves nothing: {e}")).into()),
    }
}

fn text(id: Digest32, result: &Result<Verdict, fraud::EvidenceError>) -> String {
    match result {
        Ok(verdict) => {
            let what = match verdict {
                Verdict::Equivocation { operator } => format!("{operator} signed two different outputs for one job"),
                Verdict::WrongOutput { operator, witness } => {
                    format!("{operator} signed an output that differs from {witness}'s signed replay of the job")
                }
                Verdict::Disagreement { operator, witness } => format!(
                    "{operator} disagreed with {witness}; nobody replayed the job (replay it to settle who lied)"
                ),
            };
            let strength = if verdict.conclusive() {
                "conclusive"
            } else {
                "not conclusive"
            };
            format!("evidence {id}\n{}: {what}\nverified ({strength})", verdict.name())
        }
        Err(e) => format!("evidence {id}\nNOT verified: {e}"),
    }
}

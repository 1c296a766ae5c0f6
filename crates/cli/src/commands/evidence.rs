//! `veris verify-evidence FILE`: checks fraud evidence offline (both
//! signatures, that the statements are about one job and conflict, the
//! replay claim, the embedded inputs) and says what it proves; with
//! `--model-file`, replays the job to settle who lied. Reads evidence
//! against replicated jobs' statements (format 1) and against plain `exact`
//! receipts (format 2).

use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use veris_core::any_evidence::{AnyEvidence, decode_any_evidence, verify_any_evidence};
use veris_core::fraud::{MAX_EVIDENCE_BYTES, Verdict};
use veris_core::job::JobStatement;
use veris_core::{Digest32, Nonce, TensorLimits, fraud};
use veris_node::NodeLimits;
use veris_node::replicate::replay_output;

use crate::args::VerifyEvidenceArgs;
use crate::exit::{VerificationFailed, bad_input, bad_input_from};
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
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<Replay>,
}

/// What replaying the job with a model file showed.
#[derive(Serialize)]
struct Replay {
    output_digest: Digest32,
    accused_wrong: bool,
    witness_wrong: bool,
}

/// Replays the disputed computation on the evidence's inputs with the model file.
fn replay(evidence: &AnyEvidence, model_file: &Path) -> anyhow::Result<Replay> {
    let inputs = evidence
        .inputs()
        .ok_or_else(|| bad_input("the evidence does not embed the job's inputs, so the job cannot be replayed"))?;
    let limits = NodeLimits::default();
    let bytes = read_limited(model_file, limits.max_model_bytes)?;
    let disputed = evidence.disputed();
    // `replay_output` reads the model, engine and input digest; a receipt has no job id.
    let computation = JobStatement::new(
        Nonce([0; 32]),
        disputed.model,
        disputed.engine.clone(),
        disputed.input_digest,
        disputed.accused_output,
    );
    let output_digest =
        replay_output(&bytes, &computation, inputs, &limits).map_err(|e| bad_input_from("cannot replay the job", e))?;
    Ok(Replay {
        output_digest,
        accused_wrong: output_digest != disputed.accused_output,
        witness_wrong: output_digest != disputed.conflicting_output,
    })
}

/// The evidence in a file: bare, or a record of `GET /v1/evidence` (`{"id", "verdict", "evidence"}`).
fn decode(bytes: &[u8], shown: &str) -> anyhow::Result<AnyEvidence> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad_input_from(format!("{shown} is not JSON"), e))?;
    let inner = match value.get("evidence") {
        Some(inner) if value.get("accused").is_none() => inner.clone(),
        _ => value,
    };
    let bytes = serde_json::to_vec(&inner).map_err(|e| bad_input_from(format!("{shown} is not fraud evidence"), e))?;
    decode_any_evidence(&bytes).map_err(|e| bad_input_from(format!("{shown} is not fraud evidence"), e))
}

pub fn run(args: VerifyEvidenceArgs, out: Printer) -> anyhow::Result<()> {
    let shown = args.file.display().to_string();
    let bytes = read_limited(&args.file, MAX_EVIDENCE_BYTES as u64)?;
    let evidence = decode(&bytes, &shown)?;
    let id = evidence.id();
    let result = verify_any_evidence(&evidence, &TensorLimits::default());
    let replayed = match (&args.model_file, &result) {
        (Some(model), Ok(_)) => Some(replay(&evidence, model)?),
        _ => None,
    };
    let replay_ok = replayed.as_ref().is_none_or(|r| r.accused_wrong);
    let outcome = Outcome {
        ok: result.is_ok() && replay_ok,
        id,
        verdict: result.as_ref().ok().copied(),
        conclusive: result.as_ref().is_ok_and(Verdict::conclusive),
        error: result.as_ref().err().map(ToString::to_string),
        replay: replayed,
    };
    out.emit(&outcome, || {
        let mut s = text(id, &result);
        if let Some(r) = &outcome.replay {
            let accused = if r.accused_wrong {
                "the accused's output is wrong"
            } else {
                "the accused's output is RIGHT"
            };
            let witness = if r.witness_wrong {
                "the witness's is wrong too"
            } else {
                "the witness's is right"
            };
            s.push_str(&format!("\nreplay: output {}: {accused}, {witness}", r.output_digest));
        }
        s
    })?;
    match result {
        Ok(_) if replay_ok => Ok(()),
        Ok(_) => Err(VerificationFailed("the replay gives the accused's output: the evidence is false".into()).into()),
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

//! `veris verify RECEIPT.json [--replay] [--vk FILE]`: offline checks, always
//! done here (a zk receipt's proof included), plus a re-execution by the
//! backend when asked.

use serde::Serialize;
use serde_json::Value;
use veris_core::api::VerifyRequest;
use veris_core::replicated::is_replicated_json;
use veris_core::verify::{Check, Report, verify_with};
use veris_core::zk_proof::MAX_ZK_KEY_BYTES;
use veris_core::{Digest32, ModelId, Receipt, TensorLimits};
use veris_node::NodeLimits;
use veris_zk::receipt::ZkChecker;

use super::verify_replicated;
use crate::args::{Global, VerifyArgs};
use crate::backend;
use crate::exit::{VerificationFailed, bad_input, bad_input_from};
use crate::files::{read_json, read_limited};
use crate::output::{Printer, check_line};

/// `--json` output: the report and whether it passed.
#[derive(Serialize)]
struct Verdict<'a> {
    ok: bool,
    receipt_id: Digest32,
    checks: &'a [Check],
}

pub fn run(global: &Global, args: VerifyArgs, out: Printer) -> anyhow::Result<()> {
    let document: Value = read_json(&args.receipt, "a Veris receipt")?;
    if is_replicated_json(&document) {
        return verify_replicated::run(&args, document, out);
    }
    if args.operators.is_some() || args.quorum.is_some() {
        return Err(bad_input("--operators and --quorum apply to replicated receipts only"));
    }
    let receipt: Receipt = serde_json::from_value(document)
        .map_err(|e| bad_input_from(format!("{} is not a Veris receipt", args.receipt.display()), e))?;
    // Offline checks run here, whatever the backend: they need no trust in a
    // node, except for the verifying key of a zk receipt when none is given.
    let checker = ZkChecker {
        trusted: trusted_key(global, &args, &receipt)?,
    };
    let mut report = verify_with(&receipt, &TensorLimits::default(), Some(&checker));
    if args.replay {
        let inputs: Option<Value> = match &args.input {
            Some(path) => Some(read_json(path, "a JSON inputs file")?),
            None => None,
        };
        let model_file = match &args.model_file {
            Some(path) => Some(read_limited(path, NodeLimits::default().max_model_bytes)?),
            None => None,
        };
        let backend = backend::open(global)?;
        let req = VerifyRequest {
            receipt,
            replay: true,
            inputs,
        };
        let remote = backend.verify(req, model_file.as_deref())?;
        merge(&mut report, remote);
    }
    conclude(&report, out)
}

/// Prints the report and fails with [`VerificationFailed`] unless every check passed.
pub(crate) fn conclude(report: &Report, out: Printer) -> anyhow::Result<()> {
    let ok = report.ok();
    let doc = Verdict {
        ok,
        receipt_id: report.receipt_id,
        checks: &report.checks,
    };
    out.emit(&doc, || text(report))?;
    if ok {
        Ok(())
    } else {
        let failed = report.checks.iter().filter(|c| !c.ok).count();
        Err(VerificationFailed(format!("{failed} of {} checks failed", report.checks.len())).into())
    }
}

/// The verifying key id to trust for a zk receipt's model: the `--vk` file's,
/// or the one the backend derives from its copy of the model.
fn trusted_key(global: &Global, args: &VerifyArgs, receipt: &Receipt) -> anyhow::Result<Result<ModelId, String>> {
    if receipt.evidence.zk_proof().is_none() {
        return Ok(Err("not a zk receipt".into()));
    }
    if let Some(path) = &args.vk {
        return Ok(Ok(ModelId::of_bytes(&read_limited(path, MAX_ZK_KEY_BYTES as u64)?)));
    }
    let hint = "pass the key with --vk FILE (`veris model vk MODEL --out FILE` on a machine holding the model)";
    Ok(match backend::open(global)?.verifying_key(&receipt.model.to_string()) {
        Ok((id, _)) => Ok(id),
        Err(e) => Err(format!("the node cannot derive it ({e}); {hint}")),
    })
}

/// Adds the backend's checks that the local report does not already have
/// (the replay); a backend that disagrees on a local check is reported too.
pub(crate) fn merge(local: &mut Report, remote: Report) {
    for check in remote.checks {
        if !local.checks.contains(&check) {
            local.checks.push(check);
        }
    }
}

fn text(report: &Report) -> String {
    let mut lines = vec![format!("receipt {}", report.receipt_id)];
    lines.extend(report.checks.iter().map(check_line));
    lines.push(if report.ok() {
        "verified".into()
    } else {
        "NOT verified".into()
    });
    lines.join("\n")
}

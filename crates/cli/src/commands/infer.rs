//! `veris infer MODEL --input FILE` (and `veris prove`): outputs plus a
//! signed receipt, with a zero-knowledge proof in mode `zk`.

use std::fmt::Write as _;

use serde_json::Value;
use veris_core::Mode;
use veris_core::api::{InferRequest, InferResponse};
use veris_core::api_replicated::ReplicatedInferRequest;
use veris_core::replicated::ReplicatedMode;

use crate::args::InferArgs;
use crate::backend::Backend;
use crate::files::{read_json, write_atomic};
use crate::output::{Printer, argmax_rows, tensor_line};
use crate::progress::with_progress;

pub fn run(backend: &dyn Backend, args: InferArgs, out: Printer) -> anyhow::Result<()> {
    let inputs: Value = read_json(&args.input, "a JSON inputs file")?;
    if args.replicated {
        return replicated(backend, args, inputs, out);
    }
    let req = InferRequest {
        model: args.model.reference,
        inputs,
        mode: args.mode,
        embed_inputs: !args.no_embed_inputs,
    };
    let response = if args.mode == Some(Mode::Zk) {
        with_progress("proving (zero knowledge)", || backend.infer(req))?
    } else {
        backend.infer(req)?
    };
    if let Some(path) = &args.out {
        write_atomic(path, &serde_json::to_vec_pretty(&response.receipt)?)?;
    }
    out.emit(&response, || text(&response, args.out.as_deref()))
}

/// `--replicated`: the job on k operators; the receipt is the replicated one.
fn replicated(backend: &dyn Backend, args: InferArgs, inputs: Value, out: Printer) -> anyhow::Result<()> {
    let response = backend.infer_replicated(ReplicatedInferRequest {
        model: args.model.reference,
        inputs,
        mode: ReplicatedMode::Replicated,
        k: args.k,
        quorum: args.quorum,
        embed_inputs: !args.no_embed_inputs,
    })?;
    if let Some(path) = &args.out {
        write_atomic(path, &serde_json::to_vec_pretty(&response.receipt)?)?;
    }
    out.emit(&response, || {
        let mut s = format!("model:      {}\n", response.model);
        for (name, t) in &response.outputs {
            let _ = writeln!(s, "{}", tensor_line(name, t));
        }
        for o in &response.outcomes {
            let _ = writeln!(s, "operator {} {}: {}", o.operator, o.status.name(), o.detail);
        }
        let signers = response.receipt.certificate.signers.len();
        let _ = write!(
            s,
            "receipt:    {} (replicated, {signers} signatures)",
            response.receipt_id
        );
        if let Some(path) = &args.out {
            let _ = write!(s, "\n            written to {}", path.display());
        }
        s
    })
}

fn text(r: &InferResponse, receipt_file: Option<&std::path::Path>) -> String {
    let mut s = format!("model:      {}\n", r.model);
    for (name, t) in &r.outputs {
        let _ = writeln!(s, "{}", tensor_line(name, t));
    }
    let predictions: Vec<(&String, Vec<usize>)> = r
        .outputs
        .iter()
        .filter_map(|(name, t)| argmax_rows(t).map(|p| (name, p)))
        .collect();
    for (name, rows) in &predictions {
        let label = if predictions.len() == 1 {
            "prediction:".to_string()
        } else {
            format!("prediction ({name}):")
        };
        let value = match rows.as_slice() {
            [one] => one.to_string(),
            many => format!("{many:?}"),
        };
        let _ = writeln!(s, "{label:11} {value}");
    }
    let _ = write!(
        s,
        "receipt:    {} ({}, operator {})",
        r.receipt_id,
        r.receipt.mode.name(),
        r.receipt.operator.address
    );
    if let Some(proof) = r.receipt.evidence.zk_proof() {
        let _ = write!(
            s,
            "\nproof:      {} bytes ({}), verifying key {}",
            proof.proof.len(),
            proof.system,
            proof.verifying_key
        );
    }
    if let Some(path) = receipt_file {
        let _ = write!(s, "\n            written to {}", path.display());
    }
    s
}

//! `veris infer MODEL --input FILE` (and `veris prove`): outputs plus a
//! signed receipt, with a zero-knowledge proof in mode `zk`.

use std::fmt::Write as _;

use serde_json::Value;
use veris_core::Mode;
use veris_core::api::{InferRequest, InferResponse};

use crate::args::InferArgs;
use crate::backend::Backend;
use crate::files::{read_json, write_atomic};
use crate::output::{Printer, argmax_rows, tensor_line};
use crate::progress::with_progress;

pub fn run(backend: &dyn Backend, args: InferArgs, out: Printer) -> anyhow::Result<()> {
    let inputs: Value = read_json(&args.input, "a JSON inputs file")?;
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

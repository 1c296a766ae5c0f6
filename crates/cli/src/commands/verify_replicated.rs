//! `veris verify RECEIPT.json --operators LIST --quorum N` for a replicated
//! receipt: offline checks of its digests and of its quorum certificate
//! against the operators the caller accepts.

use std::path::Path;

use serde_json::Value;
use veris_core::TensorLimits;
use veris_core::quorum::AcceptedOperators;
use veris_core::replicated::{ReplicatedReceipt, verify_replicated};

use super::verify::conclude;
use crate::args::VerifyArgs;
use crate::exit::{bad_input, bad_input_from};
use crate::files::read_limited;
use crate::output::Printer;

/// Quorum when `--quorum` is not given: a majority of the default k = 3.
pub const DEFAULT_QUORUM: u16 = 2;
/// Largest operator list file read.
const MAX_OPERATORS_FILE: u64 = 1 << 20;

pub fn run(args: &VerifyArgs, document: Value, out: Printer) -> anyhow::Result<()> {
    if args.replay {
        return Err(bad_input(
            "--replay is not supported for replicated receipts yet; each operator's result is bound by the certificate",
        ));
    }
    let receipt: ReplicatedReceipt = serde_json::from_value(document).map_err(|e| {
        bad_input_from(
            format!("{} is not a replicated Veris receipt", args.receipt.display()),
            e,
        )
    })?;
    let spec = args.operators.as_deref().ok_or_else(|| {
        bad_input("a replicated receipt is checked against the operators you accept: pass --operators FILE|LIST")
    })?;
    let accepted = operators(spec)?;
    let quorum = usize::from(args.quorum.unwrap_or(DEFAULT_QUORUM));
    let report = verify_replicated(&receipt, &accepted, quorum, &TensorLimits::default());
    conclude(&report, out)
}

/// Operators from a file, if `spec` names one, else from the list itself.
fn operators(spec: &str) -> anyhow::Result<AcceptedOperators> {
    let path = Path::new(spec);
    let text = if path.is_file() {
        let bytes = read_limited(path, MAX_OPERATORS_FILE)?;
        String::from_utf8(bytes).map_err(|e| bad_input_from(format!("{spec} is not UTF-8 text"), e))?
    } else {
        spec.to_string()
    };
    AcceptedOperators::parse_list(&text).map_err(|e| bad_input_from("invalid --operators", e))
}

//! `veris quickstart`: the whole flow on one machine in a few seconds — a
//! temporary home, an in-process node serving HTTP on a free port, the
//! bundled digits model, one inference per bundled sample through the API,
//! and every receipt verified offline and by replay.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use veris_client::Client;
use veris_core::api::{InferRequest, VerifyRequest};
use veris_core::verify::{Check, verify};
use veris_core::{Mode, ModelRecord, TensorLimits};
use veris_node::{BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

use super::verify::merge;
use crate::exit::VerificationFailed;
use crate::output::{Printer, argmax_rows, check_line, short};

#[derive(Deserialize)]
struct Sample {
    label: usize,
    input: Value,
}

/// What happened to one sample.
#[derive(Serialize)]
struct Row {
    sample: usize,
    label: usize,
    predicted: Option<usize>,
    receipt_id: String,
    verified: bool,
    checks: Vec<Check>,
}

pub fn run(out: Printer) -> anyhow::Result<()> {
    let home = tempfile::Builder::new().prefix("veris-quickstart-").tempdir()?;
    let service = Arc::new(Service::open(NodeConfig::new(home.path()))?);
    let added = service.add_bundled_model()?;
    let operator = service.operator();
    let node = RunningNode::start(service, "127.0.0.1:0".parse()?)?;
    let url = node.url();
    let rows = run_samples(&url);
    node.shutdown();
    let rows = rows?;

    let total = rows.len();
    let correct = rows.iter().filter(|r| r.predicted == Some(r.label)).count();
    let verified = rows.iter().filter(|r| r.verified).count();
    let doc = json!({
        "model": added.model,
        "node": url,
        "operator": operator,
        "samples": rows,
        "total": total,
        "correct": correct,
        "verified": verified,
    });
    out.emit(&doc, || {
        let mut s = format!(
            "node      {url} (operator {operator}, temporary home removed on exit)\n{}",
            model_line(&added.model)
        );
        s.push_str(&table(&rows));
        let accuracy = 100.0 * correct as f64 / total.max(1) as f64;
        let _ = write!(s, "\naccuracy {correct}/{total} ({accuracy:.1}%), ");
        if verified == total {
            let _ = write!(s, "all {total} receipts verified");
        } else {
            let _ = write!(s, "only {verified} of {total} receipts verified");
        }
        s
    })?;
    if verified == total {
        Ok(())
    } else {
        Err(VerificationFailed(format!("{} of {total} receipts failed", total - verified)).into())
    }
}

fn model_line(m: &ModelRecord) -> String {
    format!("model     {} {} ({} bytes)\n\n", m.reference(), m.id, m.size)
}

/// Infers and verifies every bundled sample through the node's HTTP API.
fn run_samples(url: &str) -> anyhow::Result<Vec<Row>> {
    let client = Client::new(url)?;
    let samples: Vec<Sample> = serde_json::from_str(BUNDLED_SAMPLES)?;
    let mut rows = Vec::with_capacity(samples.len());
    for (i, sample) in samples.into_iter().enumerate() {
        let response = client.infer(&InferRequest {
            model: "digits".into(),
            inputs: sample.input,
            mode: Some(Mode::Signed),
            embed_inputs: true,
        })?;
        let predicted = response
            .outputs
            .values()
            .find_map(argmax_rows)
            .and_then(|rows| rows.first().copied());
        let mut report = verify(&response.receipt, &TensorLimits::default());
        let replayed = client.verify(&VerifyRequest {
            receipt: response.receipt,
            replay: true,
            inputs: None,
        })?;
        merge(&mut report, replayed);
        rows.push(Row {
            sample: i + 1,
            label: sample.label,
            predicted,
            receipt_id: report.receipt_id.to_string(),
            verified: report.ok(),
            checks: report.checks,
        });
    }
    Ok(rows)
}

fn table(rows: &[Row]) -> String {
    let mut s = String::from("sample  predicted  label  receipt          verified\n");
    for r in rows {
        let predicted = r.predicted.map_or("-".to_string(), |p| p.to_string());
        let mark = if r.verified { "✓" } else { "✗" };
        let _ = writeln!(
            s,
            "{:>6}  {predicted:>9}  {:>5}  {:15}  {mark}",
            r.sample,
            r.label,
            short(&r.receipt_id)
        );
        for c in r.checks.iter().filter(|c| !c.ok) {
            let _ = writeln!(s, "        {}", check_line(c));
        }
    }
    s
}

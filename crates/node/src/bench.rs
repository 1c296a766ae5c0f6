//! `veris bench`: measured throughput and latency of the pieces a signed
//! inference is made of, and of `/v1/infer` under a bounded concurrent load
//! on loopback, on the bundled digits model.
//!
//! Figures are medians or whole-run rates from one process on this machine;
//! the load generator shares the CPU with the node, which is the honest
//! setting for a loopback benchmark on a small machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use veris_core::api::InferRequest;
use veris_core::verify::verify;
use veris_core::{Mode, Nonce, OperatorKey, Receipt, Statement, TensorLimits};

use crate::error::NodeError;
use crate::http::RunningNode;
use crate::loaded::float_engine;
use crate::service::Service;
use crate::{BUNDLED_SAMPLES, NodeConfig};

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchOptions {
    /// How long each load phase runs.
    pub duration: Duration,
    /// Concurrent HTTP clients in the throughput phase.
    pub concurrency: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            duration: Duration::from_secs(5),
            concurrency: 16,
        }
    }
}

/// Latency distribution and rate of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    pub concurrency: usize,
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// Every figure `veris bench` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub sign_per_second: f64,
    pub verify_per_second: f64,
    /// `Service::infer` called directly: decode, run, sign; no HTTP.
    pub embedded_infer_us: f64,
    /// One client, one request at a time.
    pub http_sequential: LoadFigures,
    /// `concurrency` clients in parallel.
    pub http_concurrent: LoadFigures,
}

fn rate(mut op: impl FnMut(), budget: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn internal(action: &'static str) -> impl Fn(String) -> NodeError {
    move |reason| NodeError::Internal { action, reason }
}

/// Runs every phase on a temporary home and returns the figures.
pub fn run(options: BenchOptions, progress: &mut dyn FnMut(&str)) -> Result<BenchReport, NodeError> {
    let home = tempfile::tempdir().map_err(|e| internal("create a temporary home")(e.to_string()))?;
    let service = Arc::new(Service::open(NodeConfig::new(home.path()))?);
    let added = service.add_bundled_model()?;
    let samples: Vec<Value> =
        serde_json::from_str(BUNDLED_SAMPLES).map_err(|e| internal("read the bundled samples")(e.to_string()))?;
    let inputs = samples.first().map(|s| s["input"].clone()).unwrap_or(Value::Null);
    let request = InferRequest {
        model: "digits".into(),
        inputs: inputs.clone(),
        mode: Some(Mode::Signed),
        embed_inputs: true,
    };
    let phase = options.duration.min(Duration::from_secs(2));

    progress("signing and verifying receipts");
    let sample = service.infer(request.clone())?;
    let statement = Statement {
        model: added.id,
        engine: float_engine(),
        inputs: sample.receipt.inputs.clone().unwrap_or_default(),
        outputs: sample.outputs.clone(),
        timestamp_ms: 0,
        nonce: Nonce([7; 32]),
    };
    let key = OperatorKey::generate();
    let sign_per_second = rate(|| drop(Receipt::sign(statement.clone(), &key, true)), phase);
    let receipt = Receipt::sign(statement, &key, true);
    let limits = TensorLimits::default();
    let verify_per_second = rate(|| assert_ok(verify(&receipt, &limits).ok()), phase);

    progress("embedded inference");
    let embedded = rate(|| drop(service.infer(request.clone())), phase);

    let node = RunningNode::start(
        service,
        "127.0.0.1:0"
            .parse()
            .map_err(|e: std::net::AddrParseError| internal("parse")(e.to_string()))?,
    )?;
    let body = serde_json::to_vec(&json!({"model": "digits", "inputs": inputs}))
        .map_err(|e| internal("encode the request")(e.to_string()))?;
    progress("HTTP /v1/infer, one client");
    let http_sequential = load(&node.url(), &body, 1, options.duration)?;
    progress(&format!("HTTP /v1/infer, {} clients", options.concurrency));
    let http_concurrent = load(&node.url(), &body, options.concurrency, options.duration)?;
    node.shutdown();
    Ok(BenchReport {
        model: added.id.to_string(),
        sign_per_second,
        verify_per_second,
        embedded_infer_us: 1e6 / embedded,
        http_sequential,
        http_concurrent,
    })
}

fn assert_ok(ok: bool) {
    // A receipt that stops verifying mid-benchmark is a bug, not a figure.
    assert!(ok, "benchmark receipt failed verification");
}

/// `concurrency` clients posting `body` to `/v1/infer` for `duration`.
fn load(url: &str, body: &[u8], concurrency: usize, duration: Duration) -> Result<LoadFigures, NodeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| internal("start the load generator")(e.to_string()))?;
    let url = format!("{url}/v1/infer");
    let body = bytes::Bytes::copy_from_slice(body);
    let (latencies, errors, elapsed) = rt.block_on(async move {
        let client = reqwest::Client::new();
        let start = Instant::now();
        let tasks: Vec<_> = (0..concurrency.max(1))
            .map(|_| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                tokio::spawn(async move {
                    let (mut lat, mut errors) = (Vec::new(), 0usize);
                    while start.elapsed() < duration {
                        let t = Instant::now();
                        let ok = match client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                        {
                            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        if ok { lat.push(t.elapsed()) } else { errors += 1 }
                    }
                    (lat, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            if let Ok((lat, e)) = t.await {
                all.extend(lat);
                errors += e;
            }
        }
        (all, errors, start.elapsed())
    });
    let mut sorted = latencies;
    sorted.sort();
    Ok(LoadFigures {
        concurrency,
        requests: sorted.len(),
        errors,
        per_second: sorted.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile(&sorted, 0.50),
        p99_us: percentile(&sorted, 0.99),
    })
}

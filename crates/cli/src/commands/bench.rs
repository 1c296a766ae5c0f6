//! `veris bench`: signing and verification rates, embedded inference time,
//! and `/v1/infer` latency and throughput under a bounded concurrent load
//! on loopback, all on the bundled digits model (see `veris_node::bench`).

use std::time::Duration;

use veris_node::bench::{self, BenchOptions, LoadFigures};

use crate::args::BenchArgs;
use crate::output::Printer;

fn load_line(f: &LoadFigures) -> String {
    format!(
        "{:>9.0} req/s   p50 {:>7.0} µs   p99 {:>7.0} µs   ({} requests, {} errors)",
        f.per_second, f.p50_us, f.p99_us, f.requests, f.errors
    )
}

pub fn run(args: BenchArgs, out: Printer) -> anyhow::Result<()> {
    let options = BenchOptions {
        duration: Duration::from_secs_f64(args.seconds),
        concurrency: args.concurrency.into(),
    };
    let quiet = out.is_json();
    let report = bench::run(options, &mut |phase| {
        if !quiet {
            eprintln!("… {phase}");
        }
    })?;
    out.emit(&report, || {
        format!(
            "model {} (bundled digits MLP)\n\
             receipt signing        {:>9.0} /s\n\
             receipt verification   {:>9.0} /s\n\
             embedded infer+sign    {:>9.1} µs per request\n\
             /v1/infer, 1 client    {}\n\
             /v1/infer, {:>2} clients  {}",
            report.model,
            report.sign_per_second,
            report.verify_per_second,
            report.embedded_infer_us,
            load_line(&report.http_sequential),
            report.http_concurrent.concurrency,
            load_line(&report.http_concurrent),
        )
    })
}

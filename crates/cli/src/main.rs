//! # veris
//!
//! The `veris` command. Without `--node` every command works on the home
//! directory through the embedded node ([`veris_node::Service`]); with
//! `--node URL` the same commands go over HTTP ([`veris_client::Client`]).
//! Both sit behind one trait, `backend::Backend`, so each command is
//! written once.
//!
//! - `veris model add | list | show | get | rm` — the model hub
//! - `veris infer MODEL --input FILE [--out RECEIPT.json]` — outputs and a signed receipt
//! - `veris verify RECEIPT.json [--replay]` — offline checks, optionally re-execution
//! - `veris node start [--listen ADDR]` — serve the HTTP API until SIGINT/SIGTERM
//! - `veris quickstart` — the whole flow on a temporary node in seconds
//!
//! `--json` makes any command print one JSON document. Exit codes are in
//! `veris --help`; failures print one `error: ...` line on stderr.

mod args;
mod backend;
mod commands;
mod exit;
mod files;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}

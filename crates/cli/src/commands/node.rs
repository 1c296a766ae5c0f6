//! `veris node start`: serve the home directory over HTTP until a signal.

use std::io::Write as _;
use std::sync::Arc;

use serde_json::json;

use crate::args::{Global, StartArgs};
use crate::backend;
use crate::output::Printer;

pub fn start(global: &Global, args: StartArgs, out: Printer) -> anyhow::Result<()> {
    let service = Arc::new(backend::open_service(global)?);
    let operator = service.operator();
    let home = backend::home_dir(global)?;
    let mut ready_error = None;
    veris_node::run_until_signal(service, args.listen, |addr| {
        // Exactly one line on stdout, flushed at once: scripts and tests
        // read the address from it (with port 0 it is only known now).
        let line = if out.is_json() {
            json!({"listening": format!("http://{addr}"), "operator": operator}).to_string()
        } else {
            format!("listening on http://{addr}")
        };
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            ready_error = Some(e);
        }
        if !out.is_json() {
            eprintln!(
                "operator {operator}, home {}; stop with Ctrl-C or SIGTERM",
                home.display()
            );
        }
    })?;
    match ready_error {
        // Nobody could read the address; still a clean shutdown otherwise.
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

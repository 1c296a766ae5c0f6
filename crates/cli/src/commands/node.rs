//! `veris node start`: serve the home directory over HTTP, and to the peer
//! network unless `--no-p2p`, until a signal.

use std::io::Write as _;
use std::sync::Arc;

use serde_json::json;
use veris_node::net::NetConfig;
use veris_node::{NodeConfig, Service};

use crate::args::{Global, StartArgs};
use crate::backend;
use crate::output::Printer;

pub fn start(global: &Global, args: StartArgs, out: Printer) -> anyhow::Result<()> {
    let home = backend::home_dir(global)?;
    let mut config = NodeConfig {
        byzantine_outputs: args.byzantine_outputs,
        ..NodeConfig::new(&home)
    };
    if let Some(fraction) = args.audit_fraction {
        config.audit.fraction = fraction;
    }
    let service = Arc::new(Service::open(config)?);
    let operator = service.operator();
    let p2p = (!args.no_p2p).then(|| NetConfig {
        listen: args.p2p_listen,
        bootstrap: args.bootstrap,
        mdns: args.mdns,
        ..NetConfig::default()
    });
    let mut ready_error = None;
    veris_node::run_until_signal(service, args.listen, p2p, |addr, peer| {
        let p2p_listen: Vec<String> = peer
            .iter()
            .flat_map(|p| p.listen.iter().map(ToString::to_string))
            .collect();
        // Exactly one line on stdout, flushed at once: scripts and tests
        // read the address from it (with port 0 it is only known now).
        let line = if out.is_json() {
            json!({
                "listening": format!("http://{addr}"),
                "operator": operator,
                "peer_id": peer.as_ref().map(|p| p.peer_id.to_string()),
                "p2p_listen": p2p_listen,
            })
            .to_string()
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
            match &peer {
                Some(peer) => eprintln!("peer id {}, p2p on {}", peer.peer_id, p2p_listen.join(" ")),
                None => eprintln!("peer network disabled (--no-p2p)"),
            }
        }
    })?;
    match ready_error {
        // Nobody could read the address; still a clean shutdown otherwise.
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

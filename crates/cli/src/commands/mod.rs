//! One module per command; each is written once against [`crate::backend::Backend`].

mod bench;
mod evidence;
mod infer;
mod model;
mod node;
mod quickstart;
mod verify;
mod verify_replicated;

use crate::args::{Cli, Command, NodeCommand};
use crate::backend;
use crate::output::Printer;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Printer::new(cli.global.json);
    match cli.command {
        Command::Model(cmd) => model::run(backend::open(&cli.global)?.as_ref(), cmd, out),
        Command::Infer(args) => infer::run(backend::open(&cli.global)?.as_ref(), args, out),
        Command::Prove(args) => infer::run(backend::open(&cli.global)?.as_ref(), args.into(), out),
        Command::Verify(args) => verify::run(&cli.global, args, out),
        Command::VerifyEvidence(args) => evidence::run(args, out),
        Command::Node(NodeCommand::Start(args)) => node::start(&cli.global, args, out),
        Command::Quickstart => quickstart::run(out),
        Command::Bench(args) => bench::run(args, out),
    }
}

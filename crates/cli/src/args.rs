//! Every flag of `veris`, defined once with its help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use veris_core::{Mode, Version};
use veris_node::AuditFraction;
use veris_node::net::Multiaddr;

const ABOUT: &str = "Veris: verifiable AI inference. Publish ONNX models, run them with signed receipts, verify them.";

const LONG_ABOUT: &str = "\
Veris: verifiable AI inference. Publish ONNX models content-addressed, run \
inference and get a signed receipt for every answer, verify receipts anywhere.

Without --node every command works directly on the home directory (an \
embedded node, no server needed). With --node URL (or VERIS_NODE) every \
command talks to a running node over HTTP instead. `veris quickstart` shows \
the whole flow in a few seconds.";

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  verification failed: a receipt check did not pass
  2  usage error, bad input (unreadable or malformed file, invalid model or
     inputs, invalid reference) or model not found
  3  any other failure (node unreachable, storage or internal error, timeout)

On failure a one-line reason is printed on stderr as `error: ...`.";

#[derive(Debug, Parser)]
#[command(name = "veris", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Home directory of the embedded node: model store and operator key [default: ~/.veris]
    #[arg(long, global = true, env = "VERIS_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Talk to the node at this URL instead of using the home directory
    /// (ignored by `node start` and `quickstart`)
    #[arg(long, global = true, env = "VERIS_NODE", value_name = "URL")]
    pub node: Option<String>,
    /// Print one machine-readable JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish, list, inspect, download and remove models
    #[command(subcommand)]
    Model(ModelCommand),
    /// Run a model on inputs and get its outputs with a signed receipt
    Infer(InferArgs),
    /// Run a compiled exact model and prove the run in zero knowledge; writes
    /// the receipt carrying the proof (same as `infer --mode zk --out FILE`)
    Prove(ProveArgs),
    /// Check a receipt offline (a zk receipt's proof included), and
    /// optionally by re-executing the model; a replicated receipt against
    /// --operators and --quorum
    Verify(VerifyArgs),
    /// Check fraud evidence offline and say what it proves
    VerifyEvidence(VerifyEvidenceArgs),
    /// Run a node
    #[command(subcommand)]
    Node(NodeCommand),
    /// Try everything on this machine: a temporary node, the bundled digits
    /// model, inference on its samples, and verification of every receipt
    Quickstart,
    /// Measure receipt signing/verification and /v1/infer latency and
    /// throughput on loopback with the bundled model
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds each HTTP load phase runs
    #[arg(long, default_value_t = 5.0, value_parser = positive_seconds)]
    pub seconds: f64,
    /// Concurrent clients in the throughput phase
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
}

fn bits(s: &str) -> Result<u8, String> {
    match s {
        "8" => Ok(8),
        "16" => Ok(16),
        _ => Err(format!("`{s}` is not a supported width (8 or 16)")),
    }
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds in (0, 3600]")),
    }
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Publish an ONNX model file; prints its content id
    Add(AddArgs),
    /// List every stored model version
    #[command(alias = "ls")]
    List,
    /// Show one model version
    Show(RefArg),
    /// Download a model file, checked against its content id
    Get(GetArgs),
    /// Remove a model version (NAME@VERSION) or every version of an id
    #[command(alias = "remove")]
    Rm(RefArg),
    /// Compile a float ONNX model into an exact (integer) model, stored in
    /// the hub; prints its id. Run it with `veris infer ID --mode exact`
    Compile(CompileArgs),
    /// Fetch a model by id from the peer network into a running node's hub
    /// (needs --node URL)
    Pin(PinArgs),
    /// Print (and write) the zero-knowledge verifying key of a compiled
    /// exact model: what verifiers of its zk receipts trust
    Vk(VkArgs),
}

#[derive(Debug, Args)]
pub struct VkArgs {
    #[command(flatten)]
    pub model: RefArg,
    /// Write the encoded key to this file
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    #[command(flatten)]
    pub model: RefArg,
    /// JSON inputs, as for `veris infer`
    #[arg(short, long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the receipt with its proof (JSON)
    #[arg(short, long, value_name = "PROOF.json", default_value = "proof.json")]
    pub out: PathBuf,
    /// Leave the inputs out of the receipt (the proof's statement still
    /// holds the quantized input)
    #[arg(long)]
    pub no_embed_inputs: bool,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// The model's content id
    pub id: String,
    /// Name to store it under [default: pinned-<end of the id>]
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub model: RefArg,
    /// Calibration inputs (JSON): an array of inputs in the tensor format,
    /// or one inputs object holding a batch [default: 64 seeded synthetic
    /// inputs uniform in [0, 1), with a warning]
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Width of activations and weights
    #[arg(long, default_value_t = 8, value_parser = bits)]
    pub bits: u8,
    /// Name of the compiled model [default: <source name>-int<bits>]
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The ONNX model file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Repository name [default: the file name without its extension]
    #[arg(long)]
    pub name: Option<String>,
    /// Version as MAJOR.MINOR [default: 1.0, or the next minor of the latest version]
    #[arg(long, value_name = "MAJOR.MINOR")]
    pub version: Option<Version>,
    /// A one-line description
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub description: String,
}

#[derive(Debug, Args)]
pub struct RefArg {
    /// A content id, NAME (latest version) or NAME@MAJOR.MINOR
    #[arg(value_name = "MODEL")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub model: RefArg,
    /// Where to write the model (written beside it, then renamed into place)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(flatten)]
    pub model: RefArg,
    /// JSON inputs: {"NAME": {"dtype", "shape", "data"}, ...}, or a nested
    /// array for a single-input model
    #[arg(short, long, value_name = "FILE")]
    pub input: PathBuf,
    /// Evidence to attach: `signed` (float engine, operator's signature),
    /// `exact` (a compiled exact model, replayable bit for bit anywhere) or
    /// `zk` (an exact model's run with a zero-knowledge proof)
    /// [default: what the model's format calls for]
    #[arg(long, value_name = "MODE")]
    pub mode: Option<Mode>,
    /// Write the receipt (JSON) to this file
    #[arg(short, long, value_name = "RECEIPT.json")]
    pub out: Option<PathBuf>,
    /// Leave the inputs out of the receipt (their digest still binds them)
    #[arg(long)]
    pub no_embed_inputs: bool,
    /// Run a compiled exact model on k distinct operators of the peer
    /// network and get a replicated receipt with their quorum certificate
    /// (needs --node URL)
    #[arg(long, conflicts_with = "mode")]
    pub replicated: bool,
    /// Operators to run a replicated job
    #[arg(long, default_value_t = 3, requires = "replicated", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub k: u16,
    /// Operators that must agree bit for bit [default: a majority of k]
    #[arg(long, value_name = "N", requires = "replicated", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub quorum: Option<u16>,
}

impl From<ProveArgs> for InferArgs {
    fn from(p: ProveArgs) -> Self {
        InferArgs {
            model: p.model,
            input: p.input,
            mode: Some(Mode::Zk),
            out: Some(p.out),
            no_embed_inputs: p.no_embed_inputs,
            replicated: false,
            k: 3,
            quorum: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The receipt (JSON) to check
    #[arg(value_name = "RECEIPT.json")]
    pub receipt: PathBuf,
    /// Also re-execute the model and require bit-identical outputs (on the
    /// embedded node, or on the node given with --node)
    #[arg(long)]
    pub replay: bool,
    /// Replay with this model file instead of the stored model (it must hash
    /// to the receipt's model id; embedded mode only)
    #[arg(long, value_name = "FILE", requires = "replay")]
    pub model_file: Option<PathBuf>,
    /// Inputs for the replay, for a receipt that does not embed them
    #[arg(long, value_name = "FILE", requires = "replay")]
    pub input: Option<PathBuf>,
    /// The verifying key to trust for a zk receipt's model (from `veris
    /// model vk`) [default: the key the embedded node, or --node, derives
    /// from its copy of the model]
    #[arg(long, value_name = "FILE")]
    pub vk: Option<PathBuf>,
    /// For a replicated receipt: the operators whose signatures count, as a
    /// file or a comma-separated list of addresses or public keys (required
    /// for replicated receipts)
    #[arg(long, value_name = "FILE|LIST")]
    pub operators: Option<String>,
    /// For a replicated receipt: how many distinct accepted operators must
    /// have signed [default: 2, a majority of the default k = 3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub quorum: Option<u16>,
}

#[derive(Debug, Args)]
pub struct VerifyEvidenceArgs {
    /// The fraud evidence (JSON, as `GET /v1/evidence` lists it or bare)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also replay the job with this compiled exact model file on the
    /// evidence's embedded inputs, and require the accused's output to be wrong
    #[arg(long, value_name = "MODEL")]
    pub model_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Serve the HTTP API on the home directory until SIGINT or SIGTERM;
    /// prints `listening on http://ADDR` once ready
    Start(StartArgs),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// libp2p addresses to listen on (repeatable)
    #[arg(
        long = "p2p-listen",
        value_name = "MULTIADDR",
        num_args = 1..,
        default_values = ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"],
        conflicts_with = "no_p2p"
    )]
    pub p2p_listen: Vec<Multiaddr>,
    /// Peers to join the network through, each ending in /p2p/PEER_ID (repeatable)
    #[arg(long, value_name = "MULTIADDR", num_args = 1.., conflicts_with = "no_p2p")]
    pub bootstrap: Vec<Multiaddr>,
    /// Discover peers on the local network by multicast DNS
    #[arg(long, conflicts_with = "no_p2p")]
    pub mdns: bool,
    /// Do not join the peer network (HTTP only)
    #[arg(long)]
    pub no_p2p: bool,
    /// Share of the job statements peers publish that this node replays
    /// (for models it holds), from 0 (no audits) to 1 (all); a wrong output
    /// becomes fraud evidence [default: 0.05]
    #[arg(long, value_name = "F", conflicts_with = "no_p2p")]
    pub audit_fraction: Option<AuditFraction>,
    /// FOR TESTS ONLY: perturb the outputs of every replicated job this node
    /// runs, to play a lying operator (other nodes record fraud evidence
    /// against it)
    #[arg(long, hide = true)]
    pub byzantine_outputs: bool,
}

//! Replicated versus single-node inference, measured over HTTP on loopback.
//!
//! Four real nodes run in this process, each a `Service` on its own home with
//! its own operator key, serving HTTP and joined by libp2p. All four hold two
//! exact models: the bundled digits MLP (a fraction of a millisecond per
//! inference, so the network round trip dominates) and `models/resnet`
//! compiled with its calibration set (a residual CNN, milliseconds per
//! inference, so the round trip is amortized). The entry node is then asked
//! for the same exact inferences two ways:
//!
//! - single: `{"mode": "exact"}`, run by the entry node alone;
//! - replicated: `{"mode": "replicated", "k": 3}`, run by three operators
//!   (the entry node and two peers) and certified by their quorum.
//!
//! Each is measured sequentially (median and p90 latency over
//! `VERIS_BENCH_REQUESTS` requests, default 200) and under load
//! (`VERIS_BENCH_CLIENTS` concurrent clients, default 8, for
//! `VERIS_BENCH_SECONDS`, default 5). The load generator shares the CPU with
//! all four nodes. `VERIS_BENCH_MODELS` picks the models (default
//! `digits,resnet`). Run: `cargo bench -p veris-node --bench replicated`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use veris_core::ModelId;
use veris_core::api::CompileRequest;
use veris_net::{Multiaddr, NetConfig};
use veris_node::{AddModel, BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

/// How long provider discovery may take before the benchmark gives up.
const DISCOVERY_LIMIT: Duration = Duration::from_secs(60);

struct Node {
    _home: tempfile::TempDir,
    service: Arc<Service>,
    node: RunningNode,
}

impl Node {
    fn start(bootstrap: Option<&Node>) -> Node {
        let home = tempfile::tempdir().expect("a temporary home");
        let service = Arc::new(Service::open(NodeConfig::new(home.path())).expect("the node's service"));
        let mut net = NetConfig::loopback();
        net.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr")];
        net.bootstrap = bootstrap.map(|b| vec![b.tcp_addr()]).unwrap_or_default();
        let t = &mut net.timing;
        t.bootstrap_interval = Duration::from_secs(1);
        t.announce_interval = Duration::from_millis(500);
        t.gossip_heartbeat = Duration::from_millis(200);
        t.provider_query_timeout = Duration::from_secs(3);
        let addr = "127.0.0.1:0".parse().expect("a socket address");
        let node = RunningNode::start_with_network(service.clone(), addr, Some(net)).expect("a running node");
        Node {
            _home: home,
            service,
            node,
        }
    }

    fn tcp_addr(&self) -> Multiaddr {
        let net = self.node.network().expect("a network");
        let addrs = runtime().block_on(net.listen_addrs()).expect("listen addresses");
        addrs
            .into_iter()
            .find(|a| a.to_string().contains("/tcp/"))
            .expect("a TCP listener")
    }

    /// Adds an exact model's bytes to this node's hub and announces it.
    fn hold(&self, id: ModelId, bytes: &[u8], name: &str) {
        self.service
            .add_fetched(id, bytes, Some(name.into()))
            .expect("the model added");
        let net = self.node.network().expect("a network");
        runtime()
            .block_on(veris_node::peer::announce_models(&self.service, net))
            .expect("the model announced");
    }

    /// Peers whose announcement of `id` this node holds.
    fn providers(&self, id: ModelId) -> usize {
        self.node.network().expect("a network").offers(id).len()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A model under test: its name, exact id and bytes, and sample inputs.
struct Case {
    name: &'static str,
    id: ModelId,
    bytes: Vec<u8>,
    inputs: Vec<Value>,
}

/// Compiles float ONNX `model` (with `calibration`, if any) into an exact model.
fn compile(name: &'static str, model: &[u8], calibration: Option<Value>, inputs: Vec<Value>) -> Case {
    let home = tempfile::tempdir().expect("a temporary home");
    let service = Service::open(NodeConfig::new(home.path())).expect("a service");
    let add = AddModel {
        name: name.into(),
        version: None,
        description: String::new(),
    };
    service.add_model(model, add).expect("the model added");
    let compile = CompileRequest {
        calibration,
        bits: 8,
        name: None,
    };
    let compiled = service.compile_model(name, compile).expect("the model compiled");
    let (_, bytes) = service
        .model_bytes(&compiled.id.to_string())
        .expect("the compiled bytes");
    Case {
        name,
        id: compiled.id,
        bytes,
        inputs,
    }
}

fn read_json(path: &str) -> Value {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("JSON")
}

fn case(name: &str) -> Case {
    let inputs_of = |samples: Value| -> Vec<Value> {
        let samples = samples.as_array().expect("an array of samples").clone();
        samples.into_iter().map(|s| s["input"].clone()).collect()
    };
    match name {
        "digits" => compile(
            "digits",
            BUNDLED_MODEL,
            None,
            inputs_of(serde_json::from_str(BUNDLED_SAMPLES).expect("the bundled samples")),
        ),
        "resnet" => {
            let path = format!("{}/../../models/resnet/resnet.onnx", env!("CARGO_MANIFEST_DIR"));
            let model = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let calibration = read_json("models/resnet/calibration.json");
            compile(
                "resnet",
                &model,
                Some(calibration),
                inputs_of(read_json("models/resnet/samples.json")),
            )
        }
        other => panic!("unknown benchmark model {other} (digits, resnet)"),
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Posts one inference; its latency, or why it failed.
fn post(client: &Client, url: &str, body: &Value) -> Result<Duration, String> {
    let start = Instant::now();
    let response = client.post(url).json(body).send().map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("{status}: {text}"));
    }
    Ok(start.elapsed())
}

/// Latency quantile in milliseconds (nearest rank) of sorted samples.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

struct Figures {
    median_ms: f64,
    p90_ms: f64,
    per_second: f64,
    loaded_median_ms: f64,
    errors: usize,
}

/// Sequential latency over `requests` requests, then `clients` concurrent
/// clients for `seconds`; `bodies[i]` are sent round robin.
fn measure(url: &str, bodies: &[Value], requests: usize, clients: usize, seconds: u64) -> Figures {
    let client = Client::new();
    let mut errors = 0;
    let mut sequential: Vec<Duration> = (0..requests)
        .filter_map(|i| {
            post(&client, url, &bodies[i % bodies.len()])
                .inspect_err(|_| errors += 1)
                .ok()
        })
        .collect();
    sequential.sort();
    assert!(!sequential.is_empty(), "every sequential request failed");

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                scope.spawn(move || {
                    let client = Client::new();
                    let (mut ok, mut failed) = (Vec::new(), 0);
                    let mut i = c;
                    while Instant::now() < deadline {
                        match post(&client, url, &bodies[i % bodies.len()]) {
                            Ok(latency) => ok.push(latency),
                            Err(_) => failed += 1,
                        }
                        i += 1;
                    }
                    (ok, failed)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a load client")).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut loaded: Vec<Duration> = results.iter().flat_map(|(ok, _)| ok.iter().copied()).collect();
    errors += results.iter().map(|(_, failed)| failed).sum::<usize>();
    loaded.sort();
    assert!(!loaded.is_empty(), "every loaded request failed");
    Figures {
        median_ms: quantile_ms(&sequential, 0.5),
        p90_ms: quantile_ms(&sequential, 0.9),
        per_second: loaded.len() as f64 / elapsed,
        loaded_median_ms: quantile_ms(&loaded, 0.5),
        errors,
    }
}

/// Checks both paths agree, then measures both; prints one row each.
fn run_case(url: &str, case: &Case, requests: usize, clients: usize, seconds: u64) {
    let id = case.id.to_string();
    let single: Vec<Value> = case
        .inputs
        .iter()
        .map(|input| json!({"model": id, "inputs": input, "mode": "exact"}))
        .collect();
    let replicated: Vec<Value> = case
        .inputs
        .iter()
        .map(|input| json!({"model": id, "inputs": input, "mode": "replicated", "k": 3}))
        .collect();

    // Both paths must give the same outputs, the replicated one certified by three signers.
    let fetch = |body: &Value| -> Value {
        let response = Client::new().post(url).json(body).send().expect("a response");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().expect("a JSON body")
    };
    let (plain, certified) = (fetch(&single[0]), fetch(&replicated[0]));
    assert_eq!(plain["outputs"], certified["outputs"]);
    let signers = certified["receipt"]["certificate"]["signers"].as_array().map(Vec::len);
    assert_eq!(
        (&certified["receipt"]["k"], signers),
        (&json!(3), Some(3)),
        "{certified}"
    );

    let s = measure(url, &single, requests, clients, seconds);
    let r = measure(url, &replicated, requests, clients, seconds);
    for (mode, f) in [("single", &s), ("replicated k=3", &r)] {
        println!(
            "{:<24} {:>11.2} {:>9.2} {:>10.1} {:>16.2} {:>7}",
            format!("{}/{mode}", case.name),
            f.median_ms,
            f.p90_ms,
            f.per_second,
            f.loaded_median_ms,
            f.errors
        );
    }
    let ratio = r.median_ms / s.median_ms;
    println!(
        "{:<24} median {ratio:.2}x, p90 {:.2}x, throughput {:.2}x (target: median <= 1.5x: {})",
        format!("{}: replicated/single", case.name),
        r.p90_ms / s.p90_ms,
        r.per_second / s.per_second,
        if ratio <= 1.5 { "met" } else { "NOT met" }
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    // `cargo bench` passes `--bench`; filters and other flags are not supported.
    let requests = env_or("VERIS_BENCH_REQUESTS", 200).max(1) as usize;
    let clients = env_or("VERIS_BENCH_CLIENTS", 8).max(1) as usize;
    let seconds = env_or("VERIS_BENCH_SECONDS", 5).max(1);
    let models = std::env::var("VERIS_BENCH_MODELS").unwrap_or_else(|_| "digits,resnet".into());
    let cases: Vec<Case> = models.split(',').map(|m| case(m.trim())).collect();

    let entry = Node::start(None);
    let peers: Vec<Node> = (0..3).map(|_| Node::start(Some(&entry))).collect();
    for node in std::iter::once(&entry).chain(&peers) {
        for case in &cases {
            node.hold(case.id, &case.bytes, case.name);
        }
    }
    let start = Instant::now();
    while cases.iter().any(|c| entry.providers(c.id) < 3) {
        assert!(start.elapsed() < DISCOVERY_LIMIT, "provider discovery timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("4 nodes up, providers found in {:.1} s", start.elapsed().as_secs_f64());

    let url = format!("{}/v1/infer", entry.node.url());
    println!("exact models, 4 nodes on loopback; {requests} sequential requests, {clients} clients x {seconds} s");
    println!("load average before: {}", load_average());
    println!(
        "{:<24} {:>11} {:>9} {:>10} {:>16} {:>7}",
        "", "median ms", "p90 ms", "req/s", "loaded med ms", "errors"
    );
    for case in &cases {
        run_case(&url, case, requests, clients, seconds);
    }
    println!("load average after: {}", load_average());
    for node in peers.into_iter().chain(std::iter::once(entry)) {
        node.node.shutdown();
    }
}

//! Nodes on loopback for the fault tests.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use serde_json::Value;
use veris_core::ModelId;
use veris_core::api::CompileRequest;
use veris_net::{Multiaddr, NetConfig, NetHandle, PeerId};
use veris_node::{AddModel, BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

/// Every wait in these tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(60);

/// How one node is set up.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// Inferences at once, also the capacity it announces.
    pub capacity: usize,
    /// The test-only hold on every inference it runs.
    pub delay: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            capacity: 8,
            delay: Duration::ZERO,
        }
    }
}

pub struct Node {
    _home: tempfile::TempDir,
    pub service: Arc<Service>,
    pub node: RunningNode,
}

impl Node {
    pub fn start(setup: Setup, bootstrap: Option<&Node>) -> Node {
        let home = tempfile::tempdir().unwrap();
        let mut config = NodeConfig::new(home.path());
        config.limits.max_concurrent_inferences = setup.capacity;
        config.execution_delay = setup.delay;
        let service = Arc::new(Service::open(config).unwrap());
        let mut net = NetConfig::loopback();
        net.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        net.bootstrap = bootstrap.map(|b| vec![b.tcp_addr()]).unwrap_or_default();
        let t = &mut net.timing;
        t.bootstrap_interval = Duration::from_secs(1);
        t.announce_interval = Duration::from_millis(300);
        t.announce_ttl = Duration::from_secs(3);
        t.gossip_heartbeat = Duration::from_millis(100);
        t.provider_query_timeout = Duration::from_secs(3);
        let node = RunningNode::start_with_network(service.clone(), "127.0.0.1:0".parse().unwrap(), Some(net)).unwrap();
        Node {
            _home: home,
            service,
            node,
        }
    }

    pub fn net(&self) -> &NetHandle {
        self.node.network().unwrap()
    }

    pub fn peer_id(&self) -> PeerId {
        self.net().local_peer_id()
    }

    pub fn tcp_addr(&self) -> Multiaddr {
        let addrs = block_on(self.net().listen_addrs()).unwrap();
        addrs.into_iter().find(|a| a.to_string().contains("/tcp/")).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node.url())
    }

    /// Adds a model's bytes to this node's hub (as a pin would) and announces it.
    pub fn hold(&self, id: ModelId, bytes: &[u8], name: &str) {
        self.service.add_fetched(id, bytes, Some(name.into())).unwrap();
        block_on(veris_node::peer::announce_models(&self.service, self.net())).unwrap();
    }

    /// The peers this node connects to now.
    pub fn connected(&self) -> Vec<PeerId> {
        let peers = block_on(self.net().peers()).unwrap();
        peers.into_iter().filter(|p| p.connected).map(|p| p.peer).collect()
    }

    /// The peers whose announcement of `model` this node holds.
    pub fn offered(&self, model: ModelId) -> Vec<PeerId> {
        self.net().offers(model).into_iter().map(|o| o.peer).collect()
    }

    /// Posts an inference request to this node.
    pub fn post(&self, body: &Value) -> Response {
        Client::builder()
            .timeout(LIMIT)
            .build()
            .unwrap()
            .post(self.url("/v1/infer"))
            .json(body)
            .send()
            .unwrap()
    }

    /// Kills the node's peer network (its swarm stops, every connection
    /// closes) now, and the rest of the node in the background: a blocking
    /// job it is running holds its runtime until it ends.
    pub fn kill(self) {
        block_on(self.net().shutdown());
        std::thread::spawn(move || drop(self));
    }
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Waits until `check` holds, for at most [`LIMIT`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The bundled digits model compiled into an exact model; its id and bytes.
pub fn exact_digits() -> &'static (ModelId, Vec<u8>) {
    static COMPILED: OnceLock<(ModelId, Vec<u8>)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let home = tempfile::tempdir().unwrap();
        let service = Service::open(NodeConfig::new(home.path())).unwrap();
        let add = AddModel {
            name: "digits".into(),
            version: None,
            description: String::new(),
        };
        service.add_model(BUNDLED_MODEL, add).unwrap();
        let compile = CompileRequest {
            calibration: None,
            bits: 8,
            name: None,
        };
        let compiled = service.compile_model("digits", compile).unwrap();
        let (_, bytes) = service.model_bytes(&compiled.id.to_string()).unwrap();
        (compiled.id, bytes)
    })
}

pub fn sample(i: usize) -> Value {
    serde_json::from_str::<Vec<Value>>(BUNDLED_SAMPLES).unwrap()[i]["input"].clone()
}

//! Two real nodes (each a `Service` on its own home) joined by the libp2p
//! network on loopback: the second finds the first's announced model,
//! fetches its blob verified against the content id, and has it run an
//! inference whose receipt verifies under the first node's operator key.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use veris_core::api::InferResponse;
use veris_core::{ModelId, TensorLimits};
use veris_net::{InferRequest, Multiaddr, NetConfig, NetError, NetHandle, Provider};
use veris_node::peer::{ServiceProvider, start_network};
use veris_node::{AddModel, BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(30);

fn service(home: &tempfile::TempDir) -> Arc<Service> {
    Arc::new(Service::open(NodeConfig::new(home.path())).unwrap())
}

fn add_digits(service: &Service) -> ModelId {
    let request = AddModel {
        name: "digits".into(),
        version: None,
        description: String::new(),
    };
    service.add_model(BUNDLED_MODEL, request).unwrap().model.id
}

fn config(bootstrap: Vec<Multiaddr>) -> NetConfig {
    let mut config = NetConfig::loopback();
    // TCP only: a dial to a stopped node is refused at once (a QUIC dial
    // would wait for its handshake timeout).
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.bootstrap = bootstrap;
    let t = &mut config.timing;
    t.bootstrap_interval = Duration::from_secs(1);
    t.announce_interval = Duration::from_millis(500);
    t.gossip_heartbeat = Duration::from_millis(200);
    t.provider_query_timeout = Duration::from_secs(3);
    config
}

async fn tcp_addr(net: &NetHandle) -> Multiaddr {
    let addrs = net.listen_addrs().await.unwrap();
    addrs
        .into_iter()
        .find(|a| a.to_string().contains("/tcp/"))
        .expect("a TCP listener")
}

/// Polls `check` until it yields a value, failing the test after [`LIMIT`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let found = tokio::time::timeout(LIMIT, async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn sample_input() -> Value {
    let samples: Vec<Value> = serde_json::from_str(BUNDLED_SAMPLES).unwrap();
    samples[0]["input"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_fetches_an_announced_model_and_has_it_run_with_a_receipt() {
    let (home_a, home_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (service_a, service_b) = (service(&home_a), service(&home_b));
    let model = add_digits(&service_a);

    let net_a = start_network(service_a.clone(), config(Vec::new())).await.unwrap();
    let net_b = start_network(service_b.clone(), config(vec![tcp_addr(&net_a).await]))
        .await
        .unwrap();
    let peer_a = net_a.local_peer_id();

    eventually("B to learn that A provides the model", || {
        let net_b = net_b.clone();
        async move { net_b.providers(model).await.unwrap().contains(&peer_a).then_some(()) }
    })
    .await;

    let bytes = tokio::time::timeout(LIMIT, net_b.fetch_blob(model))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes, BUNDLED_MODEL);

    // The JSON names another model; the wire request's id decides.
    let body = json!({"model": "not-a-model", "inputs": sample_input()});
    let request = InferRequest {
        model,
        body: serde_json::to_vec(&body).unwrap(),
    };
    let output = tokio::time::timeout(LIMIT, net_b.infer(peer_a, request))
        .await
        .unwrap()
        .unwrap();
    let response: InferResponse = serde_json::from_slice(&output).unwrap();
    assert_eq!(response.model, model);
    assert_eq!(response.receipt.operator.address, service_a.operator());
    assert_ne!(response.receipt.operator.address, service_b.operator());
    let report = veris_core::verify::verify(&response.receipt, &TensorLimits::default());
    assert!(report.ok(), "{report:?}");

    // A caller's mistake comes back as the node's error code.
    let bad = InferRequest {
        model,
        body: serde_json::to_vec(&json!({"model": "x", "inputs": [[1.0, 2.0]]})).unwrap(),
    };
    match tokio::time::timeout(LIMIT, net_b.infer(peer_a, bad)).await.unwrap() {
        Err(NetError::Remote { message, .. }) => assert!(message.starts_with("invalid_input"), "{message}"),
        other => panic!("expected a remote error, got {other:?}"),
    }

    net_b.shutdown().await;
    net_a.shutdown().await;
}

#[test]
fn the_provider_serves_only_listed_models_and_in_range_reads() {
    let home = tempfile::tempdir().unwrap();
    let service = service(&home);
    let model = add_digits(&service);
    let provider = ServiceProvider::new(service.clone());
    let len = BUNDLED_MODEL.len();

    assert_eq!(provider.blob_len(&model), Some(len as u64));
    assert_eq!(provider.read_blob(&model, 0, len).as_deref(), Some(BUNDLED_MODEL));
    assert_eq!(
        provider.read_blob(&model, 10, 5).as_deref(),
        Some(&BUNDLED_MODEL[10..15])
    );
    assert_eq!(provider.read_blob(&model, 1, len), None);
    assert_eq!(provider.read_blob(&model, u64::MAX, 2), None);

    let unknown = ModelId::of_bytes(b"a model nobody added");
    assert_eq!(provider.blob_len(&unknown), None);
    assert_eq!(provider.read_blob(&unknown, 0, 1), None);

    service.remove_model(&model.to_string()).unwrap();
    assert_eq!(provider.blob_len(&model), None);
}

/// Polls `check` until it yields a value, failing the test after [`LIMIT`] (blocking tests).
fn eventually_blocking<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn http_lists_peers_and_a_model_added_while_running_is_announced() {
    let (home_a, home_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let a = RunningNode::start_with_network(service(&home_a), local, Some(config(Vec::new()))).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let net_a = a.network().unwrap().clone();
    let bootstrap = rt.block_on(tcp_addr(&net_a));
    let b = RunningNode::start_with_network(service(&home_b), local, Some(config(vec![bootstrap]))).unwrap();
    let http = reqwest::blocking::Client::new();
    let peer_a = net_a.local_peer_id().to_string();

    let peers: Value = eventually_blocking("B to list A as a connected peer", || {
        let body: Value = http
            .get(format!("{}/v1/network/peers", b.url()))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let listed = body["peers"]
            .as_array()?
            .iter()
            .any(|p| p["peer_id"] == peer_a && p["connected"] == true);
        listed.then_some(body)
    });
    assert_eq!(peers["peer_id"], b.network().unwrap().local_peer_id().to_string());
    assert!(!peers["listen"].as_array().unwrap().is_empty());

    // Added over HTTP after start: A announces it again, and B learns it.
    let added: Value = http
        .post(format!("{}/v1/models?name=digits", a.url()))
        .body(BUNDLED_MODEL.to_vec())
        .send()
        .unwrap()
        .json()
        .unwrap();
    let model: ModelId = added["id"].as_str().unwrap().parse().unwrap();
    let net_b = b.network().unwrap().clone();
    let provider_a = net_a.local_peer_id();
    eventually_blocking("B to learn that A provides the model added after start", || {
        rt.block_on(net_b.providers(model))
            .unwrap()
            .contains(&provider_a)
            .then_some(())
    });

    // B pins it by id: the bytes are A's, and B now serves it itself.
    let r = http
        .post(format!("{}/v1/models/pin", b.url()))
        .json(&json!({"id": model}))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let pinned: Value = r.json().unwrap();
    assert_eq!(pinned["model"]["format"], "onnx", "{pinned}");
    let file = http.get(format!("{}/v1/models/{model}/file", b.url())).send().unwrap();
    assert_eq!(file.bytes().unwrap().as_ref(), BUNDLED_MODEL);

    // A compiled exact model is pinned as one, and runs on B with B's receipt.
    let compiled: Value = http
        .post(format!("{}/v1/models/digits/compile", a.url()))
        .json(&json!({}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let exact: ModelId = compiled["id"].as_str().unwrap().parse().unwrap();
    eventually_blocking("B to learn that A provides the compiled model", || {
        rt.block_on(net_b.providers(exact))
            .unwrap()
            .contains(&provider_a)
            .then_some(())
    });
    let pinned: Value = http
        .post(format!("{}/v1/models/pin", b.url()))
        .json(&json!({"id": exact, "name": "digits-exact"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(pinned["model"]["format"], "veris-exact", "{pinned}");
    assert_eq!(pinned["model"]["name"], "digits-exact", "{pinned}");
    let inferred: InferResponse = http
        .post(format!("{}/v1/infer", b.url()))
        .json(&json!({"model": "digits-exact", "inputs": sample_input()}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(inferred.model, exact);
    let report = veris_core::verify::verify(&inferred.receipt, &TensorLimits::default());
    assert!(report.ok(), "{report:?}");

    // Nobody provides this one.
    let r = http
        .post(format!("{}/v1/models/pin", b.url()))
        .json(&json!({"id": ModelId::of_bytes(b"no such model")}))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::BAD_GATEWAY);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "peer_unavailable", "{body}");

    // A node without the peer network says so.
    let home_c = tempfile::tempdir().unwrap();
    let c = RunningNode::start(service(&home_c), local).unwrap();
    let r = http.get(format!("{}/v1/network/peers", c.url())).send().unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "p2p_disabled");

    c.shutdown();
    b.shutdown();
    a.shutdown();
}

fn infer_on(http: &reqwest::blocking::Client, node: &RunningNode, model: &str) -> reqwest::blocking::Response {
    http.post(format!("{}/v1/infer", node.url()))
        .json(&json!({"model": model, "inputs": sample_input()}))
        .send()
        .unwrap()
}

#[test]
fn an_inference_for_a_model_held_elsewhere_is_routed_and_fails_over() {
    let homes: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (service_a, service_c) = (service(&homes[0]), service(&homes[2]));
    let model = add_digits(&service_a);
    assert_eq!(add_digits(&service_c), model);
    let a = RunningNode::start_with_network(service_a.clone(), local, Some(config(Vec::new()))).unwrap();
    let bootstrap = rt.block_on(tcp_addr(a.network().unwrap()));
    let b = RunningNode::start_with_network(service(&homes[1]), local, Some(config(vec![bootstrap.clone()]))).unwrap();
    let c = RunningNode::start_with_network(service_c.clone(), local, Some(config(vec![bootstrap]))).unwrap();
    let (peer_a, peer_c) = (
        a.network().unwrap().local_peer_id(),
        c.network().unwrap().local_peer_id(),
    );
    let net_b = b.network().unwrap().clone();
    eventually_blocking("B to learn that A and C provide the model", || {
        let providers = rt.block_on(net_b.providers(model)).unwrap();
        (providers.contains(&peer_a) && providers.contains(&peer_c)).then_some(())
    });
    let http = reqwest::blocking::Client::new();

    // By name the model is not here: names are local, only ids are routed.
    assert_eq!(infer_on(&http, &b, "digits").status(), reqwest::StatusCode::NOT_FOUND);

    let r = infer_on(&http, &b, &model.to_string());
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let first: InferResponse = r.json().unwrap();
    let signer = first.receipt.operator.address;
    assert!(
        [service_a.operator(), service_c.operator()].contains(&signer),
        "signed by {signer}"
    );
    assert!(veris_core::verify::verify(&first.receipt, &TensorLimits::default()).ok());

    // Inputs every provider would refuse come back as the caller's fault.
    let r = http
        .post(format!("{}/v1/infer", b.url()))
        .json(&json!({"model": model.to_string(), "inputs": [[1.0, 2.0]]}))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_input", "{body}");

    // The node that answered goes away; the other one answers.
    let (gone, survivor, survivor_operator) = if signer == service_a.operator() {
        (a, c, service_c.operator())
    } else {
        (c, a, service_a.operator())
    };
    gone.shutdown();
    let r = infer_on(&http, &b, &model.to_string());
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let second: InferResponse = r.json().unwrap();
    assert_eq!(second.receipt.operator.address, survivor_operator);
    assert!(veris_core::verify::verify(&second.receipt, &TensorLimits::default()).ok());
    assert_eq!(second.outputs, first.outputs);

    // With every provider gone the caller gets a clear 502.
    survivor.shutdown();
    let r = infer_on(&http, &b, &model.to_string());
    assert_eq!(r.status(), reqwest::StatusCode::BAD_GATEWAY);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "peer_unavailable", "{body}");
    b.shutdown();
}

#[test]
fn a_zk_inference_is_routed_and_its_proof_checked_on_the_way() {
    let homes: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let holder = service(&homes[0]);
    add_digits(&holder);
    let compiled = holder
        .compile_model("digits", serde_json::from_value(json!({})).unwrap())
        .unwrap();
    let exact = compiled.id;
    let a = RunningNode::start_with_network(holder.clone(), local, Some(config(Vec::new()))).unwrap();
    let bootstrap = rt.block_on(tcp_addr(a.network().unwrap()));
    let b = RunningNode::start_with_network(service(&homes[1]), local, Some(config(vec![bootstrap]))).unwrap();
    let net_b = b.network().unwrap().clone();
    let peer_a = a.network().unwrap().local_peer_id();
    eventually_blocking("B to learn that A provides the exact model", || {
        rt.block_on(net_b.providers(exact))
            .unwrap()
            .contains(&peer_a)
            .then_some(())
    });
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/infer", b.url()))
        .json(&json!({"model": exact.to_string(), "inputs": sample_input(), "mode": "zk"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let response: InferResponse = r.json().unwrap();
    assert_eq!(response.receipt.mode, veris_core::Mode::Zk);
    let (_, key, _) = holder.verifying_key(&exact.to_string()).unwrap();
    assert_eq!(Some(key), compiled.model.verifying_key);
    let checker = veris_zk::receipt::ZkChecker { trusted: Ok(key) };
    let report = veris_core::verify::verify_with(&response.receipt, &TensorLimits::default(), Some(&checker));
    assert!(report.ok(), "{report:?}");
    b.shutdown();
    a.shutdown();
}

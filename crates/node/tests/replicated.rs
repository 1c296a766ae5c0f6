//! Replicated execution over real loopback connections: four nodes, each a
//! `Service` on its own home with its own operator key, serving HTTP and
//! joined by libp2p. A replicated inference sent to one of them runs on k
//! distinct operators; a byzantine operator is outvoted, and the fraud
//! evidence naming it is stored, listed and gossiped to the other nodes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{eventually, exact_digits, runtime};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use veris_core::any_evidence::verify_any_evidence;
use veris_core::api::InferRequest;
use veris_core::api_replicated::{EvidenceList, OutcomeStatus, ReplicatedInferResponse};
use veris_core::fraud::Verdict;
use veris_core::quorum::AcceptedOperators;
use veris_core::replicated::verify_replicated;
use veris_core::{Address, ModelId, TensorLimits};
use veris_net::{Multiaddr, NetConfig};
use veris_node::{AddModel, AuditFraction, BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

struct Node {
    _home: tempfile::TempDir,
    service: Arc<Service>,
    node: RunningNode,
}

impl Node {
    fn start(byzantine: bool, bootstrap: Option<&Node>) -> Node {
        let home = tempfile::tempdir().unwrap();
        let mut config = NodeConfig {
            byzantine_outputs: byzantine,
            ..NodeConfig::new(home.path())
        };
        // Audits would add evidence of their own (tests/audit.rs covers them).
        config.audit.fraction = AuditFraction::NONE;
        let service = Arc::new(Service::open(config).unwrap());
        let mut net = NetConfig::loopback();
        net.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        net.bootstrap = bootstrap.map(|b| vec![b.tcp_addr()]).unwrap_or_default();
        let t = &mut net.timing;
        t.bootstrap_interval = Duration::from_secs(1);
        t.announce_interval = Duration::from_millis(500);
        t.gossip_heartbeat = Duration::from_millis(200);
        t.provider_query_timeout = Duration::from_secs(3);
        let node = RunningNode::start_with_network(service.clone(), "127.0.0.1:0".parse().unwrap(), Some(net)).unwrap();
        Node {
            _home: home,
            service,
            node,
        }
    }

    fn tcp_addr(&self) -> Multiaddr {
        let addrs = runtime().block_on(self.node.network().unwrap().listen_addrs()).unwrap();
        addrs.into_iter().find(|a| a.to_string().contains("/tcp/")).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node.url())
    }

    /// Adds the exact model's bytes to this node's hub (as a pin would).
    fn hold(&self, id: ModelId, bytes: &[u8]) {
        self.service.add_fetched(id, bytes, Some("digits-int8".into())).unwrap();
        let net = self.node.network().unwrap();
        runtime()
            .block_on(veris_node::peer::announce_models(&self.service, net))
            .unwrap();
    }

    fn providers(&self, id: ModelId) -> usize {
        runtime()
            .block_on(self.node.network().unwrap().providers(id))
            .unwrap()
            .len()
    }
}

fn sample(i: usize) -> Value {
    serde_json::from_str::<Vec<Value>>(BUNDLED_SAMPLES).unwrap()[i]["input"].clone()
}

/// The outputs the exact model gives on one node, through the plain path.
fn exact_outputs(node: &Node, id: ModelId, input: &Value) -> Value {
    let request = InferRequest {
        model: id.to_string(),
        inputs: input.clone(),
        mode: None,
        embed_inputs: false,
    };
    serde_json::to_value(node.service.infer(request).unwrap().outputs).unwrap()
}

fn replicated(entry: &Node, body: &Value) -> ReplicatedInferResponse {
    let r = Client::new().post(entry.url("/v1/infer")).json(body).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().unwrap());
    r.json().unwrap()
}

fn operators(nodes: &[&Node]) -> AcceptedOperators {
    AcceptedOperators::new(nodes.iter().map(|n| n.service.operator()))
}

#[test]
fn a_byzantine_operator_is_outvoted_and_named_in_evidence_every_node_learns() {
    let (id, bytes) = exact_digits();
    let a = Node::start(false, None);
    let b = Node::start(false, Some(&a));
    let liar = Node::start(true, Some(&a));
    let c = Node::start(false, Some(&a));
    // A (the entry node), B and the liar hold the model; C does not, so a
    // job with k = 3 must go to exactly A, B and the liar.
    for n in [&a, &b, &liar] {
        n.hold(id, &bytes);
    }
    eventually("A to see both providers", || a.providers(id) >= 2);

    let input = sample(0);
    let body = json!({"model": id.to_string(), "inputs": input, "mode": "replicated", "k": 3});
    let response = replicated(&a, &body);
    assert_eq!(
        response.outputs,
        serde_json::from_value(exact_outputs(&b, id, &input)).unwrap()
    );

    // A and B agreed; the liar dissented and fraud evidence names it.
    let status = |who: Address| response.outcomes.iter().find(|o| o.operator == who).map(|o| o.status);
    assert_eq!(status(a.service.operator()), Some(OutcomeStatus::Agreed));
    assert_eq!(status(b.service.operator()), Some(OutcomeStatus::Agreed));
    assert_eq!(status(liar.service.operator()), Some(OutcomeStatus::Dissented));
    assert_eq!(response.evidence.len(), 1, "{:?}", response.evidence);
    let wrong = Verdict::WrongOutput {
        operator: liar.service.operator(),
        witness: a.service.operator(),
    };
    assert_eq!(response.evidence[0].verdict, wrong);

    // The receipt verifies offline with the honest quorum only.
    let all = operators(&[&a, &b, &liar, &c]);
    let report = verify_replicated(&response.receipt, &all, 2, &TensorLimits::default());
    assert!(report.ok(), "{report:?}");
    assert!(!verify_replicated(&response.receipt, &all, 3, &TensorLimits::default()).ok());

    // A lists the evidence; it verifies offline; gossip takes it to C.
    let listed: EvidenceList = Client::new().get(a.url("/v1/evidence")).send().unwrap().json().unwrap();
    assert_eq!(listed.evidence.len(), 1);
    let record = &listed.evidence[0];
    assert_eq!(record.id, response.evidence[0].id);
    assert_eq!(
        verify_any_evidence(&record.evidence, &TensorLimits::default()),
        Ok(wrong)
    );
    eventually("the evidence to reach C by gossip", || {
        c.service
            .list_evidence()
            .unwrap()
            .evidence
            .iter()
            .any(|e| e.id == record.id)
    });
}

#[test]
fn honest_operators_certify_a_replicated_inference_and_a_short_network_refuses_it() {
    let (id, bytes) = exact_digits();
    let a = Node::start(false, None);
    let b = Node::start(false, Some(&a));
    let c = Node::start(false, Some(&a));
    let d = Node::start(false, Some(&a));
    for n in [&a, &b, &c, &d] {
        n.hold(id, &bytes);
    }
    eventually("A to see three providers", || a.providers(id) >= 3);

    // B is the entry node; the model is named as B's hub names it.
    let input = sample(3);
    let response = replicated(
        &b,
        &json!({"model": "digits-int8", "inputs": input, "mode": "replicated"}),
    );
    assert_eq!(response.model, id);
    assert_eq!(response.receipt.k, 3);
    assert_eq!(response.receipt.quorum, 2);
    assert_eq!(response.receipt.certificate.signers.len(), 3);
    assert!(response.evidence.is_empty());
    assert!(response.outcomes.iter().all(|o| o.status == OutcomeStatus::Agreed));
    assert!(response.outcomes.iter().any(|o| o.operator == b.service.operator()));
    assert_eq!(
        response.outputs,
        serde_json::from_value(exact_outputs(&a, id, &input)).unwrap()
    );
    let all = operators(&[&a, &b, &c, &d]);
    let report = verify_replicated(&response.receipt, &all, 3, &TensorLimits::default());
    assert!(report.ok(), "{report:?}");

    // The network's model directory, as A sees it: the model, held by A and
    // announced by the three others with their capacity.
    let listed = || -> Value {
        let directory: Value = Client::new()
            .get(a.url("/v1/network/models"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let models = directory["models"].as_array().unwrap();
        models.iter().find(|m| m["id"] == id.to_string()).unwrap().clone()
    };
    eventually("A's directory to list three providers", || {
        listed()["providers"].as_array().unwrap().len() == 3
    });
    let entry = listed();
    assert_eq!(entry["local"], true);
    let (providers, directory) = (entry["providers"].as_array().unwrap(), &entry);
    assert!(providers.iter().all(|p| p["capacity"] == 64), "{directory}");
    assert!(
        providers
            .iter()
            .any(|p| p["operator"] == b.service.operator().to_string()),
        "{directory}"
    );

    // Asking for more agreeing operators than the network has fails cleanly.
    let body = json!({"model": id.to_string(), "inputs": input, "mode": "replicated", "k": 8, "quorum": 6});
    let r = Client::new().post(b.url("/v1/infer")).json(&body).send().unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    // A float model is refused: only exact models replicate.
    let add = AddModel {
        name: "digits".into(),
        version: None,
        description: String::new(),
    };
    b.service.add_model(BUNDLED_MODEL, add).unwrap();
    let body = json!({"model": "digits", "inputs": input, "mode": "replicated"});
    let r = Client::new().post(b.url("/v1/infer")).json(&body).send().unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn an_operator_that_cannot_run_the_job_is_replaced() {
    let (id, bytes) = exact_digits();
    let a = Node::start(false, None);
    let gone = Node::start(false, Some(&a));
    let d = Node::start(false, Some(&a));
    for n in [&a, &gone, &d] {
        n.hold(id, &bytes);
    }
    eventually("A to see both providers", || a.providers(id) >= 2);
    // `gone` drops the model without announcing it: it is still listed as
    // a provider, and fails every job it is given.
    gone.service.remove_model(&id.to_string()).unwrap();

    // k = 2 of A, `gone` and D: whenever `gone` is picked, D must replace it.
    let mut replaced = 0;
    for i in 0..6 {
        let body = json!({"model": id.to_string(), "inputs": sample(i), "mode": "replicated", "k": 2});
        let response = replicated(&a, &body);
        let agreed: Vec<Address> = response
            .outcomes
            .iter()
            .filter(|o| o.status == OutcomeStatus::Agreed)
            .map(|o| o.operator)
            .collect();
        assert_eq!(agreed.len(), 2, "{:?}", response.outcomes);
        assert!(agreed.contains(&a.service.operator()) && agreed.contains(&d.service.operator()));
        for failed in response.outcomes.iter().filter(|o| o.status == OutcomeStatus::Failed) {
            assert_eq!(failed.operator, gone.service.operator());
            assert!(failed.detail.contains("model_not_found"), "{}", failed.detail);
            replaced += 1;
        }
        assert!(response.evidence.is_empty(), "a failure is not fraud");
    }
    eprintln!("`gone` was picked and replaced in {replaced} of 6 jobs");
}

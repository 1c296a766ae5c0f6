//! Auditing over real loopback connections: nodes publish the statements of
//! the replicated jobs they run, peers replay a seeded sample of them, and
//! fraud evidence (a wrong output caught by an audit, an operator signing
//! two outputs for one job) is stored, gossiped, and synced to nodes that
//! join later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use veris_core::api::CompileRequest;
use veris_core::api_replicated::EvidenceList;
use veris_core::fraud::{FraudEvidence, Verdict, verify_evidence};
use veris_core::job::{JobStatement, SignedJob};
use veris_core::published_job::PublishedJob;
use veris_core::{
    Address, Digest32, ModelId, Nonce, OperatorKey, Tensor, TensorData, TensorLimits, TensorMap, tensor_codec,
};
use veris_net::{Multiaddr, NetConfig, NetHandle};
use veris_node::{
    AddModel, AuditConfig, AuditFraction, BUNDLED_MODEL, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service,
};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(60);
/// The audit sample's seed: a failing run replays with the same sample.
const SEED: u64 = 0x5eed;

struct Node {
    _home: tempfile::TempDir,
    service: Arc<Service>,
    node: RunningNode,
}

impl Node {
    fn start(fraction: AuditFraction, byzantine: bool, bootstrap: Option<&Node>) -> Node {
        Node::start_as(None, fraction, byzantine, bootstrap)
    }

    /// A node whose operator key is `key` (else a new one).
    fn start_as(key: Option<&OperatorKey>, fraction: AuditFraction, byzantine: bool, bootstrap: Option<&Node>) -> Node {
        let audit = AuditConfig {
            fraction,
            seed: Some(SEED),
            ..AuditConfig::default()
        };
        Node::start_with(key, audit, byzantine, bootstrap)
    }

    fn start_with(key: Option<&OperatorKey>, audit: AuditConfig, byzantine: bool, bootstrap: Option<&Node>) -> Node {
        let home = tempfile::tempdir().unwrap();
        if let Some(key) = key {
            use std::os::unix::fs::PermissionsExt;
            let path = veris_store::key_path(home.path());
            std::fs::write(&path, format!("{}\n", hex(&key.secret_bytes()))).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut config = NodeConfig {
            byzantine_outputs: byzantine,
            ..NodeConfig::new(home.path())
        };
        config.audit = audit;
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

    fn net(&self) -> &NetHandle {
        self.node.network().unwrap()
    }

    fn tcp_addr(&self) -> Multiaddr {
        let addrs = runtime().block_on(self.net().listen_addrs()).unwrap();
        addrs.into_iter().find(|a| a.to_string().contains("/tcp/")).unwrap()
    }

    fn hold(&self, id: ModelId, bytes: &[u8]) {
        self.service.add_fetched(id, bytes, Some("digits-int8".into())).unwrap();
        runtime()
            .block_on(veris_node::peer::announce_models(&self.service, self.net()))
            .unwrap();
    }

    /// Peers this node has a connection to.
    fn connected(&self) -> usize {
        let peers = runtime().block_on(self.net().peers()).unwrap();
        peers.iter().filter(|p| p.connected).count()
    }

    /// The verdicts of the evidence this node lists.
    fn verdicts(&self) -> Vec<(Digest32, Verdict)> {
        let list = self.service.list_evidence().unwrap();
        list.evidence.iter().map(|e| (e.id, e.verdict)).collect()
    }

    fn audits(&self, outcome: &str) -> u64 {
        self.service.metrics().audits(outcome)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Compiles the bundled digits model into an exact model; its id and bytes.
fn exact_digits() -> (ModelId, Vec<u8>) {
    let home = tempfile::tempdir().unwrap();
    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let add = AddModel {
        name: "digits".into(),
        version: None,
        description: String::new(),
    };
    service.add_model(BUNDLED_MODEL, add).unwrap();
    let request = CompileRequest {
        calibration: None,
        bits: 8,
        name: None,
    };
    let compiled = service.compile_model("digits", request).unwrap();
    let (_, bytes) = service.model_bytes(&compiled.id.to_string()).unwrap();
    (compiled.id, bytes)
}

/// Sample `i` of the bundled samples as the exact model's input tensors.
fn inputs(node: &Node, id: ModelId, i: usize) -> TensorMap {
    let samples: Vec<serde_json::Value> = serde_json::from_str(BUNDLED_SAMPLES).unwrap();
    let request = veris_core::api::InferRequest {
        model: id.to_string(),
        inputs: samples[i]["input"].clone(),
        mode: None,
        embed_inputs: true,
    };
    node.service.infer(request).unwrap().receipt.inputs.unwrap()
}

/// Whether every node in `nodes` lists evidence with `verdict`.
fn all_list(nodes: &[&Node], verdict: Verdict) -> bool {
    nodes.iter().all(|n| n.verdicts().iter().any(|(_, v)| *v == verdict))
}

#[test]
fn an_audit_catches_a_wrong_output_and_the_evidence_reaches_every_node() {
    let (id, bytes) = exact_digits();
    let liar = Node::start(AuditFraction::NONE, true, None);
    let auditor = Node::start(AuditFraction::ALL, false, Some(&liar));
    let lazy = Node::start(AuditFraction::NONE, false, Some(&liar));
    let bystander = Node::start(AuditFraction::ALL, false, Some(&liar));
    // The bystander audits everything but holds no model: it replays nothing.
    for n in [&liar, &auditor, &lazy] {
        n.hold(id, &bytes);
    }
    eventually("the mesh to form", || liar.connected() >= 3);
    eventually("the auditor to see the liar's announcement", || {
        runtime().block_on(auditor.net().providers(id)).unwrap().len() >= 2
    });

    // The liar and an honest node each run a job and publish its statement.
    lazy.service.run_job(id, Nonce([1; 32]), inputs(&lazy, id, 0)).unwrap();
    let job = inputs(&liar, id, 1);
    let lie = liar.service.run_job(id, Nonce([2; 32]), job.clone()).unwrap();
    let limits = auditor.service.config().limits;
    let truth = veris_node::replicate::replay_output(&bytes, &lie.statement.statement, &job, &limits).unwrap();
    assert_ne!(lie.statement.statement.output_digest, truth, "the byzantine node lies");

    let wrong = Verdict::WrongOutput {
        operator: liar.service.operator(),
        witness: auditor.service.operator(),
    };
    eventually("the wrong-output evidence to reach every node", || {
        all_list(&[&liar, &auditor, &lazy, &bystander], wrong)
    });
    eventually("the auditor to count both audits", || {
        auditor.audits("mismatch") == 1 && auditor.audits("agreed") >= 1
    });
    // The honest statement was audited and agreed: no evidence against it.
    let accused: Vec<Address> = auditor.verdicts().iter().map(|(_, v)| v.accused()).collect();
    assert!(!accused.contains(&lazy.service.operator()), "{accused:?}");
    // The bystander was sampled everything but holds no model.
    eventually("the bystander to skip what it cannot replay", || {
        bystander.audits("not_held") >= 2
    });
    assert_eq!(bystander.audits("mismatch") + bystander.audits("agreed"), 0);
    // Fraction 0: the lazy node audited nothing (it saw the statements).
    eventually("the lazy node to see the statements", || {
        lazy.audits("not_sampled") >= 1
    });
    for outcome in ["agreed", "mismatch", "not_held", "failed", "dropped"] {
        assert_eq!(lazy.audits(outcome), 0, "fraction 0 audited ({outcome})");
    }
    let metrics = auditor.service.metrics().render();
    assert!(
        metrics.contains("veris_audits_total{outcome=\"mismatch\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("veris_evidence_found_total{verdict=\"wrong_output\"} 1"),
        "{metrics}"
    );
}

/// A statement about job `job` with output digest `output`, signed by `key`.
fn published(key: &OperatorKey, job: u8, output: u8) -> PublishedJob {
    let mut inputs = TensorMap::new();
    let t = Tensor::new("x", vec![2], TensorData::Int64(vec![3, 4])).unwrap();
    inputs.insert("x".into(), t);
    let statement = JobStatement::new(
        Nonce([job; 32]),
        ModelId::of_bytes(b"a model nobody holds"),
        veris_node::exact_engine(),
        tensor_codec::digest(&inputs),
        Digest32([output; 32]),
    );
    PublishedJob {
        statement: SignedJob::sign(statement, key),
        inputs,
    }
}

#[test]
fn an_operator_that_signs_two_outputs_for_one_job_is_evidenced() {
    let key = OperatorKey::from_secret_bytes(&[0x42; 32]).unwrap();
    let liar = Node::start_as(Some(&key), AuditFraction::NONE, false, None);
    assert_eq!(liar.service.operator(), key.address());
    let a = Node::start(AuditFraction::NONE, false, Some(&liar));
    let b = Node::start(AuditFraction::NONE, false, Some(&liar));
    // Samples every statement, but its audit queue holds no bytes: all are dropped.
    let full = AuditConfig {
        fraction: AuditFraction::ALL,
        queue_bytes: 0,
        ..AuditConfig::default()
    };
    let c = Node::start_with(None, full, false, Some(&liar));
    eventually("the mesh to form", || liar.connected() >= 3 && a.connected() >= 1);

    // The same statement twice is no conflict; another output for the same job is.
    let rt = runtime();
    let mut sent = 0;
    for (job, output) in [(7, 1), (7, 1), (8, 1), (7, 2)] {
        let bytes = published(&key, job, output).encode();
        // Gossip may have no subscribed peer for a moment after connecting: retry.
        let start = Instant::now();
        while rt.block_on(liar.net().publish_job(bytes.clone())).is_err() {
            assert!(start.elapsed() < LIMIT, "cannot publish");
            std::thread::sleep(Duration::from_millis(100));
        }
        sent += 1;
    }
    assert_eq!(sent, 4);
    let equivocation = Verdict::Equivocation {
        operator: key.address(),
    };
    eventually("equivocation evidence on both peers", || {
        all_list(&[&a, &b], equivocation)
    });
    // Both found the same pair in the same canonical order: one piece of evidence.
    let ids = |n: &Node| -> Vec<Digest32> { n.verdicts().iter().map(|(id, _)| *id).collect() };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(ids(&a).len(), 1, "{:?}", a.verdicts());
    // Up to four publications (one repeated) reach it: the first may go out
    // before it subscribed. Every one it got was sampled, and dropped.
    eventually("the full queue to drop the statements", || c.audits("dropped") >= 1);
    assert_eq!(c.audits("not_held") + c.audits("not_sampled"), 0);
    // Listed over HTTP, with both signed statements: it verifies offline.
    let url = format!("{}/v1/evidence", a.node.url());
    let listed: EvidenceList = reqwest::blocking::get(url).unwrap().json().unwrap();
    assert_eq!(listed.evidence.len(), 1);
    let record = &listed.evidence[0];
    assert_eq!(record.verdict, equivocation);
    assert_eq!(
        verify_evidence(&record.evidence, &TensorLimits::default()),
        Ok(equivocation)
    );
    let mut outputs = [&record.evidence.accused, &record.evidence.conflicting].map(|s| s.statement.output_digest);
    outputs.sort();
    assert_eq!(
        outputs,
        [Digest32([1; 32]), Digest32([2; 32])],
        "the two outputs stated for job 7"
    );
    // The nodes that found it gossip it: it reaches the accused node too.
    eventually("the evidence to reach the accused node", || {
        liar.verdicts().iter().any(|(id, _)| *id == record.id)
    });
}

#[test]
fn a_node_that_joins_later_gets_the_evidence_by_sync() {
    // Evidence recorded without any gossip: only a sync can carry it.
    let liar = OperatorKey::from_secret_bytes(&[0x43; 32]).unwrap();
    let first = published(&liar, 1, 1).statement;
    let second = published(&liar, 1, 2).statement;
    let evidence = FraudEvidence::new(first, second, None, None);
    let old = Node::start(AuditFraction::NONE, false, None);
    let (id, _) = old.service.record_evidence(&evidence).unwrap();

    let late = Node::start(AuditFraction::NONE, false, Some(&old));
    eventually("the late node to sync the evidence", || {
        late.verdicts().iter().any(|(got, _)| *got == id)
    });
    // A node that knows only the late one gets it from there.
    let later = Node::start(AuditFraction::NONE, false, Some(&late));
    eventually("a later node to sync it from the late node", || {
        later.verdicts().iter().any(|(got, _)| *got == id)
    });
}

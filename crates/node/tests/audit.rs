//! Auditing over real loopback connections: nodes publish the statements of
//! the replicated jobs they run, peers replay a seeded sample of them, and
//! fraud evidence (a wrong output caught by an audit, an operator signing
//! two outputs for one job) is stored, gossiped, and synced to nodes that
//! join later. The same for plain `exact` receipts: a byzantine operator's
//! receipt is replayed and caught, and two exact outputs signed for one
//! input are equivocation.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{LIMIT, eventually, exact_digits, runtime};
use veris_core::any_evidence::{AnyEvidence, verify_any_evidence};
use veris_core::api_replicated::EvidenceList;
use veris_core::fraud::{FraudEvidence, Verdict};
use veris_core::job::{JobStatement, SignedJob};
use veris_core::published_job::PublishedJob;
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};
use veris_core::{
    Address, Digest32, Mode, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorLimits,
    TensorMap, receipt_codec, tensor_codec,
};
use veris_net::{Multiaddr, NetConfig, NetHandle};
use veris_node::audit::ReceiptPublication;
use veris_node::{AuditConfig, AuditFraction, BUNDLED_SAMPLES, NodeConfig, RunningNode, Service};

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
    // One for the job statement, and one for the liar's plain exact receipt
    // (`inputs` ran an exact inference on it) if that reached the auditor
    // in time: the receipt tests below wait for that.
    let found = |n: u64| metrics.contains(&format!("veris_evidence_found_total{{verdict=\"wrong_output\"}} {n}"));
    assert!(found(1) || found(2), "{metrics}");
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

    let rt = runtime();
    // Statements of other jobs until every peer has seen one: the mesh is
    // formed (a message published before a peer joined the mesh never reaches it).
    let seen = |n: &Node| n.audits("not_sampled") + n.audits("dropped");
    let mut warm_up = 100..=u8::MAX;
    while ![&a, &b, &c].iter().all(|n| seen(n) >= 1) {
        let job = warm_up.next().expect("the peers never saw a statement");
        let _ = rt.block_on(liar.net().publish_job(published(&key, job, 1).encode()));
        std::thread::sleep(Duration::from_millis(200));
    }

    // The same statement twice is no conflict; another output for the same job is.
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
        verify_any_evidence(&record.evidence, &TensorLimits::default()),
        Ok(equivocation)
    );
    let disputed = record.evidence.disputed();
    let mut outputs = [disputed.accused_output, disputed.conflicting_output];
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
    // And format-2 evidence: two exact outputs signed for one input.
    let receipts = ReceiptEvidence::new(
        ReceiptClaim::of(&exact_receipt(&liar, 1, 1, 1)),
        ReceiptClaim::of(&exact_receipt(&liar, 1, 2, 2)),
        None,
        None,
    );
    let (receipt_id, _) = old.service.record_evidence(receipts).unwrap();

    let late = Node::start(AuditFraction::NONE, false, Some(&old));
    let has_both = |n: &Node| {
        let ids: Vec<Digest32> = n.verdicts().iter().map(|(got, _)| *got).collect();
        ids.contains(&id) && ids.contains(&receipt_id)
    };
    eventually("the late node to sync the evidence", || has_both(&late));
    // A node that knows only the late one gets it from there.
    let later = Node::start(AuditFraction::NONE, false, Some(&late));
    eventually("a later node to sync it from the late node", || has_both(&later));
}

/// `POST /v1/infer` of sample `i` on `node` in exact mode.
fn infer_exact(node: &Node, id: ModelId, i: usize, embed_inputs: bool) -> veris_core::api::InferResponse {
    let samples: Vec<serde_json::Value> = serde_json::from_str(BUNDLED_SAMPLES).unwrap();
    let body = serde_json::json!({
        "model": id.to_string(),
        "inputs": samples[i % samples.len()]["input"],
        "mode": "exact",
        "embed_inputs": embed_inputs,
    });
    let url = format!("{}/v1/infer", node.node.url());
    let response = reqwest::blocking::Client::new().post(url).json(&body).send().unwrap();
    assert!(response.status().is_success(), "{response:?}");
    response.json().unwrap()
}

#[test]
fn an_audit_catches_a_byzantine_plain_exact_receipt() {
    let (id, bytes) = exact_digits();
    let liar = Node::start(AuditFraction::NONE, true, None);
    let auditor = Node::start(AuditFraction::ALL, false, Some(&liar));
    let bystander = Node::start(AuditFraction::NONE, false, Some(&liar));
    liar.hold(id, &bytes);
    auditor.hold(id, &bytes);
    eventually("the mesh to form", || liar.connected() >= 2);

    // A private receipt (inputs not embedded) is never published.
    infer_exact(&liar, id, 0, false);
    assert_eq!(liar.service.metrics().receipts_published("private"), 1);
    // Gossip may have no subscribed peer for a moment: serve requests until one is audited.
    let mut served = Vec::new();
    let start = Instant::now();
    while auditor.service.metrics().receipt_audits("mismatch") == 0 {
        assert!(start.elapsed() < LIMIT, "no receipt of the liar was audited");
        served.push(infer_exact(&liar, id, served.len() + 1, true));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(liar.service.metrics().receipts_published("queued") >= 1);

    let wrong = Verdict::WrongOutput {
        operator: liar.service.operator(),
        witness: auditor.service.operator(),
    };
    eventually("the receipt evidence to reach every node", || {
        all_list(&[&liar, &auditor, &bystander], wrong)
    });
    let listed = auditor.service.list_evidence().unwrap();
    let record = listed.evidence.iter().find(|r| r.verdict == wrong).unwrap();
    let AnyEvidence::Receipt(evidence) = &record.evidence else {
        panic!("format-2 evidence expected: {:?}", record.evidence);
    };
    assert_eq!(evidence.format, 2);
    // The accused receipt is one the liar served over HTTP, signed by it.
    let served_ids: Vec<Digest32> = served.iter().map(|r| r.receipt_id).collect();
    assert!(served_ids.contains(&evidence.accused.id()), "{served_ids:?}");
    assert_eq!(
        verify_any_evidence(&record.evidence, &TensorLimits::default()),
        Ok(wrong)
    );
    // Anyone with the model replays the embedded inputs: the liar is wrong.
    let inputs = evidence.inputs.as_ref().expect("the inputs are embedded");
    let computation = JobStatement::new(
        Nonce([0; 32]),
        id,
        evidence.accused.engine.clone(),
        evidence.accused.input_digest,
        evidence.accused.output_digest,
    );
    let limits = auditor.service.config().limits;
    let truth = veris_node::replicate::replay_output(&bytes, &computation, inputs, &limits).unwrap();
    assert_ne!(truth, evidence.accused.output_digest);
    assert_eq!(Some(truth), evidence.replayed_output_digest);
    // The bystander audits nothing and holds no model, yet stores the gossiped evidence.
    assert_eq!(bystander.service.metrics().receipt_audits("mismatch"), 0);
    // An honest node's receipts pass their audits.
    let honest = Node::start(AuditFraction::NONE, false, Some(&liar));
    honest.hold(id, &bytes);
    eventually("the honest node to join", || honest.connected() >= 1);
    let start = Instant::now();
    let mut i = 100;
    while auditor.service.metrics().receipt_audits("agreed") == 0 {
        assert!(start.elapsed() < LIMIT, "no honest receipt was audited");
        infer_exact(&honest, id, i, true);
        i += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let accused: Vec<Address> = auditor.verdicts().iter().map(|(_, v)| v.accused()).collect();
    assert!(!accused.contains(&honest.service.operator()), "{accused:?}");
}

/// An exact receipt of `key` about `input` with output `output` (no inputs embedded).
fn exact_receipt(key: &OperatorKey, input: i64, output: i64, nonce: u8) -> Receipt {
    let tensor = |v| {
        let t = Tensor::new("x", vec![1], TensorData::Int64(vec![v])).unwrap();
        TensorMap::from([("x".to_string(), t)])
    };
    let statement = Statement {
        model: ModelId::of_bytes(b"a model nobody holds"),
        engine: veris_node::exact_engine(),
        inputs: tensor(input),
        outputs: tensor(output),
        timestamp_ms: u64::from(nonce),
        nonce: Nonce([nonce; 32]),
    };
    Receipt::sign_as(Mode::Exact, statement, key, false)
}

#[test]
fn an_operator_that_signs_two_exact_outputs_for_one_input_is_evidenced() {
    let key = OperatorKey::from_secret_bytes(&[0x44; 32]).unwrap();
    let liar = Node::start_as(Some(&key), AuditFraction::NONE, false, None);
    let a = Node::start(AuditFraction::ALL, false, Some(&liar));
    let b = Node::start(AuditFraction::NONE, false, Some(&liar));
    eventually("the mesh to form", || liar.connected() >= 2);
    let rt = runtime();
    let publish = |receipt: Receipt| {
        let bytes = receipt_codec::encode(&receipt);
        // Gossip may have no subscribed peer for a moment after connecting: retry.
        let start = Instant::now();
        while rt.block_on(liar.net().publish_receipt(bytes.clone())).is_err() {
            assert!(start.elapsed() < LIMIT, "cannot publish");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Receipts of other inputs until both peers have seen one: the mesh is
    // formed (a message published before a peer joined the mesh never reaches it).
    let seen = |n: &Node| n.service.metrics().receipt_audits("no_inputs");
    let start = Instant::now();
    for warm_up in 100.. {
        assert!(start.elapsed() < LIMIT, "the peers never saw a receipt");
        publish(exact_receipt(&key, warm_up, 50, 9));
        std::thread::sleep(Duration::from_millis(200));
        if seen(&a) >= 1 && seen(&b) >= 1 {
            break;
        }
    }
    // Let the last warm-up receipt settle before counting.
    std::thread::sleep(Duration::from_millis(500));
    let before = seen(&a);
    // Same output on another request: no conflict. Another input: no
    // conflict. Another output for the first input: equivocation.
    for (input, output, nonce) in [(1, 10, 1), (1, 10, 2), (2, 11, 3), (1, 12, 4)] {
        publish(exact_receipt(&key, input, output, nonce));
    }
    let equivocation = Verdict::Equivocation {
        operator: key.address(),
    };
    eventually("receipt equivocation evidence on both peers", || {
        all_list(&[&a, &b], equivocation)
    });
    let ids = |n: &Node| -> Vec<Digest32> { n.verdicts().iter().map(|(id, _)| *id).collect() };
    // Both saw the same pair, in the same canonical order: one piece of evidence.
    eventually("both peers to list the same evidence", || ids(&a) == ids(&b));
    assert_eq!(ids(&a).len(), 1, "{:?}", a.verdicts());
    let m = a.service.metrics();
    assert_eq!(m.receipt_audits("repeat"), 1, "the same output again is no conflict");
    assert_eq!(
        m.receipt_audits("no_inputs"),
        before + 2,
        "the two new computations, without inputs, are not replayed"
    );
    eventually("the evidence to reach the accused node", || {
        liar.verdicts().iter().any(|(_, v)| *v == equivocation)
    });
}

#[test]
fn only_exact_receipts_with_inputs_within_the_gossip_limit_are_published() {
    let home = tempfile::tempdir().unwrap();
    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let key = OperatorKey::from_secret_bytes(&[0x45; 32]).unwrap();
    let receipt = |mode: Mode, elements: usize, embed: bool| {
        let t = Tensor::new("x", vec![elements], TensorData::Int64(vec![1; elements])).unwrap();
        let statement = Statement {
            model: ModelId::of_bytes(b"m"),
            engine: veris_node::exact_engine(),
            inputs: TensorMap::from([("x".to_string(), t)]),
            outputs: TensorMap::new(),
            timestamp_ms: 1,
            nonce: Nonce([1; 32]),
        };
        Receipt::sign_as(mode, statement, &key, embed)
    };
    // Over 512 Ki 8-byte elements: more than the 4 MiB gossip limit.
    let cases = [
        (receipt(Mode::Signed, 4, true), ReceiptPublication::NotExact),
        (receipt(Mode::Exact, 4, false), ReceiptPublication::Private),
        (receipt(Mode::Exact, (1 << 19) + 1, true), ReceiptPublication::TooLarge),
        // No network runs: nothing can take it.
        (receipt(Mode::Exact, 4, true), ReceiptPublication::Dropped),
    ];
    for (receipt, expected) in cases {
        assert_eq!(service.publish_receipt(&receipt), expected);
    }
    let m = service.metrics();
    for outcome in ["private", "too_large", "dropped"] {
        assert_eq!(m.receipts_published(outcome), 1, "{outcome}");
    }
    assert_eq!(m.receipts_published("not_exact"), 0, "only exact receipts are counted");
}

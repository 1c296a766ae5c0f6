//! An operator that dies while it executes: the request, routed or
//! replicated, completes through another node within its deadline, and
//! because the connection closed, not because an attempt timed out.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use veris_core::api::InferResponse;
use veris_core::api_replicated::{OutcomeStatus, ReplicatedInferResponse};

use crate::support::{Node, Setup, eventually, exact_digits, sample};

/// How long the doomed operator would take; every attempt is allowed
/// longer than this, so only its death can end it early.
const SLOW: Duration = Duration::from_secs(20);
/// The most a failover may take once the operator is dead.
const FAILOVER: Duration = Duration::from_secs(5);

/// Sends `body` to `entry` in the background, kills `doomed` once it runs
/// the request, and returns the response and the time from the kill.
fn kill_mid_request(entry: &Node, doomed: Node, body: serde_json::Value) -> (reqwest::blocking::Response, Duration) {
    std::thread::scope(|scope| {
        let request = scope.spawn(|| entry.post(&body));
        eventually("the doomed operator to start the request", || {
            doomed.service.running_inferences() == 1
        });
        let killed = Instant::now();
        doomed.kill();
        let response = request.join().unwrap();
        (response, killed.elapsed())
    })
}

/// Three nodes that hold the model besides the entry node; the slow one
/// announces the largest capacity, so it is picked first.
fn network(entry_holds: bool) -> (Node, Node, Node, Node) {
    let (id, bytes) = exact_digits();
    let entry = Node::start(Setup::default(), None);
    let slow = Node::start(
        Setup {
            capacity: 16,
            delay: SLOW,
        },
        Some(&entry),
    );
    let fast = Node::start(
        Setup {
            capacity: 4,
            ..Setup::default()
        },
        Some(&entry),
    );
    let spare = Node::start(
        Setup {
            capacity: 2,
            ..Setup::default()
        },
        Some(&entry),
    );
    for n in [&slow, &fast, &spare] {
        n.hold(*id, bytes, "digits-int8");
    }
    if entry_holds {
        entry.hold(*id, bytes, "digits-int8");
    }
    eventually("the entry node to see the three offers", || {
        entry.offered(*id).len() == 3
    });
    (entry, slow, fast, spare)
}

#[test]
fn a_routed_request_survives_its_operator_dying_mid_execution() {
    let (id, _) = exact_digits();
    let (entry, slow, fast, _spare) = network(false);
    let doomed = slow.service.operator();
    let start = Instant::now();
    let (response, after_kill) = kill_mid_request(&entry, slow, json!({"model": id.to_string(), "inputs": sample(0)}));
    assert_eq!(response.status(), StatusCode::OK);
    let body: InferResponse = response.json().unwrap();
    assert!(veris_core::verify::verify(&body.receipt, &Default::default()).ok());
    // The next least loaded provider answered, not the dead one.
    assert_eq!(body.receipt.operator.address, fast.service.operator());
    assert_ne!(body.receipt.operator.address, doomed);
    assert!(after_kill < FAILOVER, "failover took {after_kill:?}");
    assert!(start.elapsed() < SLOW, "{:?}", start.elapsed());
}

#[test]
fn a_replicated_job_survives_an_operator_dying_mid_execution() {
    let (id, _) = exact_digits();
    let (entry, slow, fast, _spare) = network(true);
    let doomed = slow.service.operator();
    let body = json!({"model": id.to_string(), "inputs": sample(1), "mode": "replicated", "k": 2});
    let start = Instant::now();
    let (response, after_kill) = kill_mid_request(&entry, slow, body);
    assert_eq!(response.status(), StatusCode::OK);
    let body: ReplicatedInferResponse = response.json().unwrap();
    let status = |who| body.outcomes.iter().find(|o| o.operator == who).map(|o| o.status);
    // The entry node and the slow one were picked; the slow one died and
    // the next least loaded provider replaced it.
    assert_eq!(status(entry.service.operator()), Some(OutcomeStatus::Agreed));
    assert_eq!(status(doomed), Some(OutcomeStatus::Failed), "{:?}", body.outcomes);
    assert_eq!(status(fast.service.operator()), Some(OutcomeStatus::Agreed));
    assert_eq!(body.receipt.certificate.signers.len(), 2);
    assert!(body.evidence.is_empty(), "a death is not fraud");
    assert!(after_kill < FAILOVER, "failover took {after_kill:?}");
    assert!(start.elapsed() < SLOW, "{:?}", start.elapsed());
}

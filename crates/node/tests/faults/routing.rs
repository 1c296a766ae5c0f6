//! Routed requests pick the least loaded provider for its announced
//! capacity, fail over to the next, and give up within the deadline.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use veris_core::Address;
use veris_core::api::InferResponse;

use crate::support::{Node, Setup, eventually, exact_digits, sample};

/// Every provider holds each request this long.
const HOLD: Duration = Duration::from_millis(1500);

fn signer(response: reqwest::blocking::Response) -> Address {
    assert_eq!(response.status(), StatusCode::OK);
    let body: InferResponse = response.json().unwrap();
    assert!(veris_core::verify::verify(&body.receipt, &Default::default()).ok());
    body.receipt.operator.address
}

#[test]
fn routed_requests_go_to_the_least_loaded_provider_and_fail_over() {
    let (id, bytes) = exact_digits();
    let entry = Node::start(Setup::default(), None);
    let small = Node::start(
        Setup {
            capacity: 1,
            delay: HOLD,
        },
        Some(&entry),
    );
    let big = Node::start(
        Setup {
            capacity: 2,
            delay: HOLD,
        },
        Some(&entry),
    );
    small.hold(*id, bytes, "digits-int8");
    big.hold(*id, bytes, "digits-int8");
    eventually("the entry node to see both offers", || {
        let mut capacities: Vec<u32> = entry.net().offers(*id).iter().map(|o| o.capacity).collect();
        capacities.sort();
        capacities == [1, 2]
    });
    let (small_op, big_op) = (small.service.operator(), big.service.operator());
    let body = move |i: usize| -> Value { json!({"model": id.to_string(), "inputs": sample(i)}) };

    // Three requests while the first ones still run: the big node's share
    // after each is 1/2, then 2/2 (a tie with the idle small node's 1/1, which
    // the larger capacity wins), then 3/2 against 1/1.
    let entry_ref = &entry;
    let signers: Vec<Address> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let handle = scope.spawn(move || signer(entry_ref.post(&body(i))));
                std::thread::sleep(HOLD / 5);
                handle
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(signers, [big_op, big_op, small_op]);

    // Idle again: the larger capacity goes first.
    assert_eq!(signer(entry.post(&body(3))), big_op);

    // The big node drops the model without saying so: it is still offered,
    // fails the request, and the small node answers within the same request.
    big.service.remove_model(&id.to_string()).unwrap();
    let start = Instant::now();
    assert_eq!(signer(entry.post(&body(4))), small_op);
    assert!(start.elapsed() < HOLD * 3, "{:?}", start.elapsed());

    // Nobody can: a clear 502 naming both attempts, well within the deadline.
    small.service.remove_model(&id.to_string()).unwrap();
    let start = Instant::now();
    let r = entry.post(&body(5));
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let error: Value = r.json().unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert_eq!(message.matches("model_not_found").count(), 2, "{message}");
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
}

use std::time::Duration;

use serde_json::json;
use veris_client::{Client, ClientError, ClientOptions};

use crate::fake_node::{FakeNode, Reply};

#[test]
fn refuses_urls_that_are_not_http_bases() {
    for bad in [
        "",
        "127.0.0.1:7878",
        "ftp://host",
        "mailto:a@b",
        "http://host/?q=1",
        "http://host/#x",
    ] {
        let err = Client::new(bad).unwrap_err();
        assert!(matches!(err, ClientError::InvalidUrl { .. }), "{bad}: {err}");
    }
    assert!(Client::new("http://127.0.0.1:7878").is_ok());
    assert!(Client::new("https://node.example/prefix/").is_ok());
}

#[test]
fn error_bodies_become_api_errors_with_status_and_code() {
    let node = FakeNode::start(|_| {
        Reply::json(
            404,
            json!({"error": {"code": "not_found", "message": "no model named `x`"}}),
        )
    });
    let err = Client::new(&node.url).unwrap().show_model("x").unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("not_found"));
    assert_eq!(err.to_string(), "node answered 404 not_found: no model named `x`");
}

#[test]
fn non_json_error_bodies_keep_status_and_text() {
    let node = FakeNode::start(|_| Reply::bytes(502, b"bad gateway\n"));
    let err = Client::new(&node.url).unwrap().health().unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 502, code, message } if code == "http" && message == "bad gateway"),
        "{err:?}"
    );
}

#[test]
fn invalid_json_is_a_decode_error() {
    let node = FakeNode::start(|_| Reply::bytes(200, b"{\"status\": "));
    let err = Client::new(&node.url).unwrap().health().unwrap_err();
    assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
}

#[test]
fn responses_over_the_limit_are_refused() {
    let big = json!({"models": [], "pad": "x".repeat(4096)});
    let node = FakeNode::start(move |_| Reply::json(200, big.clone()));
    let options = ClientOptions {
        max_response_bytes: 1024,
        ..ClientOptions::default()
    };
    let client = Client::with_options(&node.url, options).unwrap();
    let err = client.list_models().unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { limit: 1024, .. }), "{err:?}");
}

#[test]
fn an_unreachable_node_is_a_transport_error() {
    // Bind then drop a listener so that the port is (almost surely) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = ClientOptions {
        connect_timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    };
    let client = Client::with_options(&format!("http://127.0.0.1:{port}"), options).unwrap();
    let err = client.health().unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
}

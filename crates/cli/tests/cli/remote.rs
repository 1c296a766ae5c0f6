//! The same commands with `--node URL`, against `veris node start`.

use crate::common::{Home, model_file, p};

#[test]
fn commands_work_against_a_running_node_which_stops_cleanly_on_sigterm() {
    let h = Home::new();
    let node = h.start_node();
    let url = node.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let added = h
        .remote(&url, &["--json", "model", "add", p(&model_file()), "--name", "digits"])
        .json();
    assert_eq!(added["created"], true);
    let id = added["id"].as_str().unwrap().to_string();
    let again = h.remote(&url, &["model", "add", p(&model_file()), "--name", "digits"]);
    assert_eq!(again.ok().trim(), id);

    let list = h.remote(&url, &["model", "list", "--json"]).json();
    assert_eq!(list["models"][0]["id"], id.as_str());
    assert_eq!(
        h.remote(&url, &["model", "show", "digits@1.0", "--json"]).json()["id"],
        id.as_str()
    );

    let copy = h.file("copy.onnx");
    h.remote(&url, &["model", "get", &id, "-o", p(&copy)]).ok();
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(model_file()).unwrap());

    let input = h.sample_input(3);
    let receipt = h.file("receipt.json");
    let text = h
        .remote(&url, &["infer", "digits", "--input", p(&input), "--out", p(&receipt)])
        .ok()
        .to_string();
    assert!(text.contains("prediction: 9\n"), "{text}");
    let text = h.remote(&url, &["verify", p(&receipt), "--replay"]).ok().to_string();
    assert!(text.contains("✓ replay: "), "{text}");

    // Errors from the node keep their meaning (and exit codes) over HTTP.
    let line = h.remote(&url, &["model", "show", "nosuch"]).fails(2).to_string();
    assert!(line.contains("model_not_found"), "{line}");
    let junk = h.write_json("junk.onnx", &serde_json::json!({"not": "onnx"}));
    h.remote(&url, &["model", "add", p(&junk)]).fails(2);
    let model = model_file();
    h.remote(&url, &["verify", p(&receipt), "--replay", "--model-file", p(&model)])
        .fails(2);

    // The node holds the home; the embedded node refuses to share it.
    h.veris(&["model", "list"]).fails(3);

    assert_eq!(node.stop(), Some(0), "graceful shutdown exits 0");
    // After shutdown the home is free again and kept what the node stored.
    let list = h.veris(&["--json", "model", "list"]).json();
    assert_eq!(list["models"][0]["name"], "digits");
}

#[test]
fn an_unreachable_node_is_exit_3_and_a_bad_url_exit_2() {
    let h = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let line = h
        .remote(&format!("http://127.0.0.1:{port}"), &["model", "list"])
        .fails(3)
        .to_string();
    assert!(line.contains("request to the node failed"), "{line}");
    h.remote("not a url", &["model", "list"]).fails(2);
}

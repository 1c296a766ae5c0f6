//! `veris quickstart`.

use crate::common::Home;

#[test]
fn quickstart_reports_every_receipt_verified() {
    let h = Home::new();
    let out = h.veris(&["quickstart"]);
    let text = out.ok();
    assert!(text.contains("model     digits@1.0 bafkrei"), "{text}");
    assert_eq!(text.matches('✓').count(), 8, "{text}");
    assert!(!text.contains('✗'), "{text}");
    assert!(
        text.trim_end()
            .ends_with("accuracy 8/8 (100.0%), all 8 receipts verified"),
        "{text}"
    );
    assert!(!h.home().exists(), "quickstart does not touch --home");
}

#[test]
fn quickstart_json_summarises_the_run() {
    let h = Home::new();
    let summary = h.veris(&["quickstart", "--json"]).json();
    assert_eq!(summary["total"], 8);
    assert_eq!(summary["correct"], 8);
    assert_eq!(summary["verified"], 8);
    assert_eq!(summary["model"]["name"], "digits");
    let samples = summary["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 8);
    for s in samples {
        assert_eq!(s["verified"], true);
        assert_eq!(s["predicted"], s["label"]);
        let checks = s["checks"].as_array().unwrap();
        assert!(checks.iter().any(|c| c["name"] == "replay" && c["ok"] == true), "{s}");
    }
}

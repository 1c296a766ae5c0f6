//! The advertised engine version is the tract version actually linked.

use veris_engine::{FLOAT_ENGINE_ID, FLOAT_ENGINE_VERSION};

/// The version of `package` recorded in the workspace's Cargo.lock.
fn locked_version(package: &str) -> Option<String> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).ok()?;
    let header = format!("name = \"{package}\"\n");
    let at = lock.find(&header)? + header.len();
    let line = lock[at..].lines().next()?;
    Some(line.strip_prefix("version = \"")?.strip_suffix('"')?.to_string())
}

#[test]
fn float_engine_version_matches_the_locked_tract() {
    assert_eq!(FLOAT_ENGINE_ID, "tract-onnx");
    for package in ["tract-onnx", "tract-core"] {
        let locked = locked_version(package).unwrap_or_else(|| panic!("{package} not found in Cargo.lock"));
        assert_eq!(
            locked, FLOAT_ENGINE_VERSION,
            "FLOAT_ENGINE_VERSION must follow the pinned {package}"
        );
    }
}

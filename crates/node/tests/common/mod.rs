//! Helpers shared by the multi-node integration tests: a runtime for the
//! network handle's async calls, bounded polling, and the exact digits model.

use std::time::{Duration, Instant};

use veris_core::ModelId;
use veris_core::api::CompileRequest;
use veris_node::{AddModel, BUNDLED_MODEL, NodeConfig, Service};

/// How long any awaited network event may take.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A single-threaded runtime to block on the network handle's futures.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `check` every 100 ms until it holds; fails after [`LIMIT`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Compiles the bundled digits model into an exact model; its id and bytes.
pub fn exact_digits() -> (ModelId, Vec<u8>) {
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

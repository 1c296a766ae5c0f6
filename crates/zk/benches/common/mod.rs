//! Helpers shared by the inference benchmarks: a single-input tensor map and
//! the process's peak resident memory (Linux `VmHWM`).

use veris_core::{Tensor, TensorData, TensorMap};

/// A map holding one float tensor named `input`.
pub fn input(shape: Vec<usize>, data: Vec<f32>) -> TensorMap {
    let t = Tensor::new("input", shape, TensorData::Float32(data)).expect("tensor");
    TensorMap::from([("input".to_string(), t)])
}

/// Peak resident set size of this process (VmHWM), in MiB.
pub fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// Resets VmHWM to the current RSS (Linux `clear_refs` 5); false if unsupported.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

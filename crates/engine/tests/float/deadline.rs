//! Runs bounded by a deadline, on the real model.

use std::time::Duration;

use veris_core::TensorMap;
use veris_engine::{EngineError, run_with_deadline};

use crate::common::*;

/// A batch of `rows` digits (the held-out rows repeated).
fn big_batch(rows: usize) -> TensorMap {
    let (_, data) = heldout();
    let repeated: Vec<f32> = data.iter().copied().cycle().take(rows * 64).collect();
    input_map(rows, repeated)
}

#[test]
fn a_run_longer_than_the_deadline_times_out() {
    // 65,536 rows take milliseconds even in release mode, while the deadline
    // is one microsecond: the worker cannot answer in time.
    let after = Duration::from_micros(1);
    let result = run_with_deadline(digits(), big_batch(65_536), after);
    assert_eq!(result, Err(EngineError::Timeout { after }));
}

#[test]
fn a_run_within_the_deadline_matches_a_direct_run() {
    let model = digits();
    let input = big_batch(450);
    let direct = model.run(&input).unwrap();
    let bounded = run_with_deadline(model.clone(), input, model.limits().timeout).unwrap();
    assert_eq!(bits(&logits(&bounded).1), bits(&logits(&direct).1));
}

#[test]
fn invalid_inputs_are_reported_through_the_deadline() {
    let result = run_with_deadline(digits(), TensorMap::new(), Duration::from_secs(30));
    assert!(matches!(result, Err(EngineError::Input(_))), "{result:?}");
}

//! Runs bounded by a wall-clock deadline.
//!
//! tract cannot be interrupted, so a run that misses its deadline is
//! abandoned, not stopped: its worker thread is detached, finishes in the
//! background, and its result is dropped. Each abandoned run keeps a thread
//! and its memory busy until then, so callers that accept untrusted work
//! should also bound how many runs they start at once.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use veris_core::TensorMap;

use crate::guard::contain;
use crate::{EngineError, FloatModel};

/// Runs `model` on `inputs` on a separate thread and waits at most `timeout`.
///
/// Returns the outputs of [`FloatModel::run`], or [`EngineError::Timeout`]
/// if they are not ready in time (the worker then finishes in the background,
/// see the module docs). A thread is spawned per call, which costs tens of
/// microseconds: use [`FloatModel::run`] directly where no deadline is needed.
pub fn run_with_deadline(
    model: Arc<FloatModel>,
    inputs: TensorMap,
    timeout: Duration,
) -> Result<TensorMap, EngineError> {
    with_deadline(timeout, move || model.run(&inputs))
}

/// Runs `work` on a new detached thread and waits at most `timeout` for its
/// result. A panic in `work` becomes [`EngineError::Panicked`].
pub fn with_deadline<T, F>(timeout: Duration, work: F) -> Result<T, EngineError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, EngineError> + Send + 'static,
{
    // Capacity 1: the worker's send never blocks, even after the receiver
    // has given up and been dropped.
    let (tx, rx) = mpsc::sync_channel(1);
    thread::Builder::new()
        .name("veris-engine-deadline".into())
        .spawn(move || {
            let result = contain(work).unwrap_or_else(|message| Err(EngineError::Panicked { message }));
            // The receiver may be gone after a timeout; the result is then dropped.
            let _ = tx.send(result);
        })
        .map_err(|e| EngineError::Worker { reason: e.to_string() })?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(EngineError::Timeout { after: timeout }),
        // Only reachable if the worker died without sending, which `contain` prevents.
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(EngineError::Panicked {
            message: "the worker thread ended without a result".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn returns_the_result_in_time() {
        assert_eq!(with_deadline(Duration::from_secs(10), || Ok(5u8)), Ok(5));
        let err = with_deadline::<u8, _>(Duration::from_secs(10), || Err(EngineError::Run { reason: "x".into() }));
        assert_eq!(err, Err(EngineError::Run { reason: "x".into() }));
    }

    #[test]
    fn times_out_while_the_work_is_blocked() {
        // The work cannot finish before the test releases it, so the
        // timeout is certain, not a matter of speed.
        let (release, blocked) = channel::<()>();
        let (done_tx, done) = channel::<()>();
        let after = Duration::from_millis(20);
        let result = with_deadline(after, move || {
            let _ = blocked.recv();
            let _ = done_tx.send(());
            Ok(1u8)
        });
        assert_eq!(result, Err(EngineError::Timeout { after }));
        // The detached worker still completes once released.
        release.send(()).unwrap();
        done.recv_timeout(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn a_panic_in_the_work_is_reported() {
        let result = with_deadline::<u8, _>(Duration::from_secs(10), || panic!("boom"));
        assert_eq!(result, Err(EngineError::Panicked { message: "boom".into() }));
    }
}

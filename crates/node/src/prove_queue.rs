//! The proving queue: zero-knowledge proofs run on dedicated prover threads,
//! never on the HTTP workers, behind a bounded queue.
//!
//! A proof already uses every core (the prover's rayon pool), so one prover
//! thread is the default; a full queue refuses new work at once (`busy`,
//! 503) instead of letting latency grow without bound, and a caller waits at
//! most the node's proof timeout for its result.

use std::fmt;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::NodeError;

type Job = Box<dyn FnOnce() + Send>;

/// Prover threads fed through a bounded channel. Dropping the queue lets
/// the threads finish what is queued and exit.
pub(crate) struct ProveQueue {
    sender: SyncSender<Job>,
    capacity: usize,
}

impl fmt::Debug for ProveQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProveQueue").field("capacity", &self.capacity).finish()
    }
}

impl ProveQueue {
    /// Starts `workers` prover threads behind a queue of `capacity` jobs.
    pub fn start(workers: usize, capacity: usize) -> Result<ProveQueue, NodeError> {
        let (sender, receiver) = sync_channel::<Job>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("veris-prover-{i}"))
                .spawn(move || work(&receiver))
                .map_err(|e| NodeError::Internal {
                    action: "start a prover thread",
                    reason: e.to_string(),
                })?;
        }
        Ok(ProveQueue { sender, capacity })
    }

    /// Runs `job` on a prover thread and waits for its result for at most
    /// `timeout` (queueing included).
    pub fn run<T: Send + 'static>(
        &self,
        timeout: Duration,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (done, result) = sync_channel(1);
        let job: Job = Box::new(move || {
            // The caller may have given up; nobody to tell then.
            let _ = done.send(job());
        });
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(NodeError::ProofQueueFull {
                    capacity: self.capacity,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(NodeError::Internal {
                    action: "reach a prover thread",
                    reason: "every prover thread has stopped".into(),
                });
            }
        }
        result.recv_timeout(timeout).map_err(|_| NodeError::ProofTimeout {
            seconds: timeout.as_secs(),
        })
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only while taking a job, never while running it.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_refuses_and_a_slow_job_times_out() {
        let queue = Arc::new(ProveQueue::start(1, 1).unwrap());
        // A job that tells us it runs, then holds the only worker until released.
        let (started, running) = sync_channel::<()>(1);
        let (release, held) = sync_channel::<()>(1);
        let holder = std::thread::spawn({
            let queue = queue.clone();
            move || {
                queue.run(Duration::from_secs(30), move || {
                    let _ = started.send(());
                    let _ = held.recv_timeout(Duration::from_secs(30));
                })
            }
        });
        running
            .recv_timeout(Duration::from_secs(30))
            .expect("the worker runs the first job");
        // The worker is busy and the queue is empty: one job fits, the next does not.
        assert!(queue.sender.try_send(Box::new(|| {})).is_ok());
        assert!(matches!(
            queue.run(Duration::from_secs(1), || 1),
            Err(NodeError::ProofQueueFull { capacity: 1 })
        ));
        release.send(()).unwrap();
        holder.join().unwrap().unwrap();
        assert_eq!(queue.run(Duration::from_secs(30), || 7).unwrap(), 7);
        let slow = queue.run(Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(500))
        });
        assert!(matches!(slow, Err(NodeError::ProofTimeout { .. })));
    }
}

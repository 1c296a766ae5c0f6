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
        let queue = ProveQueue::start(1, 1).unwrap();
        let (release, blocked) = sync_channel::<()>(0);
        let blocked = Arc::new(Mutex::new(blocked));
        // Occupy the only worker until released.
        let hold = {
            let blocked = blocked.clone();
            move || {
                let _ = blocked.lock().unwrap().recv();
            }
        };
        let running = std::thread::spawn({
            let q = ProveQueue {
                sender: queue.sender.clone(),
                capacity: 1,
            };
            move || q.run(Duration::from_secs(30), hold)
        });
        // Wait until the worker has taken that job (the channel is empty again).
        let mut queued = None;
        for _ in 0..200 {
            match queue.sender.try_send(Box::new(|| {})) {
                Ok(()) => {
                    queued = Some(());
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        assert!(queued.is_some(), "the worker never took the first job");
        // Now the queue (capacity 1) holds one job: the next is refused.
        assert!(matches!(
            queue.run(Duration::from_secs(1), || 1),
            Err(NodeError::ProofQueueFull { capacity: 1 })
        ));
        release.send(()).unwrap();
        running.join().unwrap().unwrap();
        assert_eq!(queue.run(Duration::from_secs(30), || 7).unwrap(), 7);
        let slow = queue.run(Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(500))
        });
        assert!(matches!(slow, Err(NodeError::ProofTimeout { .. })));
    }
}

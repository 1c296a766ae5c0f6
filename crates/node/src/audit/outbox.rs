//! Publishing the job statements this node signs (`veris/jobs/1`), so that
//! other nodes can audit them.
//!
//! [`Service::run_job`](crate::Service::run_job) runs on blocking threads
//! and must not wait on the network: it drops each statement into a bounded
//! queue ([`JobOutbox::offer`]), and a task started with the network
//! publishes them. A full queue, or no network, drops the statement (the
//! job's answer is unaffected).

use std::sync::OnceLock;

use tokio::sync::mpsc;
use veris_core::published_job::PublishedJob;
use veris_net::NetHandle;

/// Statements waiting to be published.
const OUTBOX: usize = 256;

/// The sending end of the publisher, set once the network starts.
#[derive(Debug, Default)]
pub struct JobOutbox {
    sender: OnceLock<mpsc::Sender<PublishedJob>>,
}

impl JobOutbox {
    /// Queues `job` for publishing; whether it was queued.
    pub fn offer(&self, job: PublishedJob) -> bool {
        self.sender.get().is_some_and(|s| s.try_send(job).is_ok())
    }

    /// Starts publishing on `net` (once: a second network is ignored).
    pub fn connect(&self, net: &NetHandle) {
        let (tx, mut rx) = mpsc::channel::<PublishedJob>(OUTBOX);
        if self.sender.set(tx).is_err() {
            return;
        }
        let net = net.clone();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let bytes = job.encode();
                // A statement too large for gossip, or no subscribed peer yet: it stays unpublished.
                if let Err(veris_net::NetError::Stopped) = net.publish_job(bytes).await {
                    break;
                }
            }
        });
    }
}

//! Publishing what this node signs, so that other nodes can audit it: the
//! statements of replicated jobs (`veris/jobs/1`) and plain `exact`
//! receipts with their inputs (`veris/receipts/1`, the canonical binary
//! receipt encoding).
//!
//! [`Service::run_job`](crate::Service::run_job) and
//! [`Service::infer`](crate::Service::infer) run on blocking threads and
//! must not wait on the network: they drop what they signed into a bounded
//! queue ([`JobOutbox::offer`], [`Service::publish_receipt`]), and a task
//! started with the network publishes it. A full queue, or no network,
//! drops it (the answer to the request is unaffected).
//!
//! A plain receipt is published only if it is `exact` (the only mode a
//! replay can judge) and embeds its inputs: a caller that asked for
//! `embed_inputs: false` keeps its inputs private, and its receipt is not
//! published at all (counted `private`). A receipt whose encoding exceeds
//! the network's receipt limit is counted `too_large` and not published.

use std::sync::OnceLock;

use tokio::sync::mpsc;
use veris_core::published_job::PublishedJob;
use veris_core::{Mode, Receipt, receipt_codec};
use veris_net::NetHandle;

use crate::service::Service;

/// Items waiting to be published.
const OUTBOX: usize = 256;

/// One thing to publish.
#[derive(Debug)]
enum Outgoing {
    Job(Box<PublishedJob>),
    /// An encoded exact receipt with its inputs.
    Receipt(Vec<u8>),
}

/// The sending end of the publisher, set once the network starts.
#[derive(Debug, Default)]
pub struct JobOutbox {
    sender: OnceLock<mpsc::Sender<Outgoing>>,
}

impl JobOutbox {
    /// Queues `job` for publishing; whether it was queued.
    pub fn offer(&self, job: PublishedJob) -> bool {
        self.send(Outgoing::Job(Box::new(job)))
    }

    /// Whether a network takes what is offered.
    fn connected(&self) -> bool {
        self.sender.get().is_some()
    }

    fn send(&self, item: Outgoing) -> bool {
        self.sender.get().is_some_and(|s| s.try_send(item).is_ok())
    }

    /// Starts publishing on `net` (once: a second network is ignored).
    pub fn connect(&self, net: &NetHandle) {
        let (tx, mut rx) = mpsc::channel::<Outgoing>(OUTBOX);
        if self.sender.set(tx).is_err() {
            return;
        }
        let net = net.clone();
        tokio::spawn(async move {
            while let Some(item) = rx.recv().await {
                // Too large for gossip, or no subscribed peer yet: it stays unpublished.
                let published = match item {
                    Outgoing::Job(job) => net.publish_job(job.encode()).await.map(drop),
                    Outgoing::Receipt(bytes) => net.publish_receipt(bytes).await.map(drop),
                };
                if let Err(veris_net::NetError::Stopped) = published {
                    break;
                }
            }
        });
    }
}

/// What became of a receipt offered for publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptPublication {
    /// Queued for the network.
    Queued,
    /// Not `exact`: not published (no replay can judge it).
    NotExact,
    /// The inputs are not embedded: the caller keeps them private.
    Private,
    /// Its encoding exceeds the network's receipt limit.
    TooLarge,
    /// The queue is full, or there is no network.
    Dropped,
}

impl ReceiptPublication {
    /// The `outcome` label of `veris_receipts_published_total`.
    pub fn name(self) -> &'static str {
        match self {
            ReceiptPublication::Queued => "queued",
            ReceiptPublication::NotExact => "not_exact",
            ReceiptPublication::Private => "private",
            ReceiptPublication::TooLarge => "too_large",
            ReceiptPublication::Dropped => "dropped",
        }
    }
}

/// The tensor payload of a receipt: a lower bound of its encoded size,
/// known without encoding it.
fn tensor_bytes(receipt: &Receipt) -> usize {
    let inputs = receipt.inputs.iter().flat_map(|m| m.values());
    inputs
        .chain(receipt.outputs.values())
        .map(|t| t.data().len().saturating_mul(t.dtype().size()))
        .fold(0, usize::saturating_add)
}

impl Service {
    /// Offers a receipt this node signed for publishing (see the module
    /// documentation) and counts the outcome; never blocks.
    pub fn publish_receipt(&self, receipt: &Receipt) -> ReceiptPublication {
        let max_bytes = veris_net::Limits::default().max_receipt_bytes;
        let outcome = if receipt.mode != Mode::Exact {
            ReceiptPublication::NotExact
        } else if receipt.inputs.is_none() {
            ReceiptPublication::Private
        } else if tensor_bytes(receipt) > max_bytes {
            ReceiptPublication::TooLarge
        } else if !self.job_outbox().connected() {
            // Not worth encoding.
            ReceiptPublication::Dropped
        } else {
            let bytes = receipt_codec::encode(receipt);
            if bytes.len() > max_bytes {
                ReceiptPublication::TooLarge
            } else if self.job_outbox().send(Outgoing::Receipt(bytes)) {
                ReceiptPublication::Queued
            } else {
                ReceiptPublication::Dropped
            }
        };
        if outcome != ReceiptPublication::NotExact {
            self.metrics().receipt_published(outcome.name());
        }
        outcome
    }
}

//! Auditing the network: every node checks a share of the work its peers
//! sign, and turns what it catches into fraud evidence.
//!
//! Operators publish what they sign, with the inputs ([`outbox`]): the
//! statement of every replicated job they run on `veris/jobs/1`, and every
//! plain `exact` receipt whose caller embedded its inputs on
//! `veris/receipts/1`. The network checks each (signature, inputs against
//! the input digest; for statements, author = signer) before delivering it.
//! For each statement or exact receipt another operator signed, this node
//!
//! 1. remembers it in a bounded index: statements keyed by (operator, job
//!    id) ([`index`]), receipts by (operator, model, engine, input digest)
//!    ([`receipt_index`]). A second statement about the same job, or a
//!    second receipt of the same computation, with another output is
//!    **equivocation** evidence (the exact engine is deterministic);
//! 2. audits it with probability [`AuditConfig::fraction`] (a keyed hash of
//!    the statement or receipt id under the fraction, so a seed fixes the
//!    sample; a repeated receipt is not audited again): if it holds the
//!    model as a compiled exact model it replays it ([`replay`]), and a
//!    different output is **wrong output** evidence (the operator's
//!    signature against this node's signed replay).
//!
//! Evidence is verified, stored and gossiped like any other
//! ([`crate::evidence`]). Statements and receipts wait in one queue bounded
//! in items and in bytes ([`AuditConfig::queue`], [`AuditConfig::queue_bytes`])
//! and are replayed one at a time on a blocking thread; when the queue is
//! full an item is dropped (and counted), so auditing never holds up the
//! network task, the event stream or the node's own inference beyond one
//! model run (a statement's replay takes one of the node's inference slots;
//! a receipt's runs beside them, so even a node of capacity 1 stays free
//! for its callers).
//!
//! Counters: `veris_audits_total{outcome}` (job statements) and
//! `veris_receipt_audits_total{outcome}` (exact receipts), with outcome
//! `agreed`, `mismatch`, `not_held`, `not_sampled`, `dropped` or `failed`
//! (receipts also `repeat`, `no_inputs`), `veris_receipts_published_total{outcome}`
//! and `veris_evidence_found_total{verdict}` (see [`crate::Metrics`]).

mod index;
mod outbox;
mod receipt_index;
mod replay;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use veris_core::any_evidence::AnyEvidence;
use veris_core::digest::keccak256;
use veris_core::published_job::PublishedJob;
use veris_core::receipt_fraud::ReceiptClaim;
use veris_core::{Digest32, Mode, Receipt, receipt_codec};
use veris_net::{NetEvent, NetHandle};

pub use index::StatementIndex;
pub use outbox::{JobOutbox, ReceiptPublication};
pub use receipt_index::{Observed, ReceiptIndex};
pub use replay::Audited;

use crate::config::{AuditConfig, AuditFraction};
use crate::evidence::gossip_evidence;
use crate::service::Service;

/// Domain of the sampling hash.
const SAMPLE_DOMAIN: &[u8] = b"veris/audit-sample/v1";

/// Whether statement or receipt `id` is in the sample that `seed` and `fraction` pick.
pub fn sampled(seed: u64, id: &Digest32, fraction: AuditFraction) -> bool {
    let hash = keccak256(&[SAMPLE_DOMAIN, &seed.to_le_bytes(), &id.0]);
    let mut word = [0u8; 8];
    word.copy_from_slice(&hash[..8]);
    // The top 53 bits as a uniform number in [0, 1).
    let x = (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64;
    x < fraction.get()
}

/// Verifies, stores and gossips evidence this node found; counts it.
async fn report(service: &Arc<Service>, net: &NetHandle, evidence: AnyEvidence) {
    let recorder = service.clone();
    let stored = evidence.clone();
    let recorded = tokio::task::spawn_blocking(move || recorder.record_evidence(stored)).await;
    if let Ok(Ok((_, verdict))) = recorded {
        service.metrics().evidence_found(verdict.name());
        gossip_evidence(net, evidence);
    }
}

/// Something sampled for a replay.
enum Sampled {
    Job(Box<PublishedJob>),
    Receipt(Box<Receipt>),
}

/// The audit loop's state: what it remembers and where sampled items go.
struct Auditor {
    service: Arc<Service>,
    net: NetHandle,
    config: AuditConfig,
    seed: u64,
    statements: StatementIndex,
    receipts: ReceiptIndex,
    queue: mpsc::Sender<(Sampled, usize)>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Auditor {
    fn report_later(&self, evidence: AnyEvidence) {
        let (service, net) = (self.service.clone(), self.net.clone());
        tokio::spawn(async move { report(&service, &net, evidence).await });
    }

    /// Queues `item` of `size` bytes if the queue has room; whether it did.
    fn enqueue(&self, item: Sampled, size: usize) -> bool {
        // Reserve the bytes first; give them back if the item is not queued.
        let before = self.queued_bytes.fetch_add(size, Ordering::AcqRel);
        if before.saturating_add(size) > self.config.queue_bytes || self.queue.try_send((item, size)).is_err() {
            self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
            return false;
        }
        true
    }

    fn on_job(&mut self, bytes: &[u8]) {
        // The network checked it; a decode failure here is a bug, not a peer's fault.
        let Ok(job) = serde_json::from_slice::<PublishedJob>(bytes) else {
            return;
        };
        if job.statement.operator() == self.service.operator() {
            return;
        }
        if let Some(evidence) = self.statements.observe(&job.statement) {
            self.report_later(evidence.into());
        }
        let metrics = self.service.metrics();
        if !sampled(self.seed, &job.statement.statement.id(), self.config.fraction) {
            metrics.audit("not_sampled");
        } else if !self.enqueue(Sampled::Job(Box::new(job)), bytes.len()) {
            metrics.audit("dropped");
        }
    }

    fn on_receipt(&mut self, bytes: &[u8]) {
        // The network verified it under its own limits; this node's may be tighter.
        let Ok(receipt) = receipt_codec::decode(bytes, &self.service.config().limits.tensors) else {
            return;
        };
        if receipt.mode != Mode::Exact || receipt.operator.address == self.service.operator() {
            return;
        }
        let metrics = self.service.metrics();
        match self.receipts.observe(&ReceiptClaim::of(&receipt)) {
            Observed::New => {}
            Observed::Repeat => return metrics.receipt_audit("repeat"),
            Observed::Conflict(evidence) => return self.report_later((*evidence).into()),
        }
        if receipt.inputs.is_none() {
            metrics.receipt_audit("no_inputs");
        } else if !sampled(self.seed, &receipt.id(), self.config.fraction) {
            metrics.receipt_audit("not_sampled");
        } else if !self.enqueue(Sampled::Receipt(Box::new(receipt)), bytes.len()) {
            metrics.receipt_audit("dropped");
        }
    }
}

/// Starts auditing the statements and exact receipts peers publish on
/// `net` (see the module documentation); also starts publishing this
/// node's own.
pub fn spawn_auditor(service: Arc<Service>, net: &NetHandle) {
    service.job_outbox().connect(net);
    let config: AuditConfig = service.config().audit;
    let seed = config.seed.unwrap_or_else(|| {
        let n = veris_core::Nonce::random();
        u64::from_le_bytes([n.0[0], n.0[1], n.0[2], n.0[3], n.0[4], n.0[5], n.0[6], n.0[7]])
    });
    let (queue, pending) = mpsc::channel::<(Sampled, usize)>(config.queue.max(1));
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    spawn_worker(service.clone(), net.clone(), pending, queued_bytes.clone());
    let mut events = net.events();
    let mut auditor = Auditor {
        service,
        net: net.clone(),
        config,
        seed,
        statements: StatementIndex::new(config.remembered),
        receipts: ReceiptIndex::new(config.remembered),
        queue,
        queued_bytes,
    };
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(NetEvent::JobSeen { bytes, .. }) => auditor.on_job(&bytes),
                Ok(NetEvent::ReceiptSeen { bytes, .. }) => auditor.on_receipt(&bytes),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => auditor.service.metrics().audit("events_lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Replays queued statements and receipts one at a time.
fn spawn_worker(
    service: Arc<Service>,
    net: NetHandle,
    mut pending: mpsc::Receiver<(Sampled, usize)>,
    queued_bytes: Arc<AtomicUsize>,
) {
    tokio::spawn(async move {
        while let Some((item, size)) = pending.recv().await {
            queued_bytes.fetch_sub(size, Ordering::AcqRel);
            let auditor = service.clone();
            let is_job = matches!(item, Sampled::Job(_));
            let audited = tokio::task::spawn_blocking(move || match item {
                Sampled::Job(job) => auditor.audit_job(&job),
                Sampled::Receipt(receipt) => auditor.audit_receipt(&receipt),
            })
            .await;
            let outcome = match audited {
                Ok(Ok(Audited::Agreed)) => "agreed",
                Ok(Ok(Audited::NotHeld)) => "not_held",
                Ok(Ok(Audited::Mismatch(evidence))) => {
                    report(&service, &net, *evidence).await;
                    "mismatch"
                }
                Ok(Err(_)) | Err(_) => "failed",
            };
            if is_job {
                service.metrics().audit(outcome);
            } else {
                service.metrics().receipt_audit(outcome);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_follows_the_fraction_and_the_seed() {
        let ids: Vec<Digest32> = (0..2000u32).map(|i| Digest32(keccak256(&[&i.to_le_bytes()]))).collect();
        let count = |seed, f| ids.iter().filter(|id| sampled(seed, id, f)).count();
        assert_eq!(count(1, AuditFraction::NONE), 0);
        assert_eq!(count(1, AuditFraction::ALL), ids.len());
        let quarter = AuditFraction::new(0.25).unwrap();
        let n = count(1, quarter);
        assert!((400..600).contains(&n), "{n} of 2000 sampled at 0.25");
        assert_eq!(count(1, quarter), n, "the same seed picks the same sample");
        assert_ne!(
            ids.iter().filter(|id| sampled(1, id, quarter)).collect::<Vec<_>>(),
            ids.iter().filter(|id| sampled(2, id, quarter)).collect::<Vec<_>>(),
            "another seed picks another sample"
        );
    }
}

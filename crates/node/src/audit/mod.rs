//! Auditing the network: every node checks a share of the work its peers
//! sign, and turns what it catches into fraud evidence.
//!
//! Operators publish the statement of every replicated job they run, with
//! its inputs, on `veris/jobs/1` ([`outbox`]); the network checks each
//! (signature, inputs against the input digest, author = signer) before
//! delivering it. For each statement another operator published, this node
//!
//! 1. remembers it in a bounded index keyed by (operator, job id)
//!    ([`index`]): a second statement by the same operator about the same
//!    job with another output is **equivocation** evidence;
//! 2. audits it with probability [`AuditConfig::fraction`] (a keyed hash of
//!    the statement id under the fraction, so a seed fixes the sample): if
//!    it holds the model as a compiled exact model it replays the job
//!    ([`replay`]), and a different output is **wrong output** evidence
//!    (the operator's statement against this node's signed replay).
//!
//! Evidence is verified, stored and gossiped like any other
//! ([`crate::evidence`]). Audits wait in a queue bounded in statements and
//! in bytes ([`AuditConfig::queue`], [`AuditConfig::queue_bytes`]) and run
//! one at a time on a blocking thread; when the queue is full a statement
//! is dropped (and counted), so auditing never holds up the network task, the
//! event stream or the node's own inference beyond one model run.
//!
//! Counters: `veris_audits_total{outcome}` with outcome `agreed`,
//! `mismatch`, `not_held`, `not_sampled`, `dropped` or `failed`, and
//! `veris_evidence_found_total{verdict}` (see [`crate::Metrics`]).

mod index;
mod outbox;
mod replay;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use veris_core::Digest32;
use veris_core::digest::keccak256;
use veris_core::fraud::FraudEvidence;
use veris_core::published_job::PublishedJob;
use veris_net::{NetEvent, NetHandle};

pub use index::StatementIndex;
pub use outbox::JobOutbox;
pub use replay::Audited;

use crate::config::{AuditConfig, AuditFraction};
use crate::evidence::gossip_evidence;
use crate::service::Service;

/// Domain of the sampling hash.
const SAMPLE_DOMAIN: &[u8] = b"veris/audit-sample/v1";

/// Whether statement `id` is in the sample that `seed` and `fraction` pick.
pub fn sampled(seed: u64, id: &Digest32, fraction: AuditFraction) -> bool {
    let hash = keccak256(&[SAMPLE_DOMAIN, &seed.to_le_bytes(), &id.0]);
    let mut word = [0u8; 8];
    word.copy_from_slice(&hash[..8]);
    // The top 53 bits as a uniform number in [0, 1).
    let x = (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64;
    x < fraction.get()
}

/// Verifies, stores and gossips evidence this node found; counts it.
async fn report(service: &Arc<Service>, net: &NetHandle, evidence: FraudEvidence) {
    let recorder = service.clone();
    let stored = evidence.clone();
    let recorded = tokio::task::spawn_blocking(move || recorder.record_evidence(&stored)).await;
    if let Ok(Ok((_, verdict))) = recorded {
        service.metrics().evidence_found(verdict.name());
        gossip_evidence(net, &evidence);
    }
}

/// Starts auditing the statements peers publish on `net` (see the module
/// documentation); also starts publishing this node's own statements.
pub fn spawn_auditor(service: Arc<Service>, net: &NetHandle) {
    service.job_outbox().connect(net);
    let config: AuditConfig = service.config().audit;
    let seed = config.seed.unwrap_or_else(|| {
        let n = veris_core::Nonce::random();
        u64::from_le_bytes([n.0[0], n.0[1], n.0[2], n.0[3], n.0[4], n.0[5], n.0[6], n.0[7]])
    });
    let (queue, pending) = mpsc::channel::<(PublishedJob, usize)>(config.queue.max(1));
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    spawn_worker(service.clone(), net.clone(), pending, queued_bytes.clone());
    let mut events = net.events();
    let net = net.clone();
    tokio::spawn(async move {
        let mut index = StatementIndex::new(config.remembered);
        loop {
            let bytes = match events.recv().await {
                Ok(NetEvent::JobSeen { bytes, .. }) => bytes,
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => {
                    service.metrics().audit("events_lagged");
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            // The network checked it; a decode failure here is a bug, not a peer's fault.
            let Ok(job) = serde_json::from_slice::<PublishedJob>(&bytes) else {
                continue;
            };
            if job.statement.operator() == service.operator() {
                continue;
            }
            if let Some(evidence) = index.observe(&job.statement) {
                let (service, net) = (service.clone(), net.clone());
                tokio::spawn(async move { report(&service, &net, evidence).await });
            }
            if !sampled(seed, &job.statement.statement.id(), config.fraction) {
                service.metrics().audit("not_sampled");
                continue;
            }
            // Reserve the statement's bytes first; give them back if it is not queued.
            let size = bytes.len();
            let before = queued_bytes.fetch_add(size, Ordering::AcqRel);
            if before.saturating_add(size) > config.queue_bytes || queue.try_send((job, size)).is_err() {
                queued_bytes.fetch_sub(size, Ordering::AcqRel);
                service.metrics().audit("dropped");
            }
        }
    });
}

/// Replays queued statements one at a time.
fn spawn_worker(
    service: Arc<Service>,
    net: NetHandle,
    mut pending: mpsc::Receiver<(PublishedJob, usize)>,
    queued_bytes: Arc<AtomicUsize>,
) {
    tokio::spawn(async move {
        while let Some((job, size)) = pending.recv().await {
            queued_bytes.fetch_sub(size, Ordering::AcqRel);
            let auditor = service.clone();
            let audited = tokio::task::spawn_blocking(move || auditor.audit_job(&job)).await;
            let outcome = match audited {
                Ok(Ok(Audited::Agreed)) => "agreed",
                Ok(Ok(Audited::NotHeld)) => "not_held",
                Ok(Ok(Audited::Mismatch(evidence))) => {
                    report(&service, &net, *evidence).await;
                    "mismatch"
                }
                Ok(Err(_)) | Err(_) => "failed",
            };
            service.metrics().audit(outcome);
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

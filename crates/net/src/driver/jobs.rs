//! Signed job statements on gossip (`veris/jobs/1`): each published by the
//! operator that signed it, with the job's inputs, so that other nodes can
//! audit it and catch an operator stating two outputs for one job.
//!
//! A statement is accepted (delivered and forwarded) only if it decodes
//! under the size limit, its signature verifies, its inputs are within the
//! receipt tensor limits and hash to its input digest, and its signer is
//! the gossip author: a node publishes only its own statements.
//!
//! Checking a statement costs a public key recovery and the inputs' decoding
//! and digest, so it runs on tokio's blocking pool, never on the network
//! loop that carries inference requests: a received statement is neither
//! delivered nor forwarded until its check reports back
//! ([`Internal::JobChecked`]), and one to publish is published only after
//! its check ([`Internal::JobToPublish`]). At most [`CHECKS_IN_FLIGHT`]
//! received statements are checked at once; beyond that the loop checks
//! them itself, which slows the flood's sender down instead of queueing
//! without bound.

use std::sync::Arc;

use libp2p::PeerId;
use libp2p::gossipsub::{IdentTopic, MessageAcceptance, MessageId};
use veris_core::published_job::{PublishedJob, decode_published_job};
use veris_core::{Address, Digest32};

use super::{Driver, Internal, Reply};
use crate::behaviour::JOB_TOPIC;
use crate::config::Limits;
use crate::error::NetError;
use crate::event::NetEvent;
use crate::hygiene::Offence;
use crate::identity::is_peer_of;

/// Received statements checked on the blocking pool at once, at most.
pub(super) const CHECKS_IN_FLIGHT: usize = 16;

/// Why bytes are not a valid statement of `author`, and the offence of sending them.
fn check_job(bytes: &[u8], author: &PeerId, limits: &Limits) -> Result<PublishedJob, (Offence, String)> {
    let job = decode_published_job(bytes, limits.max_receipt_bytes, &limits.receipt_tensors).map_err(|e| {
        let offence = if e.is_oversized() {
            Offence::Oversized
        } else if e.is_invalid_content() {
            Offence::InvalidSignature
        } else {
            Offence::Malformed
        };
        (offence, e.to_string())
    })?;
    // The signed job is valid, so its public key is the signer's.
    if is_peer_of(author, &job.statement.signer.operator.public_key) {
        Ok(job)
    } else {
        Err((
            Offence::ProtocolViolation,
            format!(
                "statement of {} published by another peer ({author})",
                job.statement.operator()
            ),
        ))
    }
}

/// A statement received on gossip, with the outcome of its check.
#[derive(Debug)]
pub(crate) struct CheckedJob {
    message_id: MessageId,
    source: PeerId,
    author: PeerId,
    data: Vec<u8>,
    checked: Result<(Address, Digest32), (Offence, String)>,
}

impl Driver {
    /// Checks `bytes` off the loop, then publishes them ([`Driver::on_job_to_publish`]).
    pub(super) fn publish_job(&mut self, bytes: Vec<u8>, reply: Reply<Digest32>) {
        let (local, limits, internal) = (*self.swarm.local_peer_id(), self.limits.clone(), self.internal.clone());
        tokio::task::spawn_blocking(move || {
            let checked = check_job(&bytes, &local, &limits)
                .map(|job| job.statement.statement.id())
                .map_err(|(_, why)| NetError::InvalidJob(why));
            let _ = internal.send(Internal::JobToPublish(bytes, checked, reply));
        });
    }

    pub(super) fn on_job_to_publish(
        &mut self,
        bytes: Vec<u8>,
        checked: Result<Digest32, NetError>,
        reply: Reply<Digest32>,
    ) {
        let published = checked.and_then(|id| {
            self.swarm
                .behaviour_mut()
                .gossip
                .publish(IdentTopic::new(JOB_TOPIC), bytes)
                .map_err(|e| NetError::Publish(e.to_string()))?;
            Ok(id)
        });
        let _ = reply.send(published);
    }

    /// Checks a received statement off the loop ([`Driver::on_job_checked`]
    /// accepts or rejects it).
    pub(super) fn on_job(&mut self, message_id: MessageId, author: PeerId, source: PeerId, data: Vec<u8>) {
        let limits = self.limits.clone();
        let check = move || {
            let checked =
                check_job(&data, &author, &limits).map(|job| (job.statement.operator(), job.statement.statement.id()));
            CheckedJob {
                message_id,
                source,
                author,
                data,
                checked,
            }
        };
        match self.job_checks.clone().try_acquire_owned() {
            Ok(permit) => {
                let internal = self.internal.clone();
                tokio::task::spawn_blocking(move || {
                    let job = check();
                    drop(permit);
                    let _ = internal.send(Internal::JobChecked(Box::new(job)));
                });
            }
            Err(_) => self.on_job_checked(check()),
        }
    }

    pub(super) fn on_job_checked(&mut self, job: CheckedJob) {
        let CheckedJob {
            message_id,
            source,
            author,
            data,
            checked,
        } = job;
        let (acceptance, offence) = match checked {
            Ok((operator, id)) => {
                self.emit(NetEvent::JobSeen {
                    from: author,
                    operator,
                    id,
                    bytes: Arc::from(data),
                });
                (MessageAcceptance::Accept, None)
            }
            Err((offence, why)) => {
                tracing::debug!(peer = %source, why, "invalid job statement on gossip");
                (MessageAcceptance::Reject, Some(offence))
            }
        };
        self.swarm
            .behaviour_mut()
            .gossip
            .report_message_validation_result(&message_id, &source, acceptance);
        if let Some(offence) = offence {
            self.penalise(source, offence);
        }
    }
}

//! Signed job statements on gossip (`veris/jobs/1`): each published by the
//! operator that signed it, with the job's inputs, so that other nodes can
//! audit it and catch an operator stating two outputs for one job.
//!
//! A statement is accepted (delivered and forwarded) only if it decodes
//! under the size limit, its signature verifies, its inputs are within the
//! receipt tensor limits and hash to its input digest, and its signer is
//! the gossip author: a node publishes only its own statements.

use std::sync::Arc;

use libp2p::PeerId;
use libp2p::gossipsub::{IdentTopic, MessageAcceptance};
use veris_core::Digest32;
use veris_core::published_job::{PublishedJob, decode_published_job};

use super::Driver;
use crate::behaviour::JOB_TOPIC;
use crate::config::Limits;
use crate::error::NetError;
use crate::event::NetEvent;
use crate::hygiene::Offence;
use crate::identity::address_of;

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
    let signer = job.statement.operator();
    match address_of(author) {
        Ok(address) if address == signer => Ok(job),
        _ => Err((
            Offence::ProtocolViolation,
            format!("statement of {signer} published by another peer ({author})"),
        )),
    }
}

impl Driver {
    pub(super) fn publish_job(&mut self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        let local = *self.swarm.local_peer_id();
        let job = check_job(&bytes, &local, &self.limits).map_err(|(_, why)| NetError::InvalidJob(why))?;
        self.swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(JOB_TOPIC), bytes)
            .map_err(|e| NetError::Publish(e.to_string()))?;
        Ok(job.statement.statement.id())
    }

    pub(super) fn on_job(
        &mut self,
        author: PeerId,
        source: PeerId,
        data: &[u8],
    ) -> (MessageAcceptance, Option<Offence>) {
        match check_job(data, &author, &self.limits) {
            Ok(job) => {
                self.emit(NetEvent::JobSeen {
                    from: author,
                    operator: job.statement.operator(),
                    id: job.statement.statement.id(),
                    bytes: Arc::from(data),
                });
                (MessageAcceptance::Accept, None)
            }
            Err((offence, why)) => {
                tracing::debug!(peer = %source, why, "invalid job statement on gossip");
                (MessageAcceptance::Reject, Some(offence))
            }
        }
    }
}

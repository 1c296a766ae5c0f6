//! Fraud evidence on gossip (`veris/evidence/1`): published by the node
//! that found it, checked by every node (decoded under the receipt size
//! limit, verified offline) before it is delivered or forwarded. Evidence of
//! either format is accepted: against a replicated job's statements
//! (format 1) or against plain `exact` receipts (format 2), see
//! [`veris_core::any_evidence`].

use std::sync::Arc;

use libp2p::PeerId;
use libp2p::gossipsub::{IdentTopic, MessageAcceptance};
use veris_core::Digest32;
use veris_core::any_evidence::{AnyEvidence, decode_any_evidence, verify_any_evidence};
use veris_core::fraud::Verdict;

use super::Driver;
use crate::behaviour::EVIDENCE_TOPIC;
use crate::config::Limits;
use crate::error::NetError;
use crate::event::NetEvent;
use crate::hygiene::Offence;

/// Why bytes are not valid fraud evidence, and the offence of sending them.
pub(super) fn check_evidence(bytes: &[u8], limits: &Limits) -> Result<(AnyEvidence, Verdict), (Offence, String)> {
    if bytes.len() > limits.max_receipt_bytes {
        return Err((Offence::Oversized, format!("evidence of {} bytes", bytes.len())));
    }
    let evidence = decode_any_evidence(bytes).map_err(|e| (Offence::Malformed, e.to_string()))?;
    let verdict = verify_any_evidence(&evidence, &limits.receipt_tensors)
        .map_err(|e| (Offence::InvalidSignature, e.to_string()))?;
    Ok((evidence, verdict))
}

impl Driver {
    pub(super) fn publish_evidence(&mut self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        let (evidence, _) = check_evidence(&bytes, &self.limits).map_err(|(_, why)| NetError::InvalidEvidence(why))?;
        self.swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(EVIDENCE_TOPIC), bytes)
            .map_err(|e| NetError::Publish(e.to_string()))?;
        Ok(evidence.id())
    }

    pub(super) fn on_evidence(
        &mut self,
        author: PeerId,
        source: PeerId,
        data: &[u8],
    ) -> (MessageAcceptance, Option<Offence>) {
        match check_evidence(data, &self.limits) {
            Ok((evidence, verdict)) => {
                self.emit(NetEvent::EvidenceSeen {
                    from: author,
                    id: evidence.id(),
                    accused: verdict.accused(),
                    bytes: Arc::from(data),
                });
                (MessageAcceptance::Accept, None)
            }
            Err((offence, why)) => {
                tracing::debug!(peer = %source, why, "invalid evidence on gossip");
                (MessageAcceptance::Reject, Some(offence))
            }
        }
    }
}

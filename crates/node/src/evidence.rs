//! Fraud evidence the node found or received: verified, stored durably in
//! the home ([`veris_store::EvidenceStore`]), listed at `GET /v1/evidence`
//! and gossiped to peers on `veris/evidence/1`. A peer that connects pages
//! through it with an evidence sync ([`Service::evidence_page`]), so a node
//! that joins late still learns of evidence found before it joined.
//!
//! Only evidence that verifies offline is stored, and stored evidence is
//! verified again when read (a file that went bad on disk is left out of
//! the list, not served).

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use veris_core::Digest32;
use veris_core::api_replicated::{EvidenceList, EvidenceRecord};
use veris_core::fraud::{FraudEvidence, MAX_EVIDENCE_BYTES, Verdict, decode_evidence, verify_evidence};
use veris_net::{NetEvent, NetHandle};

use crate::error::NodeError;
use crate::service::Service;

/// Most pieces of evidence `GET /v1/evidence` returns.
pub const MAX_LISTED: usize = 1000;
/// Most pieces of evidence kept from gossip: anyone can make valid evidence
/// against keys of their own, so what peers send is bounded (evidence this
/// node finds itself is always kept).
pub const MAX_RECEIVED: usize = 10_000;

impl Service {
    /// Verifies `evidence` and stores it; returns its id and verdict.
    pub fn record_evidence(&self, evidence: &FraudEvidence) -> Result<(Digest32, Verdict), NodeError> {
        let verdict = verify_evidence(evidence, &self.config().limits.tensors)
            .map_err(|e| NodeError::BadRequest(format!("invalid fraud evidence: {e}")))?;
        let bytes = serde_json::to_vec(evidence).map_err(|e| NodeError::Internal {
            action: "encode fraud evidence",
            reason: e.to_string(),
        })?;
        let id = evidence.id();
        self.evidence().put(&id, &bytes)?;
        Ok((id, verdict))
    }

    /// Stores encoded evidence received from a peer, if it verifies and the
    /// store holds fewer than [`MAX_RECEIVED`]; returns whether it was stored.
    pub fn receive_evidence(&self, bytes: &[u8]) -> Result<bool, NodeError> {
        let evidence = decode_evidence(bytes).map_err(|e| NodeError::BadRequest(e.to_string()))?;
        if self.evidence().contains(&evidence.id()) || self.evidence().ids()?.len() >= MAX_RECEIVED {
            return Ok(false);
        }
        self.record_evidence(&evidence)?;
        Ok(true)
    }

    /// A page of stored evidence for a peer's evidence sync
    /// ([`veris_net::Provider::evidence_page`]): encoded evidence with ids
    /// after `after`, in id order, that still verifies, at most `max_items`
    /// items of at most `max_item_bytes` each and `max_bytes` in all; and
    /// whether more follow.
    pub fn evidence_page(
        &self,
        after: Option<&Digest32>,
        max_items: usize,
        max_bytes: usize,
        max_item_bytes: usize,
    ) -> Result<(Vec<Vec<u8>>, bool), NodeError> {
        let limits = &self.config().limits.tensors;
        let mut page = Vec::new();
        let mut total = 0usize;
        for id in self
            .evidence()
            .ids()?
            .into_iter()
            .filter(|id| after.is_none_or(|a| id > a))
        {
            if page.len() == max_items {
                return Ok((page, true));
            }
            let Ok(Some(bytes)) = self.evidence().get(&id, max_item_bytes as u64) else {
                continue;
            };
            let valid = decode_evidence(&bytes).is_ok_and(|e| e.id() == id && verify_evidence(&e, limits).is_ok());
            if !valid {
                continue;
            }
            if total + bytes.len() > max_bytes {
                return Ok((page, true));
            }
            total += bytes.len();
            page.push(bytes);
        }
        Ok((page, false))
    }

    /// Stored evidence that still verifies, in id order, at most [`MAX_LISTED`].
    pub fn list_evidence(&self) -> Result<EvidenceList, NodeError> {
        let limits = &self.config().limits.tensors;
        let mut evidence = Vec::new();
        for id in self.evidence().ids()? {
            if evidence.len() == MAX_LISTED {
                break;
            }
            let Ok(Some(bytes)) = self.evidence().get(&id, MAX_EVIDENCE_BYTES as u64) else {
                continue;
            };
            let Ok(piece) = decode_evidence(&bytes) else { continue };
            let Ok(verdict) = verify_evidence(&piece, limits) else {
                continue;
            };
            if piece.id() == id {
                evidence.push(EvidenceRecord {
                    id,
                    verdict,
                    evidence: piece,
                });
            }
        }
        Ok(EvidenceList { evidence })
    }
}

/// Gossips `evidence` to the peers (in the background; a node with no
/// peers subscribed yet keeps it stored, unsent).
pub fn gossip_evidence(net: &NetHandle, evidence: &FraudEvidence) {
    let Ok(bytes) = serde_json::to_vec(evidence) else {
        return;
    };
    let net = net.clone();
    tokio::spawn(async move {
        // Nobody to report a failure to: the evidence is stored either way.
        let _ = net.publish_evidence(bytes).await;
    });
}

/// Stores the valid evidence peers gossip, until the network stops.
pub fn spawn_evidence_listener(service: Arc<Service>, net: &NetHandle) {
    let mut events = net.events();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(NetEvent::EvidenceSeen { bytes, .. }) => {
                    let service = service.clone();
                    // Invalid or duplicate evidence is dropped: the network checked it already.
                    let _ = tokio::task::spawn_blocking(move || service.receive_evidence(&bytes)).await;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
}

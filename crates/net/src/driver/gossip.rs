//! Announcements, receipts, fraud evidence and job statements on gossipsub.
//!
//! Gossipsub runs in strict mode (every message signed by its author's peer
//! key, which is the operator key) and forwards a message only after this
//! module accepts it. An honest node therefore never forwards an invalid
//! message, and the peer that handed us one is the one penalised.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, PublishError};
use libp2p::kad::RecordKey;
use veris_core::{Digest32, ModelId};

use super::rpc::check_receipt;
use super::{Driver, OwnAnnouncement};
use crate::behaviour::{ANNOUNCE_TOPIC, EVIDENCE_TOPIC, JOB_TOPIC, RECEIPT_TOPIC};
use crate::directory::Update;
use crate::error::NetError;
use crate::event::NetEvent;
use crate::hygiene::Offence;
use crate::wire::announce::Announcement;

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn provider_key(model: &ModelId) -> RecordKey {
    RecordKey::new(&model.to_cid_bytes())
}

impl Driver {
    pub(super) fn announce(&mut self, models: Vec<ModelId>, capacity: u32) -> Result<(), NetError> {
        if models.len() > self.limits.max_announced_models {
            return Err(NetError::Publish(format!(
                "{} models exceed the announcement limit of {}",
                models.len(),
                self.limits.max_announced_models
            )));
        }
        let canonical = Announcement::new(0, capacity, models).models;
        let previous = self.own.take().map(|o| o.models).unwrap_or_default();
        let kad = &mut self.swarm.behaviour_mut().kad;
        for gone in previous.iter().filter(|m| !canonical.contains(m)) {
            kad.stop_providing(&provider_key(gone));
        }
        for model in canonical.iter().filter(|m| !previous.contains(m)) {
            // Fails only when the local record store is full; the gossip announcement still goes out.
            if let Err(e) = kad.start_providing(provider_key(model)) {
                tracing::warn!(%model, error = %e, "cannot store provider record");
            }
        }
        self.own = Some(OwnAnnouncement {
            models: canonical,
            capacity,
            next_publish: Instant::now(),
        });
        self.republish_if_due(Instant::now());
        Ok(())
    }

    /// Publishes this node's announcement if it is due. With no gossip peers
    /// yet it is retried at the next tick.
    pub(super) fn republish_if_due(&mut self, now: Instant) {
        let Some(own) = &self.own else { return };
        if now < own.next_publish {
            return;
        }
        self.last_seq = unix_ms().max(self.last_seq + 1);
        let body = Announcement::new(self.last_seq, own.capacity, own.models.clone()).encode();
        let interval = self.config.timing.announce_interval;
        let published = self
            .swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(ANNOUNCE_TOPIC), body);
        let next = match published {
            Ok(_) | Err(PublishError::Duplicate) => now + interval,
            Err(PublishError::NoPeersSubscribedToTopic | PublishError::AllQueuesFull(_)) => now + super::TICK * 5,
            Err(e) => {
                tracing::warn!(error = %e, "cannot publish announcement");
                now + interval
            }
        };
        if let Some(own) = &mut self.own {
            own.next_publish = next;
        }
    }

    pub(super) fn publish_receipt(&mut self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        let receipt = check_receipt(&bytes, &self.limits).map_err(|(_, why)| NetError::InvalidReceipt(why))?;
        self.swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(RECEIPT_TOPIC), bytes)
            .map_err(|e| NetError::Publish(e.to_string()))?;
        Ok(receipt.id())
    }

    pub(super) fn on_gossip_event(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let topic = message.topic.as_str();
        let (acceptance, offence) = match (topic, message.source) {
            (ANNOUNCE_TOPIC, Some(author)) => {
                match Announcement::decode(&message.data, self.limits.max_announced_models) {
                    Ok(announcement) => (self.on_announcement(author, announcement), None),
                    Err(_) => (MessageAcceptance::Reject, Some(Offence::BadAnnouncement)),
                }
            }
            (RECEIPT_TOPIC, Some(author)) => match check_receipt(&message.data, &self.limits) {
                Ok(receipt) => {
                    self.emit(NetEvent::ReceiptSeen {
                        from: author,
                        id: receipt.id(),
                        bytes: Arc::from(message.data.as_slice()),
                    });
                    (MessageAcceptance::Accept, None)
                }
                Err((offence, why)) => {
                    tracing::debug!(peer = %propagation_source, why, "invalid receipt on gossip");
                    (MessageAcceptance::Reject, Some(offence))
                }
            },
            (EVIDENCE_TOPIC, Some(author)) => self.on_evidence(author, propagation_source, &message.data),
            (JOB_TOPIC, Some(author)) => self.on_job(author, propagation_source, &message.data),
            // Strict validation guarantees a source; anything else is not ours to judge.
            _ => (MessageAcceptance::Ignore, None),
        };
        self.swarm.behaviour_mut().gossip.report_message_validation_result(
            &message_id,
            &propagation_source,
            acceptance,
        );
        if let Some(offence) = offence {
            self.penalise(propagation_source, offence);
        }
    }

    fn on_announcement(&mut self, author: libp2p::PeerId, announcement: Announcement) -> MessageAcceptance {
        // A denied author's announcement can still arrive through a peer
        // that received it before the link was cut.
        if author == *self.swarm.local_peer_id() || self.denied.contains(&author) {
            return MessageAcceptance::Ignore;
        }
        let (models, capacity) = (announcement.models.clone(), announcement.capacity);
        let update = self.directory.write().update(author, announcement, Instant::now());
        match update {
            Update::Stale => MessageAcceptance::Ignore,
            Update::Refreshed => MessageAcceptance::Accept,
            Update::Changed => {
                self.emit(NetEvent::Announcement {
                    peer: author,
                    models,
                    capacity,
                });
                MessageAcceptance::Accept
            }
        }
    }
}

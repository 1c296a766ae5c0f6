//! Evidence sync (`/veris/evidence-sync/1`, messages in
//! [`crate::wire::sync`]): on its first connection to a peer, the node asks
//! for the peer's fraud evidence page by page, verifies every item as if it
//! had arrived by gossip and delivers it as [`NetEvent::EvidenceSeen`].
//!
//! Bounded on both sides: a page has at most `evidence_sync_items` items
//! and `evidence_sync_page_bytes` bytes (the codec refuses more before
//! decoding), at most `evidence_sync_pages` pages are asked per
//! connection, and serving a page is an admitted provider call like any
//! other request. A page is delivered only if every item in it verifies
//! and the ids ascend; a peer that serves anything else is penalised and
//! not asked for more.

use libp2p::PeerId;
use libp2p::request_response::{Event, Message, ResponseChannel};

use super::Driver;
use super::evidence::check_evidence;
use super::rpc::response_offence;
use crate::event::NetEvent;
use crate::protocol::Inbound;
use crate::wire::sync::{SyncRequest, SyncResponse};

impl Driver {
    /// Asks `peer` for the first page of its evidence.
    pub(super) fn start_evidence_sync(&mut self, peer: PeerId) {
        if self.limits.evidence_sync_pages > 0 {
            self.request_sync_page(peer, SyncRequest { after: None }, 0);
        }
    }

    fn request_sync_page(&mut self, peer: PeerId, request: SyncRequest, pages: usize) {
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Inbound::Message(request));
        self.sync_requests.insert(id, (peer, pages + 1));
    }

    fn serve_sync_request(&mut self, peer: PeerId, request: SyncRequest, channel: ResponseChannel<SyncResponse>) {
        let (items, bytes) = (self.limits.evidence_sync_items, self.limits.evidence_sync_page_bytes);
        match self.admit(peer, bytes as u64) {
            Err(why) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, SyncResponse::Refused(why));
            }
            Ok(permit) => {
                let max_item = self.limits.max_receipt_bytes;
                self.off_loop(
                    permit,
                    SyncResponse::Page {
                        items: Vec::new(),
                        more: false,
                    },
                    move |p| {
                        let (mut page, more) = p.evidence_page(request.after.as_ref(), items, bytes, max_item);
                        // A provider over its limits is trimmed, never sent as is.
                        page.truncate(items);
                        let mut total = 0usize;
                        page.retain(|item| {
                            total = total.saturating_add(item.len());
                            item.len() <= max_item && total <= bytes
                        });
                        SyncResponse::Page { items: page, more }
                    },
                    move |r| super::Internal::Sync(peer, channel, r),
                );
            }
        }
    }

    /// Verifies one page and, if every item is valid and in order, delivers
    /// it and asks for the next page if there is one. A page with any bad
    /// item delivers nothing: the peer is penalised and not asked again.
    fn on_sync_page(&mut self, peer: PeerId, pages: usize, items: Vec<Vec<u8>>, more: bool) {
        let mut checked = Vec::with_capacity(items.len());
        for bytes in items {
            match check_evidence(&bytes, &self.limits) {
                Ok((evidence, verdict)) => {
                    let id = evidence.id();
                    if checked.last().is_some_and(|(previous, _, _)| id <= *previous) {
                        // Out of order: the cursor could loop.
                        tracing::debug!(%peer, "evidence sync page out of id order");
                        self.penalise(peer, crate::hygiene::Offence::ProtocolViolation);
                        return;
                    }
                    checked.push((id, verdict.accused(), bytes));
                }
                Err((offence, why)) => {
                    tracing::debug!(%peer, why, "invalid evidence in a sync page");
                    self.penalise(peer, offence);
                    return;
                }
            }
        }
        let last = checked.last().map(|(id, _, _)| *id);
        for (id, accused, bytes) in checked {
            self.emit(NetEvent::EvidenceSeen {
                from: peer,
                id,
                accused,
                bytes: bytes.into(),
            });
        }
        if let Some(after) = last.filter(|_| more && pages < self.limits.evidence_sync_pages) {
            self.request_sync_page(peer, SyncRequest { after: Some(after) }, pages);
        }
    }

    pub(super) fn on_sync_event(&mut self, event: Event<Inbound<SyncRequest>, SyncResponse>) {
        match event {
            Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request: Inbound::Message(request),
                    channel,
                    ..
                } => self.serve_sync_request(peer, request, channel),
                Message::Request {
                    request: Inbound::Invalid(error),
                    ..
                } => self.on_invalid_request(peer, &error),
                Message::Response { request_id, response } => {
                    let Some((peer, pages)) = self.sync_requests.remove(&request_id) else {
                        return;
                    };
                    if let SyncResponse::Page { items, more } = response {
                        self.on_sync_page(peer, pages, items, more);
                    }
                }
            },
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.sync_requests.remove(&request_id);
                if let Some(offence) = response_offence(&error) {
                    self.penalise(peer, offence);
                }
            }
            Event::InboundFailure { .. } | Event::ResponseSent { .. } => {}
        }
    }
}

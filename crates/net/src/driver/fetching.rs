//! Blob fetches: drives [`BlobFetch`] state machines with blob requests.

use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response::{Event, Message, OutboundFailure, OutboundRequestId};
use sha2::{Digest as _, Sha256};
use veris_core::ModelId;

use super::rpc::response_offence;
use super::{ActiveFetch, Driver, Internal, Reply};
use crate::error::NetError;
use crate::fetch::{BlobFetch, Failure, Want};
use crate::hygiene::Offence;
use crate::protocol::Inbound;
use crate::wire::messages::{BlobRequest, BlobResponse};

/// Hashes verified chunks as one blob; returns the blob if it is `id`, the chunks otherwise.
fn check_whole(id: &ModelId, chunks: Vec<Vec<u8>>) -> Result<Vec<u8>, Vec<Vec<u8>>> {
    let mut hasher = Sha256::new();
    for chunk in &chunks {
        hasher.update(chunk);
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if digest != id.digest().0 {
        return Err(chunks);
    }
    Ok(chunks.concat())
}

impl Driver {
    pub(super) fn start_fetch(&mut self, id: ModelId, providers: Vec<PeerId>, reply: Reply<Vec<u8>>) {
        let local = *self.swarm.local_peer_id();
        let providers: Vec<PeerId> = providers
            .into_iter()
            .filter(|p| *p != local && !self.scores.is_banned(p))
            .take(self.limits.fetch_max_providers)
            .collect();
        if let Some(active) = self.fetches.get_mut(&id) {
            active.state.add_providers(providers);
            active.waiters.push(reply);
            return self.pump_fetch(id);
        }
        if providers.is_empty() {
            let _ = reply.send(Err(NetError::NoProviders(id)));
            return;
        }
        if self.fetches.len() >= self.limits.max_concurrent_fetches {
            let _ = reply.send(Err(NetError::TooManyFetches));
            return;
        }
        let mut state = match self.partial.iter().position(|f| *f.id() == id) {
            Some(i) => self.partial.remove(i),
            None => BlobFetch::new(id, self.limits.fetch_inflight_per_provider),
        };
        state.add_providers(providers);
        self.fetches.insert(
            id,
            ActiveFetch {
                state,
                waiters: vec![reply],
            },
        );
        self.pump_fetch(id);
    }

    /// Sends what the fetch wants, hands a complete fetch to the whole-blob
    /// check, and retires a fetch that cannot progress.
    pub(super) fn pump_fetch(&mut self, id: ModelId) {
        let now = Instant::now();
        let Some(active) = self.fetches.get_mut(&id) else {
            return;
        };
        if active.state.is_complete() {
            let chunks = active.state.take_chunks();
            let internal = self.internal.clone();
            tokio::task::spawn_blocking(move || {
                let _ = internal.send(Internal::Verified(id, check_whole(&id, chunks)));
            });
            return;
        }
        let wants = active.state.next_requests(now);
        let stuck = wants.is_empty() && active.state.is_stuck(now);
        for (peer, want) in wants {
            let request = match want {
                Want::Manifest => BlobRequest::Manifest(id),
                Want::Chunk(index) => BlobRequest::Chunk { id, index },
            };
            let request_id = self
                .swarm
                .behaviour_mut()
                .blob
                .send_request(&peer, Inbound::Message(request));
            self.blob_requests.insert(request_id, (id, peer, want));
        }
        if stuck {
            self.retire_fetch(id, "no provider left to ask");
        }
    }

    /// Fails a fetch's waiters and keeps its verified chunks for resuming.
    fn retire_fetch(&mut self, id: ModelId, reason: &str) {
        let Some(active) = self.fetches.remove(&id) else { return };
        let (verified, total) = active.state.progress();
        for waiter in active.waiters {
            let _ = waiter.send(Err(NetError::FetchIncomplete {
                id,
                verified,
                total,
                reason: reason.into(),
            }));
        }
        if verified > 0 && self.limits.max_partial_fetches > 0 {
            if self.partial.len() >= self.limits.max_partial_fetches {
                self.partial.remove(0);
            }
            self.partial.push(active.state);
        }
    }

    pub(super) fn on_verified(&mut self, id: ModelId, result: Result<Vec<u8>, Vec<Vec<u8>>>) {
        match result {
            Ok(blob) => {
                let Some(active) = self.fetches.remove(&id) else { return };
                let mut waiters = active.waiters;
                let last = waiters.pop();
                for waiter in waiters {
                    let _ = waiter.send(Ok(blob.clone()));
                }
                if let Some(waiter) = last {
                    let _ = waiter.send(Ok(blob));
                }
            }
            Err(chunks) => {
                let Some(active) = self.fetches.get_mut(&id) else {
                    return;
                };
                let liars = active.state.reject_manifest(chunks);
                tracing::info!(%id, liars = liars.len(), "manifest did not reproduce the content id");
                for peer in liars {
                    self.penalise(peer, Offence::FalseManifest);
                }
                self.pump_fetch(id);
            }
        }
    }

    pub(super) fn on_blob_event(&mut self, event: Event<Inbound<BlobRequest>, BlobResponse>) {
        match event {
            Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request: Inbound::Message(request),
                    channel,
                    ..
                } => self.serve_blob_request(peer, request, channel),
                Message::Request {
                    request: Inbound::Invalid(error),
                    ..
                } => self.on_invalid_request(peer, &error),
                Message::Response { request_id, response } => self.on_blob_response(request_id, response),
            },
            Event::OutboundFailure { request_id, error, .. } => self.on_blob_failure(request_id, &error),
            // Read failures of valid frames are the transport's; invalid ones arrive as `Inbound::Invalid`.
            Event::InboundFailure { .. } => {}
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_blob_response(&mut self, request_id: OutboundRequestId, response: BlobResponse) {
        let Some((id, peer, want)) = self.blob_requests.remove(&request_id) else {
            return;
        };
        let now = Instant::now();
        let mut offence = None;
        if let Some(active) = self.fetches.get_mut(&id) {
            let state = &mut active.state;
            match (want, response) {
                (Want::Manifest, BlobResponse::Manifest(manifest)) => state.on_manifest(peer, manifest, now),
                (Want::Chunk(index), BlobResponse::Chunk(data)) => offence = state.on_chunk(peer, index, data),
                (_, BlobResponse::NotFound) => state.on_failure(peer, want, Failure::Gone, now),
                (_, BlobResponse::Refused(_)) => state.on_failure(peer, want, Failure::Refused, now),
                (_, _) => {
                    state.on_failure(peer, want, Failure::Offence, now);
                    offence = Some(Offence::ProtocolViolation);
                }
            }
        }
        if let Some(offence) = offence {
            self.penalise(peer, offence);
        }
        self.pump_fetch(id);
    }

    fn on_blob_failure(&mut self, request_id: OutboundRequestId, error: &OutboundFailure) {
        let Some((id, peer, want)) = self.blob_requests.remove(&request_id) else {
            return;
        };
        let offence = response_offence(error);
        if let Some(active) = self.fetches.get_mut(&id) {
            let failure = match (offence, error) {
                (Some(_), _) => Failure::Offence,
                (None, OutboundFailure::UnsupportedProtocols | OutboundFailure::DialFailure) => Failure::Gone,
                (None, _) => Failure::Transient,
            };
            active.state.on_failure(peer, want, failure, Instant::now());
        }
        if let Some(offence) = offence {
            self.penalise(peer, offence);
        }
        self.pump_fetch(id);
    }
}

//! Serving inbound requests: admission, provider calls off the loop, responses.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;
use veris_core::ModelId;

use super::Driver;
use crate::hygiene::Offence;
use crate::hygiene::ratelimit::Admission;
use crate::manifest::{CHUNK_SIZE, Manifest, chunk_range};
use crate::provider::Provider;
use crate::wire::WireError;
use crate::wire::messages::{
    BlobRequest, BlobResponse, InferRequest, InferResponse, ReceiptRequest, ReceiptResponse, Refusal,
};
use crate::wire::sync::SyncResponse;

/// Manifests computed for serving, kept so that each blob is hashed once.
const MANIFEST_CACHE: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct ManifestCache {
    inner: Mutex<(HashMap<ModelId, Manifest>, VecDeque<ModelId>)>,
}

impl ManifestCache {
    fn get_or_compute(&self, id: &ModelId, provider: &dyn Provider) -> Option<Manifest> {
        if let Ok(guard) = self.inner.lock()
            && let Some(m) = guard.0.get(id)
        {
            return Some(m.clone());
        }
        // Computed outside the lock: it reads the whole blob.
        let manifest = provider.manifest(id)?;
        if let Ok(mut guard) = self.inner.lock() {
            let (map, order) = &mut *guard;
            if map.insert(*id, manifest.clone()).is_none() {
                order.push_back(*id);
            }
            while order.len() > MANIFEST_CACHE {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        Some(manifest)
    }
}

/// Results of work done off the loop.
#[derive(Debug)]
pub(crate) enum Internal {
    Blob(PeerId, ResponseChannel<BlobResponse>, BlobResponse),
    Infer(PeerId, ResponseChannel<InferResponse>, InferResponse),
    Receipt(PeerId, ResponseChannel<ReceiptResponse>, ReceiptResponse),
    Sync(PeerId, ResponseChannel<SyncResponse>, SyncResponse),
    /// The whole-blob check of a fetch: the blob, or its chunks back if it failed.
    Verified(ModelId, Result<Vec<u8>, Vec<Vec<u8>>>),
}

fn serve_blob(provider: &dyn Provider, cache: &ManifestCache, request: BlobRequest) -> BlobResponse {
    match request {
        BlobRequest::Manifest(id) => cache
            .get_or_compute(&id, provider)
            .map_or(BlobResponse::NotFound, BlobResponse::Manifest),
        BlobRequest::Chunk { id, index } => {
            let Some((offset, len)) = provider.blob_len(&id).and_then(|size| chunk_range(size, index)) else {
                return BlobResponse::NotFound;
            };
            match provider.read_blob(&id, offset, len) {
                Some(data) if data.len() == len => BlobResponse::Chunk(data),
                _ => BlobResponse::NotFound,
            }
        }
    }
}

impl Driver {
    /// Admits a request of `peer` expected to cost `bytes` of upload, or
    /// returns the refusal to send (penalising a peer that ignores refusals).
    pub(super) fn admit(&mut self, peer: PeerId, bytes: u64) -> Result<tokio::sync::OwnedSemaphorePermit, Refusal> {
        match self.rate.admit(peer, bytes, Instant::now()) {
            Admission::Refused { why, persistent } => {
                if persistent {
                    self.penalise(peer, Offence::RateLimitExceeded);
                }
                Err(why)
            }
            Admission::Admitted => self.calls.clone().try_acquire_owned().map_err(|_| {
                self.rate.finish(&peer);
                Refusal::Busy
            }),
        }
    }

    /// Runs `work` on the blocking pool; a panicking provider yields `fallback`.
    pub(super) fn off_loop<R: Send + 'static>(
        &self,
        permit: tokio::sync::OwnedSemaphorePermit,
        fallback: R,
        work: impl FnOnce(&dyn Provider) -> R + Send + 'static,
        deliver: impl FnOnce(R) -> Internal + Send + 'static,
    ) {
        let provider = self.provider.clone();
        let internal = self.internal.clone();
        tokio::task::spawn_blocking(move || {
            let result = catch_unwind(AssertUnwindSafe(|| work(&*provider))).unwrap_or(fallback);
            drop(permit);
            let _ = internal.send(deliver(result));
        });
    }

    pub(super) fn serve_blob_request(
        &mut self,
        peer: PeerId,
        request: BlobRequest,
        channel: ResponseChannel<BlobResponse>,
    ) {
        let bytes = match request {
            BlobRequest::Chunk { .. } => CHUNK_SIZE as u64,
            BlobRequest::Manifest(_) => 0,
        };
        match self.admit(peer, bytes) {
            Err(why) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .blob
                    .send_response(channel, BlobResponse::Refused(why));
            }
            Ok(permit) => {
                let cache = self.manifests.clone();
                self.off_loop(
                    permit,
                    BlobResponse::NotFound,
                    move |p| serve_blob(p, &cache, request),
                    move |r| Internal::Blob(peer, channel, r),
                );
            }
        }
    }

    pub(super) fn serve_infer_request(
        &mut self,
        peer: PeerId,
        request: InferRequest,
        channel: ResponseChannel<InferResponse>,
    ) {
        match self.admit(peer, 0) {
            Err(why) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .infer
                    .send_response(channel, InferResponse::Refused(why));
            }
            Ok(permit) => {
                let max = self.limits.max_infer_response_bytes;
                self.off_loop(
                    permit,
                    InferResponse::Failed("the node failed while serving the request".into()),
                    move |p| match p.infer(peer, request) {
                        Ok(body) if body.len() <= max => InferResponse::Output(body),
                        Ok(body) => InferResponse::Failed(format!("output of {} bytes exceeds {max}", body.len())),
                        Err(message) => InferResponse::Failed(message),
                    },
                    move |r| Internal::Infer(peer, channel, r),
                );
            }
        }
    }

    pub(super) fn serve_receipt_request(
        &mut self,
        peer: PeerId,
        request: ReceiptRequest,
        channel: ResponseChannel<ReceiptResponse>,
    ) {
        match self.admit(peer, 0) {
            Err(why) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .receipt
                    .send_response(channel, ReceiptResponse::Refused(why));
            }
            Ok(permit) => {
                let max = self.limits.max_receipt_bytes;
                self.off_loop(
                    permit,
                    ReceiptResponse::NotFound,
                    move |p| match p.receipt(&request.id) {
                        Some(bytes) if bytes.len() <= max => ReceiptResponse::Found(bytes),
                        _ => ReceiptResponse::NotFound,
                    },
                    move |r| Internal::Receipt(peer, channel, r),
                );
            }
        }
    }

    pub(super) fn on_internal(&mut self, message: Internal) {
        let b = self.swarm.behaviour_mut();
        // A failed send means the peer went away or timed out; nothing to do.
        let peer = match message {
            Internal::Blob(peer, channel, response) => {
                let _ = b.blob.send_response(channel, response);
                peer
            }
            Internal::Infer(peer, channel, response) => {
                let _ = b.infer.send_response(channel, response);
                peer
            }
            Internal::Receipt(peer, channel, response) => {
                let _ = b.receipt.send_response(channel, response);
                peer
            }
            Internal::Sync(peer, channel, response) => {
                let _ = b.sync.send_response(channel, response);
                peer
            }
            Internal::Verified(id, result) => return self.on_verified(id, result),
        };
        self.rate.finish(&peer);
        if !self.swarm.is_connected(&peer) {
            self.rate.forget(&peer);
        }
    }

    /// A request whose bytes were refused: the sender's offence. Its stream
    /// is closed without a response.
    pub(super) fn on_invalid_request(&mut self, peer: PeerId, error: &WireError) {
        tracing::debug!(%peer, %error, "invalid inbound request");
        let offence = if error.is_oversized() {
            Offence::Oversized
        } else {
            Offence::Malformed
        };
        self.penalise(peer, offence);
    }
}

//! The state of one blob fetch from several untrusted providers, without I/O.
//!
//! 1. Every provider is asked for the blob's manifest. Providers are grouped
//!    by the manifest they sent; the fetch pursues the largest group once all
//!    asked providers have answered or [`MANIFEST_GRACE`] has passed since
//!    the first manifest. Majority is only a heuristic for which group to try
//!    first: the content-id check at the end is what decides.
//! 2. Chunks are requested from providers of the pursued manifest, spread
//!    evenly, a few in flight per provider. A chunk that does not match the
//!    manifest its own provider sent is that provider's fault (corrupt data):
//!    the provider is dropped and blamed, the chunk asked of someone else.
//! 3. When every chunk is verified, the caller hashes the whole blob
//!    ([`BlobFetch::take_chunks`]). If it does not match the content id, every
//!    provider of that manifest lied ([`BlobFetch::reject_manifest`]) and the
//!    next group is tried, keeping the chunks both manifests agree on.
//! 4. When no provider is left, the fetch is stuck; its verified chunks are
//!    kept, and adding providers later resumes it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use veris_core::ModelId;

use crate::hygiene::Offence;
use crate::manifest::Manifest;

/// How long to wait for more manifests after the first before choosing one.
pub const MANIFEST_GRACE: Duration = Duration::from_millis(500);
/// How long a provider that refused (busy, rate limited) is left alone.
pub const REFUSAL_PAUSE: Duration = Duration::from_millis(200);
/// Failed requests (timeouts, closed connections) after which a provider is dropped.
const MAX_FAILURES: u32 = 3;
/// Refusals in a row after which a provider is dropped (about five seconds of pauses).
const MAX_REFUSALS: u32 = 25;

type ManifestDigest = [u8; 32];

/// What to ask a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Manifest,
    Chunk(u32),
}

#[derive(Debug, Default)]
struct Source {
    asked_manifest: bool,
    manifest: Option<ManifestDigest>,
    inflight: usize,
    failures: u32,
    refusals: u32,
    dropped: bool,
    paused_until: Option<Instant>,
}

/// One fetch in progress (or interrupted, waiting for providers).
#[derive(Debug)]
pub struct BlobFetch {
    id: ModelId,
    inflight_per_provider: usize,
    sources: HashMap<PeerId, Source>,
    /// Providers caught lying about this blob; never asked again by this fetch.
    liars: HashSet<PeerId>,
    manifests: HashMap<ManifestDigest, Manifest>,
    rejected: HashSet<ManifestDigest>,
    first_manifest_at: Option<Instant>,
    current: Option<ManifestDigest>,
    chunks: Vec<Option<Vec<u8>>>,
    verified: u32,
    /// Chunk index -> provider it is asked of.
    asked: HashMap<u32, PeerId>,
    /// The caller holds the chunks to check the whole blob.
    verifying: bool,
}

impl BlobFetch {
    pub fn new(id: ModelId, inflight_per_provider: usize) -> Self {
        BlobFetch {
            id,
            inflight_per_provider: inflight_per_provider.max(1),
            sources: HashMap::new(),
            liars: HashSet::new(),
            manifests: HashMap::new(),
            rejected: HashSet::new(),
            first_manifest_at: None,
            current: None,
            chunks: Vec::new(),
            verified: 0,
            asked: HashMap::new(),
            verifying: false,
        }
    }

    pub fn id(&self) -> &ModelId {
        &self.id
    }

    /// (verified, total) chunks of the manifest pursued; total 0 before one is chosen.
    pub fn progress(&self) -> (u32, u32) {
        (self.verified, self.chunks.len() as u32)
    }

    /// Adds providers (again): known liars stay out, everyone else starts fresh.
    pub fn add_providers(&mut self, peers: impl IntoIterator<Item = PeerId>) {
        for peer in peers {
            if self.liars.contains(&peer) {
                continue;
            }
            let source = self.sources.entry(peer).or_default();
            if source.dropped || source.manifest.is_none() {
                *source = Source::default();
            }
        }
    }

    /// Requests to send now. Marks them as in flight.
    pub fn next_requests(&mut self, now: Instant) -> Vec<(PeerId, Want)> {
        let mut out = Vec::new();
        if self.verifying {
            return out;
        }
        for (peer, s) in self.sources.iter_mut() {
            if !s.dropped && !s.asked_manifest && s.paused_until.is_none_or(|t| t <= now) {
                s.asked_manifest = true;
                s.inflight += 1;
                out.push((*peer, Want::Manifest));
            }
        }
        self.choose_manifest(now);
        let Some(current) = self.current else { return out };
        let missing: Vec<u32> = (0..self.chunks.len() as u32)
            .filter(|i| self.chunks[*i as usize].is_none() && !self.asked.contains_key(i))
            .collect();
        // Round-robin over providers of the current manifest, least loaded first.
        for index in missing {
            let candidate = self
                .sources
                .iter()
                .filter(|(_, s)| {
                    !s.dropped
                        && s.manifest == Some(current)
                        && s.inflight < self.inflight_per_provider
                        && s.paused_until.is_none_or(|t| t <= now)
                })
                .min_by_key(|(p, s)| (s.inflight, p.to_bytes()))
                .map(|(p, _)| *p);
            let Some(peer) = candidate else { break };
            if let Some(s) = self.sources.get_mut(&peer) {
                s.inflight += 1;
                s.paused_until = None;
            }
            self.asked.insert(index, peer);
            out.push((peer, Want::Chunk(index)));
        }
        out
    }

    fn group_size(&self, digest: &ManifestDigest) -> usize {
        self.sources
            .values()
            .filter(|s| !s.dropped && s.manifest.as_ref() == Some(digest))
            .count()
    }

    fn choose_manifest(&mut self, now: Instant) {
        if self.current.is_some_and(|c| self.group_size(&c) > 0) {
            return;
        }
        let waiting = self.sources.values().any(|s| !s.dropped && s.manifest.is_none());
        let grace_over = self.first_manifest_at.is_some_and(|t| now >= t + MANIFEST_GRACE);
        if waiting && !grace_over {
            return;
        }
        let best = self
            .manifests
            .keys()
            .filter(|d| !self.rejected.contains(*d))
            .map(|d| (self.group_size(d), *d))
            .filter(|(n, _)| *n > 0)
            .max();
        if let Some((_, digest)) = best {
            self.switch_to(digest);
        }
    }

    /// Pursues `digest`, keeping verified chunks the two manifests agree on.
    fn switch_to(&mut self, digest: ManifestDigest) {
        let new = &self.manifests[&digest];
        let old = self.current.and_then(|c| self.manifests.get(&c));
        let mut chunks: Vec<Option<Vec<u8>>> = vec![None; new.chunk_count() as usize];
        if let Some(old) = old {
            for (i, slot) in chunks.iter_mut().enumerate() {
                let same = old.size() == new.size() && old.chunk_hashes().get(i) == new.chunk_hashes().get(i);
                if same {
                    *slot = self.chunks.get_mut(i).and_then(Option::take);
                }
            }
        }
        self.verified = chunks.iter().filter(|c| c.is_some()).count() as u32;
        self.chunks = chunks;
        self.asked.clear();
        self.current = Some(digest);
    }

    /// A provider answered with its manifest.
    pub fn on_manifest(&mut self, peer: PeerId, manifest: Manifest, now: Instant) {
        let digest = manifest.digest();
        self.manifests.entry(digest).or_insert(manifest);
        self.first_manifest_at.get_or_insert(now);
        if let Some(s) = self.sources.get_mut(&peer) {
            s.inflight = s.inflight.saturating_sub(1);
            s.refusals = 0;
            s.manifest = Some(digest);
        }
    }

    /// A chunk arrived. Returns the offence if it does not match its provider's manifest.
    pub fn on_chunk(&mut self, peer: PeerId, index: u32, data: Vec<u8>) -> Option<Offence> {
        if self.asked.get(&index) == Some(&peer) {
            self.asked.remove(&index);
        }
        let s = self.sources.get_mut(&peer)?;
        s.inflight = s.inflight.saturating_sub(1);
        s.refusals = 0;
        let current = self.current?;
        if s.manifest != Some(current) || self.verifying || self.liars.contains(&peer) {
            return None; // for a manifest no longer pursued, or from a peer already caught lying
        }
        if !self.manifests[&current].verifies(index, &data) {
            s.dropped = true;
            self.liars.insert(peer);
            return Some(Offence::CorruptData);
        }
        if let Some(slot) = self.chunks.get_mut(index as usize)
            && slot.is_none()
        {
            *slot = Some(data);
            self.verified += 1;
        }
        None
    }

    /// A request failed: not found, timed out, connection lost, or a refusal.
    pub fn on_failure(&mut self, peer: PeerId, want: Want, failure: Failure, now: Instant) {
        if let Want::Chunk(index) = want
            && self.asked.get(&index) == Some(&peer)
        {
            self.asked.remove(&index);
        }
        let Some(s) = self.sources.get_mut(&peer) else { return };
        s.inflight = s.inflight.saturating_sub(1);
        if want == Want::Manifest && matches!(failure, Failure::Refused | Failure::Transient) {
            s.asked_manifest = false;
        }
        match failure {
            Failure::Gone => s.dropped = true,
            Failure::Refused => {
                s.refusals += 1;
                s.paused_until = Some(now + REFUSAL_PAUSE);
                s.dropped = s.refusals >= MAX_REFUSALS;
            }
            Failure::Transient => {
                s.failures += 1;
                s.dropped = s.failures >= MAX_FAILURES;
            }
            Failure::Offence => {
                s.dropped = true;
                self.liars.insert(peer);
            }
        }
    }

    /// Whether every chunk of the pursued manifest is verified.
    pub fn is_complete(&self) -> bool {
        self.current.is_some_and(|c| !self.rejected.contains(&c))
            && !self.verifying
            && self.chunks.iter().all(Option::is_some)
    }

    /// Whether nothing is in flight and nothing can be asked: the fetch cannot progress.
    pub fn is_stuck(&self, now: Instant) -> bool {
        if self.verifying || self.is_complete() {
            return false;
        }
        // A dropped provider's answers still in flight may carry valid chunks.
        let busy = self.sources.values().any(|s| s.inflight > 0);
        let can_ask = self.sources.values().any(|s| {
            !s.dropped
                && (!s.asked_manifest
                    || s.manifest.is_some_and(|m| !self.rejected.contains(&m))
                    || s.paused_until.is_some_and(|t| t > now))
        });
        !busy && !can_ask
    }

    /// Hands the verified chunks over for the whole-blob check.
    pub fn take_chunks(&mut self) -> Vec<Vec<u8>> {
        self.verifying = true;
        self.chunks.iter_mut().map(|c| c.take().unwrap_or_default()).collect()
    }

    /// The whole blob did not match the content id: every provider of the
    /// pursued manifest lied. Returns them; the chunks come back so that
    /// those another manifest agrees with are kept.
    pub fn reject_manifest(&mut self, chunks: Vec<Vec<u8>>) -> Vec<PeerId> {
        self.verifying = false;
        self.chunks = chunks.into_iter().map(Some).collect();
        let Some(current) = self.current else { return Vec::new() };
        self.rejected.insert(current);
        let mut liars = Vec::new();
        for (peer, s) in self.sources.iter_mut() {
            if s.manifest == Some(current) {
                s.dropped = true;
                liars.push(*peer);
            }
        }
        self.liars.extend(liars.iter().copied());
        liars
    }
}

/// How a request to a provider failed, as far as the fetch is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The provider does not have the blob (any more); do not ask it again.
    Gone,
    /// It refused for now (busy, rate limited); ask again shortly.
    Refused,
    /// Timeout or connection trouble; ask again, up to a few times.
    Transient,
    /// It sent something invalid (already penalised); do not ask again.
    Offence,
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;

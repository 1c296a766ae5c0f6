//! Peer scores: offences subtract, time restores, the threshold bans.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

use crate::config::Hygiene;

/// Scores kept at most; past this the mildest entry is forgotten first.
const MAX_TRACKED: usize = 4096;

/// Something a peer did wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offence {
    /// A message that does not decode.
    Malformed,
    /// A message over its size limit.
    Oversized,
    /// A receipt whose signature or digests do not verify.
    InvalidSignature,
    /// A chunk that does not match the manifest the same peer sent.
    CorruptData,
    /// A manifest whose chunks reassemble to bytes that do not match the content id.
    FalseManifest,
    /// An announcement that does not decode or is not signed by its author.
    BadAnnouncement,
    /// A request sent while over the rate limit (after being refused).
    RateLimitExceeded,
    /// A response of the wrong kind (e.g. a chunk when a manifest was asked).
    ProtocolViolation,
}

impl Offence {
    /// Points subtracted from the peer's score.
    pub fn penalty(self) -> f64 {
        match self {
            Offence::Malformed => 25.0,
            Offence::Oversized => 50.0,
            Offence::InvalidSignature => 50.0,
            Offence::CorruptData => 100.0,
            Offence::FalseManifest => 100.0,
            Offence::BadAnnouncement => 25.0,
            Offence::RateLimitExceeded => 2.0,
            Offence::ProtocolViolation => 25.0,
        }
    }
}

/// What a penalty led to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub score: f64,
    /// The peer has just crossed the threshold and must be banned now.
    pub ban: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    score: f64,
    updated: Instant,
}

impl Entry {
    /// The score after recovering `rate` points a second since the last offence, capped at zero.
    fn recovered(&self, now: Instant, rate: f64) -> f64 {
        let secs = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.score + secs * rate).min(0.0)
    }
}

/// Scores of peers that have offended, and current bans.
#[derive(Debug)]
pub struct PeerScores {
    config: Hygiene,
    entries: HashMap<PeerId, Entry>,
    bans: HashMap<PeerId, Instant>,
}

impl PeerScores {
    pub fn new(config: Hygiene) -> Self {
        PeerScores {
            config,
            entries: HashMap::new(),
            bans: HashMap::new(),
        }
    }

    /// The peer's score now (0 for a peer with no record).
    pub fn score(&self, peer: &PeerId, now: Instant) -> f64 {
        self.entries
            .get(peer)
            .map_or(0.0, |e| e.recovered(now, self.config.recovery_per_sec))
    }

    /// Records `offence`; the verdict says whether the peer must now be banned.
    pub fn penalise(&mut self, peer: PeerId, offence: Offence, now: Instant) -> Verdict {
        let score = self.score(&peer, now) - offence.penalty();
        if !self.entries.contains_key(&peer) && self.entries.len() >= MAX_TRACKED {
            self.forget_mildest(now);
        }
        self.entries.insert(peer, Entry { score, updated: now });
        let ban = score <= self.config.ban_threshold && !self.bans.contains_key(&peer);
        if ban {
            self.bans.insert(peer, now + self.config.ban_duration);
        }
        Verdict { score, ban }
    }

    fn forget_mildest(&mut self, now: Instant) {
        let mildest = self
            .entries
            .iter()
            .filter(|(p, _)| !self.bans.contains_key(*p))
            .map(|(p, e)| (*p, e.recovered(now, self.config.recovery_per_sec)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((peer, _)) = mildest {
            self.entries.remove(&peer);
        }
    }

    pub fn is_banned(&self, peer: &PeerId) -> bool {
        self.bans.contains_key(peer)
    }

    /// Peers banned now.
    pub fn banned(&self) -> impl Iterator<Item = &PeerId> {
        self.bans.keys()
    }

    pub fn ban_duration(&self) -> Duration {
        self.config.ban_duration
    }

    /// Lifts bans that have run out, returning the peers to unblock. A
    /// lifted peer keeps a score halfway to the threshold, so a repeat
    /// offence bans it again quickly.
    pub fn expire_bans(&mut self, now: Instant) -> Vec<PeerId> {
        let expired: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in &expired {
            self.bans.remove(peer);
            self.entries.insert(
                *peer,
                Entry {
                    score: self.config.ban_threshold / 2.0,
                    updated: now,
                },
            );
        }
        let (bans, rate) = (&self.bans, self.config.recovery_per_sec);
        self.entries
            .retain(|p, e| bans.contains_key(p) || e.recovered(now, rate) < 0.0);
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hygiene() -> Hygiene {
        Hygiene {
            ban_threshold: -100.0,
            ban_duration: Duration::from_secs(10),
            recovery_per_sec: 1.0,
        }
    }

    #[test]
    fn offences_accumulate_recover_and_ban_once() {
        let mut scores = PeerScores::new(hygiene());
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert_eq!(scores.penalise(peer, Offence::Oversized, t0).score, -50.0);
        assert_eq!(scores.score(&peer, t0 + Duration::from_secs(20)), -30.0);
        let v = scores.penalise(peer, Offence::Oversized, t0 + Duration::from_secs(20));
        assert_eq!(
            v,
            Verdict {
                score: -80.0,
                ban: false
            }
        );
        let v = scores.penalise(peer, Offence::Malformed, t0 + Duration::from_secs(20));
        assert_eq!(
            v,
            Verdict {
                score: -105.0,
                ban: true
            }
        );
        assert!(scores.is_banned(&peer));
        assert!(
            !scores
                .penalise(peer, Offence::Malformed, t0 + Duration::from_secs(21))
                .ban
        );

        assert!(scores.expire_bans(t0 + Duration::from_secs(25)).is_empty());
        assert_eq!(scores.expire_bans(t0 + Duration::from_secs(31)), vec![peer]);
        assert!(!scores.is_banned(&peer));
        assert_eq!(scores.score(&peer, t0 + Duration::from_secs(31)), -50.0);
    }

    #[test]
    fn scores_recover_fully_and_are_then_forgotten() {
        let mut scores = PeerScores::new(hygiene());
        let peer = PeerId::random();
        let t0 = Instant::now();
        scores.penalise(peer, Offence::RateLimitExceeded, t0);
        assert_eq!(scores.score(&peer, t0 + Duration::from_secs(60)), 0.0);
        scores.expire_bans(t0 + Duration::from_secs(60));
        assert!(scores.entries.is_empty());
    }
}

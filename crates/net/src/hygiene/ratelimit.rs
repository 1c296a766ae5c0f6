//! Per-peer token buckets and in-progress quotas on inbound requests.
//!
//! Every inbound request takes one request token and one in-progress slot;
//! a served chunk also takes its length in byte tokens. A request that finds
//! no token or slot is refused (a small response, no work). A peer that keeps
//! sending while refused is penalised by the caller.

use std::collections::HashMap;
use std::time::Instant;

use libp2p::PeerId;

use crate::config::RateLimits;
use crate::wire::messages::Refusal;

/// A token bucket: `rate` tokens a second up to `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + secs * self.rate).min(self.burst);
        self.updated = now;
    }

    /// Takes `n` tokens if the bucket holds them.
    pub fn try_take(&mut self, n: f64, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

#[derive(Debug)]
struct Quota {
    requests: TokenBucket,
    bytes: TokenBucket,
    inflight: usize,
    /// Consecutive refusals; the caller penalises a peer that ignores them.
    refused_in_a_row: u32,
}

/// Admission control for inbound requests, per peer.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    peers: HashMap<PeerId, Quota>,
}

/// The outcome of asking to serve a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Refuse the request; `persistent` when the peer keeps sending after refusals.
    Refused {
        why: Refusal,
        persistent: bool,
    },
}

/// Refusals in a row after which a peer counts as ignoring them.
const PERSISTENT_REFUSALS: u32 = 8;

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            peers: HashMap::new(),
        }
    }

    fn quota(&mut self, peer: PeerId, now: Instant) -> &mut Quota {
        let l = &self.limits;
        self.peers.entry(peer).or_insert_with(|| Quota {
            requests: TokenBucket::new(l.requests_per_sec, l.request_burst as f64, now),
            bytes: TokenBucket::new(l.bytes_per_sec, l.byte_burst as f64, now),
            inflight: 0,
            refused_in_a_row: 0,
        })
    }

    /// Asks to start serving a request of `peer` that will send about `bytes`
    /// bytes back. An admitted request holds a slot until [`Self::finish`].
    pub fn admit(&mut self, peer: PeerId, bytes: u64, now: Instant) -> Admission {
        let max_inflight = self.limits.max_inflight_per_peer;
        let q = self.quota(peer, now);
        let why = if q.inflight >= max_inflight {
            Some(Refusal::Busy)
        } else if !q.requests.try_take(1.0, now) || !q.bytes.try_take(bytes as f64, now) {
            Some(Refusal::RateLimited)
        } else {
            None
        };
        match why {
            None => {
                q.inflight += 1;
                q.refused_in_a_row = 0;
                Admission::Admitted
            }
            Some(why) => {
                q.refused_in_a_row = q.refused_in_a_row.saturating_add(1);
                Admission::Refused {
                    why,
                    persistent: q.refused_in_a_row > PERSISTENT_REFUSALS,
                }
            }
        }
    }

    /// Releases the slot of an admitted request.
    pub fn finish(&mut self, peer: &PeerId) {
        if let Some(q) = self.peers.get_mut(peer) {
            q.inflight = q.inflight.saturating_sub(1);
        }
    }

    /// Forgets a disconnected peer with nothing in progress.
    pub fn forget(&mut self, peer: &PeerId) {
        if self.peers.get(peer).is_some_and(|q| q.inflight == 0) {
            self.peers.remove(peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> RateLimits {
        RateLimits {
            requests_per_sec: 10.0,
            request_burst: 3,
            bytes_per_sec: 1000.0,
            byte_burst: 2000,
            max_inflight_per_peer: 2,
        }
    }

    #[test]
    fn bursts_then_refuses_then_refills() {
        let mut rl = RateLimiter::new(limits());
        let peer = PeerId::random();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.admit(peer, 0, t0), Admission::Admitted);
            rl.finish(&peer);
        }
        assert!(matches!(
            rl.admit(peer, 0, t0),
            Admission::Refused {
                why: Refusal::RateLimited,
                persistent: false
            }
        ));
        assert_eq!(rl.admit(peer, 0, t0 + Duration::from_millis(100)), Admission::Admitted);
    }

    #[test]
    fn inflight_and_byte_quotas_hold() {
        let mut rl = RateLimiter::new(limits());
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert_eq!(rl.admit(peer, 1500, t0), Admission::Admitted);
        assert!(matches!(
            rl.admit(peer, 1500, t0),
            Admission::Refused {
                why: Refusal::RateLimited,
                ..
            }
        ));
        assert_eq!(rl.admit(peer, 100, t0), Admission::Admitted);
        assert!(matches!(
            rl.admit(peer, 0, t0),
            Admission::Refused { why: Refusal::Busy, .. }
        ));
        rl.finish(&peer);
        assert_eq!(rl.admit(peer, 0, t0 + Duration::from_secs(1)), Admission::Admitted);
    }

    #[test]
    fn ignoring_refusals_is_flagged() {
        let mut rl = RateLimiter::new(limits());
        let peer = PeerId::random();
        let t0 = Instant::now();
        let mut last = Admission::Admitted;
        for _ in 0..20 {
            last = rl.admit(peer, 0, t0);
        }
        assert!(matches!(last, Admission::Refused { persistent: true, .. }));
    }
}

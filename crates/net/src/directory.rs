//! What other nodes have announced: who serves which model, with what capacity.
//!
//! The network task writes the directory as announcements arrive and
//! expire; handles read it directly ([`SharedDirectory`]), so asking who
//! serves a model costs a read lock, not a trip through the network task or
//! a DHT query.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use veris_core::ModelId;

use crate::wire::announce::Announcement;

/// Announcing peers remembered at most; the entry closest to expiry goes first.
const MAX_PEERS: usize = 4096;

#[derive(Debug)]
struct Entry {
    announcement: Announcement,
    expires: Instant,
}

/// One peer's live announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub peer: PeerId,
    pub models: Vec<ModelId>,
    /// Inferences it runs at once (as it announced).
    pub capacity: u32,
}

/// A peer that announced a model, and the capacity it announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub peer: PeerId,
    /// Inferences it runs at once (as it announced; 0: it serves none).
    pub capacity: u32,
}

/// How a received announcement relates to what was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// First announcement of this peer, or its models or capacity changed.
    Changed,
    /// Same content, newer sequence number: the entry's life is extended.
    Refreshed,
    /// Not newer than what is known: a replay or a late copy.
    Stale,
}

/// Announcements by peer, forgotten after a time to live.
#[derive(Debug)]
pub struct Directory {
    ttl: Duration,
    entries: HashMap<PeerId, Entry>,
}

impl Directory {
    pub fn new(ttl: Duration) -> Self {
        Directory {
            ttl,
            entries: HashMap::new(),
        }
    }

    pub fn update(&mut self, peer: PeerId, announcement: Announcement, now: Instant) -> Update {
        let expires = now + self.ttl;
        if let Some(e) = self.entries.get_mut(&peer) {
            if announcement.seq <= e.announcement.seq {
                return Update::Stale;
            }
            let same = e.announcement.models == announcement.models && e.announcement.capacity == announcement.capacity;
            *e = Entry { announcement, expires };
            return if same { Update::Refreshed } else { Update::Changed };
        }
        if self.entries.len() >= MAX_PEERS {
            self.expire(now);
        }
        if self.entries.len() >= MAX_PEERS
            && let Some(soonest) = self.entries.iter().min_by_key(|(_, e)| e.expires).map(|(p, _)| *p)
        {
            self.entries.remove(&soonest);
        }
        self.entries.insert(peer, Entry { announcement, expires });
        Update::Changed
    }

    /// Peers whose live announcement lists `model`.
    pub fn providers(&self, model: &ModelId, now: Instant) -> Vec<PeerId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.expires > now && e.announcement.models.contains(model))
            .map(|(p, _)| *p)
            .collect()
    }

    /// Live offers of `model`, in peer order.
    pub fn offers(&self, model: &ModelId, now: Instant) -> Vec<Offer> {
        let mut offers: Vec<Offer> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires > now && e.announcement.models.contains(model))
            .map(|(peer, e)| Offer {
                peer: *peer,
                capacity: e.announcement.capacity,
            })
            .collect();
        offers.sort_by_key(|o| o.peer);
        offers
    }

    /// Every live announcement: the peer, its models and its capacity.
    pub fn live(&self, now: Instant) -> Vec<Announced> {
        let mut live: Vec<Announced> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires > now)
            .map(|(peer, e)| Announced {
                peer: *peer,
                models: e.announcement.models.clone(),
                capacity: e.announcement.capacity,
            })
            .collect();
        live.sort_by_key(|a| a.peer);
        live
    }

    pub fn forget(&mut self, peer: &PeerId) {
        self.entries.remove(peer);
    }

    pub fn expire(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.expires > now);
    }
}

/// The directory shared by the network task (which writes it) and its
/// handles (which read it). A poisoned lock is recovered: every update
/// leaves the map consistent.
#[derive(Debug, Clone)]
pub(crate) struct SharedDirectory(Arc<RwLock<Directory>>);

impl SharedDirectory {
    pub fn new(ttl: Duration) -> Self {
        SharedDirectory(Arc::new(RwLock::new(Directory::new(ttl))))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Directory> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_announcements_replace_and_expire() {
        let mut d = Directory::new(Duration::from_secs(10));
        let peer = PeerId::random();
        let m = ModelId::of_bytes(b"m");
        let t0 = Instant::now();
        assert_eq!(d.update(peer, Announcement::new(2, 1, vec![m]), t0), Update::Changed);
        assert_eq!(d.update(peer, Announcement::new(2, 1, vec![m]), t0), Update::Stale);
        assert_eq!(d.update(peer, Announcement::new(1, 5, vec![]), t0), Update::Stale);
        assert_eq!(d.update(peer, Announcement::new(3, 1, vec![m]), t0), Update::Refreshed);
        assert_eq!(d.providers(&m, t0 + Duration::from_secs(9)), vec![peer]);
        assert!(d.providers(&m, t0 + Duration::from_secs(10)).is_empty());
        assert_eq!(d.update(peer, Announcement::new(4, 0, vec![]), t0), Update::Changed);
        assert!(d.providers(&m, t0).is_empty());
        assert_eq!(d.live(t0).len(), 1);
        assert_eq!(d.live(t0)[0].capacity, 0);
        assert!(d.live(t0 + Duration::from_secs(10)).is_empty());
    }

    #[test]
    fn offers_carry_the_announced_capacity_of_live_providers_only() {
        let shared = SharedDirectory::new(Duration::from_secs(10));
        let (a, b) = (PeerId::random(), PeerId::random());
        let (m, other) = (ModelId::of_bytes(b"m"), ModelId::of_bytes(b"other"));
        let t0 = Instant::now();
        shared.write().update(a, Announcement::new(1, 4, vec![m]), t0);
        shared
            .write()
            .update(b, Announcement::new(1, 9, vec![m, other]), t0 + Duration::from_secs(5));
        let mut expected = vec![Offer { peer: a, capacity: 4 }, Offer { peer: b, capacity: 9 }];
        expected.sort_by_key(|o| o.peer);
        assert_eq!(shared.read().offers(&m, t0), expected);
        assert_eq!(
            shared.read().offers(&m, t0 + Duration::from_secs(12)),
            vec![Offer { peer: b, capacity: 9 }]
        );
        assert_eq!(shared.read().offers(&other, t0).len(), 1);
        shared.write().forget(&b);
        assert!(shared.read().offers(&other, t0).is_empty());
    }
}

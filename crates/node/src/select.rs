//! Choosing the peers a request goes to: who provides a model, least
//! loaded first. Shared by routed inferences ([`crate::route`]) and
//! replicated jobs ([`crate::replicate`]).
//!
//! Providers come from the network's announcement directory
//! ([`NetHandle::offers`]: a read, no network I/O, refreshed by every
//! announcement and emptied of peers whose announcements expire). Only when
//! it lists fewer peers than a request needs does this node ask the DHT
//! ([`NetHandle::providers`]); a peer known only from the DHT counts as
//! having capacity 1. A peer that announced capacity 0 serves nothing and
//! is left out.
//!
//! Peers are ranked by their load after this request: the jobs this node
//! has in flight with the peer plus one, over the peer's announced
//! capacity, lowest first; ties go to the larger capacity, then to the
//! smaller `keccak(salt || peer id)`, so equal peers share the load, the
//! same way for one salt. The load is what this node sees: requests other
//! entry nodes send the same peer are not counted (a busy peer refuses
//! with `busy`, and the caller moves on to the next).

use std::cmp::{Ordering, Reverse};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use veris_core::ModelId;
use veris_core::digest::keccak256;
use veris_net::{NetError, NetHandle, Offer, PeerId};

/// Jobs this node has in flight with each peer.
#[derive(Debug, Default)]
pub struct PeerLoads(Mutex<HashMap<PeerId, usize>>);

impl PeerLoads {
    /// Requests in flight with `peer`.
    pub fn load(&self, peer: &PeerId) -> usize {
        self.0.lock().map(|m| m.get(peer).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// Counts one more request with `peer` until the guard is dropped.
    pub fn start(self: &Arc<Self>, peer: PeerId) -> LoadGuard {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(peer).or_default() += 1;
        }
        LoadGuard(self.clone(), peer)
    }
}

/// Ends one request's share of a peer's load when dropped.
#[derive(Debug)]
pub struct LoadGuard(Arc<PeerLoads>, PeerId);

impl Drop for LoadGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = (self.0).0.lock()
            && let Some(n) = m.get_mut(&self.1)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

/// `load / capacity`, compared exactly (by cross-multiplication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Share {
    load: u128,
    capacity: u128,
}

impl Ord for Share {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.load * other.capacity).cmp(&(other.load * self.capacity))
    }
}

impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders `offers` least loaded first (see the module documentation).
pub fn rank(offers: &mut [Offer], loads: &PeerLoads, salt: &[u8]) {
    offers.sort_by_cached_key(|o| {
        let capacity = u128::from(o.capacity.max(1));
        let share = Share {
            load: loads.load(&o.peer) as u128 + 1,
            capacity,
        };
        (share, Reverse(capacity), keccak256(&[salt, &o.peer.to_bytes()]))
    });
}

/// Peers other than this node that provide `model`: announced ones, and
/// when fewer than `wanted` are announced, those the DHT knows too.
pub async fn find_providers(net: &NetHandle, model: ModelId, wanted: usize) -> Result<Vec<Offer>, NetError> {
    let local = net.local_peer_id();
    let announced = net.offers(model);
    let mut offers: Vec<Offer> = announced
        .iter()
        .filter(|o| o.peer != local && o.capacity > 0)
        .copied()
        .collect();
    if offers.len() >= wanted {
        return Ok(offers);
    }
    for peer in net.providers(model).await? {
        let known = announced.iter().any(|o| o.peer == peer) || offers.iter().any(|o| o.peer == peer);
        if peer != local && !known {
            offers.push(Offer { peer, capacity: 1 });
        }
    }
    Ok(offers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(capacity: u32) -> Offer {
        Offer {
            peer: PeerId::random(),
            capacity,
        }
    }

    fn order(offers: &[Offer], loads: &PeerLoads, salt: &[u8]) -> Vec<u32> {
        let mut ranked = offers.to_vec();
        rank(&mut ranked, loads, salt);
        let position = |o: &Offer| offers.iter().position(|x| x.peer == o.peer).unwrap_or(usize::MAX) as u32;
        ranked.iter().map(position).collect()
    }

    #[test]
    fn the_least_loaded_relative_to_capacity_goes_first() {
        let loads = Arc::new(PeerLoads::default());
        let offers = [offer(1), offer(4)];
        // Idle: 1/1 against 1/4.
        assert_eq!(order(&offers, &loads, b"job"), vec![1, 0]);
        let mut guards: Vec<LoadGuard> = (0..3).map(|_| loads.start(offers[1].peer)).collect();
        // Three in flight with the big one: 1/1 against 4/4, a tie the larger capacity wins.
        assert_eq!(order(&offers, &loads, b"job"), vec![1, 0]);
        guards.push(loads.start(offers[1].peer));
        // Four in flight: 1/1 against 5/4.
        assert_eq!(order(&offers, &loads, b"job"), vec![0, 1]);
        drop(guards);
        assert_eq!(loads.load(&offers[1].peer), 0);
        assert_eq!(order(&offers, &loads, b"job"), vec![1, 0]);
    }

    #[test]
    fn equal_peers_are_ordered_by_the_salt_reproducibly() {
        let loads = PeerLoads::default();
        let offers: Vec<Offer> = (0..8).map(|_| offer(2)).collect();
        let first = order(&offers, &loads, b"a");
        assert_eq!(order(&offers, &loads, b"a"), first);
        let firsts: std::collections::HashSet<u32> = (0u8..32).map(|s| order(&offers, &loads, &[s])[0]).collect();
        assert!(firsts.len() > 1, "one peer always first: {firsts:?}");
    }

    #[test]
    fn share_compares_exact_ratios() {
        let s = |load, capacity| Share { load, capacity };
        assert_eq!(s(2, 4).cmp(&s(1, 2)), Ordering::Equal);
        assert_eq!(s(1, 3).cmp(&s(1, 2)), Ordering::Less);
        assert_eq!(s(u64::MAX as u128, 1).cmp(&s(1, u32::MAX as u128)), Ordering::Greater);
    }
}

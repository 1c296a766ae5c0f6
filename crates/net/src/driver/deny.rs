//! The deny-list: peers this node refuses to talk to until allowed again.
//!
//! A denied peer is treated like a banned one for as long as it stays on
//! the list (its connections are closed, new ones in either direction are
//! refused, its announcement is forgotten, look-ups leave it out), but
//! denial does not expire and is not a judgement of the peer: it is the
//! operator's (or a test's) way to cut links, as a network partition
//! would. Allowing a peer again unblocks it (unless it is also banned) and
//! redials it and the bootstrap peers, so the network heals without waiting
//! for the next periodic bootstrap.

use std::collections::HashSet;

use libp2p::PeerId;
use libp2p::swarm::dial_opts::DialOpts;

use super::Driver;

impl Driver {
    /// Replaces the deny-list with `peers` (this node itself is ignored).
    pub(super) fn set_denied(&mut self, peers: Vec<PeerId>) {
        let local = *self.swarm.local_peer_id();
        let next: HashSet<PeerId> = peers.into_iter().filter(|p| *p != local).collect();
        let allowed: Vec<PeerId> = self.denied.difference(&next).copied().collect();
        for peer in next.difference(&self.denied) {
            // Blocking closes its connections and refuses new ones.
            self.swarm.behaviour_mut().blocked.block_peer(*peer);
            self.directory.write().forget(peer);
            tracing::info!(%peer, "peer denied");
        }
        self.denied = next;
        if allowed.is_empty() {
            return;
        }
        for peer in allowed {
            tracing::info!(%peer, "peer allowed again");
            if self.scores.is_banned(&peer) {
                continue;
            }
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            // Addresses come from the routing table, which kept them.
            if let Err(e) = self.swarm.dial(DialOpts::peer_id(peer).build()) {
                tracing::debug!(%peer, error = %e, "cannot redial an allowed peer");
            }
        }
        // Rejoin through the bootstrap peers too, and refresh the routing table.
        for addr in self.config.bootstrap.clone() {
            let Some(peer) = super::discovery::peer_of(&addr) else {
                continue;
            };
            if !self.swarm.is_connected(&peer) && !self.denied.contains(&peer) {
                let _ = self.swarm.dial(DialOpts::peer_id(peer).addresses(vec![addr]).build());
            }
        }
        let _ = self.swarm.behaviour_mut().kad.bootstrap();
    }
}

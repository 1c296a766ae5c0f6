//! Connections and discovery: identify, kademlia, mDNS, dialling, provider look-ups.

use std::collections::HashSet;
use std::time::Instant;

use libp2p::kad::{self, GetProvidersOk, QueryResult, RecordKey};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId, identify, mdns};
use veris_core::ModelId;

use super::{BehaviourEvent, Driver, ProviderQuery, Reply};
use crate::error::NetError;
use crate::event::{Discovery, NetEvent};
use crate::handle::PeerInfo;
use crate::identity::address_of;
use crate::protocol::KAD_PROTOCOL;

pub(super) fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

impl Driver {
    /// Adds the configured bootstrap peers to the routing table, dials them and bootstraps.
    pub(crate) fn bootstrap(&mut self) {
        for addr in self.config.bootstrap.clone() {
            let Some(peer) = peer_of(&addr) else { continue };
            self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
            if let Err(e) = self.swarm.dial(addr.clone()) {
                tracing::warn!(%addr, error = %e, "cannot dial bootstrap peer");
            }
        }
        if !self.config.bootstrap.is_empty() {
            // Only fails with no known peers, which the loop above rules out.
            let _ = self.swarm.behaviour_mut().kad.bootstrap();
        }
    }

    pub(super) fn dial(&mut self, addr: Multiaddr, reply: Reply<()>) {
        let Some(peer) = peer_of(&addr) else {
            let result = self.swarm.dial(addr).map_err(|e| NetError::Dial(e.to_string()));
            let _ = reply.send(result);
            return;
        };
        if self.swarm.is_connected(&peer) {
            let _ = reply.send(Ok(()));
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(vec![addr])
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        match self.swarm.dial(opts) {
            Ok(()) => self.pending_dials.entry(peer).or_default().push(reply),
            // Already dialling: wait for that attempt.
            Err(libp2p::swarm::DialError::DialPeerConditionFalse(_)) => {
                self.pending_dials.entry(peer).or_default().push(reply)
            }
            Err(e) => {
                let _ = reply.send(Err(NetError::Dial(e.to_string())));
            }
        }
    }

    fn resolve_dials(&mut self, peer: PeerId, result: Result<(), NetError>) {
        for reply in self.pending_dials.remove(&peer).unwrap_or_default() {
            let _ = reply.send(result.clone());
        }
    }

    pub(super) fn find_providers(&mut self, model: ModelId, reply: Reply<Vec<PeerId>>) {
        let found = self.directory.read().providers(&model, Instant::now());
        let query = self
            .swarm
            .behaviour_mut()
            .kad
            .get_providers(RecordKey::new(&model.to_cid_bytes()));
        self.provider_queries.insert(query, ProviderQuery { found, reply });
    }

    pub(super) fn peer_infos(&mut self) -> Vec<PeerInfo> {
        let now = Instant::now();
        let connected: HashSet<PeerId> = self.swarm.connected_peers().copied().collect();
        let mut routable = HashSet::new();
        for bucket in self.swarm.behaviour_mut().kad.kbuckets() {
            for entry in bucket.iter() {
                routable.insert(*entry.node.key.preimage());
            }
        }
        let mut known: HashSet<PeerId> = connected.union(&routable).copied().collect();
        known.extend(self.scores.banned().copied());
        known
            .iter()
            .map(|peer| PeerInfo {
                peer: *peer,
                operator: address_of(peer).ok(),
                connected: connected.contains(peer),
                routable: routable.contains(peer),
                score: self.scores.score(peer, now),
                banned: self.scores.is_banned(peer),
            })
            .collect()
    }

    pub(super) fn on_discovery_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let address = address.with_p2p(*self.swarm.local_peer_id()).unwrap_or_else(|a| a);
                self.listen_addrs.push(address.clone());
                self.emit(NetEvent::Listening { address });
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs
                    .retain(|a| !a.iter().zip(address.iter()).all(|(x, y)| x == y));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                self.resolve_dials(peer_id, Ok(()));
                if num_established.get() == 1 {
                    self.emit(NetEvent::PeerConnected { peer: peer_id });
                    self.start_evidence_sync(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.rate.forget(&peer_id);
                self.emit(NetEvent::PeerDisconnected { peer: peer_id });
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } if !self.swarm.is_connected(&peer) => {
                self.resolve_dials(peer, Err(NetError::Dial(error.to_string())));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }))
                if info.protocols.contains(&KAD_PROTOCOL) =>
            {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(event)) => self.on_kad_event(event),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if self.scores.is_banned(&peer) || self.denied.contains(&peer) {
                        continue;
                    }
                    self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                    self.emit(NetEvent::PeerDiscovered {
                        peer,
                        via: Discovery::Mdns,
                    });
                    if !self.swarm.is_connected(&peer) {
                        let opts = DialOpts::peer_id(peer).addresses(vec![addr]).build();
                        let _ = self.swarm.dial(opts);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_kad_event(&mut self, event: kad::Event) {
        match event {
            kad::Event::RoutingUpdated {
                peer,
                is_new_peer: true,
                ..
            } => {
                let via = if self.swarm.is_connected(&peer) {
                    Discovery::Connection
                } else {
                    Discovery::Kademlia
                };
                self.emit(NetEvent::PeerDiscovered { peer, via });
            }
            kad::Event::OutboundQueryProgressed { id, result, step, .. } => {
                let QueryResult::GetProviders(result) = result else {
                    return;
                };
                let local = *self.swarm.local_peer_id();
                if let Some(query) = self.provider_queries.get_mut(&id)
                    && let Ok(GetProvidersOk::FoundProviders { providers, .. }) = result
                {
                    for peer in providers {
                        if peer != local && !query.found.contains(&peer) {
                            query.found.push(peer);
                        }
                    }
                }
                if step.last
                    && let Some(query) = self.provider_queries.remove(&id)
                {
                    let found = query
                        .found
                        .into_iter()
                        .filter(|p| !self.scores.is_banned(p) && !self.denied.contains(p))
                        .collect();
                    let _ = query.reply.send(Ok(found));
                }
            }
            _ => {}
        }
    }
}

//! The libp2p behaviours a Veris node runs, and the swarm that drives them.
//!
//! Transports: TCP and QUIC; TCP connections are secured with noise and
//! multiplexed with yamux, QUIC brings its own TLS 1.3 and streams. On top:
//! a block list (banned peers), connection limits, identify, kademlia (under
//! a Veris protocol name, server mode), optional mDNS, gossipsub (signed
//! messages, strict validation, application-level acceptance) and four
//! request-response protocols framed by [`crate::protocol`].

use std::num::NonZeroUsize;
use std::sync::Arc;

use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::connection_limits::{self, ConnectionLimits};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{Swarm, SwarmBuilder, gossipsub, identify, kad, mdns, noise, tcp, yamux};

use crate::config::{Limits, NetConfig};
use crate::error::NetError;
use crate::protocol::{
    BLOB_PROTOCOL, BlobCodec, IDENTIFY_VERSION, INFER_PROTOCOL, InferCodec, KAD_PROTOCOL, RECEIPT_PROTOCOL,
    ReceiptCodec, SYNC_PROTOCOL, SyncCodec,
};
use crate::wire::announce::Announcement;

/// Gossip topic of node announcements.
pub const ANNOUNCE_TOPIC: &str = "veris/announce/1";
/// Gossip topic of receipts.
pub const RECEIPT_TOPIC: &str = "veris/receipts/1";
/// Gossip topic of fraud evidence.
pub const EVIDENCE_TOPIC: &str = "veris/evidence/1";
/// Gossip topic of replicated jobs' signed statements, published by their
/// operators with the inputs ([`veris_core::published_job`]).
pub const JOB_TOPIC: &str = "veris/jobs/1";

/// Streams one connection may have open per request-response protocol.
const MAX_STREAMS_PER_PROTOCOL: usize = 128;

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pub blocked: allow_block_list::Behaviour<BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub identify: identify::Behaviour,
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub gossip: gossipsub::Behaviour,
    pub blob: request_response::Behaviour<BlobCodec>,
    pub infer: request_response::Behaviour<InferCodec>,
    pub receipt: request_response::Behaviour<ReceiptCodec>,
    pub sync: request_response::Behaviour<SyncCodec>,
}

fn rr_config(timeout: std::time::Duration) -> request_response::Config {
    request_response::Config::default()
        .with_request_timeout(timeout)
        .with_max_concurrent_streams(MAX_STREAMS_PER_PROTOCOL)
}

fn gossip_config(config: &NetConfig) -> Result<gossipsub::Config, NetError> {
    let l = &config.limits;
    let max_message = l
        .max_receipt_bytes
        .max(Announcement::max_encoded_len(l.max_announced_models));
    gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .max_transmit_size(max_message.saturating_add(1024))
        .heartbeat_interval(config.timing.gossip_heartbeat)
        .build()
        .map_err(|e| NetError::Listen {
            addr: "gossipsub".into(),
            reason: e.to_string(),
        })
}

fn behaviour(key: &Keypair, config: &NetConfig, limits: Arc<Limits>) -> Result<Behaviour, NetError> {
    let peer_id = key.public().to_peer_id();
    let t = &config.timing;

    let mut kad_config = kad::Config::new(KAD_PROTOCOL);
    kad_config.set_query_timeout(t.provider_query_timeout);
    kad_config.set_periodic_bootstrap_interval(Some(t.bootstrap_interval));
    if let Some(n) = NonZeroUsize::new(20) {
        kad_config.set_replication_factor(n);
    }
    let mut kad = kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
    // Nodes are servers of the DHT from the start; they are reachable by construction.
    kad.set_mode(Some(kad::Mode::Server));

    let mdns = if config.mdns {
        Some(
            mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id).map_err(|e| NetError::Listen {
                addr: "mdns".into(),
                reason: e.to_string(),
            })?,
        )
    } else {
        None
    };

    let mut gossip = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(key.clone()),
        gossip_config(config)?,
    )
    .map_err(|e| NetError::Listen {
        addr: "gossipsub".into(),
        reason: e.to_string(),
    })?;
    for topic in [ANNOUNCE_TOPIC, RECEIPT_TOPIC, EVIDENCE_TOPIC, JOB_TOPIC] {
        gossip
            .subscribe(&gossipsub::IdentTopic::new(topic))
            .map_err(|e| NetError::Listen {
                addr: topic.into(),
                reason: e.to_string(),
            })?;
    }

    let connection_limits = ConnectionLimits::default()
        .with_max_established(Some(config.limits.max_connections))
        .with_max_established_per_peer(Some(config.limits.max_connections_per_peer))
        .with_max_pending_incoming(Some(config.limits.max_connections / 4 + 1));

    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        limits: connection_limits::Behaviour::new(connection_limits),
        identify: identify::Behaviour::new(
            identify::Config::new(IDENTIFY_VERSION.into(), key.public())
                .with_agent_version(format!("veris/{}", env!("CARGO_PKG_VERSION"))),
        ),
        kad,
        mdns: Toggle::from(mdns),
        gossip,
        blob: request_response::Behaviour::with_codec(
            BlobCodec::new(limits.clone()),
            [(BLOB_PROTOCOL, ProtocolSupport::Full)],
            rr_config(t.request_timeout),
        ),
        infer: request_response::Behaviour::with_codec(
            InferCodec::new(limits.clone()),
            [(INFER_PROTOCOL, ProtocolSupport::Full)],
            rr_config(t.infer_timeout),
        ),
        receipt: request_response::Behaviour::with_codec(
            ReceiptCodec::new(limits.clone()),
            [(RECEIPT_PROTOCOL, ProtocolSupport::Full)],
            rr_config(t.request_timeout),
        ),
        sync: request_response::Behaviour::with_codec(
            SyncCodec::new(limits),
            [(SYNC_PROTOCOL, ProtocolSupport::Full)],
            rr_config(t.request_timeout),
        ),
    })
}

/// Builds the swarm: transports, behaviours and connection settings.
pub fn build_swarm(key: Keypair, config: &NetConfig, limits: Arc<Limits>) -> Result<Swarm<Behaviour>, NetError> {
    let transport_error = |e: &dyn std::fmt::Display| NetError::Listen {
        addr: "transport".into(),
        reason: e.to_string(),
    };
    let behaviour = behaviour(&key, config, limits)?;
    let swarm = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::new().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| transport_error(&e))?
        .with_quic()
        .with_behaviour(|_| behaviour)
        .map_err(|e| transport_error(&e))?
        .with_swarm_config(|c| {
            c.with_idle_connection_timeout(config.timing.idle_connection_timeout)
                // A stream that proposes a single protocol (every Veris
                // request-response stream) sends its proposal with the first
                // request bytes: one round trip less per request. No protocol
                // negotiations are nested here, V1Lazy's one pitfall.
                .with_substream_upgrade_protocol_override(libp2p::core::upgrade::Version::V1Lazy)
        })
        .build();
    Ok(swarm)
}

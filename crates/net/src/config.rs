//! Configuration of a [`Network`](crate::Network): where to listen, whom to
//! bootstrap from, and every limit that protects the node from its peers.

use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;
use veris_core::TensorLimits;

/// Why a configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("bootstrap address {0} must end in /p2p/<peer id>")]
    BootstrapWithoutPeer(Multiaddr),
    #[error("limit {name} must be at least {min}, got {got}")]
    Limit { name: &'static str, min: u64, got: u64 },
}

/// Network configuration. [`NetConfig::default`] listens on all interfaces on
/// random TCP and QUIC ports with no bootstrap peers and mDNS off.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`, `/ip4/0.0.0.0/udp/4001/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers to join the network through, each `…/p2p/<peer id>`.
    pub bootstrap: Vec<Multiaddr>,
    /// Discover peers on the local network by multicast DNS.
    pub mdns: bool,
    /// Sizes, rates and quotas.
    pub limits: Limits,
    /// Penalties and bans.
    pub hygiene: Hygiene,
    /// Timeouts and periodic work.
    pub timing: Timing,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            listen: vec![
                "/ip4/0.0.0.0/tcp/0"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("valid literal")),
                "/ip4/0.0.0.0/udp/0/quic-v1"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("valid literal")),
            ],
            bootstrap: Vec::new(),
            mdns: false,
            limits: Limits::default(),
            hygiene: Hygiene::default(),
            timing: Timing::default(),
        }
    }
}

impl NetConfig {
    /// A configuration listening on loopback only (TCP and QUIC, random ports),
    /// as tests and single-machine setups want.
    pub fn loopback() -> Self {
        NetConfig {
            listen: vec![
                "/ip4/127.0.0.1/tcp/0"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("valid literal")),
                "/ip4/127.0.0.1/udp/0/quic-v1"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("valid literal")),
            ],
            ..NetConfig::default()
        }
    }

    /// Checks that bootstrap addresses name their peer and limits are usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for addr in &self.bootstrap {
            if !matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
                return Err(ConfigError::BootstrapWithoutPeer(addr.clone()));
            }
        }
        let l = &self.limits;
        let at_least = |name, min: u64, got: u64| {
            if got < min {
                Err(ConfigError::Limit { name, min, got })
            } else {
                Ok(())
            }
        };
        at_least("max_infer_request_bytes", 64, l.max_infer_request_bytes as u64)?;
        at_least("max_infer_response_bytes", 64, l.max_infer_response_bytes as u64)?;
        at_least("max_receipt_bytes", 256, l.max_receipt_bytes as u64)?;
        at_least("evidence_sync_items", 1, l.evidence_sync_items as u64)?;
        at_least(
            "evidence_sync_page_bytes",
            l.max_receipt_bytes as u64,
            l.evidence_sync_page_bytes as u64,
        )?;
        at_least("max_announced_models", 1, l.max_announced_models as u64)?;
        at_least("max_provider_calls", 1, l.max_provider_calls as u64)?;
        at_least("fetch_inflight_per_provider", 1, l.fetch_inflight_per_provider as u64)?;
        at_least("max_inflight_per_peer", 1, l.rate.max_inflight_per_peer as u64)?;
        at_least("request_burst", 1, l.rate.request_burst as u64)?;
        at_least("byte_burst", crate::manifest::CHUNK_SIZE as u64, l.rate.byte_burst)?;
        Ok(())
    }
}

/// Message sizes and resource quotas.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest blob fetched or served; bounds manifests and fetch buffers.
    pub max_blob_bytes: u64,
    /// Largest inference request body.
    pub max_infer_request_bytes: usize,
    /// Largest inference response body.
    pub max_infer_response_bytes: usize,
    /// Largest encoded receipt (gossip and request-response); also the
    /// largest fraud evidence and published job statement on gossip.
    pub max_receipt_bytes: usize,
    /// Tensor limits applied when decoding receipts from peers.
    pub receipt_tensors: TensorLimits,
    /// Most models in one announcement.
    pub max_announced_models: usize,
    /// Most provider calls (blob reads, inferences, receipt look-ups) running at once.
    pub max_provider_calls: usize,
    /// Most established connections, and per peer.
    pub max_connections: u32,
    pub max_connections_per_peer: u32,
    /// Chunk requests kept in flight to each provider during a fetch.
    pub fetch_inflight_per_provider: usize,
    /// Most providers one fetch asks for manifests.
    pub fetch_max_providers: usize,
    /// Most blob fetches in progress at once.
    pub max_concurrent_fetches: usize,
    /// Most interrupted fetches whose verified chunks are kept for resuming.
    pub max_partial_fetches: usize,
    /// Most evidence items in one evidence-sync page, most bytes in one
    /// page (at least `max_receipt_bytes`, so any item fits), and most pages
    /// asked of one peer per connection.
    pub evidence_sync_items: usize,
    pub evidence_sync_page_bytes: usize,
    pub evidence_sync_pages: usize,
    /// Per-peer rate limits on what this node serves.
    pub rate: RateLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_blob_bytes: 4 << 30,
            max_infer_request_bytes: 16 << 20,
            max_infer_response_bytes: 16 << 20,
            max_receipt_bytes: 4 << 20,
            receipt_tensors: TensorLimits::default(),
            max_announced_models: 1024,
            max_provider_calls: 32,
            max_connections: 256,
            max_connections_per_peer: 2,
            fetch_inflight_per_provider: 8,
            fetch_max_providers: 8,
            max_concurrent_fetches: 4,
            max_partial_fetches: 4,
            evidence_sync_items: 32,
            evidence_sync_page_bytes: 8 << 20,
            evidence_sync_pages: 32,
            rate: RateLimits::default(),
        }
    }
}

/// Per-peer token buckets and quotas on inbound requests.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Sustained requests per second from one peer, and the burst allowed.
    pub requests_per_sec: f64,
    pub request_burst: u32,
    /// Sustained bytes per second served to one peer, and the burst allowed.
    pub bytes_per_sec: f64,
    pub byte_burst: u64,
    /// Inbound requests of one peer being processed at once.
    pub max_inflight_per_peer: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            requests_per_sec: 500.0,
            request_burst: 1000,
            bytes_per_sec: 1024.0 * 1024.0 * 1024.0,
            byte_burst: 512 << 20,
            max_inflight_per_peer: 32,
        }
    }
}

/// Peer scoring: offences lower a peer's score, time restores it, and a
/// peer at or below the ban threshold is disconnected and refused for a while.
#[derive(Debug, Clone)]
pub struct Hygiene {
    pub ban_threshold: f64,
    pub ban_duration: Duration,
    /// Score points regained per second, up to zero.
    pub recovery_per_sec: f64,
}

impl Default for Hygiene {
    fn default() -> Self {
        Hygiene {
            ban_threshold: -100.0,
            ban_duration: Duration::from_secs(600),
            recovery_per_sec: 0.5,
        }
    }
}

/// Timeouts and intervals.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Blob and receipt requests, from sending to the full response.
    pub request_timeout: Duration,
    /// Inference requests, which include the remote's compute time.
    pub infer_timeout: Duration,
    /// DHT provider look-ups.
    pub provider_query_timeout: Duration,
    /// Connections with no open streams are closed after this long.
    pub idle_connection_timeout: Duration,
    /// Kademlia re-bootstraps this often.
    pub bootstrap_interval: Duration,
    /// This node's announcement is republished this often.
    pub announce_interval: Duration,
    /// Others' announcements are forgotten this long after they were received.
    pub announce_ttl: Duration,
    /// Gossipsub heartbeat.
    pub gossip_heartbeat: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            request_timeout: Duration::from_secs(30),
            infer_timeout: Duration::from_secs(120),
            provider_query_timeout: Duration::from_secs(10),
            idle_connection_timeout: Duration::from_secs(120),
            bootstrap_interval: Duration::from_secs(300),
            announce_interval: Duration::from_secs(60),
            announce_ttl: Duration::from_secs(300),
            gossip_heartbeat: Duration::from_secs(1),
        }
    }
}

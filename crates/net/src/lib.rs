//! # veris-net
//!
//! The peer layer of a Veris node, on [rust-libp2p](https://libp2p.io): how
//! nodes find each other, move model blobs between them with every byte
//! verified against its content id, send each other inference requests,
//! exchange receipts and announce what they serve. The node embeds it; this
//! crate depends on `veris-core` only.
//!
//! ## Using it
//!
//! ```no_run
//! # async fn example(provider: std::sync::Arc<dyn veris_net::Provider>) -> Result<(), veris_net::NetError> {
//! use veris_net::{NetConfig, Network};
//!
//! let key = veris_core::OperatorKey::generate();
//! let mut config = NetConfig::default();
//! config.bootstrap.push("/ip4/203.0.113.7/tcp/4001/p2p/16Uiu2HAm…".parse().expect("address"));
//! let net = Network::spawn(config, &key, provider).await?;
//!
//! let model = veris_core::ModelId::of_bytes(b"model bytes");
//! net.announce(vec![model], 4).await?;              // DHT provider record + gossip
//! let bytes = net.fetch_blob(model).await?;          // verified against the id
//! let mut events = net.events();                     // announcements, receipts, penalties
//! # Ok(()) }
//! ```
//!
//! The embedding node implements [`Provider`] (blob reads, inference,
//! receipt look-ups); the network calls it on the blocking thread pool.
//!
//! ## Identity
//!
//! The libp2p keypair *is* the operator's secp256k1 key, so a peer id and
//! the address that signs receipts name the same operator:
//! [`identity::address_of`] and [`identity::peer_id_of`] map between them
//! without a lookup.
//!
//! ## Protocols
//!
//! | what | how |
//! |---|---|
//! | transports | TCP + noise + yamux; QUIC (v1) |
//! | discovery | identify; kademlia `/veris/kad/1.0.0` from configured bootstrap peers; mDNS (optional) |
//! | blobs | request-response `/veris/blob/1`: manifest, then 1 MiB chunks ([`manifest`], [`fetch`]) |
//! | inference | request-response `/veris/infer/1`: model id + opaque body → output or error |
//! | receipts | request-response `/veris/receipt/1` (by id); gossip topic `veris/receipts/1` |
//! | fraud evidence | gossip topic `veris/evidence/1` (JSON, checked with `veris_core::fraud::verify_evidence`) |
//! | evidence sync | request-response `/veris/evidence-sync/1`: on connecting, page through the peer's evidence ([`wire::sync`]) |
//! | job statements | gossip topic `veris/jobs/1`: an operator's signed replicated-job statement with its inputs (`veris_core::published_job`) |
//! | announcements | gossip topic `veris/announce/1` ([`wire::announce`]) + DHT provider records |
//!
//! Streams that propose one protocol (every request-response stream) are
//! negotiated lazily (multistream-select `V1Lazy`): the proposal travels
//! with the request, saving a round trip per request.
//!
//! ## Who serves what
//!
//! Announcements fill a directory of live offers (peer, models, capacity),
//! forgotten when they expire (`Timing::announce_ttl`). Handles read it
//! directly: [`NetHandle::offers`] answers "who serves this model, with
//! what capacity" without a message to the network task or a DHT query, so
//! callers can consult it on every request; [`NetHandle::providers`] adds
//! the DHT's provider records (a network query) for peers whose
//! announcements have not reached this node.
//!
//! ## Deny-list
//!
//! [`NetHandle::set_denied`] cuts this node off from given peers: their
//! connections close, new ones either way are refused, their announcements
//! are forgotten and ignored, look-ups leave them out. Unlike a ban it does
//! not expire and scores nothing; removing a peer from the list unblocks and
//! redials it (and the bootstrap peers), so the network heals at once. Tests
//! use it to partition a network.
//!
//! Every message has one canonical binary encoding ([`wire`]), is framed
//! with its length and decoded under explicit limits ([`protocol`],
//! [`Limits`]).
//!
//! ## Blob transfer
//!
//! A blob is cut into fixed 1 MiB chunks; its manifest lists each chunk's
//! sha256. A fetch asks every provider for the manifest, pursues the
//! manifest most providers agree on, spreads chunk requests over those
//! providers, checks every chunk against the manifest on arrival and the
//! reassembled blob against the content id (sha256 of the bytes) before
//! returning it. A provider whose chunk does not match its own manifest is
//! penalised on the spot and its chunks are asked of others; providers whose
//! manifest does not reproduce the content id are all penalised and the next
//! manifest is tried, keeping the chunks both agree on. An interrupted fetch
//! keeps its verified chunks (in memory) and resumes when called again.
//!
//! ## Peer hygiene
//!
//! Inbound requests pass per-peer token buckets (requests and bytes) and an
//! in-progress quota, and a global bound on concurrent provider calls; over
//! a limit the peer gets a cheap refusal. Malformed or oversized messages,
//! invalid receipt signatures, corrupt chunks, false manifests and ignored
//! refusals lower the peer's score ([`hygiene`]); at the ban threshold the
//! peer is disconnected and refused for the ban duration. The network task
//! never waits on a peer or on the provider: everything slow runs off the
//! loop under timeouts, and a panicking provider costs one request.
//!
//! ## Limits of this version
//!
//! - Fetched blobs and interrupted fetches are held in memory (bounded by
//!   [`Limits::max_blob_bytes`], [`Limits::max_concurrent_fetches`] and
//!   [`Limits::max_partial_fetches`]); resuming does not survive a restart.
//! - The content id is a plain sha256 of the blob, so a manifest can only be
//!   proven false once all of its chunks have arrived: a group of providers
//!   agreeing on a false manifest costs one full download before they are
//!   caught (and banned).
//! - Gossip-level signature failures are dropped by gossipsub itself and not
//!   scored; gossipsub's own peer scoring is off. Application-level offences
//!   (announcements, receipts, evidence, job statements: malformed,
//!   oversized, badly signed, or a statement published by a peer other than
//!   its signer) are scored here.
//! - Evidence sync runs once per new connection, from the lowest id up, at
//!   most [`Limits::evidence_sync_pages`] pages; evidence past that is only
//!   learnt from later gossip or a later connection.
//! - Addresses learned by identify go into the DHT unfiltered (private and
//!   loopback addresses included); there is no DNS resolution of bootstrap
//!   addresses, no relay or hole punching, and no persistent peer store.

mod behaviour;
pub mod config;
mod directory;
mod driver;
pub mod error;
pub mod event;
pub mod fetch;
mod handle;
pub mod hygiene;
pub mod identity;
pub mod manifest;
mod network;
pub mod protocol;
pub mod provider;
pub mod wire;

pub use behaviour::{ANNOUNCE_TOPIC, EVIDENCE_TOPIC, JOB_TOPIC, RECEIPT_TOPIC};
pub use config::{ConfigError, Hygiene, Limits, NetConfig, RateLimits, Timing};
pub use directory::{Announced, Offer};
pub use error::NetError;
pub use event::{Discovery, NetEvent};
pub use handle::{NetHandle, PeerInfo};
pub use libp2p::{Multiaddr, PeerId};
pub use network::Network;
pub use provider::Provider;
pub use wire::messages::{InferRequest, Refusal};

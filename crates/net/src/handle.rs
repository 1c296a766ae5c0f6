//! The cloneable handle through which the embedding node uses the network.

use std::time::Instant;

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{broadcast, mpsc, oneshot};
use veris_core::{Address, Digest32, ModelId};

use crate::directory::{Announced, Offer, SharedDirectory};
use crate::error::NetError;
use crate::event::NetEvent;
use crate::wire::messages::InferRequest;

/// What the network knows about one peer.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub peer: PeerId,
    /// The operator address the peer id embeds (`None` for non-secp256k1 peers).
    pub operator: Option<Address>,
    pub connected: bool,
    /// In the kademlia routing table.
    pub routable: bool,
    pub score: f64,
    pub banned: bool,
}

type Reply<T> = oneshot::Sender<Result<T, NetError>>;

/// A request from a handle to the network task.
#[derive(Debug)]
pub(crate) enum Command {
    Peers(Reply<Vec<PeerInfo>>),
    ListenAddrs(Reply<Vec<Multiaddr>>),
    Dial(Multiaddr, Reply<()>),
    Announce {
        models: Vec<ModelId>,
        capacity: u32,
        reply: Reply<()>,
    },
    Providers(ModelId, Reply<Vec<PeerId>>),
    Directory(Reply<Vec<Announced>>),
    Fetch {
        id: ModelId,
        providers: Vec<PeerId>,
        reply: Reply<Vec<u8>>,
    },
    Infer {
        peer: PeerId,
        request: InferRequest,
        reply: Reply<Vec<u8>>,
    },
    PublishReceipt(Vec<u8>, Reply<Digest32>),
    PublishEvidence(Vec<u8>, Reply<Digest32>),
    PublishJob(Vec<u8>, Reply<Digest32>),
    FetchReceipt {
        peer: PeerId,
        id: Digest32,
        reply: Reply<Option<Vec<u8>>>,
    },
    Deny(Vec<PeerId>, Reply<()>),
    Shutdown,
}

/// A handle on a running [`Network`](crate::Network). Cheap to clone; the
/// network stops when [`NetHandle::shutdown`] is called or every handle is dropped.
#[derive(Debug, Clone)]
pub struct NetHandle {
    pub(crate) local: PeerId,
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) events: broadcast::Sender<NetEvent>,
    pub(crate) directory: SharedDirectory,
}

impl NetHandle {
    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// This node's peer id (derived from its operator key).
    pub fn local_peer_id(&self) -> PeerId {
        self.local
    }

    /// Subscribes to network events from now on.
    pub fn events(&self) -> broadcast::Receiver<NetEvent> {
        self.events.subscribe()
    }

    /// Connected, routable and banned peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.call(Command::Peers).await
    }

    /// The addresses this node listens on, each ending in `/p2p/<local peer id>`.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(Command::ListenAddrs).await
    }

    /// Connects to `addr`. With a `/p2p/<peer>` suffix this waits until the
    /// connection is established (or fails); without, it returns once dialling started.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.call(|r| Command::Dial(addr, r)).await
    }

    /// Announces the models this node serves and its inference capacity:
    /// provider records in the DHT and a gossip announcement, republished
    /// periodically until replaced.
    pub async fn announce(&self, models: Vec<ModelId>, capacity: u32) -> Result<(), NetError> {
        self.call(|reply| Command::Announce {
            models,
            capacity,
            reply,
        })
        .await
    }

    /// Peers that provide `model`: live gossip announcements and DHT provider records.
    pub async fn providers(&self, model: ModelId) -> Result<Vec<PeerId>, NetError> {
        self.call(|r| Command::Providers(model, r)).await
    }

    /// The peers whose live gossip announcement lists `model`, with the
    /// capacity each announced, in peer order. Read from the directory the
    /// network keeps up to date as announcements arrive and expire: no
    /// message to the network task, no DHT query. Peers known only from
    /// DHT provider records are in [`NetHandle::providers`] instead.
    pub fn offers(&self, model: ModelId) -> Vec<Offer> {
        self.directory.read().offers(&model, Instant::now())
    }

    /// Every peer's live announcement (models and capacity), in peer order:
    /// the network's model directory as this node knows it.
    pub async fn directory(&self) -> Result<Vec<Announced>, NetError> {
        self.call(Command::Directory).await
    }

    /// Fetches blob `id` from the peers that provide it, verified chunk by
    /// chunk and as a whole against `id`. An interrupted fetch keeps its
    /// verified chunks, and calling again resumes it.
    pub async fn fetch_blob(&self, id: ModelId) -> Result<Vec<u8>, NetError> {
        let providers = self.providers(id).await?;
        if providers.is_empty() {
            return Err(NetError::NoProviders(id));
        }
        self.fetch_blob_from(id, providers).await
    }

    /// As [`NetHandle::fetch_blob`], from the given providers only.
    pub async fn fetch_blob_from(&self, id: ModelId, providers: Vec<PeerId>) -> Result<Vec<u8>, NetError> {
        self.call(|reply| Command::Fetch { id, providers, reply }).await
    }

    /// Sends an inference request to `peer` and returns its output body.
    pub async fn infer(&self, peer: PeerId, request: InferRequest) -> Result<Vec<u8>, NetError> {
        self.call(|reply| Command::Infer { peer, request, reply }).await
    }

    /// Checks an encoded receipt (format, digests, signature) and gossips
    /// it; returns its id.
    pub async fn publish_receipt(&self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        self.call(|r| Command::PublishReceipt(bytes, r)).await
    }

    /// Checks encoded fraud evidence (JSON, verified offline) and gossips
    /// it on `veris/evidence/1`; returns its id.
    pub async fn publish_evidence(&self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        self.call(|r| Command::PublishEvidence(bytes, r)).await
    }

    /// Checks an encoded [`veris_core::published_job::PublishedJob`] (JSON:
    /// signature, inputs against its input digest, size) signed by this
    /// node's own operator key, and gossips it on `veris/jobs/1`; returns
    /// the statement's id.
    pub async fn publish_job(&self, bytes: Vec<u8>) -> Result<Digest32, NetError> {
        self.call(|r| Command::PublishJob(bytes, r)).await
    }

    /// Asks `peer` for the receipt with id `id`; a receipt that does not
    /// verify or has another id is refused (and held against the peer).
    pub async fn fetch_receipt(&self, peer: PeerId, id: Digest32) -> Result<Option<Vec<u8>>, NetError> {
        self.call(|reply| Command::FetchReceipt { peer, id, reply }).await
    }

    /// Replaces the deny-list: every connection with these peers is closed
    /// and new ones in either direction are refused until a later call
    /// leaves them out; they are left out of look-ups and the directory
    /// meanwhile. Peers allowed again are redialled. For operators cutting
    /// off peers by hand, and for tests that partition a network.
    pub async fn set_denied(&self, peers: Vec<PeerId>) -> Result<(), NetError> {
        self.call(|r| Command::Deny(peers, r)).await
    }

    /// Stops the network task; every handle then returns [`NetError::Stopped`].
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
        self.commands.closed().await;
    }
}

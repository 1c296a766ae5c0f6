//! What the network tells the embedding node.

use std::sync::Arc;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use veris_core::{Address, Digest32, ModelId};

use crate::hygiene::Offence;

/// How a peer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    Kademlia,
    Mdns,
    /// It connected to us, or we to it, and identified itself.
    Connection,
}

/// An event of the network, delivered to every subscriber of
/// [`NetHandle::events`](crate::NetHandle::events). A subscriber that falls
/// behind loses the oldest events (it sees `RecvError::Lagged`), never stalls
/// the network.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// The node listens on a new address.
    Listening {
        address: Multiaddr,
    },
    /// A peer speaking the Veris protocols entered the routing table.
    PeerDiscovered {
        peer: PeerId,
        via: Discovery,
    },
    PeerConnected {
        peer: PeerId,
    },
    PeerDisconnected {
        peer: PeerId,
    },
    /// A peer announced (or changed) the models it serves and its capacity.
    Announcement {
        peer: PeerId,
        models: Vec<ModelId>,
        capacity: u32,
    },
    /// A valid receipt arrived by gossip; `from` is the peer that published it.
    ReceiptSeen {
        from: PeerId,
        id: Digest32,
        bytes: Arc<[u8]>,
    },
    /// Valid fraud evidence arrived by gossip or by an evidence sync;
    /// `from` is the peer that published or served it, `accused` the
    /// operator it is against.
    EvidenceSeen {
        from: PeerId,
        id: Digest32,
        accused: Address,
        bytes: Arc<[u8]>,
    },
    /// A valid signed job statement arrived by gossip, published by its
    /// operator (`from`, whose address is `operator`); `bytes` is the JSON
    /// of a [`veris_core::published_job::PublishedJob`], already checked.
    JobSeen {
        from: PeerId,
        operator: Address,
        /// The statement's id (its signing hash).
        id: Digest32,
        bytes: Arc<[u8]>,
    },
    /// A peer was penalised; `score` is its score afterwards.
    PeerPenalised {
        peer: PeerId,
        offence: Offence,
        score: f64,
    },
    /// A peer reached the ban threshold: it is disconnected and refused for `duration`.
    PeerBanned {
        peer: PeerId,
        duration: Duration,
    },
    /// A ban ran out.
    PeerUnbanned {
        peer: PeerId,
    },
}

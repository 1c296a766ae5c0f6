//! The network task: one loop that owns the swarm and all peer state.
//!
//! It never blocks: provider calls and whole-blob hashing run on tokio's
//! blocking pool and report back through an internal channel; handles talk
//! to it through a bounded command channel; events go out on a broadcast
//! channel that drops the oldest events for slow subscribers.
//!
//! - [`discovery`]: connections, identify, kademlia, mDNS, dialling, provider look-ups.
//! - [`serve`]: inbound requests, admission control, provider calls.
//! - [`fetching`]: outbound blob fetches driven by [`crate::fetch`].
//! - [`rpc`]: outbound inference and receipt requests.
//! - [`gossip`]: announcements and receipts on gossipsub; [`evidence`] and
//!   [`jobs`]: fraud evidence and signed job statements on gossipsub.
//! - [`sync`]: evidence sync with every newly connected peer.
//! - [`deny`]: the operator's deny-list (peers cut off, as in a partition).

mod deny;
mod discovery;
mod evidence;
mod fetching;
mod gossip;
mod jobs;
mod rpc;
mod serve;
mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libp2p::core::transport::ListenerId;
use libp2p::futures::StreamExt;
use libp2p::kad::QueryId;
use libp2p::request_response::OutboundRequestId;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};
use veris_core::{Digest32, ModelId};

use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::config::{Limits, NetConfig};
use crate::directory::SharedDirectory;
use crate::error::NetError;
use crate::event::NetEvent;
use crate::fetch::{BlobFetch, Want};
use crate::handle::Command;
use crate::hygiene::{Offence, PeerScores, RateLimiter};
use crate::provider::Provider;

pub(crate) use serve::{Internal, ManifestCache};

type Reply<T> = oneshot::Sender<Result<T, NetError>>;
/// An outbound receipt look-up: whom we asked, for which id, and who waits.
type ReceiptLookup = (PeerId, Digest32, Reply<Option<Vec<u8>>>);

/// How often timers (fetch pacing, bans, republishing) are checked.
const TICK: Duration = Duration::from_millis(100);

/// This node's own announcement and when to republish it.
#[derive(Debug)]
struct OwnAnnouncement {
    models: Vec<ModelId>,
    capacity: u32,
    next_publish: Instant,
}

/// A DHT provider look-up in progress.
#[derive(Debug)]
struct ProviderQuery {
    found: Vec<PeerId>,
    reply: Reply<Vec<PeerId>>,
}

/// A blob fetch in progress and who waits for it.
#[derive(Debug)]
struct ActiveFetch {
    state: BlobFetch,
    waiters: Vec<Reply<Vec<u8>>>,
}

pub(crate) struct Driver {
    swarm: Swarm<Behaviour>,
    config: NetConfig,
    limits: Arc<Limits>,
    provider: Arc<dyn Provider>,
    events: broadcast::Sender<NetEvent>,
    scores: PeerScores,
    rate: RateLimiter,
    calls: Arc<Semaphore>,
    internal: mpsc::UnboundedSender<Internal>,
    manifests: Arc<ManifestCache>,
    directory: SharedDirectory,
    /// Peers cut off by the deny-list: blocked like banned peers, but until allowed again.
    denied: HashSet<PeerId>,
    listen_addrs: Vec<Multiaddr>,
    pending_dials: HashMap<PeerId, Vec<Reply<()>>>,
    provider_queries: HashMap<QueryId, ProviderQuery>,
    infer_requests: HashMap<OutboundRequestId, (PeerId, Reply<Vec<u8>>)>,
    receipt_requests: HashMap<OutboundRequestId, ReceiptLookup>,
    blob_requests: HashMap<OutboundRequestId, (ModelId, PeerId, Want)>,
    /// Evidence-sync pages asked: of whom, and how many pages so far.
    sync_requests: HashMap<OutboundRequestId, (PeerId, usize)>,
    fetches: HashMap<ModelId, ActiveFetch>,
    /// Interrupted fetches kept for resuming, oldest first.
    partial: Vec<BlobFetch>,
    own: Option<OwnAnnouncement>,
    last_seq: u64,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("local", self.swarm.local_peer_id())
            .finish()
    }
}

impl Driver {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        config: NetConfig,
        limits: Arc<Limits>,
        provider: Arc<dyn Provider>,
        events: broadcast::Sender<NetEvent>,
        internal: mpsc::UnboundedSender<Internal>,
        directory: SharedDirectory,
    ) -> Self {
        Driver {
            directory,
            denied: HashSet::new(),
            scores: PeerScores::new(config.hygiene.clone()),
            rate: RateLimiter::new(config.limits.rate.clone()),
            calls: Arc::new(Semaphore::new(config.limits.max_provider_calls)),
            manifests: Arc::new(ManifestCache::default()),
            swarm,
            config,
            limits,
            provider,
            events,
            internal,
            listen_addrs: Vec::new(),
            pending_dials: HashMap::new(),
            provider_queries: HashMap::new(),
            infer_requests: HashMap::new(),
            receipt_requests: HashMap::new(),
            blob_requests: HashMap::new(),
            sync_requests: HashMap::new(),
            fetches: HashMap::new(),
            partial: Vec::new(),
            own: None,
            last_seq: 0,
        }
    }

    /// Handles swarm events until every listener in `pending` reported an
    /// address or failed; fails if none succeeded.
    pub(crate) async fn await_listeners(&mut self, mut pending: HashSet<ListenerId>) -> Result<(), NetError> {
        let mut failures = Vec::new();
        let deadline = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(deadline);
        while !pending.is_empty() {
            tokio::select! {
                event = self.swarm.select_next_some() => match event {
                    SwarmEvent::NewListenAddr { listener_id, .. } => {
                        pending.remove(&listener_id);
                        self.on_swarm_event(event);
                    }
                    SwarmEvent::ListenerClosed { listener_id, reason: Err(e), .. }
                    | SwarmEvent::ListenerError { listener_id, error: e } => {
                        pending.remove(&listener_id);
                        failures.push(e.to_string());
                    }
                    other => self.on_swarm_event(other),
                },
                _ = &mut deadline => break,
            }
        }
        if self.listen_addrs.is_empty() && !failures.is_empty() {
            return Err(NetError::Listen {
                addr: "all listen addresses".into(),
                reason: failures.join("; "),
            });
        }
        Ok(())
    }

    pub(crate) async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.on_command(command),
                },
                Some(message) = internal.recv() => self.on_internal(message),
                _ = tick.tick() => self.on_tick(),
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Peers(reply) => {
                let _ = reply.send(Ok(self.peer_infos()));
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(Ok(self.listen_addrs.clone()));
            }
            Command::Dial(addr, reply) => self.dial(addr, reply),
            Command::Announce {
                models,
                capacity,
                reply,
            } => {
                let _ = reply.send(self.announce(models, capacity));
            }
            Command::Providers(model, reply) => self.find_providers(model, reply),
            Command::Directory(reply) => {
                let _ = reply.send(Ok(self.directory.read().live(Instant::now())));
            }
            Command::Fetch { id, providers, reply } => self.start_fetch(id, providers, reply),
            Command::Infer { peer, request, reply } => self.send_infer(peer, request, reply),
            Command::PublishReceipt(bytes, reply) => {
                let _ = reply.send(self.publish_receipt(bytes));
            }
            Command::PublishEvidence(bytes, reply) => {
                let _ = reply.send(self.publish_evidence(bytes));
            }
            Command::PublishJob(bytes, reply) => {
                let _ = reply.send(self.publish_job(bytes));
            }
            Command::FetchReceipt { peer, id, reply } => self.send_receipt_request(peer, id, reply),
            Command::Deny(peers, reply) => {
                self.set_denied(peers);
                let _ = reply.send(Ok(()));
            }
            Command::Shutdown => {}
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Blob(e)) => self.on_blob_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Infer(e)) => self.on_infer_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Receipt(e)) => self.on_receipt_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(e)) => self.on_gossip_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync_event(e),
            other => self.on_discovery_event(other),
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.scores.expire_bans(now) {
            if !self.denied.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            }
            self.emit(NetEvent::PeerUnbanned { peer });
        }
        self.directory.write().expire(now);
        self.republish_if_due(now);
        let ids: Vec<ModelId> = self.fetches.keys().copied().collect();
        for id in ids {
            self.pump_fetch(id);
        }
    }

    fn emit(&self, event: NetEvent) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    /// Holds `offence` against `peer`; bans (blocks and disconnects) it at the threshold.
    fn penalise(&mut self, peer: PeerId, offence: Offence) {
        if peer == *self.swarm.local_peer_id() {
            return;
        }
        let verdict = self.scores.penalise(peer, offence, Instant::now());
        tracing::debug!(%peer, ?offence, score = verdict.score, "peer penalised");
        self.emit(NetEvent::PeerPenalised {
            peer,
            offence,
            score: verdict.score,
        });
        if verdict.ban {
            tracing::info!(%peer, "peer banned");
            self.swarm.behaviour_mut().blocked.block_peer(peer);
            self.swarm.behaviour_mut().kad.remove_peer(&peer);
            self.directory.write().forget(&peer);
            self.emit(NetEvent::PeerBanned {
                peer,
                duration: self.scores.ban_duration(),
            });
        }
    }
}

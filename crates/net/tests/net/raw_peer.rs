//! A hand-driven libp2p peer that speaks the Veris protocols badly on purpose:
//! arbitrary bytes on the inference protocol, arbitrary gossip payloads.

use std::io;
use std::time::Duration;

use libp2p::futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::gossipsub::{self, IdentTopic};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder, identity, noise, tcp, yamux};
use veris_net::protocol::INFER_PROTOCOL;

/// Writes requests verbatim; reads responses to the end (at most 1 MiB).
#[derive(Debug, Clone, Default)]
pub struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        io.take(1 << 20).read_to_end(&mut out).await?;
        Ok(out)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        io.take(1 << 20).read_to_end(&mut out).await?;
        Ok(out)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&req).await?;
        io.flush().await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&res).await?;
        io.flush().await
    }
}

#[derive(NetworkBehaviour)]
pub struct RawBehaviour {
    pub rr: request_response::Behaviour<RawCodec>,
    pub gossip: gossipsub::Behaviour,
}

pub struct RawPeer {
    pub swarm: Swarm<RawBehaviour>,
}

impl RawPeer {
    pub fn new() -> Self {
        let key = identity::Keypair::generate_secp256k1();
        let gossip = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(key.clone()),
            gossipsub::ConfigBuilder::default()
                .heartbeat_interval(Duration::from_millis(200))
                .build()
                .expect("gossip config"),
        )
        .expect("gossip");
        let swarm = SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(tcp::Config::new(), noise::Config::new, yamux::Config::default)
            .expect("tcp")
            .with_behaviour(|_| RawBehaviour {
                rr: request_response::Behaviour::new(
                    [(INFER_PROTOCOL, ProtocolSupport::Outbound)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(10)),
                ),
                gossip,
            })
            .expect("behaviour")
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        RawPeer { swarm }
    }

    pub fn id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    pub fn subscribe(&mut self, topic: &str) {
        self.swarm
            .behaviour_mut()
            .gossip
            .subscribe(&IdentTopic::new(topic))
            .expect("subscribe");
    }

    /// Publishes `bytes` on the gossip `topic`.
    pub fn publish(&mut self, topic: &str, bytes: Vec<u8>) {
        self.swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(topic), bytes)
            .expect("published");
    }

    /// Drives the swarm until `node` is seen subscribing to `topic`; false after `limit`.
    pub async fn await_subscription(&mut self, node: PeerId, topic: &str, limit: Duration) -> bool {
        self.drive_until(limit, |e| match e {
            SwarmEvent::Behaviour(RawBehaviourEvent::Gossip(gossipsub::Event::Subscribed { peer_id, topic: t }))
                if *peer_id == node && t.as_str() == topic =>
            {
                Some(())
            }
            _ => None,
        })
        .await
        .is_some()
    }

    /// Drives the swarm until `select` picks an event, or `None` after `limit`.
    pub async fn drive_until<T>(
        &mut self,
        limit: Duration,
        mut select: impl FnMut(&SwarmEvent<RawBehaviourEvent>) -> Option<T>,
    ) -> Option<T> {
        tokio::time::timeout(limit, async {
            loop {
                let event = self.swarm.select_next_some().await;
                if let Some(t) = select(&event) {
                    return t;
                }
            }
        })
        .await
        .ok()
    }

    /// Dials and waits for the connection (or its failure).
    pub async fn connect(&mut self, addr: Multiaddr) -> bool {
        self.swarm.dial(addr).expect("dial starts");
        self.drive_until(Duration::from_secs(10), |e| match e {
            SwarmEvent::ConnectionEstablished { .. } => Some(true),
            SwarmEvent::OutgoingConnectionError { .. } => Some(false),
            _ => None,
        })
        .await
        .unwrap_or(false)
    }

    /// Keeps the swarm running in the background for `duration`.
    pub async fn idle(&mut self, duration: Duration) {
        let _ = self.drive_until(duration, |_| None::<()>).await;
    }
}

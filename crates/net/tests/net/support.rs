//! Test nodes on loopback, a toy provider, seeded data and bounded waits.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;
use veris_core::{Digest32, EngineId, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorMap};
use veris_net::manifest::Manifest;
use veris_net::{InferRequest, Multiaddr, NetConfig, NetEvent, NetHandle, Network, PeerId, Provider};

/// How a [`MemProvider`] misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Honest,
    /// Sends the honest manifest but flips a byte in every chunk.
    CorruptChunks,
    /// Serves only this many chunks, then answers "not found".
    StopAfter(usize),
}

/// A provider holding blobs and receipts in memory, counting chunk reads.
pub struct MemProvider {
    blobs: Mutex<HashMap<ModelId, Arc<Vec<u8>>>>,
    receipts: Mutex<HashMap<Digest32, Vec<u8>>>,
    behaviour: Behaviour,
    pub chunks_served: AtomicUsize,
}

impl MemProvider {
    pub fn new(behaviour: Behaviour) -> Arc<Self> {
        Arc::new(MemProvider {
            blobs: Mutex::default(),
            receipts: Mutex::default(),
            behaviour,
            chunks_served: AtomicUsize::new(0),
        })
    }

    /// Holds `bytes` under their content id.
    pub fn with_blob(self: Arc<Self>, bytes: &[u8]) -> Arc<Self> {
        self.insert(ModelId::of_bytes(bytes), bytes.to_vec());
        self
    }

    /// Holds `bytes` under `id`, whatever they hash to (a lying provider).
    pub fn insert(&self, id: ModelId, bytes: Vec<u8>) {
        self.blobs.lock().unwrap().insert(id, Arc::new(bytes));
    }

    pub fn insert_receipt(&self, id: Digest32, bytes: Vec<u8>) {
        self.receipts.lock().unwrap().insert(id, bytes);
    }

    pub fn served(&self) -> usize {
        self.chunks_served.load(Ordering::SeqCst)
    }

    fn get(&self, id: &ModelId) -> Option<Arc<Vec<u8>>> {
        self.blobs.lock().unwrap().get(id).cloned()
    }
}

impl Provider for MemProvider {
    fn blob_len(&self, id: &ModelId) -> Option<u64> {
        self.get(id).map(|b| b.len() as u64)
    }

    fn read_blob(&self, id: &ModelId, offset: u64, len: usize) -> Option<Vec<u8>> {
        let blob = self.get(id)?;
        let served = self.chunks_served.fetch_add(1, Ordering::SeqCst);
        if let Behaviour::StopAfter(n) = self.behaviour
            && served >= n
        {
            return None;
        }
        let mut chunk = blob.get(offset as usize..offset as usize + len)?.to_vec();
        if self.behaviour == Behaviour::CorruptChunks {
            chunk[len / 2] ^= 0x5a;
        }
        Some(chunk)
    }

    fn manifest(&self, id: &ModelId) -> Option<Manifest> {
        // From the held bytes, not through read_blob: counts stay chunk counts,
        // and a corrupting provider still sends the honest manifest.
        self.get(id).map(|b| Manifest::of_bytes(&b))
    }

    /// Toy inference: each byte plus one; the model must be held; body "panic" panics.
    fn infer(&self, _from: PeerId, request: InferRequest) -> Result<Vec<u8>, String> {
        if request.body == b"panic" {
            panic!("provider bug");
        }
        if self.get(&request.model).is_none() {
            return Err(format!("model {} is not served here", request.model));
        }
        Ok(request.body.iter().map(|b| b.wrapping_add(1)).collect())
    }

    fn receipt(&self, id: &Digest32) -> Option<Vec<u8>> {
        self.receipts.lock().unwrap().get(id).cloned()
    }
}

/// Deterministic pseudo-random bytes (xorshift64*).
pub fn seeded_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).expect("valid secret")
}

/// Loopback, fast timers, short timeouts.
pub fn test_config(bootstrap: Vec<Multiaddr>) -> NetConfig {
    let mut config = NetConfig::loopback();
    config.bootstrap = bootstrap;
    let t = &mut config.timing;
    t.request_timeout = Duration::from_secs(10);
    t.infer_timeout = Duration::from_secs(10);
    t.provider_query_timeout = Duration::from_secs(3);
    t.bootstrap_interval = Duration::from_secs(1);
    t.announce_interval = Duration::from_millis(500);
    t.gossip_heartbeat = Duration::from_millis(200);
    config
}

pub async fn spawn(seed: u8, provider: Arc<dyn Provider>, bootstrap: Vec<Multiaddr>) -> NetHandle {
    Network::spawn(test_config(bootstrap), &key(seed), provider)
        .await
        .expect("network starts")
}

/// The node's TCP listen address.
pub async fn tcp_addr(node: &NetHandle) -> Multiaddr {
    node.listen_addrs()
        .await
        .expect("running")
        .into_iter()
        .find(|a| a.to_string().contains("/tcp/"))
        .expect("a TCP listener")
}

/// `n` nodes; node 0 is the bootstrap peer of all others.
pub async fn cluster(providers: Vec<Arc<dyn Provider>>) -> Vec<NetHandle> {
    let mut nodes = Vec::new();
    for (i, provider) in providers.into_iter().enumerate() {
        let bootstrap = match nodes.first() {
            Some(first) => vec![tcp_addr(first).await],
            None => Vec::new(),
        };
        nodes.push(spawn(i as u8 + 1, provider, bootstrap).await);
    }
    nodes
}

/// Polls `check` until it holds, failing the test after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let result = tokio::time::timeout(limit, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(result.is_ok(), "timed out after {limit:?} waiting for {what}");
}

/// The first event matching `select`, failing the test after `limit`.
pub async fn next_event<T>(
    events: &mut broadcast::Receiver<NetEvent>,
    limit: Duration,
    mut select: impl FnMut(&NetEvent) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(t) = select(&event) {
                        return t;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("network stopped"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no matching event within {limit:?}"))
}

/// A valid receipt signed by `key` about `model`.
pub fn receipt(key: &OperatorKey, model: ModelId, timestamp_ms: u64) -> Receipt {
    let tensor = |v: Vec<f32>| Tensor::new("t", vec![v.len()], TensorData::Float32(v)).expect("tensor");
    let statement = Statement {
        model,
        engine: EngineId {
            id: "test-engine".into(),
            version: "1".into(),
        },
        inputs: TensorMap::from([("x".to_string(), tensor(vec![1.0, 2.0]))]),
        outputs: TensorMap::from([("y".to_string(), tensor(vec![3.0]))]),
        timestamp_ms,
        nonce: Nonce([7; 32]),
    };
    Receipt::sign(statement, key, true)
}

//! Sending one replicated job to k distinct operators: least loaded first,
//! a replacement for every operator that fails, all within one deadline.
//!
//! Candidates are this node (first, if it holds the model: it needs no
//! network and lets the node replay the job) and the peers that provide
//! the model, ordered by the jobs this node already has in flight with each
//! ([`PeerLoads`]), ties broken by a hash of the job id and the peer (so
//! equal peers share the load, reproducibly for one job). k run at once;
//! when one fails or runs past its share of the deadline, the next
//! candidate takes its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use veris_core::digest::keccak256;
use veris_core::{Address, Nonce, TensorMap};
use veris_net::{NetHandle, PeerId};

use super::job::{Expected, JobRequest, JobResponse, check_answer};
use crate::service::Service;

/// Who may run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    Local(Address),
    Peer(PeerId, Address),
}

impl Candidate {
    pub fn operator(&self) -> Address {
        match *self {
            Candidate::Local(a) | Candidate::Peer(_, a) => a,
        }
    }
}

/// Jobs this node has in flight with each peer.
#[derive(Debug, Default)]
pub struct PeerLoads(Mutex<HashMap<PeerId, usize>>);

impl PeerLoads {
    fn load(&self, peer: &PeerId) -> usize {
        self.0.lock().map(|m| m.get(peer).copied().unwrap_or(0)).unwrap_or(0)
    }

    fn start(self: &Arc<Self>, peer: PeerId) -> LoadGuard {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(peer).or_default() += 1;
        }
        LoadGuard(self.clone(), peer)
    }
}

/// Ends one job's share of a peer's load when dropped.
struct LoadGuard(Arc<PeerLoads>, PeerId);

impl Drop for LoadGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = (self.0).0.lock()
            && let Some(n) = m.get_mut(&self.1)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

/// Orders peers least loaded first, ties by `keccak(job id || peer id)`.
pub fn order_peers(peers: &mut [(PeerId, Address)], loads: &PeerLoads, job_id: &Nonce) {
    peers.sort_by_cached_key(|(peer, _)| (loads.load(peer), keccak256(&[&job_id.0, &peer.to_bytes()])));
}

/// One job and where it may run.
pub struct Dispatch {
    pub service: Arc<Service>,
    pub net: Option<NetHandle>,
    pub loads: Arc<PeerLoads>,
    pub expected: Expected,
    pub inputs: TensorMap,
    pub deadline: Instant,
}

/// What came back: valid answers, and why the others failed.
#[derive(Debug, Default)]
pub struct Collected {
    pub answers: Vec<(Address, JobResponse)>,
    pub failures: Vec<(Address, String)>,
}

impl Dispatch {
    /// Runs the job on up to `k` of `candidates` (in order), replacing failures.
    pub async fn run(&self, candidates: Vec<Candidate>, k: usize) -> Collected {
        let mut queue = candidates.into_iter();
        let mut running = JoinSet::new();
        let mut pending = HashMap::new();
        let mut out = Collected::default();
        // Each attempt gets at most a third of the time (at least 2 s), so a
        // stalled operator leaves time to ask another.
        let total = self.deadline.saturating_duration_since(Instant::now());
        let attempt = (total / 3).max(Duration::from_secs(2));
        for candidate in queue.by_ref().take(k) {
            let handle = running.spawn(self.attempt(candidate, attempt));
            pending.insert(handle.id(), candidate.operator());
        }
        loop {
            let joined = match tokio::time::timeout_at(self.deadline.into(), running.join_next_with_id()).await {
                Ok(Some(joined)) => joined,
                Ok(None) => break,
                Err(_) => {
                    running.abort_all();
                    for (_, operator) in pending.drain() {
                        out.failures.push((operator, "no answer before the deadline".into()));
                    }
                    break;
                }
            };
            let (operator, result) = match joined {
                Ok((id, result)) => (pending.remove(&id), result),
                Err(e) => (pending.remove(&e.id()), Err(format!("task failed: {e}"))),
            };
            let Some(operator) = operator else { continue };
            match result {
                Ok(answer) => out.answers.push((operator, answer)),
                Err(reason) => {
                    out.failures.push((operator, reason));
                    if let Some(next) = queue.next() {
                        let handle = running.spawn(self.attempt(next, attempt));
                        pending.insert(handle.id(), next.operator());
                    }
                }
            }
        }
        out
    }

    /// This node's own run of the job (to judge a disagreement).
    pub async fn replay(&self) -> Result<JobResponse, String> {
        let total = self.deadline.saturating_duration_since(Instant::now());
        self.attempt(Candidate::Local(self.service.operator()), total).await
    }

    fn attempt(
        &self,
        candidate: Candidate,
        limit: Duration,
    ) -> impl Future<Output = Result<JobResponse, String>> + use<> {
        let attempt = Attempt {
            service: self.service.clone(),
            net: self.net.clone(),
            loads: self.loads.clone(),
            expected: self.expected.clone(),
            inputs: self.inputs.clone(),
            deadline: self.deadline.min(Instant::now() + limit),
        };
        async move {
            match candidate {
                Candidate::Local(_) => attempt.local().await,
                Candidate::Peer(peer, operator) => attempt.remote(peer, operator).await,
            }
        }
    }
}

/// One operator's try at the job, owning what it needs.
struct Attempt {
    service: Arc<Service>,
    net: Option<NetHandle>,
    loads: Arc<PeerLoads>,
    expected: Expected,
    inputs: TensorMap,
    deadline: Instant,
}

impl Attempt {
    async fn local(self) -> Result<JobResponse, String> {
        let (service, model, job_id, inputs) = (self.service, self.expected.model, self.expected.job_id, self.inputs);
        let run = tokio::task::spawn_blocking(move || service.run_job(model, job_id, inputs));
        match tokio::time::timeout_at(self.deadline.into(), run).await {
            Ok(Ok(Ok(answer))) => Ok(answer),
            Ok(Ok(Err(e))) => Err(format!("{}: {e}", e.code())),
            Ok(Err(e)) => Err(format!("local run failed: {e}")),
            Err(_) => Err("timed out".into()),
        }
    }

    async fn remote(self, peer: PeerId, operator: Address) -> Result<JobResponse, String> {
        let net = self.net.as_ref().ok_or("no peer network")?;
        let job = JobRequest {
            job_id: self.expected.job_id,
            inputs: self.inputs,
        };
        let body = serde_json::to_vec(&job).map_err(|e| format!("cannot encode the job: {e}"))?;
        let request = veris_net::InferRequest {
            model: self.expected.model,
            body,
        };
        let _load = self.loads.start(peer);
        let bytes = match tokio::time::timeout_at(self.deadline.into(), net.infer(peer, request)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("timed out".into()),
        };
        check_answer(&bytes, operator, &self.expected, &self.service.config().limits.tensors)
    }
}

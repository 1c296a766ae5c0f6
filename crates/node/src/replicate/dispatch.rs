//! Sending one replicated job to k distinct operators: least loaded first,
//! a replacement for every operator that fails, all within one deadline.
//!
//! Candidates are this node (first, if it holds the model: it needs no
//! network and its own signed run is the reference if answers disagree)
//! and the peers that provide the model, least loaded first
//! ([`crate::select`], salted with the job id). k run at once, this node's
//! run on the blocking pool beside the remote ones; when one fails (a
//! refusal, an error, a connection closed under it) or runs past its share
//! of the deadline, the next candidate takes its place.
//!
//! The job body is encoded once for every peer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use veris_core::{Address, TensorMap};
use veris_net::{NetHandle, PeerId};

use super::job::{Expected, JobResponse, check_answer};
use crate::select::PeerLoads;
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

/// One job and where it may run.
pub struct Dispatch {
    pub service: Arc<Service>,
    pub net: Option<NetHandle>,
    pub loads: Arc<PeerLoads>,
    pub expected: Expected,
    pub inputs: TensorMap,
    /// The JSON of the [`super::JobRequest`] sent to peers.
    pub body: Arc<[u8]>,
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
            deadline: self.deadline.min(Instant::now() + limit),
        };
        let local = matches!(candidate, Candidate::Local(_)).then(|| self.inputs.clone());
        let body = self.body.clone();
        async move {
            match (candidate, local) {
                (Candidate::Peer(peer, operator), _) => attempt.remote(peer, operator, &body).await,
                (Candidate::Local(_), Some(inputs)) => attempt.local(inputs).await,
                (Candidate::Local(_), None) => Err("no inputs for the local run".into()),
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
    deadline: Instant,
}

impl Attempt {
    async fn local(self, inputs: TensorMap) -> Result<JobResponse, String> {
        let (service, model, job_id) = (self.service, self.expected.model, self.expected.job_id);
        let run = tokio::task::spawn_blocking(move || service.run_job(model, job_id, inputs));
        match tokio::time::timeout_at(self.deadline.into(), run).await {
            Ok(Ok(Ok(answer))) => Ok(answer),
            Ok(Ok(Err(e))) => Err(format!("{}: {e}", e.code())),
            Ok(Err(e)) => Err(format!("local run failed: {e}")),
            Err(_) => Err("timed out".into()),
        }
    }

    async fn remote(self, peer: PeerId, operator: Address, body: &[u8]) -> Result<JobResponse, String> {
        let net = self.net.as_ref().ok_or("no peer network")?;
        let request = veris_net::InferRequest {
            model: self.expected.model,
            body: body.to_vec(),
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

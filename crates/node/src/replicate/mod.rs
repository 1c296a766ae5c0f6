//! Replicated execution (`POST /v1/infer` with `"mode": "replicated"`):
//! the entry node sends one exact-engine job to k distinct operators,
//! collects their signed statements, and accepts the result when a quorum
//! of them signed the same statement bit for bit.
//!
//! 1. The model must be a compiled exact model: a reference this hub
//!    resolves, or a model id that peers provide. The inputs are decoded
//!    with the model's specs if the hub holds it, else they must be in full
//!    tensor form. The entry node picks a random job id.
//! 2. The job goes to k operators ([`dispatch`]): this node first if it
//!    holds the model, then the providers, least loaded for their announced
//!    capacity first ([`crate::select`]), with a replacement for each that
//!    fails, within the node's inference timeout. When this node's own run
//!    is among the answers it is the reference for evidence: no replay.
//! 3. Statements are grouped; the largest group wins if it has at least
//!    `quorum` operators, and its signatures become the certificate
//!    ([`veris_core::quorum::QuorumCertificate`]).
//! 4. Every operator that signed something else is named in fraud
//!    evidence ([`verdict`]): against this node's own replay when it holds
//!    the model (conclusive), else against a member of the winning group.
//!    Evidence is stored and gossiped ([`crate::evidence`]).

mod dispatch;
mod job;
mod replay;
mod verdict;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use veris_core::api_replicated::{MAX_K, ReplicatedInferRequest, ReplicatedInferResponse};
use veris_core::replicated::{REPLICATED_FORMAT_VERSION, ReplicatedMode, ReplicatedReceipt};
use veris_core::{ModelId, Nonce, TensorMap, tensor_codec};
use veris_net::NetHandle;
use veris_store::StoreError;

pub use job::{JobRequest, JobResponse};
pub use replay::replay_output;

use crate::error::NodeError;
use crate::loaded::{EXACT_FORMAT, exact_engine};
use crate::select::{find_providers, rank};
use crate::service::Service;
use dispatch::{Candidate, Dispatch};
use job::Expected;

async fn blocking<T: Send + 'static>(
    service: &Arc<Service>,
    work: impl FnOnce(&Service) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    let service = service.clone();
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|e| NodeError::Internal {
            action: "finish a replicated job",
            reason: e.to_string(),
        })?
}

/// The model of a request, whether this hub holds it, and its decoded inputs.
fn resolve(service: &Service, req: &ReplicatedInferRequest) -> Result<(ModelId, bool, TensorMap), NodeError> {
    let limits = &service.config().limits.tensors;
    match service.show_model(&req.model) {
        Ok(record) if record.format == EXACT_FORMAT => {
            let specs = service.load(&record)?.input_specs();
            let inputs = veris_core::tensor_json::decode_inputs(&req.inputs, &specs, limits)?;
            Ok((record.id, true, inputs))
        }
        Ok(record) => Err(NodeError::BadRequest(format!(
            "replicated mode needs a compiled exact model; {} is {} (compile it first: `veris model compile {}`)",
            record.reference(),
            record.format,
            record.reference()
        ))),
        Err(NodeError::Store(StoreError::NotFound { .. })) if req.model.parse::<ModelId>().is_ok() => {
            let id = req
                .model
                .parse::<ModelId>()
                .map_err(|e| NodeError::BadRequest(e.to_string()))?;
            let inputs = veris_core::tensor_json::decode_tensor_map(&req.inputs, limits)?;
            Ok((id, false, inputs))
        }
        Err(e) => Err(e),
    }
}

fn check_sizes(req: &ReplicatedInferRequest) -> Result<(usize, usize), NodeError> {
    let (k, quorum) = (req.k, req.quorum());
    if k == 0 || k > MAX_K {
        return Err(NodeError::BadRequest(format!(
            "k must be between 1 and {MAX_K}, not {k}"
        )));
    }
    if quorum == 0 || quorum > k {
        return Err(NodeError::BadRequest(format!(
            "quorum must be between 1 and k = {k}, not {quorum}"
        )));
    }
    Ok((usize::from(k), usize::from(quorum)))
}

/// Runs a replicated inference (see the module documentation).
pub async fn infer_replicated(
    service: Arc<Service>,
    net: Option<NetHandle>,
    req: ReplicatedInferRequest,
) -> Result<ReplicatedInferResponse, NodeError> {
    let (k, quorum) = check_sizes(&req)?;
    let deadline = Instant::now() + service.config().limits.infer_timeout;
    let (resolved, req) = blocking(&service, move |s| Ok((resolve(s, &req)?, req))).await?;
    let (model, held, inputs) = resolved;
    let job_id = Nonce::random();
    let mut candidates = Vec::new();
    if held {
        candidates.push(Candidate::Local(service.operator()));
    }
    if let Some(net) = &net {
        let wanted = k.saturating_sub(candidates.len());
        let mut offers = find_providers(net, model, wanted)
            .await
            .map_err(|e| NodeError::Peers(e.to_string()))?;
        rank(&mut offers, service.peer_loads(), &job_id.0);
        // One operator, one vote: a key behind several peer ids counts once.
        let mut seen = HashSet::from([service.operator()]);
        candidates.extend(
            offers
                .into_iter()
                .filter_map(|o| veris_net::identity::address_of(&o.peer).ok().map(|a| (o.peer, a)))
                .filter(|(_, a)| seen.insert(*a))
                .map(|(p, a)| Candidate::Peer(p, a)),
        );
    }
    if candidates.len() < quorum {
        return Err(NodeError::Peers(format!(
            "model {model}: {} operators can run it (this node {}), the quorum is {quorum}",
            candidates.len(),
            if held {
                "included"
            } else {
                "not included: it does not hold the model"
            }
        )));
    }
    let expected = Expected {
        job_id,
        model,
        engine: exact_engine(),
        input_digest: tensor_codec::digest(&inputs),
    };
    let job = JobRequest { job_id, inputs };
    let body = serde_json::to_vec(&job).map_err(|e| NodeError::Internal {
        action: "encode a replicated job",
        reason: e.to_string(),
    })?;
    let dispatch = Dispatch {
        service: service.clone(),
        net: net.clone(),
        loads: service.peer_loads().clone(),
        expected,
        inputs: job.inputs,
        body: body.into(),
        deadline,
    };
    let collected = dispatch.run(candidates, k).await;
    let embedded = req.embed_inputs.then(|| dispatch.inputs.clone());
    let judged = verdict::judge(&service, &net, collected, quorum, held, &dispatch, embedded.clone()).await?;
    let receipt = ReplicatedReceipt {
        format: REPLICATED_FORMAT_VERSION,
        mode: ReplicatedMode::Replicated,
        k: req.k,
        quorum: req.quorum(),
        inputs: embedded,
        outputs: judged.outputs,
        certificate: judged.certificate,
    };
    Ok(ReplicatedInferResponse {
        model,
        outputs: receipt.outputs.clone(),
        receipt_id: receipt.id(),
        receipt,
        outcomes: judged.outcomes,
        evidence: judged.evidence,
    })
}

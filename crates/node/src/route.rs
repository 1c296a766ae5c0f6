//! Forwarding an inference the node cannot serve itself: `POST /v1/infer`
//! for a model id this hub does not hold goes over libp2p to a peer that
//! provides the model.
//!
//! Providers are ranked least loaded first by announced capacity and the
//! requests this node has in flight with each ([`crate::select`]); at most
//! [`MAX_ATTEMPTS`] are tried, one after the other, within the node's
//! inference timeout in all. Each attempt gets an equal share of the time
//! left for the attempts left (at least [`MIN_ATTEMPT`]), so a peer that
//! stalls or dies mid-request leaves time to ask the next; a peer whose
//! connection closes under the request fails it at once.
//!
//! A peer's answer is accepted only if it is an inference response for
//! that model whose receipt verifies (format, digests, signature, and a zk
//! receipt's proof against the key it states: whether that key is the
//! model's is for the caller to judge); it is returned unchanged, signed by
//! the peer's operator key. A peer that fails or answers with anything else
//! is skipped for the next one, except when it says the request itself is
//! at fault (invalid inputs, a bad request): every peer would, so that error
//! goes back to the caller with its status.

use std::time::{Duration, Instant};

use veris_core::api::{InferRequest, InferResponse};
use veris_core::verify::verify_with;
use veris_core::{ModelId, Nonce};
use veris_net::{NetError, NetHandle};
use veris_zk::receipt::ZkChecker;

use crate::error::NodeError;
use crate::select::{find_providers, rank};
use crate::service::Service;

/// Peers tried for one request, at most.
pub const MAX_ATTEMPTS: usize = 3;

/// The least time one attempt is given (unless less is left in all).
pub const MIN_ATTEMPT: Duration = Duration::from_secs(2);

/// Runs `req` for model `id` on a peer that provides it.
pub async fn forward_infer(
    service: &Service,
    net: &NetHandle,
    id: ModelId,
    req: &InferRequest,
) -> Result<InferResponse, NodeError> {
    let limits = &service.config().limits;
    let deadline = Instant::now() + limits.infer_timeout;
    let body = serde_json::to_vec(req).map_err(|e| NodeError::Internal {
        action: "encode a forwarded request",
        reason: e.to_string(),
    })?;
    let mut offers = find_providers(net, id, 1)
        .await
        .map_err(|e| NodeError::Peers(e.to_string()))?;
    if offers.is_empty() {
        return Err(NodeError::Peers(format!(
            "model {id} is not in this hub and no peer provides it"
        )));
    }
    // A fresh salt per request: equally loaded peers take turns.
    rank(&mut offers, service.peer_loads(), &Nonce::random().0);
    offers.truncate(MAX_ATTEMPTS);
    let mut failures = Vec::new();
    for (tried, offer) in offers.iter().enumerate() {
        let peer = offer.peer;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            failures.push("deadline reached".to_string());
            break;
        }
        let share = left / u32::try_from(offers.len() - tried).unwrap_or(1);
        let limit = share.max(MIN_ATTEMPT).min(left);
        let request = veris_net::InferRequest {
            model: id,
            body: body.clone(),
        };
        let _load = service.peer_loads().start(peer);
        let answer = match tokio::time::timeout(limit, net.infer(peer, request)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(NetError::Remote { message, .. })) if let Some(e) = callers_fault(&message) => return Err(e),
            Ok(Err(e)) => {
                failures.push(format!("{peer}: {e}"));
                continue;
            }
            Err(_) => {
                failures.push(format!("{peer}: no answer within {} ms", limit.as_millis()));
                continue;
            }
        };
        match accept(&answer, id, service) {
            Ok(response) => return Ok(response),
            Err(reason) => failures.push(format!("{peer}: {reason}")),
        }
    }
    Err(NodeError::Peers(format!(
        "no peer could run model {id}: {}",
        failures.join("; ")
    )))
}

/// The error a peer's `code: message` failure stands for, when the code
/// says the request itself is wrong.
fn callers_fault(message: &str) -> Option<NodeError> {
    let (code, text) = message.split_once(": ")?;
    let code = CALLER_FAULT_CODES.iter().find(|c| **c == code)?;
    Some(NodeError::Forwarded {
        code,
        message: text.to_string(),
    })
}

/// Error codes that blame the request, not the node that refused it.
const CALLER_FAULT_CODES: &[&str] = &["bad_request", "invalid_input", "not_provable", "payload_too_large"];

/// The peer's response, if it is a verifying receipt for model `id`.
fn accept(answer: &[u8], id: ModelId, service: &Service) -> Result<InferResponse, String> {
    let response: InferResponse = serde_json::from_slice(answer).map_err(|e| format!("invalid response: {e}"))?;
    if response.model != id || response.receipt.model != id {
        return Err("answered for another model".into());
    }
    let stated = ZkChecker {
        trusted: response
            .receipt
            .evidence
            .zk_proof()
            .map(|p| p.verifying_key)
            .ok_or_else(|| "not a zk receipt".to_string()),
    };
    let report = verify_with(&response.receipt, &service.config().limits.tensors, Some(&stated));
    if !report.ok() {
        return Err("its receipt does not verify".into());
    }
    if response.receipt.id() != response.receipt_id || response.outputs != response.receipt.outputs {
        return Err("its response does not match its receipt".into());
    }
    Ok(response)
}

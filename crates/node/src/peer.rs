//! The node's side of the libp2p peer protocols ([`veris_net::Provider`]):
//! the hub's model blobs and inference through the [`Service`], served to
//! other Veris nodes.
//!
//! A replicated job's body is the JSON of [`JobRequest`] (it has a
//! `job_id`), answered by a signed job statement ([`crate::replicate`]).
//! Any other inference request's body is the JSON of [`InferRequest`] (the same as
//! `POST /v1/infer`), its answer the JSON of [`InferResponse`], whose receipt
//! is signed by this node's operator key and verifies offline like any other.
//! The request's model is the wire request's content id, whatever reference
//! the JSON names, so a peer cannot be served a model other than the one it
//! asked for.
//!
//! Blob reads come straight from the hub's blob files; a blob that went bad
//! on disk is caught by the fetching peer, which checks every chunk against
//! the manifest and the whole against the content id.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use veris_core::ModelId;
use veris_core::api::{AddModelResponse, InferRequest, InferResponse};
use veris_net::{NetConfig, NetError, NetHandle, Network, PeerId, Provider};

use crate::audit::spawn_auditor;
use crate::error::NodeError;
use crate::evidence::spawn_evidence_listener;
use crate::replicate::JobRequest;
use crate::service::Service;

/// [`Provider`] over a node's [`Service`].
#[derive(Debug, Clone)]
pub struct ServiceProvider {
    service: Arc<Service>,
}

impl ServiceProvider {
    pub fn new(service: Arc<Service>) -> Self {
        ServiceProvider { service }
    }

    /// Runs one inference request from a peer; errors become `code: message`.
    fn run(&self, request: veris_net::InferRequest) -> Result<InferResponse, String> {
        let mut body: InferRequest =
            serde_json::from_slice(&request.body).map_err(|e| format!("bad_request: invalid request body: {e}"))?;
        body.model = request.model.to_string();
        self.service.infer(body).map_err(|e| format!("{}: {e}", e.code()))
    }
}

impl Provider for ServiceProvider {
    fn blob_len(&self, id: &ModelId) -> Option<u64> {
        let hub = self.service.hub();
        // Only blobs of models the hub lists: a blob left behind by a
        // removal is not served.
        if hub.versions_of(id).ok()?.is_empty() {
            return None;
        }
        std::fs::metadata(hub.blob_path(id)).ok().map(|m| m.len())
    }

    fn read_blob(&self, id: &ModelId, offset: u64, len: usize) -> Option<Vec<u8>> {
        let size = self.blob_len(id)?;
        let end = offset.checked_add(u64::try_from(len).ok()?)?;
        if end > size {
            return None;
        }
        let mut file = File::open(self.service.hub().blob_path(id)).ok()?;
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    fn infer(&self, _from: PeerId, request: veris_net::InferRequest) -> Result<Vec<u8>, String> {
        let encoded = match serde_json::from_slice::<JobRequest>(&request.body) {
            Ok(job) => {
                let answer = self
                    .service
                    .run_job(request.model, job.job_id, job.inputs)
                    .map_err(|e| format!("{}: {e}", e.code()))?;
                serde_json::to_vec(&answer)
            }
            Err(_) => serde_json::to_vec(&self.run(request)?),
        };
        encoded.map_err(|e| format!("internal: cannot encode the response: {e}"))
    }

    fn evidence_page(
        &self,
        after: Option<&veris_core::Digest32>,
        max_items: usize,
        max_bytes: usize,
        max_item_bytes: usize,
    ) -> (Vec<Vec<u8>>, bool) {
        self.service
            .evidence_page(after, max_items, max_bytes, max_item_bytes)
            .unwrap_or_default()
    }
}

/// Starts the node's libp2p network with its operator key, serving `service`
/// to peers, and announces every model in its hub with its inference
/// capacity. Fraud evidence peers gossip or serve by evidence sync is
/// verified and stored; this node's job statements are published and its
/// peers' audited ([`crate::audit`]). The network runs on the current tokio
/// runtime until the returned handle is shut down or dropped.
pub async fn start_network(service: Arc<Service>, config: NetConfig) -> Result<NetHandle, NodeError> {
    let provider = Arc::new(ServiceProvider::new(service.clone()));
    let net = Network::spawn(config, service.key(), provider)
        .await
        .map_err(|e| net_failure("start the peer network", e))?;
    spawn_evidence_listener(service.clone(), &net);
    spawn_auditor(service.clone(), &net);
    announce_models(&service, &net).await?;
    Ok(net)
}

/// Announces every model in the hub (call again after adding or removing
/// one: an announcement replaces the previous one).
pub async fn announce_models(service: &Service, net: &NetHandle) -> Result<(), NodeError> {
    let mut models: Vec<ModelId> = service.list_models()?.into_iter().map(|r| r.id).collect();
    models.sort();
    models.dedup();
    let capacity = u32::try_from(service.config().limits.max_concurrent_inferences).unwrap_or(u32::MAX);
    net.announce(models, capacity)
        .await
        .map_err(|e| net_failure("announce its models", e))
}

/// Fetches model `id` from the peers that provide it (verified against the
/// id), adds it to the hub (see [`Service::add_fetched`]) and announces the
/// hub's models, now including it.
pub async fn pin_model(
    service: Arc<Service>,
    net: &NetHandle,
    id: ModelId,
    name: Option<String>,
) -> Result<AddModelResponse, NodeError> {
    let bytes = net.fetch_blob(id).await.map_err(|e| match e {
        NetError::NoProviders(_) => NodeError::Peers(format!("no peer provides model {id}")),
        e => NodeError::Peers(format!("fetching model {id}: {e}")),
    })?;
    let adder = service.clone();
    let added = tokio::task::spawn_blocking(move || adder.add_fetched(id, &bytes, name))
        .await
        .map_err(|e| NodeError::Internal {
            action: "add a pinned model",
            reason: e.to_string(),
        })??;
    announce_models(&service, net).await?;
    Ok(added)
}

fn net_failure(action: &'static str, e: NetError) -> NodeError {
    NodeError::Internal {
        action,
        reason: e.to_string(),
    }
}

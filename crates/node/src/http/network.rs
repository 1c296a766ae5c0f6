//! `GET /v1/network/peers`: this node's peer id and listen addresses, and
//! the peers its libp2p network knows; `GET /v1/network/models`: every
//! model announced on the network (and held here), with its providers and
//! their announced capacity. A node started without the peer network
//! answers `503 p2p_disabled`. Also the middleware that re-announces the
//! hub's models after a request changed them.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::Method;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use veris_core::ModelId;
use veris_net::{NetError, NetHandle};

use super::body::read_json;
use super::error::ApiError;
use crate::error::NodeError;
use crate::peer::{announce_models, pin_model};
use crate::service::Service;

/// The peer network a router serves, if the node runs one.
#[derive(Debug, Clone, Default)]
pub struct PeerNetwork(pub Option<NetHandle>);

#[derive(Debug, Serialize)]
pub struct PeersBody {
    pub peer_id: String,
    pub listen: Vec<String>,
    pub peers: Vec<PeerBody>,
}

#[derive(Debug, Serialize)]
pub struct PeerBody {
    pub peer_id: String,
    /// The operator address the peer id embeds.
    pub operator: Option<String>,
    pub connected: bool,
    pub routable: bool,
    pub score: f64,
    pub banned: bool,
}

fn unavailable(e: NetError) -> ApiError {
    ApiError(NodeError::Internal {
        action: "query its peer network",
        reason: e.to_string(),
    })
}

pub async fn peers(Extension(PeerNetwork(net)): Extension<PeerNetwork>) -> Result<Json<PeersBody>, ApiError> {
    let net = net.ok_or(ApiError(NodeError::P2pDisabled))?;
    let listen = net.listen_addrs().await.map_err(unavailable)?;
    let peers = net.peers().await.map_err(unavailable)?;
    Ok(Json(PeersBody {
        peer_id: net.local_peer_id().to_string(),
        listen: listen.iter().map(ToString::to_string).collect(),
        peers: peers
            .into_iter()
            .map(|p| PeerBody {
                peer_id: p.peer.to_string(),
                operator: p.operator.map(|a| a.to_string()),
                connected: p.connected,
                routable: p.routable,
                score: p.score,
                banned: p.banned,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize)]
pub struct NetworkModels {
    pub models: Vec<NetworkModel>,
}

#[derive(Debug, Serialize)]
pub struct NetworkModel {
    pub id: ModelId,
    /// Whether this node's hub holds it.
    pub local: bool,
    /// Peers whose live announcement lists it (this node excluded).
    pub providers: Vec<ProviderBody>,
}

#[derive(Debug, Serialize)]
pub struct ProviderBody {
    pub peer_id: String,
    pub operator: Option<String>,
    /// Inferences the peer runs at once, as it announced.
    pub capacity: u32,
}

pub async fn models(
    State(service): State<Arc<Service>>,
    Extension(PeerNetwork(net)): Extension<PeerNetwork>,
) -> Result<Json<NetworkModels>, ApiError> {
    let net = net.ok_or(ApiError(NodeError::P2pDisabled))?;
    let announced = net.directory().await.map_err(unavailable)?;
    let local: Vec<ModelId> = tokio::task::spawn_blocking(move || service.list_models())
        .await
        .map_err(|e| NodeError::Internal {
            action: "list its models",
            reason: e.to_string(),
        })??
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut by_model: BTreeMap<ModelId, Vec<ProviderBody>> = local.iter().map(|id| (*id, Vec::new())).collect();
    for a in announced {
        for model in a.models {
            by_model.entry(model).or_default().push(ProviderBody {
                peer_id: a.peer.to_string(),
                operator: veris_net::identity::address_of(&a.peer).ok().map(|o| o.to_string()),
                capacity: a.capacity,
            });
        }
    }
    let models = by_model
        .into_iter()
        .map(|(id, providers)| NetworkModel {
            local: local.contains(&id),
            id,
            providers,
        })
        .collect();
    Ok(Json(NetworkModels { models }))
}

/// After a successful request that adds, compiles or removes a model, the
/// node announces its models again (in the background: the response does
/// not wait on the network).
pub async fn reannounce(
    State(service): State<Arc<Service>>,
    Extension(PeerNetwork(net)): Extension<PeerNetwork>,
    request: Request,
    next: Next,
) -> Response {
    let changes_models = request.method() != Method::GET && request.uri().path().starts_with("/v1/models");
    let response = next.run(request).await;
    if let Some(net) = net
        && changes_models
        && response.status().is_success()
    {
        tokio::spawn(async move {
            // A failed announcement is retried by the next change or
            // republish; there is nobody to report it to.
            let _ = announce_models(&service, &net).await;
        });
    }
    response
}

/// The body of `POST /v1/models/pin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    pub id: ModelId,
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /v1/models/pin`: fetches a model from the peers that provide it
/// and adds it to the hub; 201 (200 if it was there) with the added record.
pub async fn pin(
    State(service): State<Arc<Service>>,
    Extension(PeerNetwork(net)): Extension<PeerNetwork>,
    body: Body,
) -> Result<Response, ApiError> {
    let net = net.ok_or(ApiError(NodeError::P2pDisabled))?;
    let req: PinRequest = read_json(body, service.config().limits.max_body_bytes as u64).await?;
    let added = pin_model(service, &net, req.id, req.name).await?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(added)).into_response())
}

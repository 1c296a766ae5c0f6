//! One function per endpoint. Anything that touches the disk or the engine
//! runs on the blocking pool so the async workers keep accepting requests.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use veris_core::ModelId;
use veris_core::api::{CompileRequest, InferRequest, ModelList, VerifyRequest};
use veris_core::api_replicated::ReplicatedInferRequest;
use veris_core::replicated::is_replicated_json;
use veris_store::StoreError;

use super::body::{read_json, read_limited};
use super::error::ApiError;
use super::network::PeerNetwork;
use crate::error::NodeError;
use crate::replicate::infer_replicated;
use crate::route::forward_infer;
use crate::service::{AddModel, Service};

type Shared = State<Arc<Service>>;

async fn blocking<T: Send + 'static>(
    service: Arc<Service>,
    work: impl FnOnce(&Service) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|e| NodeError::Internal {
            action: "finish a request",
            reason: e.to_string(),
        })?
        .map_err(ApiError)
}

pub async fn health(State(s): Shared) -> Result<Response, ApiError> {
    Ok(Json(blocking(s, |s| s.health()).await?).into_response())
}

pub async fn metrics(State(s): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics().render(),
    )
        .into_response()
}

pub async fn add_model(
    State(s): Shared,
    Query(q): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Response, ApiError> {
    let unknown: Vec<&String> = q
        .keys()
        .filter(|k| !["name", "version", "description"].contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(NodeError::BadRequest(format!("unknown query parameters {unknown:?}")).into());
    }
    let name = q
        .get("name")
        .cloned()
        .ok_or_else(|| NodeError::BadRequest("query parameter `name` is required".into()))?;
    let version = match q.get("version") {
        Some(v) => Some(
            v.parse()
                .map_err(|e: veris_core::VersionError| NodeError::BadRequest(e.to_string()))?,
        ),
        None => None,
    };
    let description = q.get("description").cloned().unwrap_or_default();
    let bytes = read_limited(body, s.config().limits.max_model_bytes).await?;
    let added = blocking(s, move |s| {
        s.add_model(
            &bytes,
            AddModel {
                name,
                version,
                description,
            },
        )
    })
    .await?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(added)).into_response())
}

pub async fn list_models(State(s): Shared) -> Result<Response, ApiError> {
    let models = blocking(s, |s| s.list_models()).await?;
    Ok(Json(ModelList { models }).into_response())
}

pub async fn show_model(State(s): Shared, Path(reference): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(blocking(s, move |s| s.show_model(&reference)).await?).into_response())
}

pub async fn model_file(State(s): Shared, Path(reference): Path<String>) -> Result<Response, ApiError> {
    let (record, bytes) = blocking(s, move |s| s.model_bytes(&reference)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::HeaderName::from_static("x-veris-model-id"),
                record.id.to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The model's zero-knowledge verifying key (derived from the weights this
/// node holds), with its content id in `x-veris-verifying-key`.
pub async fn verifying_key(State(s): Shared, Path(reference): Path<String>) -> Result<Response, ApiError> {
    let (record, id, bytes) = blocking(s, move |s| s.verifying_key(&reference)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::HeaderName::from_static("x-veris-model-id"),
                record.id.to_string(),
            ),
            (header::HeaderName::from_static("x-veris-verifying-key"), id.to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn remove_model(State(s): Shared, Path(reference): Path<String>) -> Result<Response, ApiError> {
    let models = blocking(s, move |s| s.remove_model(&reference)).await?;
    Ok(Json(ModelList { models }).into_response())
}

/// Runs the model here, or, for a model id this hub does not hold, on a
/// peer that provides it ([`crate::route`]); with `"mode": "replicated"`,
/// on k operators ([`crate::replicate`]).
pub async fn infer(
    State(s): Shared,
    Extension(PeerNetwork(net)): Extension<PeerNetwork>,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_limited(body, s.config().limits.max_body_bytes as u64).await?;
    // The plain request is decoded first, so that its path pays nothing for
    // the replicated one (whose `mode` it refuses).
    let req: InferRequest = match serde_json::from_slice(&bytes) {
        Ok(req) => req,
        Err(e) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if is_replicated_json(&value) => {
                let req: ReplicatedInferRequest = serde_json::from_value(value)
                    .map_err(|e| NodeError::BadRequest(format!("invalid JSON body: {e}")))?;
                return Ok(Json(infer_replicated(s, net, req).await?).into_response());
            }
            _ => return Err(NodeError::BadRequest(format!("invalid JSON body: {e}")).into()),
        },
    };
    if let Some(net) = net
        && let Ok(id) = req.model.parse::<ModelId>()
    {
        let held = blocking(s.clone(), move |s| match s.show_model(&id.to_string()) {
            Ok(_) => Ok(true),
            Err(NodeError::Store(StoreError::NotFound { .. })) => Ok(false),
            Err(e) => Err(e),
        })
        .await?;
        if !held {
            return Ok(Json(forward_infer(&s, &net, id, &req).await?).into_response());
        }
    }
    Ok(Json(blocking(s, move |s| s.infer(req)).await?).into_response())
}

/// `GET /v1/evidence`: the fraud evidence this node found or received.
pub async fn evidence(State(s): Shared) -> Result<Response, ApiError> {
    Ok(Json(blocking(s, |s| s.list_evidence()).await?).into_response())
}

pub async fn verify(State(s): Shared, body: Body) -> Result<Response, ApiError> {
    let req: VerifyRequest = read_json(body, s.config().limits.max_body_bytes as u64).await?;
    Ok(Json(blocking(s, move |s| s.verify(req, None)).await?).into_response())
}

pub async fn compile_model(State(s): Shared, Path(reference): Path<String>, body: Body) -> Result<Response, ApiError> {
    let req: CompileRequest = read_json(body, s.config().limits.max_body_bytes as u64).await?;
    let compiled = blocking(s, move |s| s.compile_model(&reference, req)).await?;
    let status = if compiled.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(compiled)).into_response())
}

//! Node status, inference and verification endpoints.

use veris_core::api::{
    AddModelResponse, CompileRequest, CompileResponse, Health, InferRequest, InferResponse, VerifyRequest,
    VerifyResponse,
};
use veris_core::api_replicated::{EvidenceList, ReplicatedInferRequest, ReplicatedInferResponse};

use crate::client::{Client, read_limited};
use crate::error::ClientError;

impl Client {
    /// `GET /healthz`.
    pub fn health(&self) -> Result<Health, ClientError> {
        self.json(self.http().get(self.url(&["healthz"])), "health report")
    }

    /// `GET /metrics`: Prometheus text exposition.
    pub fn metrics(&self) -> Result<String, ClientError> {
        let response = self.send(self.http().get(self.url(&["metrics"])))?;
        let body = read_limited(response, self.options().max_response_bytes, "metrics")?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// `POST /v1/infer`: runs a model and returns its outputs and receipt.
    ///
    /// The receipt is the node's claim; check it with [`crate::verify`]
    /// (offline) or [`Client::verify`] with `replay` (re-execution).
    pub fn infer(&self, request: &InferRequest) -> Result<InferResponse, ClientError> {
        self.json(
            self.http().post(self.url(&["v1", "infer"])).json(request),
            "inference response",
        )
    }

    /// `POST /v1/infer` with `"mode": "replicated"`: the job runs on k
    /// operators; the answer carries their quorum certificate.
    pub fn infer_replicated(&self, request: &ReplicatedInferRequest) -> Result<ReplicatedInferResponse, ClientError> {
        self.json(
            self.http().post(self.url(&["v1", "infer"])).json(request),
            "replicated inference response",
        )
    }

    /// `GET /v1/evidence`: the fraud evidence the node found or received.
    pub fn evidence(&self) -> Result<EvidenceList, ClientError> {
        self.json(self.http().get(self.url(&["v1", "evidence"])), "evidence list")
    }

    /// `POST /v1/models/{reference}/compile`: compile a float model into an
    /// exact model, stored on the node.
    pub fn compile_model(&self, reference: &str, request: &CompileRequest) -> Result<CompileResponse, ClientError> {
        self.json(
            self.http()
                .post(self.url(&["v1", "models", reference, "compile"]))
                .json(request),
            "compile response",
        )
    }

    /// `POST /v1/models/pin`: the node fetches model `id` from its peers
    /// (verified against the id) and adds it to its hub, named `name` or
    /// `pinned-<id suffix>`.
    pub fn pin_model(&self, id: &str, name: Option<&str>) -> Result<AddModelResponse, ClientError> {
        let mut body = serde_json::json!({ "id": id });
        if let Some(name) = name {
            body["name"] = serde_json::Value::from(name);
        }
        self.json(
            self.http().post(self.url(&["v1", "models", "pin"])).json(&body),
            "pin response",
        )
    }

    /// `POST /v1/verify`: the node's verification report for a receipt,
    /// including a re-execution when `request.replay` is set.
    pub fn verify(&self, request: &VerifyRequest) -> Result<VerifyResponse, ClientError> {
        self.json(
            self.http().post(self.url(&["v1", "verify"])).json(request),
            "verification report",
        )
    }
}

//! The one interface every command is written against, with two
//! implementations: the embedded node ([`Service`], on the home directory)
//! and a running node over HTTP ([`Client`], with `--node`).

use std::path::{Path, PathBuf};

use veris_client::Client;
use veris_core::api::{AddModelResponse, CompileRequest, CompileResponse, InferRequest, InferResponse, VerifyRequest};
use veris_core::api_replicated::{ReplicatedInferRequest, ReplicatedInferResponse};
use veris_core::verify::Report;
use veris_core::{ModelId, ModelRecord};
use veris_node::{AddModel, NodeConfig, Service};

use crate::args::Global;
use crate::exit::bad_input;
use crate::files::{read_limited, write_atomic};

/// What the commands need from a node, wherever it runs.
pub trait Backend {
    /// Publishes the model file at `file`.
    fn add_model(&self, file: &Path, req: AddModel) -> anyhow::Result<AddModelResponse>;
    fn list_models(&self) -> anyhow::Result<Vec<ModelRecord>>;
    fn show_model(&self, reference: &str) -> anyhow::Result<ModelRecord>;
    /// Writes the model's bytes, checked against its id, atomically to `out`.
    fn download_model(&self, reference: &str, out: &Path) -> anyhow::Result<ModelRecord>;
    fn remove_model(&self, reference: &str) -> anyhow::Result<Vec<ModelRecord>>;
    /// Compiles a float model into an exact model stored beside it.
    fn compile_model(&self, reference: &str, req: CompileRequest) -> anyhow::Result<CompileResponse>;
    /// Fetches model `id` from the node's peers into its hub.
    fn pin_model(&self, id: &str, name: Option<&str>) -> anyhow::Result<AddModelResponse>;
    fn infer(&self, req: InferRequest) -> anyhow::Result<InferResponse>;
    /// Runs a job on k operators of the peer network (a running node only).
    fn infer_replicated(&self, req: ReplicatedInferRequest) -> anyhow::Result<ReplicatedInferResponse>;
    /// The node's report on a receipt; with `req.replay`, re-executed,
    /// using `model_file` instead of the stored model when given.
    fn verify(&self, req: VerifyRequest, model_file: Option<&[u8]>) -> anyhow::Result<Report>;
    /// The zero-knowledge verifying key the node derives from its copy of
    /// an exact model, and the key's content id.
    fn verifying_key(&self, reference: &str) -> anyhow::Result<(ModelId, Vec<u8>)>;
}

impl Backend for Service {
    fn add_model(&self, file: &Path, req: AddModel) -> anyhow::Result<AddModelResponse> {
        let bytes = read_limited(file, self.config().limits.max_model_bytes)?;
        Ok(Service::add_model(self, &bytes, req)?)
    }

    fn list_models(&self) -> anyhow::Result<Vec<ModelRecord>> {
        Ok(Service::list_models(self)?)
    }

    fn show_model(&self, reference: &str) -> anyhow::Result<ModelRecord> {
        Ok(Service::show_model(self, reference)?)
    }

    fn download_model(&self, reference: &str, out: &Path) -> anyhow::Result<ModelRecord> {
        let (record, bytes) = Service::model_bytes(self, reference)?;
        write_atomic(out, &bytes)?;
        Ok(record)
    }

    fn remove_model(&self, reference: &str) -> anyhow::Result<Vec<ModelRecord>> {
        Ok(Service::remove_model(self, reference)?)
    }

    fn compile_model(&self, reference: &str, req: CompileRequest) -> anyhow::Result<CompileResponse> {
        Ok(Service::compile_model(self, reference, req)?)
    }

    fn pin_model(&self, _id: &str, _name: Option<&str>) -> anyhow::Result<AddModelResponse> {
        Err(bad_input(
            "pinning fetches from the peer network of a running node; start one with `veris node start` and pass --node URL",
        ))
    }

    fn infer(&self, req: InferRequest) -> anyhow::Result<InferResponse> {
        Ok(Service::infer(self, req)?)
    }

    fn infer_replicated(&self, _req: ReplicatedInferRequest) -> anyhow::Result<ReplicatedInferResponse> {
        Err(bad_input(
            "replicated inference runs on the peer network of a running node; start one with `veris node start` and pass --node URL",
        ))
    }

    fn verify(&self, req: VerifyRequest, model_file: Option<&[u8]>) -> anyhow::Result<Report> {
        Ok(Service::verify(self, req, model_file)?)
    }

    fn verifying_key(&self, reference: &str) -> anyhow::Result<(ModelId, Vec<u8>)> {
        let (_, id, bytes) = Service::verifying_key(self, reference)?;
        Ok((id, bytes))
    }
}

impl Backend for Client {
    fn add_model(&self, file: &Path, req: AddModel) -> anyhow::Result<AddModelResponse> {
        Ok(self.add_model_file(file, &req.name, req.version, &req.description)?)
    }

    fn list_models(&self) -> anyhow::Result<Vec<ModelRecord>> {
        Ok(Client::list_models(self)?)
    }

    fn show_model(&self, reference: &str) -> anyhow::Result<ModelRecord> {
        Ok(Client::show_model(self, reference)?)
    }

    fn download_model(&self, reference: &str, out: &Path) -> anyhow::Result<ModelRecord> {
        Ok(Client::download_model(self, reference, out)?)
    }

    fn remove_model(&self, reference: &str) -> anyhow::Result<Vec<ModelRecord>> {
        Ok(Client::remove_model(self, reference)?)
    }

    fn compile_model(&self, reference: &str, req: CompileRequest) -> anyhow::Result<CompileResponse> {
        Ok(Client::compile_model(self, reference, &req)?)
    }

    fn pin_model(&self, id: &str, name: Option<&str>) -> anyhow::Result<AddModelResponse> {
        Ok(Client::pin_model(self, id, name)?)
    }

    fn infer(&self, req: InferRequest) -> anyhow::Result<InferResponse> {
        Ok(Client::infer(self, &req)?)
    }

    fn infer_replicated(&self, req: ReplicatedInferRequest) -> anyhow::Result<ReplicatedInferResponse> {
        Ok(Client::infer_replicated(self, &req)?)
    }

    fn verify(&self, req: VerifyRequest, model_file: Option<&[u8]>) -> anyhow::Result<Report> {
        if model_file.is_some() {
            return Err(bad_input(
                "--model-file replays on the embedded node; drop --node (or --model-file to replay on the node)",
            ));
        }
        Ok(Client::verify(self, &req)?)
    }

    fn verifying_key(&self, reference: &str) -> anyhow::Result<(ModelId, Vec<u8>)> {
        Ok(Client::verifying_key(self, reference)?)
    }
}

/// The home directory: `--home`, `VERIS_HOME`, or `~/.veris`.
pub fn home_dir(global: &Global) -> anyhow::Result<PathBuf> {
    if let Some(home) = &global.home {
        return Ok(home.clone());
    }
    std::env::home_dir()
        .filter(|h| !h.as_os_str().is_empty())
        .map(|h| h.join(".veris"))
        .ok_or_else(|| bad_input("no home directory found; pass --home DIR or set VERIS_HOME"))
}

/// Opens the embedded node on the home directory.
pub fn open_service(global: &Global) -> anyhow::Result<Service> {
    let home = home_dir(global)?;
    // Store errors name the home and say what to do; no context needed.
    Ok(Service::open(NodeConfig::new(home))?)
}

/// The node given with `--node`, or the embedded node.
pub fn open(global: &Global) -> anyhow::Result<Box<dyn Backend>> {
    match &global.node {
        Some(url) => Ok(Box::new(Client::new(url)?)),
        None => Ok(Box::new(open_service(global)?)),
    }
}

//! The embedded node: a model hub, the float and exact engines and the operator key
//! under one home directory. The CLI uses it directly; the HTTP server
//! wraps it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use veris_core::api::{AddModelResponse, Health, InferRequest, InferResponse};
use veris_core::{Address, Mode, ModelRecord, Nonce, OperatorKey, Receipt, Statement, TensorMap, Version};
use veris_engine::{EngineLimits, FloatModel};
use veris_store::{EvidenceStore, Hub, HubConfig, ModelRef, NewModel, load_or_create_key};

use crate::audit::JobOutbox;
use crate::cache::ModelCache;
use crate::config::NodeConfig;
use crate::error::NodeError;
use crate::loaded::{Loaded, ONNX_FORMAT};
use crate::metrics::Metrics;
use crate::prove_queue::ProveQueue;
use crate::select::PeerLoads;
use crate::zk::ProvingKeys;

/// What to call a model being added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddModel {
    pub name: String,
    pub version: Option<Version>,
    pub description: String,
}

/// The node's state, shared by every request.
#[derive(Debug)]
pub struct Service {
    config: NodeConfig,
    hub: Hub,
    evidence: EvidenceStore,
    peer_loads: Arc<PeerLoads>,
    key: OperatorKey,
    cache: ModelCache,
    in_flight: AtomicUsize,
    metrics: Metrics,
    proving_keys: ProvingKeys,
    prove_queue: ProveQueue,
    job_outbox: JobOutbox,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Decrements the in-flight counter when an inference ends, however it ends.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Service {
    /// Opens (creating if needed) the home in `config`.
    pub fn open(config: NodeConfig) -> Result<Service, NodeError> {
        let hub_config = HubConfig {
            max_blob_size: config.limits.max_model_bytes,
        };
        let hub = Hub::open_with(&config.home, hub_config)?;
        let key = load_or_create_key(&config.home)?;
        let evidence = EvidenceStore::open(&config.home)?;
        Ok(Service {
            evidence,
            peer_loads: Arc::default(),
            cache: ModelCache::new(config.limits.model_cache_entries),
            prove_queue: ProveQueue::start(1, config.limits.max_queued_proofs)?,
            proving_keys: ProvingKeys::default(),
            config,
            hub,
            key,
            in_flight: AtomicUsize::new(0),
            metrics: Metrics::default(),
            job_outbox: JobOutbox::default(),
        })
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The operator's address: who signs this node's receipts.
    pub fn operator(&self) -> Address {
        self.key.address()
    }

    pub fn health(&self) -> Result<Health, NodeError> {
        Ok(Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            operator: self.operator(),
            models: self.hub.list()?.len(),
        })
    }

    pub(crate) fn engine_limits(&self) -> EngineLimits {
        EngineLimits {
            max_model_bytes: usize::try_from(self.config.limits.max_model_bytes).unwrap_or(usize::MAX),
            timeout: self.config.limits.infer_timeout,
        }
    }

    /// Validates `bytes` with the float engine and adds them to the hub.
    pub fn add_model(&self, bytes: &[u8], req: AddModel) -> Result<AddModelResponse, NodeError> {
        let model = FloatModel::load_with_limits(bytes, self.engine_limits()).map_err(NodeError::InvalidModel)?;
        let added = self.hub.add(
            bytes,
            NewModel {
                name: req.name,
                version: req.version,
                description: req.description,
                format: ONNX_FORMAT.into(),
                inputs: model.inputs().to_vec(),
                outputs: model.outputs().to_vec(),
                verifying_key: None,
            },
        )?;
        Ok(AddModelResponse {
            id: added.record.id,
            created: added.created,
            model: added.record,
        })
    }

    pub fn list_models(&self) -> Result<Vec<ModelRecord>, NodeError> {
        Ok(self.hub.list()?)
    }

    fn parse_ref(reference: &str) -> Result<ModelRef, NodeError> {
        Ok(reference.parse::<ModelRef>().map_err(veris_store::StoreError::from)?)
    }

    /// The record `reference` (ID, NAME or NAME@VERSION) resolves to.
    pub fn show_model(&self, reference: &str) -> Result<ModelRecord, NodeError> {
        Ok(self.hub.resolve(&Self::parse_ref(reference)?)?)
    }

    /// The record and the verified bytes of a model.
    pub fn model_bytes(&self, reference: &str) -> Result<(ModelRecord, Vec<u8>), NodeError> {
        let record = self.show_model(reference)?;
        let bytes = self.hub.read_blob(&record.id)?;
        Ok((record, bytes))
    }

    /// Removes a model version (NAME@VERSION) or every version of an id.
    pub fn remove_model(&self, reference: &str) -> Result<Vec<ModelRecord>, NodeError> {
        let removed = self.hub.remove(&Self::parse_ref(reference)?)?;
        for r in &removed {
            self.cache.evict(&r.id);
        }
        Ok(removed)
    }

    /// The loaded model of `record`, from the cache or the hub.
    pub(crate) fn load(&self, record: &ModelRecord) -> Result<Arc<Loaded>, NodeError> {
        self.cache.get_or_load(record.id, || {
            let bytes = self.hub.read_blob(&record.id)?;
            Loaded::load(&record.format, &bytes, self.engine_limits())
        })
    }

    /// Decodes JSON inputs for `model` within the node's limits.
    pub(crate) fn decode_inputs(&self, model: &Loaded, inputs: &serde_json::Value) -> Result<TensorMap, NodeError> {
        let specs = model.input_specs();
        let inputs = veris_core::tensor_json::decode_inputs(inputs, &specs, &self.config.limits.tensors)?;
        veris_core::spec::check_inputs(&specs, &inputs, true)?;
        Ok(inputs)
    }

    /// Runs `model` on decoded JSON inputs within the node's limits.
    pub(crate) fn run(
        &self,
        model: &Arc<Loaded>,
        inputs: &serde_json::Value,
    ) -> Result<(TensorMap, TensorMap), NodeError> {
        let inputs = self.decode_inputs(model, inputs)?;
        let outputs = self.run_checked(model, &inputs)?;
        Ok((inputs, outputs))
    }

    /// Runs `model` on decoded inputs, checked against its specs, within the node's limits.
    pub(crate) fn run_tensors(&self, model: &Arc<Loaded>, inputs: &TensorMap) -> Result<TensorMap, NodeError> {
        veris_core::spec::check_inputs(&model.input_specs(), inputs, true)?;
        self.run_checked(model, inputs)
    }

    /// Runs `model` on inputs already checked against its specs.
    fn run_checked(&self, model: &Arc<Loaded>, inputs: &TensorMap) -> Result<TensorMap, NodeError> {
        let limit = self.config.limits.max_concurrent_inferences;
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(NodeError::Busy { limit });
        }
        let _slot = Slot(&self.in_flight);
        if !self.config.execution_delay.is_zero() {
            std::thread::sleep(self.config.execution_delay);
        }
        model.run(inputs.clone(), self.config.limits.infer_timeout)
    }

    /// Runs a model and signs a receipt for the result. Float models give
    /// `signed` receipts, compiled exact models `exact` ones, or `zk` ones
    /// (with a proof) when asked.
    pub fn infer(&self, req: InferRequest) -> Result<InferResponse, NodeError> {
        let record = self.show_model(&req.model)?;
        let model = self.load(&record)?;
        let mode = model.mode();
        if req.mode == Some(Mode::Zk) && mode == Mode::Exact {
            return self.infer_zk(record, model, req);
        }
        if let Some(asked) = req.mode
            && asked != mode
        {
            let hint = if record.format == ONNX_FORMAT {
                format!(
                    "; compile it first (`veris model compile {}`) and run the compiled model",
                    record.reference()
                )
            } else {
                String::new()
            };
            return Err(NodeError::BadRequest(format!(
                "model {} ({}) gives `{}` receipts, not `{}`{hint}",
                record.reference(),
                record.format,
                mode.name(),
                asked.name()
            )));
        }
        let (inputs, outputs) = self.run(&model, &req.inputs)?;
        let statement = Statement {
            model: record.id,
            engine: model.engine(),
            inputs,
            outputs,
            timestamp_ms: now_ms(),
            nonce: Nonce::random(),
        };
        let receipt = Receipt::sign_as(mode, statement, &self.key, req.embed_inputs);
        self.metrics.inference(mode.name(), &record.name);
        Ok(InferResponse {
            model: record.id,
            outputs: receipt.outputs.clone(),
            receipt_id: receipt.id(),
            receipt,
        })
    }

    /// Inferences (plain and replicated jobs) running now.
    pub fn running_inferences(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The operator key (the peer network's identity).
    pub(crate) fn key(&self) -> &OperatorKey {
        &self.key
    }

    pub(crate) fn proving_keys(&self) -> &ProvingKeys {
        &self.proving_keys
    }

    pub(crate) fn prove_queue(&self) -> &ProveQueue {
        &self.prove_queue
    }

    /// Where fraud evidence is kept.
    pub(crate) fn evidence(&self) -> &EvidenceStore {
        &self.evidence
    }

    /// Replicated jobs this node has in flight with each peer.
    pub(crate) fn peer_loads(&self) -> &Arc<PeerLoads> {
        &self.peer_loads
    }

    /// Where this node's job statements go to be published.
    pub(crate) fn job_outbox(&self) -> &JobOutbox {
        &self.job_outbox
    }

    /// The hub (for compilation, which stores its result there).
    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }
}

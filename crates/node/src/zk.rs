//! Zero-knowledge inference (`mode: zk`) and the verifying keys a node
//! vouches for.
//!
//! A compiled exact model that the proof system supports has a proving key:
//! its weights and requantization tables committed once (`veris_zk` setup,
//! deterministic). The node derives it on first use, caches it beside the
//! loaded model, and checks its verifying key against the id recorded when
//! the model was compiled. Proofs run on the [`ProveQueue`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use veris_core::api::{InferRequest, InferResponse};
use veris_core::{ModelId, ModelRecord, Nonce, Receipt, Statement};
use veris_engine::exact::ExactModel;
use veris_zk::hash::DefaultHash;
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::{ProverKey, SetupError, setup};
use veris_zk::pcs::PcsParams;
use veris_zk::receipt::{ZkChecker, evidence};

use crate::error::NodeError;
use crate::loaded::{Loaded, exact_engine};
use crate::service::{Service, now_ms};

/// Proving keys by exact model id.
#[derive(Debug, Default)]
pub(crate) struct ProvingKeys {
    keys: Mutex<HashMap<ModelId, Arc<ProverKey<DefaultHash>>>>,
}

/// A proving key and the content id of its verifying key.
pub(crate) fn derive_key(model: &ExactModel) -> Result<(ProverKey<DefaultHash>, ModelId), NodeError> {
    let (pk, vk) = setup::<DefaultHash>(model, PcsParams::default()).map_err(|e| match e {
        SetupError::NotYetProvable(_) | SetupError::AccumulatorBound { .. } | SetupError::Circuit(_) => {
            NodeError::NotProvable(e.to_string())
        }
        SetupError::Commit(e) => NodeError::Internal {
            action: "commit to the model's weights",
            reason: e.to_string(),
        },
    })?;
    let id = ModelId::of_bytes(&vk.encode());
    Ok((pk, id))
}

/// The verifying key id of a model the proof system supports, or why not.
pub(crate) fn verifying_key_id(model: &ExactModel) -> Result<ModelId, String> {
    derive_key(model).map(|(_, id)| id).map_err(|e| e.to_string())
}

fn exact(model: &Loaded) -> Result<&ExactModel, NodeError> {
    match model {
        Loaded::Exact(m) => Ok(m),
        Loaded::Float(_) => Err(NodeError::BadRequest(
            "zero-knowledge proofs are of compiled exact models; compile the model first (`veris model compile`)"
                .into(),
        )),
    }
}

impl Service {
    /// The proving key of `record`'s model, derived once and cached.
    pub(crate) fn proving_key(
        &self,
        record: &ModelRecord,
        model: &Loaded,
    ) -> Result<Arc<ProverKey<DefaultHash>>, NodeError> {
        let keys = &self.proving_keys().keys;
        if let Some(pk) = keys.lock().ok().and_then(|k| k.get(&record.id).cloned()) {
            return Ok(pk);
        }
        let (pk, vk_id) = derive_key(exact(model)?)?;
        if let Some(recorded) = record.verifying_key
            && recorded != vk_id
        {
            return Err(NodeError::Internal {
                action: "derive the model's proving key",
                reason: format!("its verifying key is {vk_id}, the hub recorded {recorded}"),
            });
        }
        let pk = Arc::new(pk);
        if let Ok(mut k) = keys.lock() {
            if k.len() >= self.config().limits.model_cache_entries.max(1) {
                k.clear();
            }
            k.insert(record.id, pk.clone());
        }
        Ok(pk)
    }

    /// The encoded verifying key of a provable exact model, and its id.
    pub fn verifying_key(&self, reference: &str) -> Result<(ModelRecord, ModelId, Vec<u8>), NodeError> {
        let record = self.show_model(reference)?;
        let model = self.load(&record)?;
        let bytes = self.proving_key(&record, &model)?.verifying_key().encode();
        Ok((record, ModelId::of_bytes(&bytes), bytes))
    }

    /// Checks a `zk` receipt's proof, trusting the verifying key this node
    /// derives from its own copy of the receipt's model (none if it lacks it).
    pub(crate) fn proof_checker(&self, model: &ModelId) -> ZkChecker {
        let trusted = self
            .verifying_key(&model.to_string())
            .map(|(_, id, _)| id)
            .map_err(|e| format!("this node cannot derive it: {e}"));
        ZkChecker { trusted }
    }

    /// Runs an exact model and proves the run (`mode: zk`).
    pub(crate) fn infer_zk(
        &self,
        record: ModelRecord,
        model: Arc<Loaded>,
        req: InferRequest,
    ) -> Result<InferResponse, NodeError> {
        exact(&model)?;
        let inputs = self.decode_inputs(&model, &req.inputs)?;
        let pk = self.proving_key(&record, &model)?;
        let run_inputs = inputs.clone();
        let proving = model.clone();
        let proved = self.prove_queue().run(self.config().limits.prove_timeout, move || {
            let m = exact(&proving)?;
            let p = prove(&pk, m, &run_inputs).map_err(|e| NodeError::Internal {
                action: "prove the inference",
                reason: e.to_string(),
            })?;
            Ok::<_, NodeError>((evidence(pk.verifying_key(), &p.statement, &p.proof), p.outputs))
        })?;
        let (proof, outputs) = proved?;
        let statement = Statement {
            model: record.id,
            engine: exact_engine(),
            inputs,
            outputs: outputs.dequantized,
            timestamp_ms: now_ms(),
            nonce: Nonce::random(),
        };
        let receipt = Receipt::sign_zk(statement, self.key(), req.embed_inputs, proof);
        self.metrics().inference("zk", &record.name);
        Ok(InferResponse {
            model: record.id,
            outputs: receipt.outputs.clone(),
            receipt_id: receipt.id(),
            receipt,
        })
    }
}

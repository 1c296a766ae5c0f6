//! One operator's part of a replicated job: run the exact model, sign the
//! job statement. Also the peer protocol bodies of a job and the entry
//! node's check of a peer's answer.
//!
//! A job travels over `/veris/infer/1` like any peer inference: the wire
//! request names the model by id, its body is the JSON of [`JobRequest`]
//! (told apart from a plain inference body by its `job_id` field), and the
//! answer is the JSON of [`JobResponse`].

use serde::{Deserialize, Serialize};
use veris_core::job::{JobStatement, SignedJob};
use veris_core::published_job::PublishedJob;
use veris_core::{Address, ModelId, Nonce, TensorData, TensorMap, tensor_codec};

use crate::error::NodeError;
use crate::loaded::Loaded;
use crate::service::Service;

/// The body of a replicated job sent to a peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub job_id: Nonce,
    /// The inputs in full tensor form (name, dtype, shape, data), exactly
    /// as the entry node decoded them.
    pub inputs: TensorMap,
}

/// A peer's answer to a [`JobRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobResponse {
    pub statement: SignedJob,
    pub outputs: TensorMap,
}

impl Service {
    /// Runs replicated job `job_id` of exact model `model` on `inputs`,
    /// signs its statement, and publishes the statement with the inputs on
    /// the peer network (when one runs) for other nodes to audit. Refuses
    /// float models: only the exact engine gives every honest operator the
    /// same bits.
    pub fn run_job(&self, model: ModelId, job_id: Nonce, inputs: TensorMap) -> Result<JobResponse, NodeError> {
        let (answer, name) = self.sign_job(model, job_id, inputs.clone())?;
        self.metrics().inference("replicated", &name);
        self.job_outbox().offer(PublishedJob {
            statement: answer.statement.clone(),
            inputs,
        });
        Ok(answer)
    }

    /// As [`Service::run_job`], without publishing or counting it: the
    /// run and signed statement alone (also an audit's replay), with the
    /// model's name.
    pub(crate) fn sign_job(
        &self,
        model: ModelId,
        job_id: Nonce,
        inputs: TensorMap,
    ) -> Result<(JobResponse, String), NodeError> {
        self.config().limits.tensors.check_map(&inputs)?;
        let record = self.show_model(&model.to_string())?;
        let loaded = self.load(&record)?;
        if !matches!(&*loaded, Loaded::Exact(_)) {
            return Err(NodeError::BadRequest(format!(
                "replicated jobs need a compiled exact model; {} is {}",
                record.reference(),
                record.format
            )));
        }
        let mut outputs = self.run_tensors(&loaded, &inputs)?;
        if self.config().byzantine_outputs {
            perturb(&mut outputs);
        }
        let statement = JobStatement::new(
            job_id,
            record.id,
            loaded.engine(),
            tensor_codec::digest(&inputs),
            tensor_codec::digest(&outputs),
        );
        let answer = JobResponse {
            statement: SignedJob::sign(statement, self.key()),
            outputs,
        };
        Ok((answer, record.name))
    }
}

/// The test-only lie of a byzantine node: nudges the first element of
/// every output tensor.
fn perturb(outputs: &mut TensorMap) {
    for tensor in outputs.values_mut() {
        let (shape, mut data) = tensor.clone().into_parts();
        match &mut data {
            TensorData::Float32(v) => v.iter_mut().take(1).for_each(|x| *x += 1.0),
            TensorData::Int64(v) => v.iter_mut().take(1).for_each(|x| *x = x.wrapping_add(1)),
            _ => continue,
        }
        if let Ok(t) = veris_core::Tensor::new("output", shape, data) {
            *tensor = t;
        }
    }
}

/// What the entry node expects of every answer to one job.
#[derive(Debug, Clone)]
pub struct Expected {
    pub job_id: Nonce,
    pub model: ModelId,
    pub engine: veris_core::EngineId,
    pub input_digest: veris_core::Digest32,
}

/// Checks a peer's answer: the statement is signed by the operator the
/// peer id names, is about this job, and its output digest is the digest of
/// the outputs that came with it.
pub fn check_answer(
    bytes: &[u8],
    operator: Address,
    expected: &Expected,
    limits: &veris_core::TensorLimits,
) -> Result<JobResponse, String> {
    let answer: JobResponse = serde_json::from_slice(bytes).map_err(|e| format!("invalid job response: {e}"))?;
    answer
        .statement
        .check()
        .map_err(|e| format!("invalid signature: {e}"))?;
    if answer.statement.operator() != operator {
        return Err(format!(
            "signed by {}, not by the peer's operator",
            answer.statement.operator()
        ));
    }
    let s = &answer.statement.statement;
    if s.job_id != expected.job_id || s.model != expected.model || s.input_digest != expected.input_digest {
        return Err("its statement is about another job".into());
    }
    if s.engine != expected.engine {
        return Err(format!(
            "ran engine {} {}, not {} {}",
            s.engine.id, s.engine.version, expected.engine.id, expected.engine.version
        ));
    }
    limits.check_map(&answer.outputs).map_err(|e| e.to_string())?;
    if tensor_codec::digest(&answer.outputs) != s.output_digest {
        return Err("its outputs do not match its signed output digest".into());
    }
    Ok(answer)
}

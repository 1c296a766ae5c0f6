//! One audit: replay a peer's published job statement or `exact` receipt
//! on this node's copy of the model and, if the outputs differ, build
//! `wrong_output` evidence (the operator's signed statement or receipt
//! against this node's signed replay of the same kind).

use veris_core::any_evidence::AnyEvidence;
use veris_core::fraud::FraudEvidence;
use veris_core::published_job::PublishedJob;
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};
use veris_core::{EngineId, Mode, Nonce, Receipt, Statement, TensorMap, tensor_codec};

use crate::error::NodeError;
use crate::loaded::EXACT_FORMAT;
use crate::service::{Service, now_ms};

/// What an audit found.
#[derive(Debug)]
pub enum Audited {
    /// This node got the output the operator stated.
    Agreed,
    /// This node got another output: the evidence against the operator.
    Mismatch(Box<AnyEvidence>),
    /// This node does not hold the model as a compiled exact model.
    NotHeld,
}

fn other_engine(stated: &EngineId, here: &EngineId) -> NodeError {
    // Another engine build: not this node's to judge.
    NodeError::BadRequest(format!(
        "the operator ran engine {} {}, this node replays {} {}",
        stated.id, stated.version, here.id, here.version
    ))
}

impl Service {
    /// Whether this node holds `model` as a compiled exact model.
    fn holds_exact(&self, model: &veris_core::ModelId) -> bool {
        self.show_model(&model.to_string())
            .is_ok_and(|record| record.format == EXACT_FORMAT)
    }

    /// Replays `job` (already checked: signature, inputs and their digest)
    /// if this node holds its model as a compiled exact model. Runs the
    /// model: call it on a blocking thread.
    pub fn audit_job(&self, job: &PublishedJob) -> Result<Audited, NodeError> {
        let statement = &job.statement.statement;
        if !self.holds_exact(&statement.model) {
            return Ok(Audited::NotHeld);
        }
        let (replay, _) = self.sign_job(statement.model, statement.job_id, job.inputs.clone())?;
        if replay.statement.statement == *statement {
            return Ok(Audited::Agreed);
        }
        if !replay.statement.statement.same_job(statement) {
            return Err(other_engine(&statement.engine, &replay.statement.statement.engine));
        }
        let replayed = replay.statement.statement.output_digest;
        Ok(Audited::Mismatch(Box::new(
            FraudEvidence::new(
                job.statement.clone(),
                replay.statement,
                Some(replayed),
                Some(job.inputs.clone()),
            )
            .into(),
        )))
    }

    /// Replays an `exact` receipt that embeds its inputs (already checked:
    /// signature, digests) if this node holds its model as a compiled exact
    /// model; on another output, signs its own exact receipt of the replay
    /// and builds format-2 evidence. Runs the model (outside the node's
    /// inference slots): call it on a blocking thread.
    pub fn audit_receipt(&self, receipt: &Receipt) -> Result<Audited, NodeError> {
        let inputs: &TensorMap = receipt
            .inputs
            .as_ref()
            .ok_or_else(|| NodeError::BadRequest("the receipt does not embed its inputs".into()))?;
        if receipt.mode != Mode::Exact {
            return Err(NodeError::BadRequest(format!(
                "a `{}` receipt cannot be audited by replay",
                receipt.mode.name()
            )));
        }
        if !self.holds_exact(&receipt.model) {
            return Ok(Audited::NotHeld);
        }
        let record = self.show_model(&receipt.model.to_string())?;
        let loaded = self.load(&record)?;
        if loaded.engine() != receipt.engine {
            return Err(other_engine(&receipt.engine, &loaded.engine()));
        }
        self.config().limits.tensors.check_map(inputs)?;
        veris_core::spec::check_inputs(&loaded.input_specs(), inputs, true)?;
        // Outside the inference slots: a node with capacity 1 stays available
        // to its callers while it audits (one audit runs at a time).
        let outputs = loaded.run(inputs.clone(), self.config().limits.infer_timeout)?;
        if tensor_codec::digest(&outputs) == receipt.output_digest {
            return Ok(Audited::Agreed);
        }
        let statement = Statement {
            model: receipt.model,
            engine: loaded.engine(),
            inputs: inputs.clone(),
            outputs,
            timestamp_ms: now_ms(),
            nonce: Nonce::random(),
        };
        let replay = Receipt::sign_as(Mode::Exact, statement, self.key(), false);
        Ok(Audited::Mismatch(Box::new(
            ReceiptEvidence::new(
                ReceiptClaim::of(receipt),
                ReceiptClaim::of(&replay),
                Some(replay.output_digest),
                Some(inputs.clone()),
            )
            .into(),
        )))
    }
}

//! One audit: replay a peer's published job statement on this node's copy
//! of the model and, if the outputs differ, build `wrong_output` evidence
//! (the operator's statement against this node's signed replay).

use veris_core::fraud::FraudEvidence;
use veris_core::published_job::PublishedJob;

use crate::error::NodeError;
use crate::loaded::EXACT_FORMAT;
use crate::service::Service;

/// What an audit found.
#[derive(Debug)]
pub enum Audited {
    /// This node got the output the operator stated.
    Agreed,
    /// This node got another output: the evidence against the operator.
    Mismatch(Box<FraudEvidence>),
    /// This node does not hold the model as a compiled exact model.
    NotHeld,
}

impl Service {
    /// Replays `job` (already checked: signature, inputs and their digest)
    /// if this node holds its model as a compiled exact model. Runs the
    /// model: call it on a blocking thread.
    pub fn audit_job(&self, job: &PublishedJob) -> Result<Audited, NodeError> {
        let statement = &job.statement.statement;
        let Ok(record) = self.show_model(&statement.model.to_string()) else {
            return Ok(Audited::NotHeld);
        };
        if record.format != EXACT_FORMAT {
            return Ok(Audited::NotHeld);
        }
        let (replay, _) = self.sign_job(statement.model, statement.job_id, job.inputs.clone())?;
        if replay.statement.statement == *statement {
            return Ok(Audited::Agreed);
        }
        if !replay.statement.statement.same_job(statement) {
            // Another engine build: not this node's to judge.
            return Err(NodeError::BadRequest(format!(
                "the statement ran engine {} {}, this node replays {} {}",
                statement.engine.id,
                statement.engine.version,
                replay.statement.statement.engine.id,
                replay.statement.statement.engine.version
            )));
        }
        let replayed = replay.statement.statement.output_digest;
        Ok(Audited::Mismatch(Box::new(FraudEvidence::new(
            job.statement.clone(),
            replay.statement,
            Some(replayed),
            Some(job.inputs.clone()),
        ))))
    }
}

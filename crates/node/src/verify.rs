//! Receipt verification with optional replay: re-running the model on the
//! receipt's inputs and requiring bit-identical outputs.

use std::sync::Arc;

use veris_core::api::VerifyRequest;
use veris_core::tensor_codec;
use veris_core::verify::{Check, Report, verify_with};

use crate::error::NodeError;
use crate::loaded::{EXACT_FORMAT, Loaded, ONNX_FORMAT, exact_engine, float_engine};
use crate::service::Service;

impl Service {
    /// Checks a receipt offline (a `zk` receipt's proof against the
    /// verifying key this node derives from its own copy of the model) and,
    /// if asked, replays it. The model comes
    /// from `model_file` when given (it must hash to the receipt's model id),
    /// otherwise from the hub.
    pub fn verify(&self, req: VerifyRequest, model_file: Option<&[u8]>) -> Result<Report, NodeError> {
        let checker = self.proof_checker(&req.receipt.model);
        let mut report = verify_with(&req.receipt, &self.config().limits.tensors, Some(&checker));
        if req.replay {
            report.checks.push(match self.replay(&req, model_file) {
                Ok(check) => check,
                Err(e) => Check::fail("replay", e.to_string()),
            });
        }
        Ok(report)
    }

    fn replay(&self, req: &VerifyRequest, model_file: Option<&[u8]>) -> Result<Check, NodeError> {
        let receipt = &req.receipt;
        let format = if receipt.engine == float_engine() {
            ONNX_FORMAT
        } else if receipt.engine == exact_engine() {
            EXACT_FORMAT
        } else {
            return Ok(Check::fail(
                "replay",
                format!(
                    "receipt was computed by {} {}; this node replays {} {} and {} {}",
                    receipt.engine.id,
                    receipt.engine.version,
                    float_engine().id,
                    float_engine().version,
                    exact_engine().id,
                    exact_engine().version
                ),
            ));
        };
        let model = match model_file {
            Some(bytes) if !receipt.model.matches(bytes) => {
                return Ok(Check::fail(
                    "replay",
                    format!("the model file is not model {}", receipt.model),
                ));
            }
            Some(bytes) => Arc::new(Loaded::load(format, bytes, self.engine_limits())?),
            None => {
                let reference = receipt.model.to_string();
                let record = self.show_model(&reference)?;
                self.load(&record)?
            }
        };
        let inputs = match (&req.inputs, &receipt.inputs) {
            (Some(given), _) => given.clone(),
            (None, Some(embedded)) => serde_json::to_value(embedded).map_err(|e| NodeError::Internal {
                action: "re-encode the inputs",
                reason: e.to_string(),
            })?,
            (None, None) => {
                return Ok(Check::fail(
                    "replay",
                    "the receipt does not embed its inputs; supply them",
                ));
            }
        };
        let (inputs, outputs) = self.run(&model, &inputs)?;
        if tensor_codec::digest(&inputs) != receipt.input_digest {
            return Ok(Check::fail(
                "replay",
                "the supplied inputs do not match the receipt's input digest",
            ));
        }
        let digest = tensor_codec::digest(&outputs);
        Ok(if digest == receipt.output_digest {
            Check::pass(
                "replay",
                format!("re-execution with {} gave bit-identical outputs", receipt.engine.id),
            )
        } else {
            Check::fail(
                "replay",
                format!(
                    "re-execution gave outputs with digest {digest}, receipt says {}",
                    receipt.output_digest
                ),
            )
        })
    }
}

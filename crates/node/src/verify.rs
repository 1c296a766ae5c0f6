//! Receipt verification with optional replay: re-running the model on the
//! receipt's inputs and requiring bit-identical outputs.

use veris_core::api::VerifyRequest;
use veris_core::tensor_codec;
use veris_core::verify::{Check, Report, verify};
use veris_engine::FloatModel;

use crate::error::NodeError;
use crate::service::{Service, float_engine};

impl Service {
    /// Checks a receipt offline and, if asked, replays it. The model comes
    /// from `model_file` when given (it must hash to the receipt's model id),
    /// otherwise from the hub.
    pub fn verify(&self, req: VerifyRequest, model_file: Option<&[u8]>) -> Result<Report, NodeError> {
        let mut report = verify(&req.receipt, &self.config().limits.tensors);
        if req.replay {
            report.checks.push(self.replay(&req, model_file));
        }
        Ok(report)
    }

    fn replay(&self, req: &VerifyRequest, model_file: Option<&[u8]>) -> Check {
        let receipt = &req.receipt;
        if receipt.engine != float_engine() {
            return Check::fail(
                "replay",
                format!(
                    "receipt was computed by {} {}; this node replays with {} {}",
                    receipt.engine.id,
                    receipt.engine.version,
                    float_engine().id,
                    float_engine().version
                ),
            );
        }
        let model = match model_file {
            Some(bytes) if !receipt.model.matches(bytes) => {
                return Check::fail("replay", format!("the model file is not model {}", receipt.model));
            }
            Some(bytes) => match FloatModel::load_with_limits(bytes, self.engine_limits()) {
                Ok(m) => std::sync::Arc::new(m),
                Err(e) => return Check::fail("replay", e.to_string()),
            },
            None => match self.load(receipt.model) {
                Ok(m) => m,
                Err(e) => return Check::fail("replay", format!("model {} unavailable: {e}", receipt.model)),
            },
        };
        let inputs = match (&req.inputs, &receipt.inputs) {
            (Some(given), _) => given.clone(),
            (None, Some(embedded)) => match serde_json::to_value(embedded) {
                Ok(v) => v,
                Err(e) => return Check::fail("replay", e.to_string()),
            },
            (None, None) => return Check::fail("replay", "the receipt does not embed its inputs; supply them"),
        };
        match self.run(model, &inputs) {
            Err(e) => Check::fail("replay", e.to_string()),
            Ok((inputs, _)) if tensor_codec::digest(&inputs) != receipt.input_digest => {
                Check::fail("replay", "the supplied inputs do not match the receipt's input digest")
            }
            Ok((_, outputs)) => {
                let digest = tensor_codec::digest(&outputs);
                if digest == receipt.output_digest {
                    Check::pass("replay", "re-execution gave bit-identical outputs")
                } else {
                    Check::fail(
                        "replay",
                        format!(
                            "re-execution gave outputs with digest {digest}, receipt says {}",
                            receipt.output_digest
                        ),
                    )
                }
            }
        }
    }
}

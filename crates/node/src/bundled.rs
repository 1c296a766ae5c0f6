//! The real model bundled with Veris, for the quickstart and the benchmark:
//! a 64-64-32-10 MLP trained on scikit-learn's handwritten digits
//! (`models/digits/`, where the script that trains and exports it lives).

/// The ONNX bytes of the bundled digits classifier.
pub const BUNDLED_MODEL: &[u8] = include_bytes!("../../../models/digits/digits-mlp.onnx");

/// Eight held-out samples: `[{"label": 2, "input": {"input": {dtype, shape, data}}}, ...]`.
pub const BUNDLED_SAMPLES: &str = include_str!("../../../models/digits/samples.json");

use veris_core::api::AddModelResponse;

use crate::error::NodeError;
use crate::service::{AddModel, Service};

impl Service {
    /// Adds the bundled digits classifier under the name `digits`.
    pub fn add_bundled_model(&self) -> Result<AddModelResponse, NodeError> {
        self.add_model(
            BUNDLED_MODEL,
            AddModel {
                name: "digits".into(),
                version: None,
                description: "handwritten digits classifier (8x8 images), bundled with Veris".into(),
            },
        )
    }
}

#![allow(dead_code)] // each test binary uses a different subset of the fixtures
//! Shared fixtures for the core tests: a fixed key and a fixed statement.

use veris_core::{EngineId, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorMap};

/// The first account of the standard test mnemonic (anvil, hardhat).
pub fn golden_key() -> OperatorKey {
    let secret: [u8; 32] = hex::decode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    OperatorKey::from_secret_bytes(&secret).expect("valid key")
}

pub fn tensor(shape: Vec<usize>, data: TensorData) -> Tensor {
    Tensor::new("t", shape, data).expect("consistent tensor")
}

pub fn golden_statement() -> Statement {
    let inputs = TensorMap::from([
        (
            "input".to_string(),
            tensor(vec![1, 4], TensorData::Float32(vec![0.0, 0.0625, -1.5, 3.25])),
        ),
        ("mask".to_string(), tensor(vec![2], TensorData::Bool(vec![true, false]))),
    ]);
    let outputs = TensorMap::from([
        ("label".to_string(), tensor(vec![1], TensorData::Int64(vec![7]))),
        (
            "logits".to_string(),
            tensor(vec![1, 3], TensorData::Float32(vec![-2.5, 1e-7, f32::NAN])),
        ),
    ]);
    Statement {
        model: ModelId::of_bytes(b"veris golden model"),
        engine: EngineId {
            id: "tract-onnx".into(),
            version: "0.23.9".into(),
        },
        inputs,
        outputs,
        timestamp_ms: 1_764_000_000_000,
        nonce: Nonce([0x42; 32]),
    }
}

pub fn golden_receipt() -> Receipt {
    Receipt::sign(golden_statement(), &golden_key(), true)
}

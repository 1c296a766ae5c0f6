//! The transformer encoder block of `models/encoder` (one BERT-style block,
//! d_model 64, 2 heads, GELU FFN, LayerNorm): the exact engine compiles and
//! runs it, and the proof system proves every run of it: attention with
//! Softmax, the residual Adds, GELU and both LayerNorms, bit-exact with the
//! engine; a proof of one sample does not verify for another.

use serde_json::Value;
use std::sync::OnceLock;
use veris_core::ModelId;

use veris_engine::exact::{Bits, ExactModel, ExactOp, compile};
use veris_zk::infer::prove::prove;
use veris_zk::infer::setup::setup;
use veris_zk::infer::verify_bytes;
use veris_zk::pcs::PcsParams;

use crate::support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/encoder");

fn tensor(v: &Value) -> veris_core::TensorMap {
    let shape = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize);
    let data = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32);
    float_input("x", shape.collect(), data.collect())
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/{name}")).expect("read")).expect("json")
}

/// The block compiled at 8 bits on its 16 calibration sequences, once per binary.
pub fn compiled_encoder() -> &'static ExactModel {
    static MODEL: OnceLock<ExactModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(format!("{DIR}/encoder.onnx")).expect("read encoder.onnx");
        // 16 calibration sequences, one [1, 8, 64] input map each.
        let all = &json("calibration.json")["x"]["data"];
        let values: Vec<f32> = all
            .as_array()
            .expect("data")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect();
        let calib: Vec<_> = values
            .chunks_exact(8 * 64)
            .map(|c| float_input("x", vec![1, 8, 64], c.to_vec()))
            .collect();
        assert_eq!(calib.len(), 16);
        compile(&bytes, ModelId::of_bytes(&bytes), &calib, Bits::B8).expect("the engine compiles the block")
    })
}

#[test]
fn the_encoder_block_proves_and_verifies_bit_exactly() {
    let model = compiled_encoder();
    let names: Vec<&str> = model.ops().iter().map(ExactOp::name).collect();
    eprintln!("exact ops: {names:?}");
    for op in ["Lut", "Softmax", "LayerNorm", "MatMul", "Transpose", "Add"] {
        assert!(names.contains(&op), "{op} in {names:?}");
    }
    let (pk, vk) = setup::<H>(model, PcsParams::default()).expect("the block is provable");
    let samples: Vec<_> = json("samples.json")
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| tensor(&s["x"]))
        .collect();
    let mut proofs = Vec::new();
    for input in &samples[..2] {
        let proved = prove(&pk, model, input).expect("prove");
        assert_eq!(
            proved.outputs,
            model.run(input).expect("run"),
            "the engine's own outputs"
        );
        assert_eq!(proved.statement.output.shape, [1, 8, 64]);
        let bytes = proved.proof.encode();
        eprintln!("encoder block proof: {} bytes", bytes.len());
        verify_bytes::<H>(&vk, &proved.statement, &bytes).expect("honest proof verifies");
        proofs.push((proved.statement, bytes));
    }
    // Each proof binds its own statement: swapping them is rejected.
    assert!(verify_bytes::<H>(&vk, &proofs[0].0, &proofs[1].1).is_err());
    assert!(verify_bytes::<H>(&vk, &proofs[1].0, &proofs[0].1).is_err());
}

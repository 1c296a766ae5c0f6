//! Receipts: golden vectors, round trips, and tampering.

mod common;

use common::{golden_key, golden_receipt, golden_statement};
use veris_core::receipt_codec::{self, DecodeError};
use veris_core::verify::verify;
use veris_core::{Address, Digest32, Evidence, Nonce, OperatorKey, Receipt, TensorData, TensorLimits};

const GOLDEN_JSON: &str = include_str!("fixtures/receipt-v1.json");
const GOLDEN_BIN_HEX: &str = include_str!("fixtures/receipt-v1.bin.hex");
const GOLDEN_ID: &str = include_str!("fixtures/receipt-v1.id");

fn limits() -> TensorLimits {
    TensorLimits::default()
}

#[test]
fn golden_vectors_pin_the_format() {
    let receipt = golden_receipt();
    let json = serde_json::to_string_pretty(&receipt).unwrap();
    assert_eq!(
        json.trim(),
        GOLDEN_JSON.trim(),
        "JSON form changed: a format change must bump the version"
    );
    assert_eq!(hex::encode(receipt_codec::encode(&receipt)), GOLDEN_BIN_HEX.trim());
    assert_eq!(receipt.id().to_string(), GOLDEN_ID.trim());

    let from_json: Receipt = serde_json::from_str(GOLDEN_JSON).unwrap();
    let from_bin = receipt_codec::decode(&hex::decode(GOLDEN_BIN_HEX.trim()).unwrap(), &limits()).unwrap();
    assert_eq!(from_json.id(), receipt.id());
    assert_eq!(receipt_codec::encode(&from_bin), receipt_codec::encode(&receipt));
    assert!(verify(&from_json, &limits()).ok());
    assert!(verify(&from_bin, &limits()).ok());
}

#[test]
#[ignore = "regenerates the golden fixtures; run deliberately after a format change"]
fn regenerate_golden_vectors() {
    let receipt = golden_receipt();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    std::fs::write(
        format!("{dir}/receipt-v1.json"),
        serde_json::to_string_pretty(&receipt).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/receipt-v1.bin.hex"),
        hex::encode(receipt_codec::encode(&receipt)) + "\n",
    )
    .unwrap();
    std::fs::write(format!("{dir}/receipt-v1.id"), receipt.id().to_string() + "\n").unwrap();
}

#[test]
fn fresh_receipts_verify_with_and_without_inputs() {
    let key = OperatorKey::generate();
    for embed in [true, false] {
        let r = Receipt::sign(golden_statement(), &key, embed);
        assert_eq!(r.inputs.is_some(), embed);
        let report = verify(&r, &limits());
        assert!(report.ok(), "{report:?}");
        let json = serde_json::to_string(&r).unwrap();
        let back: Receipt = serde_json::from_str(&json).unwrap();
        assert_eq!(back.id(), r.id());
        assert!(verify(&back, &limits()).ok());
    }
}

/// Every field of a receipt, changed one at a time, must fail verification.
#[test]
fn changing_any_field_is_rejected() {
    let good = golden_receipt();
    let other_key = OperatorKey::generate();
    type Mutation = Box<dyn Fn(&mut Receipt)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        ("format", Box::new(|r| r.format = 2)),
        (
            "model",
            Box::new(|r| r.model = veris_core::ModelId::of_bytes(b"another model")),
        ),
        ("engine id", Box::new(|r| r.engine.id = "onnxruntime".into())),
        ("engine version", Box::new(|r| r.engine.version = "0.23.10".into())),
        ("input digest", Box::new(|r| r.input_digest.0[0] ^= 1)),
        ("output digest", Box::new(|r| r.output_digest.0[31] ^= 1)),
        (
            "embedded input",
            Box::new(|r| {
                let t = r.inputs.as_mut().unwrap().get_mut("input").unwrap();
                *t = common::tensor(vec![1, 4], TensorData::Float32(vec![0.0, 0.0625, -1.5, 3.5]));
            }),
        ),
        (
            "output value",
            Box::new(|r| {
                let t = r.outputs.get_mut("label").unwrap();
                *t = common::tensor(vec![1], TensorData::Int64(vec![8]));
            }),
        ),
        (
            "output shape",
            Box::new(|r| {
                let t = r.outputs.get_mut("logits").unwrap();
                *t = common::tensor(vec![3, 1], TensorData::Float32(vec![-2.5, 1e-7, f32::NAN]));
            }),
        ),
        (
            "output removed",
            Box::new(|r| {
                r.outputs.remove("label");
            }),
        ),
        (
            "operator address",
            Box::new(move |r| r.operator.address = Address([9; 20])),
        ),
        (
            "operator key",
            Box::new(move |r| {
                r.operator.public_key = other_key.public_key();
                r.operator.address = other_key.address();
            }),
        ),
        ("timestamp", Box::new(|r| r.timestamp_ms += 1)),
        ("nonce", Box::new(|r| r.nonce = Nonce([0x43; 32]))),
    ];
    for (what, mutate) in mutations {
        let mut r = good.clone();
        mutate(&mut r);
        assert!(!verify(&r, &limits()).ok(), "changing the {what} was not detected");
    }
}

#[test]
fn changing_any_signature_byte_is_rejected() {
    let good = golden_receipt();
    let signature = *good.evidence.signature();
    for i in 0..65 {
        for bit in [0x01u8, 0x80] {
            let mut sig = signature;
            sig.0[i] ^= bit;
            let mut r = good.clone();
            r.evidence = Evidence::Signed { signature: sig };
            assert!(
                !verify(&r, &limits()).ok(),
                "flipping bit {bit:#x} of signature byte {i} was accepted"
            );
        }
    }
}

#[test]
fn a_signature_from_another_key_is_rejected() {
    let mut r = golden_receipt();
    let forged = OperatorKey::generate().sign_digest(&r.signing_hash());
    r.evidence = Evidence::Signed { signature: forged };
    let report = verify(&r, &limits());
    assert!(!report.ok());
    assert!(report.checks.iter().any(|c| c.name == "signature" && !c.ok));
}

#[test]
fn high_s_signatures_are_rejected() {
    // secp256k1 group order n; (r, n - s) is the malleated twin of (r, s).
    let n = hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").unwrap();
    let mut r = golden_receipt();
    let signature = *r.evidence.signature();
    let mut sig = signature;
    let mut borrow = 0i32;
    for i in (0..32).rev() {
        let v = n[i] as i32 - sig.0[32 + i] as i32 - borrow;
        borrow = (v < 0) as i32;
        sig.0[32 + i] = v.rem_euclid(256) as u8;
    }
    sig.0[64] ^= 1; // the twin recovers with the other parity
    r.evidence = Evidence::Signed { signature: sig };
    assert!(!verify(&r, &limits()).ok());
}

#[test]
fn every_single_byte_change_of_the_binary_form_is_rejected() {
    let bytes = receipt_codec::encode(&golden_receipt());
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        match receipt_codec::decode(&b, &limits()) {
            Err(_) => {}
            Ok(r) => assert!(
                !verify(&r, &limits()).ok(),
                "byte {i} changed and the receipt still verifies"
            ),
        }
    }
}

#[test]
fn binary_decoder_rejects_truncation_trailing_bytes_and_bad_headers() {
    let bytes = receipt_codec::encode(&golden_receipt());
    for cut in 0..bytes.len() {
        assert!(
            receipt_codec::decode(&bytes[..cut], &limits()).is_err(),
            "truncated at {cut} decoded"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        receipt_codec::decode(&long, &limits()),
        Err(DecodeError::Malformed(_))
    ));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(receipt_codec::decode(&magic, &limits()), Err(DecodeError::Magic));
    let mut version = bytes;
    version[4] = 9;
    assert_eq!(receipt_codec::decode(&version, &limits()), Err(DecodeError::Version(9)));
}

#[test]
fn json_decoder_rejects_unknown_fields_and_bad_values() {
    let good: serde_json::Value = serde_json::from_str(GOLDEN_JSON).unwrap();
    let mut extra = good.clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(serde_json::from_value::<Receipt>(extra).is_err());
    let mut bad_model = good.clone();
    bad_model["model"] = serde_json::json!("bafkreinotanid");
    assert!(serde_json::from_value::<Receipt>(bad_model).is_err());
    let mut bad_mode = good.clone();
    bad_mode["mode"] = serde_json::json!("zk-but-not-really");
    assert!(serde_json::from_value::<Receipt>(bad_mode).is_err());
    let mut bad_sig = good;
    bad_sig["evidence"]["signature"] = serde_json::json!("0x1234");
    assert!(serde_json::from_value::<Receipt>(bad_sig).is_err());
}

#[test]
fn receipt_id_is_the_eip712_hash() {
    let r = golden_receipt();
    assert_eq!(r.id(), Digest32(veris_core::eip712::receipt_hash(&r)));
    assert_eq!(golden_key().address(), r.operator.address);
}

#[test]
fn exact_mode_receipts_verify_and_the_mode_is_signed_over() {
    let key = golden_key();
    let exact = Receipt::sign_as(veris_core::Mode::Exact, golden_statement(), &key, true);
    assert!(verify(&exact, &limits()).ok());
    assert_ne!(exact.id(), golden_receipt().id(), "the mode is part of the signed hash");
    let bytes = receipt_codec::encode(&exact);
    assert_eq!(
        receipt_codec::encode(&receipt_codec::decode(&bytes, &limits()).unwrap()),
        bytes
    );
    let mut relabelled = exact;
    relabelled.mode = veris_core::Mode::Signed;
    assert!(!verify(&relabelled, &limits()).ok());
}

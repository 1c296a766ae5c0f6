//! `zk` receipts: evidence built from a proof, checked by `ZkChecker`
//! through `veris_core::verify`, and every way a lying operator or a
//! tampered receipt can differ from the honest one, rejected.

use veris_core::receipt_codec;
use veris_core::verify::{Report, verify, verify_with};
use veris_core::{EngineId, ModelId, Nonce, OperatorKey, Receipt, Statement, TensorLimits, TensorMap, ZkProof};
use veris_zk::infer::prove::prove;
use veris_zk::receipt::{SYSTEM, ZkChecker, evidence};

use crate::support::*;

fn operator() -> OperatorKey {
    OperatorKey::from_secret_bytes(&[7; 32]).unwrap()
}

/// A receipt for `reported` outputs on `inputs`, carrying `proof`, signed by the operator.
fn signed(inputs: TensorMap, outputs: TensorMap, proof: ZkProof, embed: bool) -> Receipt {
    let statement = Statement {
        model: digits().id(),
        engine: EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        inputs,
        outputs,
        timestamp_ms: 1_700_000_000_000,
        nonce: Nonce([3; 32]),
    };
    Receipt::sign_zk(statement, &operator(), embed, proof)
}

/// The honest proof evidence and outputs for digit sample `i`.
fn proved(i: usize) -> (TensorMap, TensorMap, ZkProof) {
    let (pk, vk) = digits_keys();
    let inputs = digit_samples()[i].clone();
    let p = prove(pk, digits(), &inputs).unwrap();
    (inputs, p.outputs.dequantized, evidence(vk, &p.statement, &p.proof))
}

fn trusted() -> ZkChecker {
    ZkChecker {
        trusted: Ok(ModelId::of_bytes(&digits_keys().1.encode())),
    }
}

fn check(r: &Receipt, checker: &ZkChecker) -> Report {
    verify_with(r, &TensorLimits::default(), Some(checker))
}

fn failed(report: &Report) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn honest_receipts_verify_with_or_without_embedded_inputs() {
    let (inputs, outputs, proof) = proved(0);
    for embed in [true, false] {
        let r = signed(inputs.clone(), outputs.clone(), proof.clone(), embed);
        let report = check(&r, &trusted());
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.checks.last().unwrap().name, "proof");
        // The receipt survives both of its encodings.
        let binary = receipt_codec::decode(&receipt_codec::encode(&r), &TensorLimits::default()).unwrap();
        assert_eq!(binary, r);
        let json: Receipt = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(json, r);
    }
}

#[test]
fn a_proof_is_never_taken_on_trust() {
    let (inputs, outputs, proof) = proved(0);
    let r = signed(inputs, outputs, proof, true);
    assert_eq!(failed(&verify(&r, &TensorLimits::default())), ["proof"]);
    let none = ZkChecker {
        trusted: Err("no key given".into()),
    };
    assert_eq!(failed(&check(&r, &none)), ["verifying_key"]);
    let other = ZkChecker {
        trusted: Ok(ModelId::of_bytes(b"another key")),
    };
    assert_eq!(failed(&check(&r, &other)), ["verifying_key"]);
}

#[test]
fn a_lying_operator_cannot_reuse_a_proof() {
    let (inputs, outputs, proof) = proved(0);
    let (other_inputs, other_outputs, other_proof) = proved(1);
    // A different answer, signed, with the honest proof of the first input.
    let mut lie = outputs.clone();
    let logits = lie.get_mut("logits").unwrap();
    let mut data = match logits.data() {
        veris_core::TensorData::Float32(v) => v.clone(),
        _ => unreachable!(),
    };
    data[4] += 1.0;
    *logits =
        veris_core::Tensor::new("logits", logits.shape().to_vec(), veris_core::TensorData::Float32(data)).unwrap();
    let cases = [
        ("changed output", signed(inputs.clone(), lie, proof.clone(), true)),
        (
            "proof of another input",
            signed(inputs.clone(), outputs.clone(), other_proof.clone(), true),
        ),
        (
            "another input",
            signed(other_inputs, other_outputs.clone(), proof.clone(), true),
        ),
        (
            "other output, hidden input",
            signed(inputs.clone(), other_outputs, proof.clone(), false),
        ),
    ];
    for (what, r) in cases {
        let report = check(&r, &trusted());
        assert_eq!(failed(&report), ["statement"], "{what}: {report:?}");
    }
}

#[test]
fn tampered_evidence_is_rejected() {
    let (inputs, outputs, proof) = proved(0);
    let tamper = |f: &dyn Fn(&mut ZkProof)| {
        let mut p = proof.clone();
        f(&mut p);
        signed(inputs.clone(), outputs.clone(), p, true)
    };
    let key = &digits_keys().1;
    let model_at = 8 + 4 + 1 + key.hash_name().len();
    let cases: Vec<(&str, Receipt, &str)> = vec![
        ("system", tamper(&|p| p.system = "other/v9".into()), "proof"),
        ("key bytes", tamper(&|p| p.key[40] ^= 1), "verifying_key"),
        (
            "key rehashed",
            tamper(&|p| {
                p.key[model_at + 36 + 10] ^= 1;
                p.verifying_key = ModelId::of_bytes(&p.key);
            }),
            "verifying_key",
        ),
        ("statement model", tamper(&|p| p.statement[5] ^= 1), "statement"),
        (
            "statement truncated",
            tamper(&|p| p.statement.truncate(100)),
            "statement",
        ),
        ("proof byte", tamper(&|p| p.proof[1000] ^= 0x10), "proof"),
        (
            "proof truncated",
            tamper(&|p| p.proof.truncate(p.proof.len() - 1)),
            "proof",
        ),
        ("proof swapped", tamper(&|p| p.proof = proved(2).2.proof), "proof"),
    ];
    for (what, r, check_name) in cases {
        let report = check(&r, &trusted());
        assert_eq!(failed(&report), [check_name], "{what}: {report:?}");
    }
    assert_eq!(proof.system, SYSTEM);
}

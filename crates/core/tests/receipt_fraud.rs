//! Fraud evidence against plain `exact` receipts (format 2), checked
//! offline: what valid evidence proves, and every way invalid, forged or
//! tampered evidence is refused with a typed error.

use veris_core::any_evidence::{AnyEvidence, decode_any_evidence, verify_any_evidence};
use veris_core::fraud::{EvidenceError, MAX_EVIDENCE_BYTES, Verdict};
use veris_core::receipt_fraud::{ClaimError, RECEIPT_EVIDENCE_FORMAT, ReceiptClaim, ReceiptEvidence};
use veris_core::{
    Digest32, EngineId, Mode, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorLimits,
    TensorMap,
};

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).expect("valid scalar")
}

fn tensors(values: Vec<i64>) -> TensorMap {
    let n = values.len();
    let t = Tensor::new("x", vec![1, n], TensorData::Int64(values)).unwrap();
    TensorMap::from([("x".to_string(), t)])
}

fn inputs() -> TensorMap {
    tensors(vec![5, -2, 9])
}

/// An exact receipt of `key` for the shared computation, with output `label`.
fn claim_as(mode: Mode, key: &OperatorKey, label: i64, nonce: u8) -> ReceiptClaim {
    let statement = Statement {
        model: ModelId::of_bytes(b"an exact model"),
        engine: EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        inputs: inputs(),
        outputs: tensors(vec![label]),
        timestamp_ms: 1_000 + u64::from(nonce),
        nonce: Nonce([nonce; 32]),
    };
    ReceiptClaim::of(&Receipt::sign_as(mode, statement, key, true))
}

fn claim(key: &OperatorKey, label: i64, nonce: u8) -> ReceiptClaim {
    claim_as(Mode::Exact, key, label, nonce)
}

fn verify(evidence: &ReceiptEvidence) -> Result<Verdict, EvidenceError> {
    verify_any_evidence(&AnyEvidence::Receipt(evidence.clone()), &TensorLimits::default())
}

#[test]
fn two_exact_receipts_of_one_operator_for_one_input_are_equivocation() {
    let liar = key(7);
    // Different requests (nonce, timestamp), same computation, two outputs.
    let evidence = ReceiptEvidence::new(claim(&liar, 1, 1), claim(&liar, 2, 2), None, None);
    let verdict = verify(&evidence).expect("valid");
    assert_eq!(
        verdict,
        Verdict::Equivocation {
            operator: liar.address()
        }
    );
    assert!(verdict.conclusive());
}

#[test]
fn a_signed_replay_convicts_and_an_unreplayed_one_only_disagrees() {
    let (liar, auditor) = (key(7), key(8));
    let replay = claim(&auditor, 1, 3);
    let evidence = ReceiptEvidence::new(
        claim(&liar, 2, 1),
        replay.clone(),
        Some(replay.output_digest),
        Some(inputs()),
    );
    assert_eq!(
        verify(&evidence),
        Ok(Verdict::WrongOutput {
            operator: liar.address(),
            witness: auditor.address()
        })
    );
    let mut unreplayed = evidence.clone();
    unreplayed.replayed_output_digest = None;
    assert!(matches!(verify(&unreplayed), Ok(Verdict::Disagreement { .. })));
    let mut mismatched = evidence;
    mismatched.replayed_output_digest = Some(Digest32([1; 32]));
    assert!(matches!(verify(&mismatched), Err(EvidenceError::ReplayMismatch { .. })));
}

#[test]
fn forged_and_tampered_receipts_are_refused() {
    let (victim, mallory, auditor) = (key(1), key(2), key(3));
    let replay = claim(&auditor, 1, 3);
    let with = |accused: ReceiptClaim, conflicting: ReceiptClaim| {
        ReceiptEvidence::new(accused, conflicting, Some(replay.output_digest), None)
    };
    // Mallory signs a lie and names the victim as its operator.
    let mut framed = claim(&mallory, 2, 1);
    framed.operator = claim(&victim, 2, 1).operator;
    assert!(matches!(
        verify(&with(framed, replay.clone())),
        Err(EvidenceError::Receipt {
            which: "accused",
            source: ClaimError::WrongSigner { .. }
        })
    ));
    // The victim's real receipt, edited field by field after signing.
    let edits: [fn(&mut ReceiptClaim); 5] = [
        |c| c.output_digest = Digest32([9; 32]),
        |c| c.timestamp_ms += 1,
        |c| c.nonce = Nonce([0xee; 32]),
        |c| c.engine.version = "2".into(),
        |c| c.signature.0[7] ^= 1,
    ];
    for edit in edits {
        let mut edited = claim(&victim, 2, 1);
        edit(&mut edited);
        let err = verify(&with(edited, replay.clone())).unwrap_err();
        assert!(matches!(err, EvidenceError::Receipt { which: "accused", .. }), "{err}");
    }
    // A key that is not the named address.
    let mut wrong_key = claim(&victim, 2, 1);
    wrong_key.operator.public_key = mallory.public_key();
    assert!(matches!(
        verify(&with(wrong_key, replay.clone())),
        Err(EvidenceError::Receipt {
            source: ClaimError::OperatorMismatch { .. },
            ..
        })
    ));
    // A tampered witness receipt.
    let mut witness = replay.clone();
    witness.signature.0[3] ^= 1;
    assert!(matches!(
        verify(&with(claim(&victim, 2, 1), witness)),
        Err(EvidenceError::Receipt {
            which: "conflicting",
            ..
        })
    ));
}

#[test]
fn only_exact_receipts_of_one_computation_that_conflict_are_evidence() {
    let (a, b) = (key(1), key(2));
    // Float (`signed`) receipts are not deterministic across machines.
    let float = ReceiptEvidence::new(claim_as(Mode::Signed, &a, 1, 1), claim(&b, 2, 2), None, None);
    assert!(matches!(
        verify(&float),
        Err(EvidenceError::Receipt {
            source: ClaimError::Mode { got: "signed" },
            ..
        })
    ));
    let agree = ReceiptEvidence::new(claim(&a, 1, 1), claim(&b, 1, 2), None, None);
    assert_eq!(verify(&agree), Err(EvidenceError::NoConflict));
    let mut other_model = claim(&b, 2, 2);
    other_model.model = ModelId::of_bytes(b"another model");
    let other_model = ReceiptClaim {
        signature: {
            // Re-signed honestly: a valid receipt about another computation.
            let r = Receipt::sign_as(
                Mode::Exact,
                Statement {
                    model: other_model.model,
                    engine: other_model.engine.clone(),
                    inputs: inputs(),
                    outputs: tensors(vec![2]),
                    timestamp_ms: other_model.timestamp_ms,
                    nonce: other_model.nonce,
                },
                &b,
                false,
            );
            *r.evidence.signature()
        },
        ..other_model
    };
    let different = ReceiptEvidence::new(claim(&a, 1, 1), other_model, None, None);
    assert_eq!(verify(&different), Err(EvidenceError::DifferentJobs));
}

#[test]
fn embedded_inputs_must_hash_to_the_receipts_and_fit_the_limits() {
    let (a, b) = (key(1), key(2));
    let mut evidence = ReceiptEvidence::new(claim(&a, 1, 1), claim(&b, 2, 2), None, Some(tensors(vec![0])));
    assert!(matches!(verify(&evidence), Err(EvidenceError::InputDigest { .. })));
    evidence.inputs = Some(inputs());
    let tight = TensorLimits {
        max_elements: 2,
        ..TensorLimits::default()
    };
    let any = AnyEvidence::Receipt(evidence.clone());
    assert!(matches!(
        verify_any_evidence(&any, &tight),
        Err(EvidenceError::Inputs(_))
    ));
    assert!(verify(&evidence).is_ok());
}

#[test]
fn decoding_is_bounded_strict_and_dispatched_by_format() {
    let (a, b) = (key(1), key(2));
    let evidence = ReceiptEvidence::new(claim(&a, 1, 1), claim(&b, 2, 2), None, Some(inputs()));
    let any = AnyEvidence::Receipt(evidence.clone());
    let bytes = any.encode();
    let back = decode_any_evidence(&bytes).expect("decodes");
    assert_eq!(back, any);
    assert_eq!(back.id(), evidence.id());
    assert_eq!(back.format(), RECEIPT_EVIDENCE_FORMAT);
    let huge = vec![b' '; MAX_EVIDENCE_BYTES + 1];
    assert!(matches!(
        decode_any_evidence(&huge),
        Err(EvidenceError::TooLarge { .. })
    ));
    for garbage in [
        &b"not json"[..],
        b"{}",
        b"{\"format\": 2}",
        b"[1, 2]",
        b"{\"format\": -1}",
    ] {
        assert!(
            matches!(decode_any_evidence(garbage), Err(EvidenceError::Decode(_))),
            "{}",
            String::from_utf8_lossy(garbage)
        );
    }
    assert_eq!(
        decode_any_evidence(b"{\"format\": 3}"),
        Err(EvidenceError::Format { got: 3 })
    );
    // Unknown fields, and a format-2 body labelled format 1, are refused.
    let mut extra = serde_json::to_value(&evidence).unwrap();
    extra["verdict"] = serde_json::json!("guilty");
    assert!(matches!(
        decode_any_evidence(&serde_json::to_vec(&extra).unwrap()),
        Err(EvidenceError::Decode(_))
    ));
    let mut relabelled = serde_json::to_value(&evidence).unwrap();
    relabelled["format"] = serde_json::json!(1);
    assert!(matches!(
        decode_any_evidence(&serde_json::to_vec(&relabelled).unwrap()),
        Err(EvidenceError::Decode(_))
    ));
    // Through serde (as in `GET /v1/evidence` records) the same rules hold.
    assert_eq!(serde_json::from_slice::<AnyEvidence>(&bytes).unwrap(), any);
    assert!(serde_json::from_slice::<AnyEvidence>(b"{\"format\": 3}").is_err());
    // The id binds the replay claim.
    let mut replayed = evidence.clone();
    replayed.replayed_output_digest = Some(evidence.conflicting.output_digest);
    assert_ne!(replayed.id(), evidence.id());
}

#[test]
fn a_claim_keeps_the_receipts_id() {
    let k = key(4);
    let statement = Statement {
        model: ModelId::of_bytes(b"m"),
        engine: EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        inputs: inputs(),
        outputs: tensors(vec![1]),
        timestamp_ms: 5,
        nonce: Nonce([6; 32]),
    };
    let receipt = Receipt::sign_as(Mode::Exact, statement, &k, true);
    let claim = ReceiptClaim::of(&receipt);
    assert_eq!(claim.id(), receipt.id());
    assert_eq!(claim.check(), Ok(()));
}

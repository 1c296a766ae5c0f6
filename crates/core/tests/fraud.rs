//! Fraud evidence and replicated receipts, checked offline: what valid
//! evidence proves, and every way invalid evidence is refused.

use veris_core::fraud::{EvidenceError, FraudEvidence, MAX_EVIDENCE_BYTES, Verdict, decode_evidence, verify_evidence};
use veris_core::job::{JobError, JobStatement, SignedJob};
use veris_core::quorum::{AcceptedOperators, QuorumCertificate};
use veris_core::replicated::{
    REPLICATED_FORMAT_VERSION, ReplicatedMode, ReplicatedReceipt, is_replicated_json, verify_replicated,
};
use veris_core::{
    Digest32, EngineId, ModelId, Nonce, OperatorKey, Tensor, TensorData, TensorLimits, TensorMap, tensor_codec,
};

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).expect("valid scalar")
}

fn tensors(values: Vec<f32>) -> TensorMap {
    let n = values.len();
    TensorMap::from([(
        "x".to_string(),
        Tensor::new("x", vec![1, n], TensorData::Float32(values)).unwrap(),
    )])
}

fn inputs() -> TensorMap {
    tensors(vec![0.5, -1.0, 2.0])
}

fn statement(outputs: &TensorMap) -> JobStatement {
    JobStatement::new(
        Nonce([4; 32]),
        ModelId::of_bytes(b"an exact model"),
        EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        tensor_codec::digest(&inputs()),
        tensor_codec::digest(outputs),
    )
}

fn honest() -> JobStatement {
    statement(&tensors(vec![1.0, 0.0]))
}

fn lie() -> JobStatement {
    statement(&tensors(vec![1.0, 0.25]))
}

fn limits() -> TensorLimits {
    TensorLimits::default()
}

#[test]
fn an_operator_that_signs_two_outputs_for_one_job_is_caught_equivocating() {
    let liar = key(7);
    let evidence = FraudEvidence::new(
        SignedJob::sign(lie(), &liar),
        SignedJob::sign(honest(), &liar),
        None,
        None,
    );
    let verdict = verify_evidence(&evidence, &limits()).expect("valid evidence");
    assert_eq!(
        verdict,
        Verdict::Equivocation {
            operator: liar.address()
        }
    );
    assert!(verdict.conclusive());
}

#[test]
fn a_replayed_result_convicts_the_dissenter() {
    let (liar, replayer) = (key(7), key(8));
    let evidence = FraudEvidence::new(
        SignedJob::sign(lie(), &liar),
        SignedJob::sign(honest(), &replayer),
        Some(honest().output_digest),
        Some(inputs()),
    );
    let verdict = verify_evidence(&evidence, &limits()).expect("valid evidence");
    assert_eq!(
        verdict,
        Verdict::WrongOutput {
            operator: liar.address(),
            witness: replayer.address()
        }
    );
    assert_eq!(verdict.accused(), liar.address());
    // Without a replay it only names a disagreement.
    let mut unreplayed = evidence.clone();
    unreplayed.replayed_output_digest = None;
    let verdict = verify_evidence(&unreplayed, &limits()).expect("valid evidence");
    assert!(matches!(verdict, Verdict::Disagreement { .. }) && !verdict.conclusive());
    // A replay that is not the witness's own statement proves nothing.
    let mut mismatched = evidence;
    mismatched.replayed_output_digest = Some(Digest32([0; 32]));
    assert!(matches!(
        verify_evidence(&mismatched, &limits()),
        Err(EvidenceError::ReplayMismatch { .. })
    ));
}

#[test]
fn statements_that_agree_or_concern_different_jobs_are_no_evidence() {
    let (a, b) = (key(1), key(2));
    let same = FraudEvidence::new(SignedJob::sign(honest(), &a), SignedJob::sign(honest(), &b), None, None);
    assert_eq!(verify_evidence(&same, &limits()), Err(EvidenceError::NoConflict));
    let mut other_job = honest();
    other_job.job_id = Nonce([5; 32]);
    let different = FraudEvidence::new(SignedJob::sign(lie(), &a), SignedJob::sign(other_job, &b), None, None);
    assert_eq!(
        verify_evidence(&different, &limits()),
        Err(EvidenceError::DifferentJobs)
    );
    let mut other_input = honest();
    other_input.input_digest = Digest32([0; 32]);
    let different = FraudEvidence::new(SignedJob::sign(lie(), &a), SignedJob::sign(other_input, &b), None, None);
    assert_eq!(
        verify_evidence(&different, &limits()),
        Err(EvidenceError::DifferentJobs)
    );
}

#[test]
fn forged_or_tampered_statements_are_refused() {
    let (victim, mallory, witness) = (key(1), key(2), key(3));
    // Mallory frames the victim: signs a lie herself and names the victim.
    let mut framed = SignedJob::sign(lie(), &mallory);
    framed.signer.operator = SignedJob::sign(lie(), &victim).signer.operator;
    let evidence = FraudEvidence::new(
        framed,
        SignedJob::sign(honest(), &witness),
        Some(honest().output_digest),
        None,
    );
    match verify_evidence(&evidence, &limits()) {
        Err(EvidenceError::Statement {
            which: "accused",
            source: JobError::WrongSigner { .. },
        }) => {}
        other => panic!("expected a forged accused statement, got {other:?}"),
    }
    // The victim's real statement, edited to state another output.
    let mut edited = SignedJob::sign(honest(), &victim);
    edited.statement.output_digest = lie().output_digest;
    let evidence = FraudEvidence::new(edited, SignedJob::sign(honest(), &witness), None, None);
    assert!(matches!(
        verify_evidence(&evidence, &limits()),
        Err(EvidenceError::Statement { which: "accused", .. })
    ));
    // A tampered witness statement.
    let mut witness_statement = SignedJob::sign(honest(), &witness);
    witness_statement.signer.signature.0[10] ^= 1;
    let evidence = FraudEvidence::new(SignedJob::sign(lie(), &victim), witness_statement, None, None);
    assert!(matches!(
        verify_evidence(&evidence, &limits()),
        Err(EvidenceError::Statement {
            which: "conflicting",
            ..
        })
    ));
}

#[test]
fn embedded_inputs_must_hash_to_the_job_and_fit_the_limits() {
    let (a, b) = (key(1), key(2));
    let mut evidence = FraudEvidence::new(
        SignedJob::sign(lie(), &a),
        SignedJob::sign(honest(), &b),
        None,
        Some(tensors(vec![9.0])),
    );
    assert!(matches!(
        verify_evidence(&evidence, &limits()),
        Err(EvidenceError::InputDigest { .. })
    ));
    evidence.inputs = Some(inputs());
    let tight = TensorLimits {
        max_elements: 2,
        ..TensorLimits::default()
    };
    assert!(matches!(
        verify_evidence(&evidence, &tight),
        Err(EvidenceError::Inputs(_))
    ));
    assert!(verify_evidence(&evidence, &limits()).is_ok());
    evidence.format = 2;
    assert_eq!(
        verify_evidence(&evidence, &limits()),
        Err(EvidenceError::Format { got: 2 })
    );
}

#[test]
fn evidence_decodes_under_a_size_limit_and_has_a_stable_id() {
    let (a, b) = (key(1), key(2));
    let evidence = FraudEvidence::new(
        SignedJob::sign(lie(), &a),
        SignedJob::sign(honest(), &b),
        Some(honest().output_digest),
        Some(inputs()),
    );
    let bytes = serde_json::to_vec(&evidence).unwrap();
    let back = decode_evidence(&bytes).expect("decodes");
    assert_eq!(back, evidence);
    assert_eq!(back.id(), evidence.id());
    let mut no_inputs = evidence.clone();
    no_inputs.inputs = None;
    assert_eq!(
        no_inputs.id(),
        evidence.id(),
        "inputs are bound by the statements, not the id"
    );
    let mut unreplayed = evidence.clone();
    unreplayed.replayed_output_digest = None;
    assert_ne!(unreplayed.id(), evidence.id());
    let huge = vec![b' '; MAX_EVIDENCE_BYTES + 1];
    assert!(matches!(decode_evidence(&huge), Err(EvidenceError::TooLarge { .. })));
    assert!(matches!(
        decode_evidence(b"{\"format\": 1}"),
        Err(EvidenceError::Decode(_))
    ));
    let mut extra = serde_json::to_value(&evidence).unwrap();
    extra["verdict"] = serde_json::json!("guilty");
    assert!(matches!(
        decode_evidence(&serde_json::to_vec(&extra).unwrap()),
        Err(EvidenceError::Decode(_))
    ));
}

fn replicated(keys: &[&OperatorKey]) -> ReplicatedReceipt {
    let outputs = tensors(vec![1.0, 0.0]);
    ReplicatedReceipt {
        format: REPLICATED_FORMAT_VERSION,
        mode: ReplicatedMode::Replicated,
        k: 3,
        quorum: 2,
        inputs: Some(inputs()),
        certificate: QuorumCertificate::sign_by(statement(&outputs), keys),
        outputs,
    }
}

#[test]
fn replicated_receipts_verify_against_the_verifiers_policy() {
    let (a, b, c) = (key(1), key(2), key(3));
    let ops = AcceptedOperators::new([a.address(), b.address(), c.address()]);
    let receipt = replicated(&[&a, &b]);
    let report = verify_replicated(&receipt, &ops, 2, &limits());
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.receipt_id, receipt.certificate.statement.id());
    assert!(!verify_replicated(&receipt, &ops, 3, &limits()).ok());

    let json = serde_json::to_value(&receipt).unwrap();
    assert!(is_replicated_json(&json));
    assert_eq!(serde_json::from_value::<ReplicatedReceipt>(json).unwrap(), receipt);

    let failing = |r: &ReplicatedReceipt| -> Vec<String> {
        let report = verify_replicated(r, &ops, 2, &limits());
        report.checks.into_iter().filter(|c| !c.ok).map(|c| c.name).collect()
    };
    let mut outputs = receipt.clone();
    outputs.outputs = tensors(vec![1.0, 0.25]);
    assert_eq!(failing(&outputs), ["output_digest"]);
    let mut ins = receipt.clone();
    ins.inputs = Some(tensors(vec![0.5, -1.0, 2.5]));
    assert_eq!(failing(&ins), ["input_digest"]);
    let mut format = receipt.clone();
    format.format = 9;
    assert_eq!(failing(&format), ["format"]);
    let mut stranger = receipt;
    stranger.certificate = QuorumCertificate::sign_by(stranger.certificate.statement.clone(), &[&a, &key(40)]);
    assert_eq!(failing(&stranger), ["certificate"]);
}

//! Quorum certificates under attack: forged and malformed signatures,
//! duplicate and unaccepted signers, tampered statements, too few signers.

use veris_core::job::{JobError, JobSignature, JobStatement, SignedJob};
use veris_core::quorum::{
    AcceptedOperators, CertificateError, MAX_SIGNERS, OperatorListError, QuorumCertificate, verify_certificate,
};
use veris_core::{Digest32, EngineId, ModelId, Nonce, OperatorKey};

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).expect("valid scalar")
}

fn statement() -> JobStatement {
    JobStatement::new(
        Nonce([9; 32]),
        ModelId::of_bytes(b"an exact model"),
        EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        },
        Digest32([1; 32]),
        Digest32([2; 32]),
    )
}

/// A named change to a statement.
type Edit = fn(&mut JobStatement);

fn accepted(keys: &[&OperatorKey]) -> AcceptedOperators {
    AcceptedOperators::new(keys.iter().map(|k| k.address()))
}

#[test]
fn a_certificate_of_distinct_accepted_signers_verifies() {
    let (a, b, c) = (key(1), key(2), key(3));
    let cert = QuorumCertificate::sign_by(statement(), &[&a, &b, &c]);
    let ok = verify_certificate(&cert, &accepted(&[&a, &b, &c]), 3).expect("verifies");
    let mut want = vec![a.address(), b.address(), c.address()];
    want.sort();
    assert_eq!(ok.signers, want);
    assert!(ok.unaccepted.is_empty());
    assert!(verify_certificate(&cert, &accepted(&[&a, &b, &c]), 2).is_ok());
    let four = verify_certificate(&cert, &accepted(&[&a, &b, &c]), 4);
    assert!(
        matches!(four, Err(CertificateError::BelowQuorum { need: 4, got: 3, .. })),
        "{four:?}"
    );
}

#[test]
fn a_forged_signature_fails_the_certificate() {
    let (a, b, mallory) = (key(1), key(2), key(66));
    let mut cert = QuorumCertificate::sign_by(statement(), &[&a, &b]);
    // Mallory signs and attributes the signature to b.
    cert.signers[1].signature = JobSignature::sign(&statement(), &mallory).signature;
    match verify_certificate(&cert, &accepted(&[&a, &b]), 1) {
        Err(CertificateError::Signer {
            index: 1,
            source: JobError::WrongSigner { operator, signer },
        }) => {
            assert_eq!(operator, b.address());
            assert_eq!(signer, mallory.address());
        }
        other => panic!("expected a wrong-signer error, got {other:?}"),
    }
    // Garbage bytes, a bad `v`, and a high `s` are malformed signatures.
    let mut garbage = QuorumCertificate::sign_by(statement(), &[&a]);
    garbage.signers[0].signature.0 = [0xff; 65];
    let result = verify_certificate(&garbage, &accepted(&[&a]), 1);
    assert!(
        matches!(
            result,
            Err(CertificateError::Signer {
                index: 0,
                source: JobError::Signature { .. }
            })
        ),
        "{result:?}"
    );
    let mut bad_v = QuorumCertificate::sign_by(statement(), &[&a]);
    bad_v.signers[0].signature.0[64] = 29;
    assert!(verify_certificate(&bad_v, &accepted(&[&a]), 1).is_err());
}

#[test]
fn an_operator_named_with_another_key_fails() {
    let (a, b) = (key(1), key(2));
    let mut cert = QuorumCertificate::sign_by(statement(), &[&a]);
    cert.signers[0].operator.address = b.address();
    let result = verify_certificate(&cert, &accepted(&[&a, &b]), 1);
    assert!(
        matches!(
            result,
            Err(CertificateError::Signer {
                source: JobError::OperatorMismatch { .. },
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn a_duplicate_signer_counts_once() {
    let (a, b) = (key(1), key(2));
    let mut cert = QuorumCertificate::sign_by(statement(), &[&a, &b]);
    cert.signers.push(cert.signers[0]);
    cert.signers.push(cert.signers[0]);
    let ops = accepted(&[&a, &b]);
    match verify_certificate(&cert, &ops, 3) {
        Err(CertificateError::BelowQuorum {
            need: 3,
            got: 2,
            unaccepted: 0,
            duplicates: 2,
        }) => {}
        other => panic!("expected below quorum with two duplicates, got {other:?}"),
    }
    assert_eq!(
        verify_certificate(&cert, &ops, 2).expect("two distinct").signers.len(),
        2
    );
}

#[test]
fn signers_outside_the_accepted_set_do_not_count() {
    let (a, b, stranger) = (key(1), key(2), key(3));
    let cert = QuorumCertificate::sign_by(statement(), &[&a, &b, &stranger]);
    let ops = accepted(&[&a, &b]);
    match verify_certificate(&cert, &ops, 3) {
        Err(CertificateError::BelowQuorum {
            got: 2, unaccepted: 1, ..
        }) => {}
        other => panic!("expected below quorum with one unaccepted signer, got {other:?}"),
    }
    let ok = verify_certificate(&cert, &ops, 2).expect("two accepted");
    assert_eq!(ok.unaccepted, vec![stranger.address()]);
    // Nobody accepted: nothing counts.
    let none = verify_certificate(&cert, &AcceptedOperators::default(), 1);
    assert!(
        matches!(
            none,
            Err(CertificateError::BelowQuorum {
                got: 0,
                unaccepted: 3,
                ..
            })
        ),
        "{none:?}"
    );
}

#[test]
fn tampering_with_any_field_of_the_statement_breaks_every_signature() {
    let (a, b) = (key(1), key(2));
    let ops = accepted(&[&a, &b]);
    let signed = QuorumCertificate::sign_by(statement(), &[&a, &b]);
    let edits: [(&str, Edit); 6] = [
        ("job id", |s| s.job_id.0[0] ^= 1),
        ("model", |s| s.model = ModelId::of_bytes(b"another model")),
        ("engine", |s| s.engine.id = "tract-onnx".into()),
        ("engine version", |s| s.engine.version = "2".into()),
        ("input digest", |s| s.input_digest.0[31] ^= 1),
        ("output digest", |s| s.output_digest.0[0] ^= 0x80),
    ];
    for (what, edit) in edits {
        let mut cert = signed.clone();
        edit(&mut cert.statement);
        let result = verify_certificate(&cert, &ops, 1);
        assert!(
            matches!(
                result,
                Err(CertificateError::Signer {
                    index: 0,
                    source: JobError::WrongSigner { .. }
                })
            ),
            "{what}: {result:?}"
        );
    }
    let mut format = signed.clone();
    format.statement.format = 2;
    assert!(matches!(
        verify_certificate(&format, &ops, 1),
        Err(CertificateError::Statement(JobError::Format { got: 2 }))
    ));
    let mut long = signed;
    long.statement.engine.version = "x".repeat(65);
    assert!(matches!(
        verify_certificate(&long, &ops, 1),
        Err(CertificateError::Statement(JobError::EngineText { .. }))
    ));
}

#[test]
fn zero_quorum_and_oversized_certificates_are_refused() {
    let a = key(1);
    let cert = QuorumCertificate::sign_by(statement(), &[&a]);
    assert_eq!(
        verify_certificate(&cert, &accepted(&[&a]), 0),
        Err(CertificateError::ZeroQuorum)
    );
    let mut big = cert.clone();
    big.signers = vec![cert.signers[0]; MAX_SIGNERS + 1];
    assert_eq!(
        verify_certificate(&big, &accepted(&[&a]), 1),
        Err(CertificateError::TooManySigners {
            max: MAX_SIGNERS,
            got: MAX_SIGNERS + 1
        })
    );
}

#[test]
fn collect_keeps_only_statements_of_the_certified_output() {
    let (a, b, c) = (key(1), key(2), key(3));
    let mut other = statement();
    other.output_digest = Digest32([3; 32]);
    let signed = [
        SignedJob::sign(statement(), &a),
        SignedJob::sign(other, &b),
        SignedJob::sign(statement(), &c),
    ];
    let cert = QuorumCertificate::collect(statement(), &signed);
    let ok = verify_certificate(&cert, &accepted(&[&a, &b, &c]), 2).expect("a and c agree");
    assert!(!ok.signers.contains(&b.address()));
    assert_eq!(cert.signers.len(), 2);
}

#[test]
fn operator_lists_take_addresses_and_public_keys() {
    let (a, b) = (key(1), key(2));
    let text = format!(
        "# accepted operators\n{}, {}\n\n  # nobody else\n",
        a.address(),
        b.public_key()
    );
    let ops = AcceptedOperators::parse_list(&text).expect("parses");
    assert_eq!(ops, accepted(&[&a, &b]));
    assert_eq!(
        AcceptedOperators::parse_list(" # none\n"),
        Err(OperatorListError::Empty)
    );
    assert!(matches!(
        AcceptedOperators::parse_list("0x1234"),
        Err(OperatorListError::Entry { .. })
    ));
    let not_on_curve = format!("0x05{}", "00".repeat(32));
    assert!(matches!(
        AcceptedOperators::parse_list(&not_on_curve),
        Err(OperatorListError::Key { .. })
    ));
}

#[test]
fn certificates_round_trip_through_json_and_refuse_unknown_fields() {
    let a = key(1);
    let cert = QuorumCertificate::sign_by(statement(), &[&a]);
    let json = serde_json::to_value(&cert).unwrap();
    let back: QuorumCertificate = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, cert);
    let mut extra = json;
    extra["statement"]["operator"] = serde_json::json!("0x00");
    assert!(serde_json::from_value::<QuorumCertificate>(extra).is_err());
}

//! The node's evidence store: only evidence that verifies is kept, it
//! survives a restart, and a file that went bad on disk is not listed.

use veris_core::fraud::{FraudEvidence, Verdict};
use veris_core::job::{JobStatement, SignedJob};
use veris_core::{Digest32, EngineId, ModelId, Nonce, OperatorKey};
use veris_node::{NodeConfig, NodeError, Service};

fn key(seed: u8) -> OperatorKey {
    OperatorKey::from_secret_bytes(&[seed; 32]).unwrap()
}

fn statement(output: u8) -> JobStatement {
    let engine = EngineId {
        id: "veris-exact".into(),
        version: "1".into(),
    };
    JobStatement::new(
        Nonce([1; 32]),
        ModelId::of_bytes(b"m"),
        engine,
        Digest32([2; 32]),
        Digest32([output; 32]),
    )
}

fn equivocation(seed: u8) -> FraudEvidence {
    let liar = key(seed);
    FraudEvidence::new(
        SignedJob::sign(statement(3), &liar),
        SignedJob::sign(statement(4), &liar),
        None,
        None,
    )
}

#[test]
fn only_valid_evidence_is_stored_and_it_survives_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let (id, verdict) = service.record_evidence(&equivocation(7)).unwrap();
    assert_eq!(
        verdict,
        Verdict::Equivocation {
            operator: key(7).address()
        }
    );

    let mut forged = equivocation(8);
    forged.conflicting.signer.signature.0[5] ^= 1;
    assert!(matches!(
        service.record_evidence(&forged),
        Err(NodeError::BadRequest(_))
    ));
    let bytes = serde_json::to_vec(&forged).unwrap();
    assert!(service.receive_evidence(&bytes).is_err());
    let duplicate = serde_json::to_vec(&equivocation(7)).unwrap();
    assert!(!service.receive_evidence(&duplicate).unwrap());
    assert!(
        service
            .receive_evidence(&serde_json::to_vec(&equivocation(9)).unwrap())
            .unwrap()
    );
    assert_eq!(service.list_evidence().unwrap().evidence.len(), 2);
    drop(service);

    // A bad file under a valid name (a torn copy, a tampering hand) is left out.
    let other = equivocation(9).id();
    let path = home
        .path()
        .join("evidence")
        .join(format!("{}.json", &other.to_string()[2..]));
    let mut on_disk = std::fs::read(&path).unwrap();
    on_disk.truncate(on_disk.len() / 2);
    std::fs::write(&path, on_disk).unwrap();

    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let listed = service.list_evidence().unwrap().evidence;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
}

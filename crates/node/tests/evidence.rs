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

#[test]
fn evidence_pages_for_a_sync_are_ordered_bounded_and_skip_bad_files() {
    let home = tempfile::tempdir().unwrap();
    let service = Service::open(NodeConfig::new(home.path())).unwrap();
    let mut ids: Vec<Digest32> = (20..25)
        .map(|seed| service.record_evidence(&equivocation(seed)).unwrap().0)
        .collect();
    ids.sort();
    let id_of = |bytes: &Vec<u8>| veris_core::fraud::decode_evidence(bytes).unwrap().id();

    let (first, more) = service.evidence_page(None, 2, 1 << 20, 1 << 20).unwrap();
    assert!(more);
    assert_eq!(first.iter().map(id_of).collect::<Vec<_>>(), ids[..2]);
    let (rest, more) = service.evidence_page(Some(&ids[1]), 10, 1 << 20, 1 << 20).unwrap();
    assert!(!more);
    assert_eq!(rest.iter().map(id_of).collect::<Vec<_>>(), ids[2..]);
    // A byte budget of one item and a half: one item, and more to come.
    let one = first[0].len();
    let (tight, more) = service.evidence_page(None, 10, one + one / 2, 1 << 20).unwrap();
    assert_eq!((tight.len(), more), (1, true));
    // Items over the per-item limit are left out, not cut.
    let (none, _) = service.evidence_page(None, 10, 1 << 20, 16).unwrap();
    assert!(none.is_empty());

    // A file that went bad on disk is not served.
    let path = home
        .path()
        .join("evidence")
        .join(format!("{}.json", &ids[0].to_string()[2..]));
    std::fs::write(&path, b"{}").unwrap();
    let (all, _) = service.evidence_page(None, 10, 1 << 20, 1 << 20).unwrap();
    assert_eq!(all.iter().map(id_of).collect::<Vec<_>>(), ids[1..]);
}

//! Damaged or foreign metadata is a typed error, never a panic, and never
//! a reason to delete blobs.

use std::fs;

use redb::{Database, ReadableTable, TableDefinition};
use veris_store::{DB_FILE, Hub, ModelRef, NewModel, StoreError};

// The stored table layout (schema 1); see the crate documentation.
const MODELS: TableDefinition<'_, (&str, u32, u32), &[u8]> = TableDefinition::new("models");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

fn with_db(home: &std::path::Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = Database::create(home.join(DB_FILE)).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

#[test]
fn undecodable_record_is_reported_skips_gc_and_can_be_removed() {
    let home = tempfile::tempdir().unwrap();
    let good = Hub::open(home.path())
        .unwrap()
        .add(b"good", NewModel::onnx("good"))
        .unwrap()
        .record;
    with_db(home.path(), |txn| {
        let mut t = txn.open_table(MODELS).unwrap();
        t.insert(("bad", 1, 0), b"{\"schema\":1,\"record\":{\"id\":7}}".as_slice())
            .unwrap();
        // A well-formed record stored under the wrong key is corrupt too.
        let moved = t.get(("good", 1, 0)).unwrap().unwrap().value().to_vec();
        t.insert(("moved", 2, 0), moved.as_slice()).unwrap();
    });
    let orphan = home
        .path()
        .join("blobs")
        .join(veris_core::ModelId::of_bytes(b"o").to_string());
    fs::write(&orphan, b"o").unwrap();

    let hub = Hub::open(home.path()).unwrap();
    assert!(hub.open_report().gc_skipped);
    assert!(orphan.exists(), "no blob may be collected while a record is unreadable");
    let err = hub.list().unwrap_err();
    assert!(
        matches!(&err, StoreError::CorruptRecord { key, .. } if key == "bad@1.0"),
        "{err}"
    );
    assert!(matches!(
        hub.resolve(&"moved@2.0".parse().unwrap()),
        Err(StoreError::CorruptRecord { .. })
    ));
    assert_eq!(hub.resolve(&"good".parse().unwrap()).unwrap(), good);

    assert_eq!(hub.remove(&"bad@1.0".parse::<ModelRef>().unwrap()).unwrap(), vec![]);
    assert_eq!(hub.remove(&"moved@2.0".parse::<ModelRef>().unwrap()).unwrap(), vec![]);
    assert_eq!(hub.list().unwrap(), vec![good.clone()]);
    drop(hub);
    let hub = Hub::open(home.path()).unwrap();
    assert!(!hub.open_report().gc_skipped);
    assert!(!orphan.exists());
    assert_eq!(hub.read_blob(&good.id).unwrap(), b"good");
}

#[test]
fn newer_database_schema_is_refused() {
    let home = tempfile::tempdir().unwrap();
    drop(Hub::open(home.path()).unwrap());
    with_db(home.path(), |txn| {
        txn.open_table(META).unwrap().insert("schema", 2).unwrap();
    });
    let err = Hub::open(home.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedSchema {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn garbage_database_file_is_an_error_not_a_panic() {
    let home = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(home.path().join(DB_FILE), garbage).unwrap();
    let err = Hub::open(home.path()).unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err}");
}

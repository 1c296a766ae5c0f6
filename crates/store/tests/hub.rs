//! Behaviour of the hub's public API: adding, versioning, resolving,
//! removing, integrity checks, limits and locking.

use std::fs;
use std::sync::Arc;

use veris_core::{DType, Dim, ModelId, TensorSpec};
use veris_store::{Hub, HubConfig, ModelRef, NameError, NewModel, StoreError, Version};

fn open() -> (tempfile::TempDir, Hub) {
    let home = tempfile::tempdir().unwrap();
    let hub = Hub::open(home.path()).unwrap();
    (home, hub)
}

fn r(text: &str) -> ModelRef {
    text.parse().unwrap()
}

fn v(major: u32, minor: u32) -> Version {
    Version { major, minor }
}

fn with_version(name: &str, version: Version) -> NewModel {
    NewModel {
        version: Some(version),
        ..NewModel::onnx(name)
    }
}

#[test]
fn add_records_metadata_and_stores_the_blob() {
    let (home, hub) = open();
    let spec = TensorSpec {
        name: "input".into(),
        dtype: DType::Float32,
        shape: vec![Dim::Symbol("N".into()), Dim::Fixed(4)],
    };
    let model = NewModel {
        description: "a test model".into(),
        inputs: vec![spec.clone()],
        outputs: vec![spec],
        ..NewModel::onnx("mnist")
    };
    let added = hub.add(b"model one", model.clone()).unwrap();
    assert!(added.created);
    let rec = &added.record;
    assert_eq!(rec.id, ModelId::of_bytes(b"model one"));
    assert_eq!((rec.name.as_str(), rec.version, rec.size), ("mnist", v(1, 0), 9));
    assert_eq!(
        (rec.description.as_str(), rec.format.as_str()),
        ("a test model", "onnx")
    );
    assert_eq!((&rec.inputs, &rec.outputs), (&model.inputs, &model.outputs));
    assert!(rec.created_ms > 1_600_000_000_000);
    assert_eq!(
        hub.blob_path(&rec.id),
        home.path().join("blobs").join(rec.id.to_string())
    );
    assert_eq!(fs::read(hub.blob_path(&rec.id)).unwrap(), b"model one");
    assert_eq!(hub.read_blob(&rec.id).unwrap(), b"model one");
    assert!(home.path().join("hub.redb").is_file());
}

#[test]
fn versions_increment_per_name_and_adds_are_idempotent() {
    let (_home, hub) = open();
    let a1 = hub.add(b"a1", NewModel::onnx("a")).unwrap().record;
    let a2 = hub.add(b"a2", NewModel::onnx("a")).unwrap().record;
    let b1 = hub.add(b"a1", NewModel::onnx("b")).unwrap().record;
    assert_eq!((a1.version, a2.version, b1.version), (v(1, 0), v(1, 1), v(1, 0)));
    assert_eq!(a1.id, b1.id);

    let again = hub.add(b"a1", NewModel::onnx("a")).unwrap();
    assert!(!again.created);
    assert_eq!(again.record, a1);

    let a3 = hub.add(b"a3", with_version("a", v(2, 0))).unwrap().record;
    assert_eq!(a3.version, v(2, 0));
    let a4 = hub.add(b"a4", NewModel::onnx("a")).unwrap().record;
    assert_eq!(a4.version, v(2, 1));
    // An explicit free version may repeat bytes another version has.
    let old = hub.add(b"a1", with_version("a", v(1, 5))).unwrap();
    assert!(old.created);

    let list: Vec<String> = hub.list().unwrap().iter().map(|r| r.reference()).collect();
    assert_eq!(list, ["a@1.0", "a@1.1", "a@1.5", "a@2.0", "a@2.1", "b@1.0"]);
}

#[test]
fn explicit_existing_version_is_refused() {
    let (_home, hub) = open();
    let first = hub.add(b"x", NewModel::onnx("m")).unwrap().record;
    let err = hub.add(b"y", with_version("m", v(1, 0))).unwrap_err();
    assert!(
        matches!(&err, StoreError::VersionExists { name, version, id } if name == "m" && *version == v(1, 0) && *id == first.id),
        "{err}"
    );
    // Same bytes with the explicit existing version is still a conflict.
    assert!(matches!(
        hub.add(b"x", with_version("m", v(1, 0))),
        Err(StoreError::VersionExists { .. })
    ));
    // The refused add left no blob behind.
    assert!(!hub.blob_path(&ModelId::of_bytes(b"y")).exists());
    assert_eq!(hub.list().unwrap().len(), 1);
}

#[test]
fn minor_overflow_is_a_typed_error() {
    let (_home, hub) = open();
    hub.add(b"x", with_version("m", v(1, u32::MAX))).unwrap();
    assert!(matches!(
        hub.add(b"y", NewModel::onnx("m")),
        Err(StoreError::VersionOverflow { .. })
    ));
}

#[test]
fn resolves_ids_names_and_exact_versions() {
    let (_home, hub) = open();
    let a1 = hub.add(b"one", NewModel::onnx("a")).unwrap().record;
    let a2 = hub.add(b"two", NewModel::onnx("a")).unwrap().record;
    std::thread::sleep(std::time::Duration::from_millis(5));
    let b1 = hub.add(b"one", NewModel::onnx("b")).unwrap().record;

    assert_eq!(hub.resolve(&r("a")).unwrap(), a2);
    assert_eq!(hub.resolve(&r("a@1.0")).unwrap(), a1);
    // An id resolves to the most recently added record with those bytes.
    assert_eq!(hub.resolve(&ModelRef::Id(a1.id)).unwrap(), b1);
    assert_eq!(hub.versions_of(&a1.id).unwrap(), vec![a1.clone(), b1]);
    assert_eq!(hub.versions_of(&ModelId::of_bytes(b"none")).unwrap(), vec![]);

    for missing in ["c", "a@1.7", &ModelId::of_bytes(b"none").to_string()] {
        let err = hub.resolve(&r(missing)).unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound { reference } if reference == missing),
            "{err}"
        );
    }
}

#[test]
fn remove_by_version_keeps_shared_blobs_and_by_id_removes_all() {
    let (_home, hub) = open();
    let a1 = hub.add(b"shared", NewModel::onnx("a")).unwrap().record;
    let b1 = hub.add(b"shared", NewModel::onnx("b")).unwrap().record;
    let a2 = hub.add(b"own", NewModel::onnx("a")).unwrap().record;
    let c1 = hub.add(b"c", NewModel::onnx("c")).unwrap().record;

    assert!(matches!(hub.remove(&r("a")), Err(StoreError::VersionRequired { name }) if name == "a"));
    assert!(matches!(hub.remove(&r("a@9.9")), Err(StoreError::NotFound { .. })));

    assert_eq!(hub.remove(&r("a@1.1")).unwrap(), vec![a2.clone()]);
    assert!(!hub.blob_path(&a2.id).exists(), "unreferenced blob is deleted");
    assert_eq!(hub.remove(&r("a@1.0")).unwrap(), vec![a1.clone()]);
    assert!(hub.blob_path(&a1.id).exists(), "b@1.0 still references the blob");
    assert_eq!(hub.read_blob(&b1.id).unwrap(), b"shared");

    hub.add(b"shared", NewModel::onnx("a")).unwrap();
    let removed = hub.remove(&ModelRef::Id(a1.id)).unwrap();
    let names: Vec<String> = removed.iter().map(|r| r.reference()).collect();
    assert_eq!(names, ["a@1.0", "b@1.0"]);
    assert!(!hub.blob_path(&a1.id).exists());
    assert!(matches!(hub.read_blob(&a1.id), Err(StoreError::NotFound { .. })));
    assert!(matches!(
        hub.remove(&ModelRef::Id(a1.id)),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(hub.list().unwrap(), vec![c1]);
}

#[test]
fn invalid_names_and_fields_are_refused() {
    let (_home, hub) = open();
    let id_like = ModelId::of_bytes(b"x").to_string();
    let cases: [(&str, NameError); 4] = [
        ("", NameError::Empty),
        (&"n".repeat(65), NameError::TooLong { len: 65, max: 64 }),
        ("a/b", NameError::Char { ch: '/', index: 1 }),
        (&id_like, NameError::LooksLikeId),
    ];
    for (name, expected) in cases {
        match hub.add(b"x", NewModel::onnx(name)) {
            Err(StoreError::InvalidName { source, .. }) => assert_eq!(source, expected),
            other => panic!("{name}: {other:?}"),
        }
    }
    let bad_format = NewModel {
        format: "".into(),
        ..NewModel::onnx("ok")
    };
    assert!(matches!(
        hub.add(b"x", bad_format),
        Err(StoreError::InvalidModel { field: "format", .. })
    ));
    assert_eq!(hub.list().unwrap(), vec![]);
}

#[test]
fn corrupted_blob_is_refused_on_read_and_repaired_by_re_adding() {
    let (_home, hub) = open();
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    let rec = hub.add(&bytes, NewModel::onnx("m")).unwrap().record;
    let path = hub.blob_path(&rec.id);
    let mut damaged = fs::read(&path).unwrap();
    damaged[1234] ^= 0x01;
    fs::write(&path, &damaged).unwrap();

    let err = hub.read_blob(&rec.id).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { id, path: p, got } if *id == rec.id && *p == path && *got == ModelId::of_bytes(&damaged)),
        "{err}"
    );
    assert!(err.to_string().contains("corrupt"));

    let again = hub.add(&bytes, NewModel::onnx("m")).unwrap();
    assert!(!again.created);
    assert_eq!(hub.read_blob(&rec.id).unwrap(), bytes);

    fs::remove_file(&path).unwrap();
    assert!(matches!(hub.read_blob(&rec.id), Err(StoreError::BlobMissing { .. })));
}

#[test]
fn size_limits_apply_on_write_and_read() {
    let home = tempfile::tempdir().unwrap();
    let small = HubConfig { max_blob_size: 100 };
    {
        let hub = Hub::open_with(home.path(), small.clone()).unwrap();
        assert!(matches!(
            hub.add(&[0u8; 101], NewModel::onnx("big")),
            Err(StoreError::TooLarge { size: 101, max: 100 })
        ));
        let rec = hub.add(&[0u8; 100], NewModel::onnx("ok")).unwrap().record;
        assert!(matches!(
            hub.read_blob_limited(&rec.id, 99),
            Err(StoreError::TooLarge { size: 100, max: 99 })
        ));
    }
    let rec = {
        let hub = Hub::open(home.path()).unwrap();
        hub.add(&[1u8; 200], NewModel::onnx("big")).unwrap().record
    };
    let hub = Hub::open_with(home.path(), small).unwrap();
    assert!(matches!(
        hub.read_blob(&rec.id),
        Err(StoreError::TooLarge { size: 200, max: 100 })
    ));
}

#[test]
fn a_home_in_use_is_locked_until_released() {
    let (home, hub) = open();
    hub.add(b"x", NewModel::onnx("m")).unwrap();
    let err = Hub::open(home.path()).unwrap_err();
    assert!(
        matches!(&err, StoreError::Locked { home: h } if h == home.path()),
        "{err}"
    );
    assert!(err.to_string().contains("in use"));
    // The refused open must not have released the holder's lock on its way out.
    assert!(matches!(Hub::open(home.path()), Err(StoreError::Locked { .. })));
    drop(hub);
    let hub = Hub::open(home.path()).unwrap();
    assert_eq!(hub.list().unwrap().len(), 1);
}

#[test]
fn reopen_keeps_data_and_cleans_temp_files_and_orphans() {
    let home = tempfile::tempdir().unwrap();
    let rec = Hub::open(home.path())
        .unwrap()
        .add(b"kept", NewModel::onnx("m"))
        .unwrap()
        .record;
    let orphan = ModelId::of_bytes(b"orphan");
    fs::write(home.path().join("blobs").join(orphan.to_string()), b"orphan").unwrap();
    fs::write(home.path().join("blobs").join("not-an-id"), b"?").unwrap();
    fs::write(home.path().join("tmp").join("half-written.tmp"), b"par").unwrap();

    let hub = Hub::open(home.path()).unwrap();
    let report = hub.open_report();
    assert_eq!((report.temp_files_removed, report.orphan_blobs_removed), (1, 2));
    assert!(!report.gc_skipped);
    assert_eq!(fs::read_dir(home.path().join("tmp")).unwrap().count(), 0);
    assert!(!home.path().join("blobs").join(orphan.to_string()).exists());
    assert_eq!(hub.list().unwrap(), vec![rec.clone()]);
    assert_eq!(hub.read_blob(&rec.id).unwrap(), b"kept");
}

#[test]
fn hub_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Hub>();
    let (_home, hub) = open();
    let hub = Arc::new(hub);
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let hub = Arc::clone(&hub);
            std::thread::spawn(move || {
                for i in 0..5u8 {
                    hub.add(&[t, i], NewModel::onnx("shared")).unwrap();
                    if i % 2 == 0 {
                        hub.add(&[t, i], NewModel::onnx(format!("own-{t}"))).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let shared: Vec<Version> = hub
        .list()
        .unwrap()
        .iter()
        .filter(|r| r.name == "shared")
        .map(|r| r.version)
        .collect();
    let expected: Vec<Version> = (0..20).map(|m| v(1, m)).collect();
    assert_eq!(shared, expected);
    for rec in hub.list().unwrap() {
        assert!(rec.id.matches(&hub.read_blob(&rec.id).unwrap()));
    }
}

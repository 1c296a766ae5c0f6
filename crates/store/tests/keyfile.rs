//! The operator key file: creation, reload, permissions, malformed files.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use veris_store::{KEY_FILE, StoreError, key_path, load_key, load_or_create_key};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn created_with_mode_0600_and_reloaded_identically() {
    let home = tempfile::tempdir().unwrap();
    let key = load_or_create_key(home.path()).unwrap();
    let path = home.path().join(KEY_FILE);
    assert_eq!(key_path(home.path()), path);
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", hex::encode(key.secret_bytes())));

    let again = load_or_create_key(home.path()).unwrap();
    assert_eq!(again.secret_bytes(), key.secret_bytes());
    assert_eq!(again.address(), key.address());
    assert_eq!(load_key(&path).unwrap().address(), key.address());
    // No temp file is left next to it.
    assert_eq!(fs::read_dir(home.path().join("tmp")).unwrap().count(), 0);
}

#[test]
fn creates_the_home_if_missing() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("a/b");
    load_or_create_key(&home).unwrap();
    assert_eq!(mode(&home.join(KEY_FILE)), 0o600);
}

#[test]
fn concurrent_creation_yields_one_key() {
    let home = Arc::new(tempfile::tempdir().unwrap());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let home = Arc::clone(&home);
            std::thread::spawn(move || load_or_create_key(home.path()).unwrap().address())
        })
        .collect();
    let addresses: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(addresses.iter().all(|a| *a == addresses[0]), "{addresses:?}");
}

#[test]
fn group_or_world_accessible_key_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let key = load_or_create_key(home.path()).unwrap();
    let path = key_path(home.path());
    for bad in [0o640, 0o604, 0o620, 0o644] {
        fs::set_permissions(&path, fs::Permissions::from_mode(bad)).unwrap();
        let err = load_or_create_key(home.path()).unwrap_err();
        assert!(
            matches!(&err, StoreError::KeyFilePermissions { path: p, mode } if *p == path && *mode == bad),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(load_or_create_key(home.path()).unwrap().address(), key.address());
}

#[test]
fn malformed_key_files_are_typed_errors() {
    let home = tempfile::tempdir().unwrap();
    let path = key_path(home.path());
    let valid = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"hello\n".to_vec(),
        valid.as_bytes()[..63].to_vec(),
        format!("{valid}00").into_bytes(),
        "z".repeat(64).into_bytes(),
        "0".repeat(64).into_bytes(), // zero is not a valid secret scalar
        "f".repeat(64).into_bytes(), // above the curve order
        vec![0xff; 64],
        vec![b'a'; 4096],
    ];
    for bytes in cases {
        fs::write(&path, &bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create_key(home.path()).unwrap_err();
        assert!(matches!(&err, StoreError::KeyFileMalformed { .. }), "{bytes:?}: {err}");
        // The bad file is left for the operator to inspect, never replaced.
        assert_eq!(fs::read(&path).unwrap(), bytes);
    }
    // Surrounding whitespace and an 0x prefix are accepted.
    fs::write(&path, format!("  0x{valid}\r\n")).unwrap();
    let key = load_key(&path).unwrap();
    assert_eq!(key.address().to_string(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
}

#[test]
fn a_directory_in_place_of_the_key_is_refused() {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir(key_path(home.path())).unwrap();
    assert!(load_or_create_key(home.path()).is_err());
    let missing = home.path().join("absent.key");
    assert!(matches!(load_key(&missing), Err(StoreError::Io { .. })));
}

//! Crash safety: a writer killed with SIGKILL at random moments during
//! imports never leaves a visible partial or corrupt model, and the next open
//! removes its temp files and orphaned blobs.
//!
//! The writer is this test binary re-executed with a filter selecting
//! `crash_writer_child` and an environment variable naming the home.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use veris_core::ModelId;
use veris_store::{Hub, ModelRef, NewModel, StoreError};

const HOME_ENV: &str = "VERIS_STORE_CRASH_HOME";
const SEED_ENV: &str = "VERIS_STORE_CRASH_SEED";
const ROUNDS: u64 = 10;

/// splitmix64: small, seeded, good enough for test data and timings.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[test]
#[ignore = "the writer process of kill_writer_mid_import; does nothing unless spawned by it"]
fn crash_writer_child() {
    let Some(home) = std::env::var_os(HOME_ENV) else {
        return;
    };
    let seed = std::env::var(SEED_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = Rng(seed);
    let hub = Hub::open(Path::new(&home)).unwrap();
    for i in 0u64.. {
        let len = 1_000_000 + rng.below(3_000_000) as usize;
        let name = format!("m{}", rng.below(4));
        hub.add(&rng.bytes(len), NewModel::onnx(name)).unwrap();
        // Removals too, so a kill can also land between a metadata commit and a blob deletion.
        if i % 3 == 2 {
            let list = hub.list().unwrap();
            let victim = &list[rng.below(list.len() as u64) as usize];
            let reference = if i % 2 == 0 {
                ModelRef::Id(victim.id)
            } else {
                ModelRef::Version {
                    name: victim.name.clone(),
                    version: victim.version,
                }
            };
            hub.remove(&reference).unwrap();
        }
        println!("added {i}");
    }
}

/// Spawns the writer and returns once it has completed at least one add.
fn spawn_writer(home: &Path, seed: u64) -> std::process::Child {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "crash_writer_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOME_ENV, home)
        .env(SEED_ENV, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining until the writer dies, so its output never blocks or fails.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("added ") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the writer process never completed an add");
    }
    child
}

/// Everything visible after a crash is whole: each record's blob verifies,
/// no temp file survives the open, and every blob left is referenced.
fn check_home(home: &Path) -> usize {
    // Plant debris an interrupted writer could leave, to see it collected.
    let orphan = ModelId::of_bytes(b"planted orphan");
    fs::write(home.join("blobs").join(orphan.to_string()), b"planted orphan").unwrap();
    fs::write(home.join("tmp").join("planted.tmp"), b"partial").unwrap();

    let hub = Hub::open(home).unwrap();
    let report = hub.open_report();
    assert!(
        report.temp_files_removed >= 1 && report.orphan_blobs_removed >= 1,
        "{report:?}"
    );
    assert!(!report.gc_skipped);
    assert_eq!(
        fs::read_dir(home.join("tmp")).unwrap().count(),
        0,
        "temp files survived open"
    );

    let records = hub.list().unwrap();
    let mut ids = BTreeSet::new();
    for record in &records {
        let bytes = hub
            .read_blob(&record.id)
            .unwrap_or_else(|e| panic!("{}: {e}", record.reference()));
        assert_eq!(bytes.len() as u64, record.size);
        ids.insert(record.id);
    }
    let on_disk: BTreeSet<ModelId> = fs::read_dir(home.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(on_disk, ids, "blobs on disk must be exactly the referenced ones");
    eprintln!("after kill: {} records, {report:?}", records.len());
    records.len()
}

#[test]
fn kill_writer_mid_import() {
    let started = Instant::now();
    let home = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed);
    let mut max_records = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_writer(home.path(), round + 1);
        // While the writer runs, its home is locked against other processes.
        assert!(matches!(Hub::open(home.path()), Err(StoreError::Locked { .. })));
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        child.kill().unwrap();
        child.wait().unwrap();
        max_records = max_records.max(check_home(home.path()));
    }
    assert!(max_records > 0, "the writer never got a model in");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

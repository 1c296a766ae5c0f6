//! Blob transfer throughput between two nodes on loopback, TCP and QUIC.
//! Run with `cargo nextest run -p veris-net --run-ignored only --no-capture throughput`.

use std::time::{Duration, Instant};

use veris_core::ModelId;
use veris_net::{Multiaddr, Network};

use crate::support::{Behaviour, MemProvider, key, seeded_bytes, test_config};

/// Blob size in MiB, from `VERIS_NET_BENCH_MIB` (default 256).
fn size() -> usize {
    std::env::var("VERIS_NET_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(256)
        << 20
}

async fn measure(transport: &str, listen: &str) -> f64 {
    let size = size();
    let blob = seeded_bytes(size, 99);
    let id = ModelId::of_bytes(&blob);
    let server = MemProvider::new(Behaviour::Honest).with_blob(&blob);
    let config = || {
        let mut c = test_config(Vec::new());
        c.listen = vec![listen.parse().expect("address")];
        c.timing.request_timeout = Duration::from_secs(60);
        c
    };
    let a = Network::spawn(config(), &key(80), server).await.expect("starts");
    let b = Network::spawn(config(), &key(81), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let addr: Multiaddr = a.listen_addrs().await.expect("running").remove(0);
    b.dial(addr).await.expect("dialled");

    // Warm-up: the serving side computes and caches the manifest once.
    let start = Instant::now();
    let fetched = tokio::time::timeout(Duration::from_secs(300), b.fetch_blob_from(id, vec![a.local_peer_id()]))
        .await
        .expect("in time")
        .expect("fetched");
    let first = start.elapsed();
    assert_eq!(fetched.len(), size);
    assert!(id.matches(&fetched));
    drop(fetched);

    let start = Instant::now();
    let fetched = tokio::time::timeout(Duration::from_secs(300), b.fetch_blob_from(id, vec![a.local_peer_id()]))
        .await
        .expect("in time")
        .expect("fetched");
    let elapsed = start.elapsed();
    assert!(id.matches(&fetched));
    let mb_s = size as f64 / 1e6 / elapsed.as_secs_f64();
    println!(
        "net::blob_fetch/{transport}/{} MiB: {mb_s:.0} MB/s ({elapsed:.2?}; first fetch incl. manifest {first:.2?})",
        size >> 20
    );
    a.shutdown().await;
    b.shutdown().await;
    mb_s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn throughput_tcp_and_quic() {
    let tcp = measure("tcp", "/ip4/127.0.0.1/tcp/0").await;
    let quic = measure("quic", "/ip4/127.0.0.1/udp/0/quic-v1").await;
    println!("net::blob_fetch tcp {tcp:.0} MB/s, quic {quic:.0} MB/s");
}

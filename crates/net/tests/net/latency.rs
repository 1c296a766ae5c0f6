//! Inference round-trip latency between two nodes on loopback (TCP): the
//! transport's share of a routed or replicated request, with a provider that
//! answers at once. Run with
//! `cargo nextest run -p veris-net --release --run-ignored only --no-capture latency`.

use std::time::{Duration, Instant};

use veris_core::ModelId;
use veris_net::{InferRequest, Multiaddr, Network};

use crate::support::{Behaviour, MemProvider, key, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run explicitly"]
async fn inference_round_trip_latency_on_loopback() {
    let blob = b"latency model".to_vec();
    let id = ModelId::of_bytes(&blob);
    let config = || {
        let mut c = test_config(Vec::new());
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")];
        c.limits.rate.requests_per_sec = 1e6;
        c
    };
    let a = Network::spawn(config(), &key(90), MemProvider::new(Behaviour::Honest).with_blob(&blob))
        .await
        .expect("starts");
    let b = Network::spawn(config(), &key(91), MemProvider::new(Behaviour::Honest))
        .await
        .expect("starts");
    let addr: Multiaddr = a.listen_addrs().await.expect("running").remove(0);
    b.dial(addr).await.expect("dialled");
    let body = vec![7u8; 1024];
    let mut samples = Vec::new();
    for i in 0..1100 {
        let request = InferRequest {
            model: id,
            body: body.clone(),
        };
        let start = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(10), b.infer(a.local_peer_id(), request))
            .await
            .expect("in time")
            .expect("answered");
        assert_eq!(answer.len(), body.len());
        if i >= 100 {
            samples.push(start.elapsed());
        }
    }
    samples.sort();
    let ms = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "infer round trip, 1 KiB each way, TCP loopback: median {:.3} ms, p90 {:.3} ms over {} requests",
        ms(0.5),
        ms(0.9),
        samples.len()
    );
}

//! Multi-node tests of veris-net over real loopback connections. Every wait
//! is bounded by a timeout and all data is seeded.

mod blobs;
mod deny;
mod discovery;
mod evidence;
mod gossip;
mod hygiene;
mod latency;
mod raw_peer;
mod rpc;
mod support;
mod sync;
mod throughput;

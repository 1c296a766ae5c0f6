//! End-to-end tests of the `veris` binary: each test runs it as a child
//! process on its own temporary home, embedded or against a node child.

mod common;
mod exact;
mod infer;
mod models;
mod network;
mod quickstart;
mod receipt_evidence;
mod remote;
mod replicated;
mod verify;
mod zk;

//! Integration tests of the exact (integer) engine, one binary.

mod codec;
mod common;
mod digits;
mod errors;
mod golden;
mod graph_ops;
mod kernels;
mod minilm;
mod nn_codec;
mod nn_ops;
mod nn_support;
#[path = "../support/digits.rs"]
mod support;
mod trace;

//! Integration tests of the exact (integer) engine, one binary.

mod cnn_codec;
mod cnn_errors;
mod cnn_models;
mod cnn_ops;
mod cnn_support;
mod codec;
mod common;
mod digits;
mod errors;
mod golden;
mod graph_ops;
mod kernels;
mod minilm;
mod nn_codec;
mod nn_embed;
mod nn_ops;
mod nn_support;
#[path = "../support/digits.rs"]
mod support;
mod trace;

//! Integration tests of the inference proof (one binary): completeness,
//! a malicious prover, byte mutations and refused models.

mod byte_mutations;
mod cnn;
mod cnn_support;
mod completeness;
mod encoder;
mod layernorm;
mod lut;
mod matmul_act;
mod mlp_onnx;
mod mutation;
mod pins;
mod reads;
mod receipt;
mod refusals;
mod residual;
mod soundness;
mod support;
mod transpose;

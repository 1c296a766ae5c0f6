//! Integration tests of the inference proof (one binary): completeness,
//! a malicious prover, byte mutations and refused models.

mod byte_mutations;
mod cnn;
mod cnn_support;
mod completeness;
mod encoder;
mod layernorm;
mod lenet5;
mod lut;
mod matmul_act;
mod max_pool;
mod mlp_onnx;
mod mutation;
mod pins;
mod reads;
mod receipt;
mod refusals;
mod residual;
mod softmax;
mod softmax_tamper;
mod soundness;
mod support;
mod transpose;

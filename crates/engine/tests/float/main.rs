//! Integration tests of the float engine, one binary (linking tract once).

mod bad_inputs;
mod bad_models;
mod common;
mod concurrency;
mod deadline;
mod digits;
mod fixtures;
#[path = "../support/digits.rs"]
mod support;
mod version;

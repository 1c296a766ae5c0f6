#!/usr/bin/env bash
# Bit-exactness of the exact engine across builds: the golden vectors
# (crates/engine/tests/fixtures/exact-golden.json: model ids and sha256 of
# the integer outputs) must hold for the debug build (the main test run),
# an optimised build for the baseline x86-64 target, and an optimised build
# for this machine's CPU (`-C target-cpu=native`, which enables AVX2/AVX-512
# code paths in the integer kernels). Each build has its own target dir so
# that the flags never mix.
set -euo pipefail
cd "$(dirname "$0")/.."

run() {
  local name="$1" flags="$2"
  echo "== exact-engine golden vectors: $name (RUSTFLAGS='$flags')"
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="target/exactness-$name" \
    cargo test --locked --release -p veris-engine --test exact --quiet -- golden
}

run release ""
run native "-C target-cpu=native"

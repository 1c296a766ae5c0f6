#!/usr/bin/env bash
# Zero-knowledge proofs of the same models, EZKL vs Veris, in one run.
#
#   scripts/bench/zk_vs_ezkl.sh [--model mlp|lenet|lenet5|all] [--runs N] [--calibration-samples N]
#                               [--seed S] [--untrained]
#
# Exports an MLP 784-128-64-10, a LeNet-style CNN and LeNet-5 (default: all, one after
# the other) from PyTorch to ONNX, proves the same input with EZKL (PyPI ezkl,
# pinned in requirements-ezkl.txt) and with Veris (the release example
# crates/zk/examples/zk_bench.rs), and prints per model a table of compile,
# SRS, setup, prove and verify times, proof and key sizes, peak memory and
# output error, with ratios EZKL / Veris. Everything generated goes under
# target/bench/zk-vs-ezkl/<model>/ (results.json holds the same tables). Python
# packages go into a virtual environment there that also sees the system's
# packages, so a preinstalled torch is reused. Takes a few minutes.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$root/target/bench/zk-vs-ezkl"
venv="$out/venv"
requirements="$root/scripts/bench/requirements-ezkl.txt"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

die() { echo "error: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is needed"
command -v cargo >/dev/null || die "cargo is needed"
mkdir -p "$out"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup: creating a Python virtual environment in $venv…" >&2
  python3 -m venv --system-site-packages "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
if ! cmp -s "$requirements" "$venv/requirements.installed"; then
  echo "setup: installing $(grep -v '^#' "$requirements" | xargs)…" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
    die "pip install -r $requirements failed"
  cp "$requirements" "$venv/requirements.installed"
fi
"$venv/bin/python" -c 'import torch' 2>/dev/null ||
  die "PyTorch is not installed; install it (pip install torch) and run again"

echo "setup: building the Veris example (cargo build --release -p veris-zk --example zk_bench)…" >&2
cargo build --release --locked --quiet -p veris-zk --example zk_bench || die "building zk_bench failed"

exec "$venv/bin/python" "$root/scripts/bench/zk_vs_ezkl.py" \
  --out "$out" --veris-bin "$target_dir/release/examples/zk_bench" "$@"

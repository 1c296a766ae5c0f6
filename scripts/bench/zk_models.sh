#!/usr/bin/env bash
# Proving costs of the repository's own models that the EZKL side-by-side does
# not cover: the BERT-style encoder block (models/encoder) and LeNet-5
# (models/lenet5), one committed sample each, with the release example
# crates/zk/examples/zk_bench.rs (median of --runs proofs, default 5).
#
#   scripts/bench/zk_models.sh [--runs N]
#
# Prints one JSON object per model (compile, setup, prove, verify, proof and
# key bytes, peak memory); the inputs are written under target/bench/zk-models/.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=5
if [[ "${1:-}" == "--runs" ]]; then runs="${2:?--runs needs a number}"; fi
out=target/bench/zk-models
mkdir -p "$out"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
enc = json.load(open("models/encoder/samples.json"))[0]["x"]
json.dump({"x": {"dtype": "float32", "shape": enc["shape"], "data": enc["data"]}}, open(f"{out}/encoder-input.json", "w"))
cal = json.load(open("models/encoder/calibration.json"))["x"]
n = 8 * 64
seqs = [cal["data"][i * n:(i + 1) * n] for i in range(len(cal["data"]) // n)]
json.dump([{"x": {"dtype": "float32", "shape": [1, 8, 64], "data": s}} for s in seqs], open(f"{out}/encoder-calibration.json", "w"))
json.dump(json.load(open("models/lenet5/samples.json"))[0]["input"], open(f"{out}/lenet5-input.json", "w"))
PY
cargo build --release --locked -p veris-zk --example zk_bench
bench="${CARGO_TARGET_DIR:-target}/release/examples/zk_bench"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "encoder block:"
"$bench" --onnx models/encoder/encoder.onnx --input "$out/encoder-input.json" \
  --calibration "$out/encoder-calibration.json" --runs "$runs" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("outputs"); print(json.dumps(d))'
echo "LeNet-5:"
"$bench" --onnx models/lenet5/lenet5.onnx --input "$out/lenet5-input.json" \
  --calibration models/lenet5/calibration.json --runs "$runs" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("outputs"); print(json.dumps(d))'

#!/usr/bin/env bash
# ResNet-18 end to end through the product path: the CLI on a home directory,
# then a node's HTTP API. Exports models/resnet18 (torchvision ResNet-18, 32×32,
# random weights) if missing, builds the `veris` binary in release mode, then:
#   1. CLI:  veris model add → model compile → prove → verify (receipt and key only)
#   2. node: veris node start on loopback → POST /v1/models → POST …/compile →
#            GET …/vk → POST /v1/infer {"mode": "zk"} → veris verify --vk on the
#            returned receipt, by a home that holds nothing else
# and prints the timings and the proof size of each. Usage:
#   scripts/e2e/resnet18.sh [--side 32|64]       (VERIS_BIN=path skips the build)
# Needs python3 with torch, torchvision and onnx (models/resnet18/requirements.txt)
# only when the ONNX file is absent; curl and jq.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIDE=32
while [[ $# -gt 0 ]]; do
  case $1 in
    --side) SIDE=$2; shift 2 ;;
    *) echo "usage: $0 [--side N]" >&2; exit 2 ;;
  esac
done
MODEL_DIR=$ROOT/models/resnet18
ONNX=$MODEL_DIR/resnet18.onnx
[[ $SIDE == 32 ]] || ONNX=$MODEL_DIR/resnet18-${SIDE}x${SIDE}.onnx

for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 2; }
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }
size() { stat -c %s "$1" | awk '{ printf "%d bytes (%.2f MiB)", $1, $1 / 1048576 }'; }
step() { printf '\n== %s\n' "$*"; }

if [[ ! -f $ONNX ]]; then
  step "exporting ResNet-18 (${SIDE}×${SIDE}) to $ONNX"
  python3 "$MODEL_DIR/export.py" --side "$SIDE" --out "$ONNX"
fi

if [[ -z ${VERIS_BIN:-} ]]; then
  step "building veris (release)"
  (cd "$ROOT" && cargo build --release --locked -p veris)
  VERIS_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/veris
fi

WORK=$(mktemp -d)
NODE_PID=
cleanup() {
  if [[ -n $NODE_PID ]]; then
    kill "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
veris() { "$VERIS_BIN" "$@"; }

# Seeded pseudo-random images in [0, 1), multiples of 1/256 (exact in JSON):
# one to prove, eight to calibrate on.
python3 - "$WORK" "$SIDE" <<'PY'
import json, random, sys
work, side = sys.argv[1], int(sys.argv[2])
rng = random.Random(18)
def image():
    data = [rng.randrange(256) / 256 for _ in range(3 * side * side)]
    return {"input": {"dtype": "float32", "shape": [1, 3, side, side], "data": data}}
json.dump(image(), open(f"{work}/input.json", "w"))
json.dump([image() for _ in range(8)], open(f"{work}/calibration.json", "w"))
PY

step "CLI (home $WORK/cli)"
export VERIS_HOME=$WORK/cli
t=$(now); veris model add "$ONNX" --name resnet18 >/dev/null
echo "model add:      $(elapsed "$t")"
t=$(now); veris model compile resnet18 --calibration "$WORK/calibration.json" >/dev/null
echo "model compile:  $(elapsed "$t") (exact compilation and weight commitment)"
t=$(now); veris prove resnet18-int8 --input "$WORK/input.json" --out "$WORK/cli-proof.json" >"$WORK/prove.txt"
echo "prove:          $(elapsed "$t") (engine run, witness, proof; whole process)"
grep -E "prediction|verifying key" "$WORK/prove.txt" || true
echo "receipt:        $(size "$WORK/cli-proof.json") as JSON"
jq -r '.evidence.proof.proof' "$WORK/cli-proof.json" | base64 -d >"$WORK/cli-proof.bin"
echo "proof:          $(size "$WORK/cli-proof.bin")"
veris model vk resnet18-int8 --out "$WORK/cli.vk" >/dev/null
# A verifier holding only the receipt and the key (exit status 1 if anything fails).
t=$(now); VERIS_HOME=$WORK/stranger veris verify "$WORK/cli-proof.json" --vk "$WORK/cli.vk" >"$WORK/verify.txt"
echo "verify:         $(elapsed "$t") (whole process, decoding included)"
grep -E "proof" "$WORK/verify.txt" || true

step "node (home $WORK/node, HTTP on loopback)"
VERIS_HOME=$WORK/node "$VERIS_BIN" node start --listen 127.0.0.1:0 --no-p2p >"$WORK/node.out" 2>"$WORK/node.log" &
NODE_PID=$!
URL=
for _ in $(seq 600); do
  URL=$(sed -n 's/^listening on //p' "$WORK/node.out")
  [[ -n $URL ]] && break
  kill -0 "$NODE_PID" 2>/dev/null || { echo "error: the node exited:" >&2; cat "$WORK/node.log" >&2; exit 3; }
  sleep 0.1
done
[[ -n $URL ]] || { echo "error: the node did not report its address in 60 s" >&2; exit 3; }
echo "node:           $URL (pid $NODE_PID)"
api() { curl -sS --fail-with-body "$@"; }
t=$(now); api -X POST --data-binary "@$ONNX" -H 'content-type: application/octet-stream' "$URL/v1/models?name=resnet18" >/dev/null
echo "upload:         $(elapsed "$t")"
jq -n --slurpfile c "$WORK/calibration.json" '{calibration: $c[0], bits: 8}' >"$WORK/compile.json"
t=$(now); api -X POST -H 'content-type: application/json' --data-binary "@$WORK/compile.json" "$URL/v1/models/resnet18/compile" >"$WORK/compiled.json"
echo "compile:        $(elapsed "$t")"
api "$URL/v1/models/resnet18-int8/vk" -o "$WORK/node.vk"
jq -n --slurpfile i "$WORK/input.json" '{model: "resnet18-int8", inputs: $i[0], mode: "zk"}' >"$WORK/infer.json"
t=$(now); api -X POST -H 'content-type: application/json' --data-binary "@$WORK/infer.json" "$URL/v1/infer" >"$WORK/response.json"
echo "infer (zk):     $(elapsed "$t") (request to response, proof included)"
echo "response:       $(size "$WORK/response.json")"
jq '.receipt' "$WORK/response.json" >"$WORK/node-proof.json"
jq -r '.receipt.evidence.proof.proof' "$WORK/response.json" | base64 -d >"$WORK/node-proof.bin"
echo "proof:          $(size "$WORK/node-proof.bin")"
t=$(now); VERIS_HOME=$WORK/stranger veris verify "$WORK/node-proof.json" --vk "$WORK/node.vk" >"$WORK/verify-node.txt"
echo "verify:         $(elapsed "$t")"
grep -E "proof" "$WORK/verify-node.txt" || true
if cmp -s "$WORK/cli.vk" "$WORK/node.vk"; then
  echo "the node's verifying key equals the CLI's (same model, same calibration)"
fi
step "ResNet-18 ${SIDE}×${SIDE}: proved and verified through the CLI and the node"

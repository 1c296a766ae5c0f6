#!/usr/bin/env bash
# A local Veris network: N nodes as separate processes on loopback.
#
#   scripts/local-network.sh start [N]   # N nodes (default 4), node 0 is everyone's bootstrap peer
#   scripts/local-network.sh demo        # publish on node 0, pin on the others but the last, routed and replicated inference
#   scripts/local-network.sh stop        # stop every node (SIGTERM, graceful)
#
# Homes, logs and nodes.txt (one "index url peer_id" line per node) live in
# target/local-network/ (override with VERIS_NET_DIR). The binary is
# target/release/veris, built on first use (override with VERIS_BIN).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${VERIS_NET_DIR:-$root/target/local-network}"
bin="${VERIS_BIN:-$root/target/release/veris}"
nodes="$dir/nodes.txt"

die() { echo "error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

ensure_binary() {
  if [[ ! -x "$bin" ]]; then
    say "building $bin (cargo build --release -p veris)"
    (cd "$root" && cargo build --release --locked --quiet -p veris) || die "build failed"
  fi
}

# Reads one field of a JSON document on stdin.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

url_of() { awk -v i="$1" '$1 == i { print $2 }' "$nodes"; }

start_node() {
  local i="$1" bootstrap="$2"
  local home="$dir/node$i" ready="$dir/node$i.ready"
  mkdir -p "$home"
  local args=(--home "$home" --json node start --listen 127.0.0.1:0)
  [[ -n "$bootstrap" ]] && args+=(--bootstrap "$bootstrap")
  : >"$ready"
  nohup "$bin" "${args[@]}" >"$ready" 2>"$dir/node$i.log" &
  echo $! >"$dir/node$i.pid"
  for _ in $(seq 1 100); do
    [[ -s "$ready" ]] && break
    kill -0 "$(cat "$dir/node$i.pid")" 2>/dev/null || die "node $i exited; see $dir/node$i.log"
    sleep 0.1
  done
  [[ -s "$ready" ]] || die "node $i did not become ready; see $dir/node$i.log"
  local url peer
  url="$(json_field '["listening"]' <"$ready")"
  peer="$(json_field '["peer_id"]' <"$ready")"
  echo "$i $url $peer" >>"$nodes"
  say "node $i: $url (peer $peer)"
}

cmd_start() {
  local n="${1:-4}"
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 32 ]] || die "N must be 1..32"
  [[ -f "$nodes" ]] && die "a network is already running ($nodes); run '$0 stop' first"
  ensure_binary
  mkdir -p "$dir"
  : >"$nodes"
  start_node 0 ""
  local first
  first="$(python3 -c "import json; d=json.load(open('$dir/node0.ready')); print([a for a in d['p2p_listen'] if '/tcp/' in a][0] + '/p2p/' + d['peer_id'])")"
  for i in $(seq 1 $((n - 1))); do
    start_node "$i" "$first"
  done
  say "$n nodes up; try '$0 demo', stop with '$0 stop'"
}

cmd_stop() {
  [[ -f "$nodes" ]] || { say "no network running"; return 0; }
  for pidfile in "$dir"/node*.pid; do
    [[ -f "$pidfile" ]] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  rm -f "$nodes"
  say "stopped"
}

cmd_demo() {
  [[ -f "$nodes" ]] || die "no network running; run '$0 start' first"
  ensure_binary
  local count first_url last
  count="$(wc -l <"$nodes")"
  first_url="$(url_of 0)"
  last=$((count - 1))
  local v0=("$bin" --node "$first_url")
  say "publishing the digits model on node 0 and compiling it to an exact model"
  "${v0[@]}" model add "$root/models/digits/digits-mlp.onnx" --name digits >/dev/null
  local exact
  exact="$("${v0[@]}" --json model compile digits --calibration "$root/models/digits/calibration.json" | json_field '["id"]')"
  say "exact model $exact"
  python3 -c "import json; s=json.load(open('$root/models/digits/samples.json')); json.dump(s[0]['input'], open('$dir/input.json','w'))"
  # Pin on every node but the last: the last one keeps no copy and routes.
  for i in $(seq 1 $((last - 1))); do
    say "node $i pins $exact from its peers"
    "$bin" --node "$(url_of "$i")" model pin "$exact" --name digits-int8 >/dev/null
  done
  say "node $last routes an inference for $exact (it does not hold the model)"
  "$bin" --node "$(url_of "$last")" infer "$exact" --input "$dir/input.json" --out "$dir/routed.json"
  "$bin" verify "$dir/routed.json"
  if [[ "$count" -ge 3 ]]; then
    say "node 0 runs the job on 3 operators (replicated, quorum 2)"
    "$bin" --node "$first_url" infer "$exact" --input "$dir/input.json" --replicated --k 3 --out "$dir/replicated.json"
    local operators=()
    for i in 0 1 2; do
      operators+=("$(python3 -c "import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + '/healthz'))['operator'])" "$(url_of "$i")")")
    done
    say "checking the quorum certificate against the operators of nodes 0–2"
    "$bin" verify "$dir/replicated.json" --operators "$(IFS=,; echo "${operators[*]}")" --quorum 2
  fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  demo) cmd_demo ;;
  *) die "usage: $0 start [N] | demo | stop" ;;
esac

#!/usr/bin/env bash
# `make heap`: what one request in flight keeps alive in the V8 heap, for the
# wasm worker as deployed and for the plain-JS reference. Each runs on bare
# workerd (TOY_SLEEP_MS=5000, wrangler.toml's compatibility settings) with
# its inspector on; benches/workers/heap.mjs snapshots the heap idle and with
# N requests sleeping (default 1000). Loopback only; the ports are the
# kernel's choice (port 0), read back from the socket table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
n=${1:-1000}
for tool in ss curl; do
  command -v "$tool" >/dev/null || { echo "heap: needs $tool (Debian: apt-get install iproute2 curl)" >&2; exit 1; }
done
dir=target/heap
rm -rf "$dir"; mkdir -p "$dir"
workerd=node_modules/@cloudflare/workerd-linux-64/bin/workerd
date=$(awk -F'"' '/^compatibility_date/ {print $2}' wrangler.toml)
flags=$(awk -F'= *' '/^compatibility_flags/ {print $2}' wrangler.toml)

# config NAME MODULES: a workerd config in $dir (embed paths relative to it).
config() {
  cat > "$dir/$1.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ $2 ],
  compatibilityDate = "$date",
  compatibilityFlags = ${flags:-[]},
  bindings = [ (name = "TOY_SLEEP_MS", text = "5000") ],
);
CAPNP
}
config wasm '(name = "src/entry.mjs", esModule = embed "../../src/entry.mjs"),
    (name = "build/index.js", esModule = embed "../../build/index.js"),
    (name = "build/index_bg.wasm", wasm = embed "../../build/index_bg.wasm")'
config js '(name = "worker.mjs", esModule = embed "../../benches/workers/js-worker.mjs")'

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for name in wasm js; do
  "$workerd" serve "$dir/$name.capnp" --inspector-addr=127.0.0.1:0 > "$dir/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  # Its two listening ports, once both are open: the inspector is the one
  # that answers /json/list.
  inspector='' app=''
  for _ in $(seq 100); do
    ports=$(ss -Hltnp | awk -v p="pid=$pid," '$0 ~ p { sub(/.*:/, "", $4); print $4 }')
    if [[ $(wc -w <<< "$ports") -ge 2 ]]; then
      for port in $ports; do
        if curl -sf "http://127.0.0.1:$port/json/list" | grep -q webSocketDebuggerUrl; then
          inspector=$port
        else
          app=$port
        fi
      done
      break
    fi
    sleep 0.1
  done
  [[ -n $inspector && -n $app ]] || { echo "heap: $name did not listen:"; cat "$dir/$name.log"; exit 1; }
  echo "== $name (app 127.0.0.1:$app, inspector 127.0.0.1:$inspector), $n requests in flight"
  node benches/workers/heap.mjs "$inspector" "$app" "$n"
  kill "$pid"
done

#!/usr/bin/env bash
# Serves the release build (build/) on 127.0.0.1:$PORT with one runtime:
#   scripts/serve.sh deno|bun|node|workerd      (`make serve RUNTIME=… PORT=…`)
# PORT defaults to 4567 (0: the system picks one; the runtime says which);
# TOY_SLEEP_MS is passed on when set; TOY_BUILD=build-test serves the test
# build. The runtime replaces this shell, so Ctrl-C and SIGTERM reach it.
# Every runtime is the pinned one from node_modules (scripts/setup.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
runtime=${1:-}
export PORT=${PORT:-4567} TOY_BUILD=${TOY_BUILD:-build}
[[ -f $TOY_BUILD/index_bg.wasm ]] || { echo "serve: $TOY_BUILD/ is not built (make build)" >&2; exit 1; }

case "$runtime" in
  # --unstable-no-legacy-abort: without it Deno also aborts request.signal
  # after the response was sent. Permissions: loopback, this tree, the env.
  deno) exec deno run --quiet --no-prompt --unstable-no-legacy-abort --allow-net=127.0.0.1 \
          --allow-read="$TOY_ROOT" --allow-env hosts/deno.mjs ;;
  bun)  exec bun hosts/bun.mjs ;;
  # AsyncLocalStorage (hosts/core.mjs) on the context frames V8 carries
  # instead of async_hooks: Node 24 default.
  node) exec node --experimental-async-context-frame hosts/node.mjs ;;
  workerd)
    # Bare workerd, as tests/ and benches/ run it (crates/workerd-harness),
    # from wrangler.toml's date and flags; TOY_SLEEP_MS as its [vars] unless set.
    date=$(sed -n 's/^compatibility_date = "\(.*\)"/\1/p' wrangler.toml)
    flags=$(sed -n 's/^compatibility_flags = \[\(.*\)\]/\1/p' wrangler.toml)
    sleep_ms=${TOY_SLEEP_MS:-$(sed -n 's/^TOY_SLEEP_MS = "\(.*\)"/\1/p' wrangler.toml)}
    [[ $PORT != 0 ]] || { echo "serve: workerd needs a PORT other than 0" >&2; exit 2; }
    # embed paths are relative to the config file.
    mkdir -p target/serve; config=target/serve/workerd-$PORT.capnp
    cat > "$config" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .toy) ],
  sockets = [ (name = "http", address = "127.0.0.1:$PORT", http = (), service = "main") ],
);
const toy :Workerd.Worker = (
  modules = [
    (name = "hosts/workerd.mjs", esModule = embed "../../hosts/workerd.mjs"),
    (name = "hosts/core.mjs", esModule = embed "../../hosts/core.mjs"),
    (name = "build/index.js", esModule = embed "../../$TOY_BUILD/index.js"),
    (name = "build/index_bg.wasm", wasm = embed "../../$TOY_BUILD/index_bg.wasm"),
  ],
  bindings = [ (name = "TOY_SLEEP_MS", text = "$sleep_ms") ],
  compatibilityDate = "$date",
  compatibilityFlags = [$flags],
);
CAPNP
    echo "toy-edge: workerd serves GET /toy on http://127.0.0.1:$PORT/toy"
    exec workerd serve "$config" ;;
  *) echo "serve: RUNTIME must be one of deno, bun, node, workerd (got '${runtime}')" >&2; exit 2 ;;
esac

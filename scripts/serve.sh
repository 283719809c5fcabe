#!/usr/bin/env bash
# Serves the release build (build/) on 127.0.0.1:$PORT with one runtime:
#   scripts/serve.sh deno|bun|node|workerd      (`make serve RUNTIME=… PORT=…`)
# PORT defaults to 4567 (0, Deno, Bun and Node only: the system picks one;
# the runtime says which);
# TOY_SLEEP_MS is passed on when set; TOY_BUILD=build-test serves the test
# build; TOY_REFERENCE=<module> serves make bench's plain-JS reference
# instead, with the same runtime and flags (benches/workers/js-server.mjs). The runtime replaces this shell, so Ctrl-C and SIGTERM reach it.
# Every runtime is the pinned one from node_modules (scripts/setup.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
runtime=${1:-}
export PORT=${PORT:-4567} TOY_BUILD=${TOY_BUILD:-build}
entry=hosts/$runtime.mjs
if [[ -n ${TOY_REFERENCE:-} ]]; then
  entry=benches/workers/js-server.mjs
elif [[ ! -f $TOY_BUILD/index_bg.wasm ]]; then
  echo "serve: $TOY_BUILD/ is not built (make build)" >&2; exit 1
fi

case "$runtime" in
  # --unstable-no-legacy-abort: without it Deno also aborts request.signal
  # after the response was sent. Permissions: loopback, this tree, the env.
  deno) exec deno run --quiet --no-prompt --unstable-no-legacy-abort --allow-net=127.0.0.1 \
          --allow-read="$TOY_ROOT" --allow-env "$entry" ;;
  bun)  exec bun "$entry" ;;
  node) exec node "$entry" ;;
  # workerd through wrangler dev, which reads wrangler.toml (modules, date,
  # flags, [vars]) as deploy does; a config written here would repeat what
  # crates/workerd-harness derives from it for tests and benches.
  workerd)
    [[ $TOY_BUILD == build ]] || { echo "serve: workerd serves build/ only" >&2; exit 2; }
    exec wrangler dev --ip 127.0.0.1 --port "$PORT" ${TOY_SLEEP_MS:+--var "TOY_SLEEP_MS:$TOY_SLEEP_MS"} ;;
  *) echo "serve: RUNTIME must be one of deno, bun, node, workerd (got '${runtime}')" >&2; exit 2 ;;
esac

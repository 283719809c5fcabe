#!/usr/bin/env bash
# Builds the release worker into build/ (index.js shim + index_bg.wasm).
# Also wrangler.toml's [build] command, so `wrangler dev` and `make build`
# build the same way. Extra arguments go to worker-build, e.g.
#   scripts/build.sh --out-dir build-test --features entry,test-routes
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
if [[ $# -eq 0 ]]; then
  set -- --features entry
fi
exec worker-build --release "$@"

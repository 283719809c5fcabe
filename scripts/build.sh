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
out=build
args=("$@")
for i in "${!args[@]}"; do
  [[ ${args[$i]} == --out-dir ]] && out=${args[$((i + 1))]}
done

worker-build --release "$@"

# worker-build keeps the wasm name section on purpose (wasm-opt --debuginfo)
# so stack traces name Rust functions. It is a quarter of the module (~50 KB,
# ~13 KiB gzip); drop it. Panics are still logged with their message. Same
# feature set as worker-build's own wasm-opt pass, and no optimisation, so
# nothing is re-encoded in a way workerd would not load.
wasm="$out/index_bg.wasm"
wasm-opt "$wasm" --strip-debug \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types \
  --enable-exception-handling -o "$wasm.stripped"
mv "$wasm.stripped" "$wasm"
echo "[build] $wasm: $(wc -c < "$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzip"

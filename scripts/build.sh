#!/usr/bin/env bash
# Builds the worker into build/: index.js (wasm-bindgen's glue, bundled) and
# index_bg.wasm, the one build every host serves: each entry in hosts/
# (workerd.mjs, wrangler.toml's `main`; deno.mjs, bun.mjs, node.mjs) makes a
# WebAssembly.Module of it its own way and instantiates the glue with it.
# Also wrangler.toml's [build] command, so `wrangler dev` and `make build`
# build the same way.
#   scripts/build.sh                                   release worker into build/
#   scripts/build.sh --out-dir build-test --features entry,test-routes
#   scripts/build.sh --service-worker     the browser Service Worker host into
#                                         build-sw/ (service-worker/, hosts/adapter.mjs, pkg/)
#   scripts/build.sh --service-worker --out-dir build-sw-test --features service-worker,test-routes
#   scripts/build.sh --panic-abort --out-dir build-abort   an ablation: stable, panic=abort
#
# What worker-build would do, minus its entry shim (a Proxy per request, which
# costs CPU and memory per request: docs/hosts.md, "The build: one for every runtime"): cargo (nightly,
# unwinding panics: scripts/env.sh), then wasm-bindgen, then wasm-opt, then
# esbuild for the glue's snippets.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
out=build features=entry service_worker=false panic_abort=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out-dir) out=$2; shift 2 ;;
    --features) features=$2; shift 2 ;;
    --service-worker) service_worker=true out=build-sw features=service-worker; shift ;;
    # Ablation only (make bench's ablations, docs/benchmark.md): the same app
    # built on stable with panic=abort, no unwinding, no exception handling.
    --panic-abort) panic_abort=true; shift ;;
    *) echo "build: unknown option $1" >&2; exit 2 ;;
  esac
done

if $panic_abort; then
  cargo build --quiet --release --target wasm32-unknown-unknown --features "$features"
  wasm_in="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/toy_edge.wasm"
else
  unwind_cargo build --quiet --release --target wasm32-unknown-unknown --features "$features"
  wasm_in="${CARGO_TARGET_DIR:-target}/unwind/wasm32-unknown-unknown/release/toy_edge.wasm"
fi

if $service_worker; then
  # The page and the Service Worker as they are, with the adapter every
  # host shares, beside wasm-bindgen's web target (an ES module with an
  # init() that loads the wasm; a module Service Worker imports it
  # statically).
  rm -rf "$out"; mkdir -p "$out/pkg" "$out/hosts"
  cp service-worker/index.html service-worker/page.js service-worker/sw.js "$out/"
  cp hosts/adapter.mjs "$out/hosts/"
  wasm-bindgen --target web --no-typescript --experimental-reset-state-function \
    --out-dir "$out/pkg" "$wasm_in"
  wasm-opt -O "$out/pkg/toy_edge_bg.wasm" -o "$out/pkg/toy_edge_bg.wasm" "${wasm_features[@]}"
  echo "[build] $out/pkg/toy_edge_bg.wasm: $(wc -c < "$out/pkg/toy_edge_bg.wasm") bytes, $(gzip -9c "$out/pkg/toy_edge_bg.wasm" | wc -c) gzip"
  exit 0
fi
staging="$out/.staging"
rm -rf "$staging"; mkdir -p "$staging"
# --target web: a glue that imports no wasm and is instantiated with
# `initSync({ module })`, so every host can hand it the module it compiled
# (workerd from an import, the others from the file's bytes). A panic
# unwinds (src/app.rs catches it); after a trap, hosts/adapter.mjs makes a
# fresh instance with the reset-state function the flag exports (src/trap.rs).
wasm-bindgen --target web --out-name index --no-typescript \
  --experimental-reset-state-function --out-dir "$staging" "$wasm_in"
# The feature set from scripts/env.sh (worker-build's own). No
# --debuginfo: the name section is a quarter of the module; panics are still
# logged with their message. -ocimfs=0: by default wasm-opt inlines every
# function that has one caller, however large, and the handler's state
# machine grew into one function whose optimising compile in V8 peaks at
# 2.4 MB of compiler memory; without it a fresh workerd's peak RSS after a
# wave of 1000 is 0.8-1.0 MiB lower, with CPU per request and time to the
# first response unchanged within the noise (docs/benchmark.md, Memory).
wasm-opt -O -ocimfs=0 "$staging/index_bg.wasm" -o "$out/index_bg.wasm" "${wasm_features[@]}"
# One file for the glue and its inline snippets; the wasm stays a file of its
# own.
esbuild --bundle "$staging/index.js" --format=esm --minify --log-level=warning \
  --outfile="$out/index.js"
rm -rf "$staging"
echo "[build] $out/index_bg.wasm: $(wc -c < "$out/index_bg.wasm") bytes, $(gzip -9c "$out/index_bg.wasm" | wc -c) gzip"

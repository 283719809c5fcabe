# Sourced by every project script: the one place that says where the pinned
# tools live and how they run offline. Paths are absolute so child processes
# (wrangler's build command, tests) see the same tools.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TOY_ROOT="$root"
# Project-local tools first: node@22 (wrangler needs >= 22.12), wrangler,
# wasm-opt, esbuild, workerd from npm; wasm-bindgen from cargo.
export PATH="$root/node_modules/.bin:$root/.tools/bin:$PATH"
# worker-build (not used here; scripts/build.sh does its work) would download
# these from GitHub: a user who runs it gets the local ones.
export WASM_BINDGEN_BIN="$root/.tools/bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
# The wasm features wasm-opt may use: worker-build's explicit set, so that
# nothing is emitted that workerd cannot load (scripts/build.sh).
wasm_features=(--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling)
# No telemetry, and no fetch of the Request.cf object (offline machines).
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false

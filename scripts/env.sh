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
# The app's wasm is built with unwinding panics, so that src/app.rs catches a
# panic and it costs its own request only. That needs std rebuilt with
# panic_unwind (nightly's -Zbuild-std, rust-src) and wasm exception handling;
# the crates and every native build stay on stable (rust-toolchain.toml). Its
# own target directory: the two toolchains would evict each other's cache.
# std's optimize_for_size: 1.3 KiB less gzip of the app's wasm (128.3 KB /
# 42.1 KiB against 130.9 / 43.5 after wasm-opt).
# Usage: unwind_cargo build|test|clippy ARGS... (after `+nightly SUBCOMMAND`).
unwind_cargo() {
  RUSTFLAGS="-Cpanic=unwind -Ctarget-feature=+exception-handling" \
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/unwind" \
    cargo +nightly "$1" -Zbuild-std=std,panic_unwind -Zbuild-std-features=optimize_for_size "${@:2}"
}
# No telemetry, and no fetch of the Request.cf object (offline machines).
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false

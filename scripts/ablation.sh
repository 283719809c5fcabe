#!/usr/bin/env bash
# Builds the ablation variants for `make ablation` into target/ablation/NAME/
# (main.js + index_bg.wasm each): the worker as deployed, and beside it one
# scratch build per cost item with just that item removed or replaced.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
out=target/ablation
rm -rf "$out"; mkdir -p "$out"
features=(--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling)

# bundle NAME ENTRY WASM: one main.js (the entry and everything it imports) + the wasm.
bundle() {
  mkdir -p "$out/$1"
  esbuild --bundle "$2" --format=esm --minify --log-level=warning \
    --external:./index_bg.wasm '--external:cloudflare:*' --outfile="$out/$1/main.js"
  cp "$3" "$out/$1/index_bg.wasm"
}

# scratch NAME: a copy of the crate to change one thing in (shared target dir).
scratch() {
  local d=$out/crate-$1
  mkdir -p "$d"
  cp -r Cargo.toml Cargo.lock src benches tests examples "$d/"
  echo "$d"
}

# build_scratch NAME DIR: worker-build in the copy, stripped like scripts/build.sh.
build_scratch() {
  (cd "$2" && CARGO_TARGET_DIR="$TOY_ROOT/$out/cargo" worker-build --release --features entry >/dev/null 2>&1)
  wasm-opt "$2/build/index_bg.wasm" --strip-debug "${features[@]}" -o "$2/build/index_bg.wasm"
  bundle "$1" "$2/src/entry.mjs" "$2/build/index_bg.wasm"
}

echo "[ablation] as-deployed: src/entry.mjs over worker-build's output"
scripts/build.sh >/dev/null 2>&1
bundle as-deployed src/entry.mjs build/index_bg.wasm

echo "[ablation] no-guard: worker-build's shim alone, without src/entry.mjs"
bundle no-guard build/index.js build/index_bg.wasm

echo "[ablation] no-shim: wasm-bindgen's glue called directly (no Proxy shim, no guard)"
raw=$out/raw
wasm-bindgen --target module --out-name index --no-typescript \
  --experimental-reset-state-function --force-enable-abort-handler \
  --out-dir "$raw" target/wasm32-unknown-unknown/release/toy_edge.wasm
wasm-opt -O "${features[@]}" "$raw/index_bg.wasm" -o "$raw/index_bg.wasm"
sed -i 's/^import source /import /' "$raw/index.js"
cp benches/workers/raw-entry.mjs benches/workers/raw-entry-promise-jobs.mjs "$raw/"
bundle no-shim "$raw/raw-entry.mjs" "$raw/index_bg.wasm"

echo "[ablation] promise-jobs: no-shim, microtasks via a resolved Promise, not queueMicrotask"
bundle promise-jobs "$raw/raw-entry-promise-jobs.mjs" "$raw/index_bg.wasm"

echo "[ablation] jsfuture: the timer awaited through wasm_bindgen_futures::JsFuture (before)"
d=$(scratch jsfuture)
git show b038820:src/timer.rs > "$d/src/timer.rs"
build_scratch jsfuture "$d"

echo "[ablation] no-abort-listener: a plain sleep, request.signal not watched"
d=$(scratch no-abort-listener)
sed -i 's/timer::sleep_or_abort(duration, &req.signal())/timer::sleep(duration)/' "$d/src/app.rs"
grep -q 'timer::sleep(duration)' "$d/src/app.rs"
build_scratch no-abort-listener "$d"

echo "[ablation] no-server-timing: no Server-Timing header (no formatting, no string crossing)"
d=$(scratch no-server-timing)
sed -i '/headers.set("Server-Timing"/d' "$d/src/app.rs"
! grep -q 'Server-Timing", &server_timing' "$d/src/app.rs"
build_scratch no-server-timing "$d"

ls "$out"

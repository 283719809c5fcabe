#!/usr/bin/env bash
# Builds the ablation variants for `make ablation` into target/ablation/NAME/
# (main.js + index_bg.wasm each): the worker as deployed, and beside it one
# scratch build per cost item with just that item removed or replaced.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"
out=target/ablation
rm -rf "$out"; mkdir -p "$out"
# The commit whose worker-build pipeline the variant puts back, and the one
# with the leaner timer adapter that was tried and measured.
before=5001b69
shared=3ab35b4
# The worker before the cuts of the third session of 2026-11-26, and the
# files on its Rust side.
cuts=2b2e8cb
rust_side="src/app.rs src/error.rs src/glue.rs src/http.rs src/timer.rs Cargo.toml"

# bundle NAME ENTRY WASM: one main.js (the entry and all it imports) + the wasm.
bundle() {
  mkdir -p "$out/$1"
  esbuild --bundle "$2" --format=esm --minify --log-level=warning \
    --external:./index_bg.wasm '--external:cloudflare:*' --outfile="$out/$1/main.js"
  cp "$3" "$out/$1/index_bg.wasm"
}

# scratch NAME: a copy of the crate to change one thing in.
scratch() {
  local d=$out/crate-$1
  mkdir -p "$d"
  cp -r Cargo.toml Cargo.lock src benches tests examples scripts "$d/"
  echo "$d"
}

# build_scratch NAME DIR: scripts/build.sh in the copy (shared cargo target).
build_scratch() {
  (cd "$2" && CARGO_TARGET_DIR="$TOY_ROOT/$out/cargo" bash scripts/build.sh >/dev/null)
  bundle "$1" "$2/src/entry.mjs" "$2/build/index_bg.wasm"
}

echo "[ablation] as-deployed"
scripts/build.sh >/dev/null
bundle as-deployed src/entry.mjs build/index_bg.wasm

echo "[ablation] no-guard: src/entry.mjs without the panic guard"
bundle no-guard benches/workers/entry-no-guard.mjs build/index_bg.wasm

echo "[ablation] queue-microtask: futures' wake-ups through workerd's queueMicrotask"
d=$(scratch queue-microtask)
sed -i '/^const resolved = Promise.resolve();$/,/^};$/d' "$d/src/entry.mjs"
! grep -q 'globalThis.queueMicrotask =' "$d/src/entry.mjs"
cp -r build "$d/"
bundle queue-microtask "$d/src/entry.mjs" build/index_bg.wasm

echo "[ablation] worker-build: its Proxy shim and packaging, under the old guard ($before)"
d=$(scratch worker-build)
git show "$before:src/entry.mjs" > "$d/src/entry.mjs"
(cd "$d" && CARGO_TARGET_DIR="$TOY_ROOT/$out/cargo" worker-build --release --features entry >/dev/null 2>&1)
wasm-opt "$d/build/index_bg.wasm" --strip-debug -o "$d/build/index_bg.wasm" "${wasm_features[@]}"
bundle worker-build "$d/src/entry.mjs" "$d/build/index_bg.wasm"

echo "[ablation] shared-callback: the timer woken by one shared callback, not JsFuture ($shared)"
d=$(scratch shared-callback)
git show "$shared:src/timer.rs" > "$d/src/timer.rs"
build_scratch shared-callback "$d"

echo "[ablation] before-cuts: the whole worker as it was before the last cuts ($cuts)"
d=$(scratch before-cuts)
for f in src/entry.mjs $rust_side; do
  git show "$cuts:$f" > "$d/$f"
done
build_scratch before-cuts "$d"

echo "[ablation] race-guard: src/entry.mjs as before ($cuts): Promise.race, an async fetch"
d=$(scratch race-guard)
git show "$cuts:src/entry.mjs" > "$d/src/entry.mjs"
cp -r build "$d/"
bundle race-guard "$d/src/entry.mjs" build/index_bg.wasm

echo "[ablation] rust-before: the Rust side as before ($cuts): strings copied, ctx held"
d=$(scratch rust-before)
for f in $rust_side; do
  git show "$cuts:$f" > "$d/$f"
done
build_scratch rust-before "$d"

echo "[ablation] keep-ctx: the Rust glue holds ctx across the sleep"
d=$(scratch keep-ctx)
sed -i 's/^    drop(ctx);$/    let _ctx = ctx;/' "$d/src/glue.rs"
grep -q 'let _ctx = ctx;' "$d/src/glue.rs"
build_scratch keep-ctx "$d"

echo "[ablation] no-abort-listener: a plain sleep, request.signal not watched"
d=$(scratch no-abort-listener)
sed -i 's/timer::sleep_or_abort(duration, &req.signal())/timer::sleep(duration)/' "$d/src/app.rs"
grep -q 'timer::sleep(duration)' "$d/src/app.rs"
build_scratch no-abort-listener "$d"

echo "[ablation] no-server-timing: no Server-Timing header"
d=$(scratch no-server-timing)
sed -i 's/set_header(&headers, &js.server_timing, &server_timing(slept_ms))?;/let _ = slept_ms;/' "$d/src/app.rs"
grep -q 'let _ = slept_ms;' "$d/src/app.rs"
build_scratch no-server-timing "$d"

# js_sys_patched NAME [wake]: a scratch copy of js-sys (the version in
# Cargo.lock, from cargo's own registry; never committed) whose single-thread
# executor polls a spawned task at once instead of in a queued microtask
# and, with `wake`, also polls a woken task at once when it is not already
# being polled. The crate is then built against it.
js_sys_src=$(dirname "$(cargo metadata --format-version 1 --filter-platform wasm32-unknown-unknown \
  | grep -o '"manifest_path":"[^"]*/js-sys-[0-9.]*/Cargo.toml"' | head -1 | cut -d'"' -f4)")
[[ -f $js_sys_src/src/futures/task/singlethread.rs ]]
js_sys_patched() {
  local copy=$out/js-sys-$1
  cp -r "$js_sys_src" "$copy"
  local task=$copy/src/futures/task/singlethread.rs
  sed -i 's/^        crate::futures::queue::Queue::with(|queue| queue.schedule_task(this));$/        this.run();/' "$task"
  grep -q '^        this.run();$' "$task"
  if [[ ${2:-} == wake ]]; then
    sed -i 's/^    fn force_wake(this: Rc<Self>) {$/&\n        if this.inner.try_borrow_mut().is_ok() { return this.run(); }/' "$task"
    grep -q 'try_borrow_mut().is_ok() { return this.run(); }' "$task"
  fi
  d=$(scratch "$1")
  mkdir -p "$d/.cargo"
  printf '[patch.crates-io]\njs-sys = { path = "%s" }\n' "$TOY_ROOT/$copy" > "$d/.cargo/config.toml"
  # A path dependency is a package of its own to cargo: the shared target
  # keeps the registry js-sys's artifacts beside these.
  build_scratch "$1" "$d"
}
echo "[ablation] sync-first-poll: js-sys's executor polls each new Rust task at once, not in a microtask"
js_sys_patched sync-first-poll
echo "[ablation] sync-poll: js-sys's executor polls at once, both new and woken tasks"
js_sys_patched sync-poll wake

# The same items removed from the plain-JS reference: what JavaScript itself
# pays for them, so the wasm side's extra is the difference.
js_variant() {
  mkdir -p "$out/$1"
  sed "$2" benches/workers/js-worker.mjs > "$out/$1/main.js"
  ! cmp -s benches/workers/js-worker.mjs "$out/$1/main.js"
}
echo "[ablation] js-no-abort-listener: the JS reference with a plain sleep"
js_variant js-no-abort-listener 's/await sleepOrAbort(ms, request.signal)/await new Promise((resolve) => setTimeout(() => resolve(true), ms))/'
echo "[ablation] js-no-server-timing: the JS reference without Server-Timing"
js_variant js-no-server-timing '/const timing = /d; s/, { "Server-Timing": timing }//'

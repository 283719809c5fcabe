#!/usr/bin/env bash
# The test command (`make test`): sets up, builds the worker, then runs every
# test host and prints how many tests each one executed. A host that cannot
# run, or runs no test, fails the command.
#   scripts/test.sh                 all hosts
#   scripts/test.sh node browser    only those (names: native python workerd deno bun node-http wrangler node browser sw dryrun bench harness)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"

all=(native python workerd deno bun node-http wrangler node browser sw dryrun bench harness)
hosts=("$@")
[[ ${#hosts[@]} -gt 0 ]] || hosts=("${all[@]}")
started=$SECONDS

scripts/setup.sh --browser --load --python || { echo "test: set-up failed" >&2; exit 1; }
echo "[test] building the release worker (build/), the test worker with the test-only routes (build-test/) and the Service Worker page, without and with them (build-sw/, build-sw-test/)"
scripts/build.sh || exit 1
scripts/build.sh --out-dir build-test --features entry,test-routes || exit 1
scripts/build.sh --service-worker || exit 1
scripts/build.sh --service-worker --out-dir build-sw-test --features service-worker,test-routes || exit 1

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$TOY_ROOT/.tools/bin/wasm-bindgen-test-runner"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
wasm=(--target wasm32-unknown-unknown)

# The wasm-bindgen-test suites of the app and js-host-timer in Node or in
# Chromium, twice: the stable build (panic=abort, what a user of the crate
# gets by default) and the unwinding build the app ships (scripts/env.sh),
# with the test-only routes.
wasm_suites() {
  local a b
  cargo test --no-fail-fast "${wasm[@]}" -p toy-edge -p js-host-timer --test "$1" --test "$2"; a=$?
  unwind_cargo test --no-fail-fast "${wasm[@]}" -p toy-edge -p js-host-timer \
    --features toy-edge/test-routes --test "$1" --test "$2"; b=$?
  return $((a | b))
}

# workerd-harness's own tests, run from the tarball `cargo package` makes:
# what a user of the published crate gets, with no path into this tree. It
# is unpacked outside the workspace, beside a link to this project's
# node_modules, where it finds workerd, wrangler and Node the default way.
packaged_harness() {
  local dir="$TOY_ROOT/target/package-test"
  cargo package --quiet --allow-dirty --no-verify -p workerd-harness || return 1
  local crate=(target/package/workerd-harness-*.crate)
  local unpacked; unpacked=$(mktemp -d "${TMPDIR:-/tmp}/workerd-harness-package.XXXXXX")
  # -m: the files get the time of unpacking, so cargo rebuilds what changed
  # (the archive carries its own times, which look older than the last build).
  tar -xmzf "${crate[-1]}" -C "$unpacked" && ln -s "$TOY_ROOT/node_modules" "$unpacked/node_modules"
  cargo test --no-fail-fast --target-dir "$dir" --manifest-path "$unpacked"/workerd-harness-*/Cargo.toml
  local rc=$?
  rm -rf "$unpacked"
  return $rc
}

summary=() binaries=() total_passed=0 total_failed=0 total_ignored=0 broken=0

# run_host NAME COMMAND...: runs it and counts per test binary (scripts/count_tests.awk).
# A binary that crashed or ran no test counts as one failure; so does a host
# whose command failed without any test failing (it did not build, say).
run_host() {
  local name=$1; shift
  local log; log=$(mktemp)
  local t0=$SECONDS
  echo; echo "[test] ===== host: $name ====="
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local passed=0 failed=0 ignored=0 bad=0 bin p f i verdict
  while read -r bin p f i verdict; do
    passed=$((passed + p)); failed=$((failed + f)); ignored=$((ignored + i))
    [[ $verdict == ok ]] || { bad=$((bad + 1)); [[ $f -gt 0 ]] || failed=$((failed + 1)); }
    binaries+=("$(printf '  %-14s %-30s %4d passed %3d failed %3d ignored  %s' "$name" "$bin" "$p" "$f" "$i" "$verdict")")
  done < <(awk -f scripts/count_tests.awk "$log")
  rm -f "$log"
  verdict=ok
  if [[ $rc -ne 0 ]]; then
    verdict="FAILED (exit $rc)"; broken=1
    [[ $failed -gt 0 ]] || failed=1
  elif [[ $bad -gt 0 ]]; then verdict="FAILED ($bad binary with no result or no test)"; broken=1
  elif [[ $passed -eq 0 ]]; then verdict="FAILED (no test ran)"; broken=1; failed=$((failed + 1))
  fi
  total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
  total_ignored=$((total_ignored + ignored))
  summary+=("$(printf '%-14s %4d passed %3d failed %3d ignored %5ss  %s' "$name" "$passed" "$failed" "$ignored" $((SECONDS - t0)) "$verdict")")
}

for host in "${hosts[@]}"; do
  case "$host" in
    # The crates' doctests are compiled here (no_run: they need a JS host or
    # a built worker).
    native)   run_host "native" bash -c 'cargo test --no-fail-fast -p toy-edge --lib --test contrast; a=$?
                cargo test --no-fail-fast -p js-host-timer --doc; b=$?; exit $((a | b))' ;;
    python)   run_host "python" cargo test --test python_seed ;;
    # The one build on each runtime (tests/runtimes: the same suite).
    workerd)  run_host "workerd" cargo test --no-fail-fast --test workerd --test runtimes_agree ;;
    deno)     run_host "deno" cargo test --test deno ;;
    bun)      run_host "bun" cargo test --test bun ;;
    node-http) run_host "node-http" cargo test --test node_http ;;
    wrangler) run_host "wrangler" cargo test --test wrangler_dev ;;
    node)     run_host "node" wasm_suites node timer_in_node ;;
    browser)
      # Chromium leaves directories in TMPDIR when its driver ends it: give
      # it one of its own and remove that.
      tmp=$(mktemp -d "${TMPDIR:-/tmp}/toy-chromium.XXXXXX")
      TMPDIR=$tmp run_host "chromium" wasm_suites browser timer_in_browser
      rm -rf "$tmp" ;;
    sw)       run_host "service-worker" cargo test --test service_worker ;;
    dryrun)   run_host "deploy" cargo test --test deploy_dry_run ;;
    bench)    run_host "bench" cargo test --no-fail-fast --test bench_smoke --test soak_short ;;
    harness)  run_host "workerd-harness" packaged_harness ;;
    *) echo "test: unknown host $host (one of: ${all[*]})" >&2; exit 2 ;;
  esac
done

echo
echo "[test] ===== test binaries ====="
printf '%s\n' "${binaries[@]}"
echo "[test] ===== hosts ====="
printf '%s\n' "${summary[@]}"
echo "[test] wall time $((SECONDS - started)) s"
echo "total: $total_passed passed, $total_failed failed, $total_ignored ignored"
exit $broken

#!/usr/bin/env bash
# The test command (`make test`): sets up, builds the worker, then runs every
# test host and prints how many tests each one executed. A host that cannot
# run, or runs no test, fails the command.
#   scripts/test.sh                 all hosts
#   scripts/test.sh node browser    only those (names: native workerd wrangler node browser dryrun bench)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"

all=(native workerd wrangler node browser dryrun bench)
hosts=("$@")
[[ ${#hosts[@]} -gt 0 ]] || hosts=("${all[@]}")
started=$SECONDS

scripts/setup.sh --browser --load || { echo "test: set-up failed" >&2; exit 1; }
echo "[test] building the release worker (build/) and the test worker with /__panic (build-test/)"
scripts/build.sh || exit 1
scripts/build.sh --out-dir build-test --features entry,test-routes || exit 1

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$TOY_ROOT/.tools/bin/wasm-bindgen-test-runner"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
wasm=(--target wasm32-unknown-unknown)

summary=() total_passed=0 total_failed=0 broken=0

# run_host NAME COMMAND...: runs it, counts cargo's "test result:" lines.
run_host() {
  local name=$1; shift
  local log; log=$(mktemp)
  local t0=$SECONDS
  echo; echo "[test] ===== host: $name ====="
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local passed failed
  passed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
  failed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ failed' | awk '{s += $1} END {print s + 0}')
  rm -f "$log"
  local verdict=ok
  if [[ $rc -ne 0 ]]; then verdict="FAILED (exit $rc)"; broken=1
  elif [[ $passed -eq 0 ]]; then verdict="FAILED (no test ran)"; broken=1
  fi
  total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
  summary+=("$(printf '%-12s %4d passed %3d failed %5ss  %s' "$name" "$passed" "$failed" $((SECONDS - t0)) "$verdict")")
}

for host in "${hosts[@]}"; do
  case "$host" in
    native)   run_host "native" cargo test --lib --test contrast ;;
    workerd)  run_host "workerd" cargo test --test workerd --test hostile ;;
    wrangler) run_host "wrangler" cargo test --test wrangler_dev ;;
    node)     run_host "node" cargo test "${wasm[@]}" --test node ;;
    browser)  run_host "chromium" cargo test "${wasm[@]}" --test browser ;;
    dryrun)   run_host "deploy" cargo test --test deploy_dry_run ;;
    bench)    run_host "bench" cargo test --test bench_smoke --test soak_short ;;
    *) echo "test: unknown host $host (one of: ${all[*]})" >&2; exit 2 ;;
  esac
done

echo
echo "[test] ===== hosts ====="
printf '%s\n' "${summary[@]}"
echo "[test] wall time $((SECONDS - started)) s"
echo "total: $total_passed passed, $total_failed failed"
exit $broken

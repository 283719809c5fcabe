# Reads `cargo test` output (native or wasm-bindgen-test-runner) and prints one
# line per test binary: NAME PASSED FAILED IGNORED VERDICT. A binary that cargo
# started but that never printed its "test result:" line crashed; one that ran
# no test is as bad as one that failed. Used by scripts/test.sh.
function flush() {
  if (bin == "") return
  if (!seen) verdict = "CRASHED"
  else if (failed > 0) verdict = "FAILED"
  else if (passed == 0) verdict = "NO-TESTS"
  else verdict = "ok"
  printf "%s %d %d %d %s\n", bin, passed, failed, ignored, verdict
  bin = ""
}
/^ +(Running|Doc-tests) / {
  flush()
  bin = $2
  if ($2 == "unittests") {
    # "(target/debug/deps/CRATE-HASH)": name the crate, as lib.rs is everywhere
    crate = $4; sub(/^.*\//, "", crate); sub(/-[0-9a-f]+\)?$/, "", crate)
    bin = crate ":" $3
  }
  if ($1 == "Doc-tests") bin = "doctests:" $2
  passed = failed = ignored = seen = 0
  next
}
/^test result:/ && bin != "" {
  seen = 1
  for (i = 1; i <= NF; i++) {
    v = $(i - 1) + 0
    if ($i ~ /^passed/) passed += v
    if ($i ~ /^failed/) failed += v
    if ($i ~ /^ignored/) ignored += v
  }
}
END { flush() }

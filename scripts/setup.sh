#!/usr/bin/env bash
# Installs what the project needs, into the project where possible; each step
# is skipped when already done, so a warm run takes about a second.
#   scripts/setup.sh            Rust target, nightly's rust-src, wasm-bindgen CLI, npm ci
#   scripts/setup.sh --browser  ... and Debian's chromium + chromium-driver
#   scripts/setup.sh --load     ... and Debian's hey (load generator)
#   scripts/setup.sh --python   ... and .tools/venv with python/requirements.txt
#                               (Debian's python3-venv when it is missing)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TOY_ROOT"

want_browser=false want_load=false want_python=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    --load) want_load=true ;;
    --python) want_python=true ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

step() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The app's wasm unwinds panics (scripts/env.sh, unwind_cargo): nightly with
# std's source. The machine image has a nightly; rustup fetches one otherwise.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  step "installing Rust nightly (the unwinding build of the app's wasm)"
  rustup toolchain install nightly --profile minimal
fi
if ! rustup +nightly component list --installed | grep -q '^rust-src'; then
  step "adding rust-src to nightly (-Zbuild-std)"
  rustup +nightly component add rust-src
fi

# The CLI must be exactly the wasm-bindgen version in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [[ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]]; then
  step "installing wasm-bindgen-cli $wb_version into .tools (about 2 minutes)"
  # No --locked: its lockfile pins a webpki-roots the registry no longer serves.
  cargo install --quiet --root .tools wasm-bindgen-cli --version "=$wb_version"
fi

# npm ci when node_modules is missing or older than the lockfile.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm ci (wrangler, node@22, binaryen's wasm-opt, esbuild, workerd)"
  npm ci --no-fund --no-audit --loglevel=error
fi

apt_install() {
  step "apt-get install $*"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to apt-get install $* (or install them yourself)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if $want_browser && ! { command -v chromium && command -v chromedriver; } >/dev/null; then
  apt_install chromium chromium-driver
fi
if $want_load && ! command -v hey >/dev/null; then
  apt_install hey
fi
# The seed's side of the contrast: Debian's Python (the one python3-venv
# belongs to), a project-local venv, pinned packages from PyPI.
venv=.tools/venv
if $want_python; then
  if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv
  fi
  if [[ ! -x $venv/bin/python || python/requirements.txt -nt $venv/.installed ]]; then
    step "python venv in $venv (Flask, Quart, hypercorn, gunicorn, uWSGI; python/requirements.txt)"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r python/requirements.txt
    touch "$venv/.installed"
  fi
fi
exit 0

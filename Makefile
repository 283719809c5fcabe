# toy-edge: the two commands a user needs are `make dev` and `make test`.
# Every target does its own set-up (scripts/setup.sh skips what is present).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: dev serve test build lint bench heap soak deploy clean sw sw-screenshot

## Serve GET /toy with wrangler dev on http://127.0.0.1:4567/toy
dev:
	scripts/setup.sh
	source scripts/env.sh && wrangler dev

## Serve the release build with one runtime: make serve RUNTIME=deno|bun|node|workerd PORT=4567 [TOY_SLEEP_MS=…]
RUNTIME ?= deno
PORT ?= 4567
serve:
	scripts/setup.sh
	scripts/build.sh
	PORT=$(PORT) scripts/serve.sh $(RUNTIME)

## Set up, build and run every test host (native, Python, workerd, Deno, Bun, Node over HTTP, wrangler dev, Node, Chromium, a Service Worker in Chromium, deploy bundle, bench smoke, workerd-harness from its package)
test:
	scripts/test.sh

## Build the release worker into build/
build:
	scripts/setup.sh
	scripts/build.sh

## cargo fmt --check and clippy -D warnings, native and wasm (stable and the unwinding nightly build); the crates' docs and packages
lint:
	scripts/setup.sh
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --all-targets --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown --features entry,test-routes -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features service-worker,test-routes -- -D warnings
	# The unwinding build the app ships (nightly, scripts/env.sh), tests included.
	source scripts/env.sh && unwind_cargo clippy --workspace --all-targets --target wasm32-unknown-unknown --features toy-edge/entry,toy-edge/test-routes -- -D warnings
	# What comments and docs name exists: this Makefile's targets, README sections, this tree's files.
	scripts/check-refs.sh
	# The libraries are publishable (nothing is published): docs build clean, the package verifies.
	RUSTDOCFLAGS='-D warnings' cargo doc --quiet --no-deps -p js-host-timer -p workerd-harness
	cargo package --quiet --allow-dirty -p js-host-timer -p workerd-harness

## The same handler in a browser Service Worker: serves the page on http://127.0.0.1:4568/ (press its button)
sw:
	scripts/setup.sh
	scripts/build.sh --service-worker
	@echo "[sw] open http://127.0.0.1:4568/ in a browser (Ctrl-C stops the server)"
	python3 -m http.server --bind 127.0.0.1 --directory build-sw 4568

## Redraw docs/service-worker.png: the page after its button, in headless Chromium
sw-screenshot:
	scripts/setup.sh --browser
	scripts/build.sh --service-worker
	TOY_SW_SCREENSHOT="$$PWD/docs/service-worker.png" cargo test --test service_worker the_button

## Publish with wrangler (needs `wrangler login` or CLOUDFLARE_API_TOKEN)
deploy: build
	source scripts/env.sh && wrangler deploy

clean:
	rm -rf build build-test build-sw build-sw-test build-abort dist target/e2e .wrangler

## Benchmark: every server side by side (wasm and plain JS on workerd, native tokio, the Python seed, its fixes and its WSGI servers; waves of 1..5000), then wasm vs plain JS paired on workerd, Deno, Bun and Node, fresh-process memory included (loopback, ~20 min)
bench:
	scripts/setup.sh --load --python
	scripts/build.sh
	cargo build --release --example tokio_server
	cargo bench --bench waves
	cargo bench --bench runtimes

## What a request in flight keeps alive in the V8 heap and in wasm memory, wasm vs plain JS, on workerd and Node (their inspectors; loopback, ~90 s)
heap:
	scripts/setup.sh
	scripts/build.sh --out-dir build-test --features entry,test-routes
	cargo bench --bench heap

## Reliability: 5000-request wave, 2000 client aborts, 60 s soak at c=1000, 30 s of panics under c=1000, then three rounds of a minute at c=1000 per runtime, wasm beside plain JS, with memory (loopback, ~30 min)
soak:
	scripts/setup.sh
	scripts/build.sh
	scripts/build.sh --out-dir build-test --features entry,test-routes
	cargo bench --bench soak

// The worker's main module (wrangler.toml `main`): worker-build's shim, plus
// a guard for Rust panics.
//
// Rust panics abort the wasm instance (panic=abort; unwinding needs nightly).
// workers-rs 0.8 already recovers: its panic hook logs the message and the
// shim re-initialises the instance on the next request. What it cannot do is
// answer the requests that were in flight: their promises live in the dead
// instance and never settle, and workerd eventually sends a plain-text 500
// ("code had hung"). The guard answers each of them at once with the same
// JSON error shape as src/error.rs.
//
// The "error" event runs in the context of the request that panicked, and
// workerd refuses a Response made there for another request ("Cannot perform
// I/O on behalf of a different request"). So the event only wakes each
// waiting request with a plain marker, and each one builds its own 500.
import Shim from "../build/index.js";

const pending = new Set();

const PANICKED = Symbol("panicked");

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const wake of pending) wake(PANICKED);
    pending.clear();
  }
});

function internalError() {
  const body = '{"error":{"status":500,"message":"internal error"}}';
  return new Response(body, {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

export default class Toy extends Shim {
  async fetch(request) {
    let wake;
    const panicked = new Promise((resolve) => {
      wake = resolve;
    });
    pending.add(wake);
    try {
      const response = await Promise.race([super.fetch(request), panicked]);
      // Built here, in this request's own context.
      return response === PANICKED ? internalError() : response;
    } finally {
      pending.delete(wake);
    }
  }
}

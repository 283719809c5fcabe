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
import Shim from "../build/index.js";

const pending = new Set();

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const fail of pending) fail();
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
    let fail;
    const aborted = new Promise((resolve) => {
      fail = () => resolve(internalError());
    });
    pending.add(fail);
    try {
      return await Promise.race([super.fetch(request), aborted]);
    } finally {
      pending.delete(fail);
    }
  }
}

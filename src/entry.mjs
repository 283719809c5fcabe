// The worker's main module (wrangler.toml `main`): hands each request to the
// Rust handler (build/index.js, wasm-bindgen's glue over the wasm) and
// guards against Rust panics. Built by scripts/build.sh.
//
// A Rust panic aborts the wasm instance (panic=abort; unwinding needs
// nightly). The `worker` crate's panic hook logs the message and sets
// `criticalError` on `globalThis.__worker_init_state`; the next request
// re-initialises the instance. The requests that were in flight cannot be
// finished by the dead instance, so they are answered at once with the same
// JSON 500 as src/error.rs. A panic is seen where it happens, in the panic
// hook's write to `criticalError`, in the panicking request's context; a
// Response made there for another request would be refused ("Cannot perform
// I/O on behalf of a different request"), so each waiting request is woken
// with a plain marker and builds its own 500.
import * as wasm from "../build/index.js";

const state = globalThis.__worker_init_state;
const PANICKED = Symbol("panicked");

// Wakes each request in flight, by a Promise it made itself: workerd runs a
// Promise's continuations only in the context of the request that made it.
const waiting = new Set();

let critical = state.criticalError;
Object.defineProperty(state, "criticalError", {
  get: () => critical,
  set(value) {
    critical = value;
    if (value) {
      for (const wake of waiting) wake(PANICKED);
      waiting.clear();
    }
  },
});

// wasm-bindgen-futures schedules every poll of a Rust task (the first, and
// each wake-up) with the global queueMicrotask, which workerd implements with
// more per-call work than a Promise job; a job on an already resolved
// Promise runs in the same microtask queue. Measured in `make ablation`
// (variant queue-microtask): ~10 µs less per call in-isolate, in 4 runs of
// 5 (docs/benchmark.md). Nothing else in this worker queues
// microtasks; a panic inside a poll is seen by the hook above, not through
// the exception this turns from an "error" event into a rejection.
const resolved = Promise.resolve();
globalThis.queueMicrotask = (callback) => {
  resolved.then(callback);
};

function internalError() {
  const body = '{"error":{"status":500,"message":"internal error"}}';
  return new Response(body, {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

export default {
  fetch(request, env, ctx) {
    if (critical) {
      wasm.__wbg_reset_state();
      critical = false;
    }
    // One Promise per request, settled by whichever comes first: the Rust
    // handler's answer, or the panic hook's wake-up (a Promise.race over a
    // second Promise cost 2 Promises and a reaction more per request: README,
    // "Where the microseconds go").
    let wake;
    const answer = new Promise((resolve, reject) => {
      wake = resolve;
      waiting.add(resolve);
      wasm.fetch(request, env, ctx).then(resolve, reject);
    });
    return settle(answer, wake);
  },
};

// Awaits the answer in a function of its own: an async `fetch` would keep
// its arguments alive for the whole sleep, `ctx` among them (workerd's
// ExecutionContext, ~380 bytes per request in flight in `make heap`).
async function settle(answer, wake) {
  let response;
  try {
    response = await answer;
  } catch (error) {
    // A trap during the synchronous part of the call.
    if (!critical) throw error;
    response = PANICKED;
  } finally {
    waiting.delete(wake);
  }
  // Built here, in this request's own context. `null` is the Rust glue's
  // answer when the host would not build even its JSON error response.
  return response === PANICKED || response === null ? internalError() : response;
}

// Ablation variant (`make ablation`): src/entry.mjs without its panic guard
// (the per-request Promise, race and bookkeeping); the instance is still
// re-initialised after a panic, and microtasks are still Promise jobs.
import * as wasm from "../../build/index.js";

const state = globalThis.__worker_init_state;
const resolved = Promise.resolve();
globalThis.queueMicrotask = (callback) => {
  resolved.then(callback);
};

export default {
  fetch(request, env, ctx) {
    if (state.criticalError) {
      wasm.__wbg_reset_state();
      state.criticalError = false;
    }
    return wasm.fetch(request, env, ctx);
  },
};

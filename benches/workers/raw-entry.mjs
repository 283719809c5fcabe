// Ablation variant (`make ablation`): the wasm-bindgen glue called directly,
// without worker-build's Proxy shim and without src/entry.mjs's guard; the
// instance is still re-initialised after a panic.
import * as wasm from "./index.js";

const state = globalThis.__worker_init_state;

export default {
  fetch(request, env, ctx) {
    if (state.criticalError) {
      wasm.__wbg_reset_state();
      state.criticalError = false;
    }
    return wasm.fetch(request, env, ctx);
  },
};

// Ablation variant (`make ablation`): raw-entry.mjs, with wasm-bindgen-futures'
// task queue scheduled through a resolved Promise instead of workerd's
// queueMicrotask (both run the callback as a microtask). Prices that call.
import handler from "./raw-entry.mjs";

const resolved = Promise.resolve();
globalThis.queueMicrotask = (callback) => {
  resolved.then(callback);
};

export default handler;

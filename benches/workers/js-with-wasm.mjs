// Ablation probe on workerd (`cargo bench --bench runtimes -- --loaded`): the plain-JS
// reference answering every request, with the Rust worker's wasm module
// loaded and instantiated beside it (as hosts/workerd.mjs does) but never
// called. What this costs over the JS reference alone is what merely having
// the wasm module costs a process; the rest of the wasm worker's extra is
// from running it.
import module from "../../build/index_bg.wasm";
import { initSync } from "../../build/index.js";

initSync({ module });

export { default } from "./js-worker.mjs";

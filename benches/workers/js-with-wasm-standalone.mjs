// Ablation probe (`cargo bench --bench runtimes -- --memory --loaded`): the
// plain-JS reference answering every request on Deno, Bun or Node, with the
// release build's wasm module compiled and instantiated beside it (as
// hosts/standalone.mjs does) but never called: the standalone twin of
// js-with-wasm.mjs. Against it, the wasm as served shows what running the
// module costs a process beyond having it.
import { instantiate } from "../../hosts/standalone.mjs";

await instantiate();

export { default } from "./js-worker.mjs";

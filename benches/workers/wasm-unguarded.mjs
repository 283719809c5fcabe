// Ablation probe (`cargo bench --bench runtimes -- --unguarded`): the release
// build's `fetch` served without hosts/core.mjs's panic guard, as a
// TOY_HANDLER module behind the same entry. Against it, the wasm as served
// shows what the guard costs per request on each runtime.
import { readFileSync } from "node:fs";

const build = new URL("../../build/", import.meta.url);
const glue = await import(new URL("index.js", build).href);
glue.initSync({ module: new WebAssembly.Module(readFileSync(new URL("index_bg.wasm", build))) });

export default { fetch: (request, env) => glue.fetch(request, env, {}) };

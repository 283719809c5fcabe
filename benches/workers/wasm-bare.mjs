// Ablation probe (`cargo bench --bench runtimes -- --bare`): the release
// build's `fetch` served without hosts/adapter.mjs, in the JS reference's
// place (TOY_REFERENCE, benches/workers/js-server.mjs). Against it, the wasm
// as served shows what the adapter costs per request on each runtime.
import { instantiate } from "../../hosts/standalone.mjs";

const glue = await instantiate();
const ctx = {};

export default { fetch: (request, env) => glue.fetch(request, env, ctx) };

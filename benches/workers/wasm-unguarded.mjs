// Ablation probe (`cargo bench --bench runtimes -- --unguarded`): the release
// build's `fetch` served without hosts/core.mjs's panic guard, as a
// TOY_HANDLER module behind the same entry. Against it, the wasm as served
// shows what the guard costs per request on each runtime.
import { instantiate } from "../../hosts/standalone.mjs";

const glue = await instantiate();
const ctx = {};

export default { fetch: (request, env) => glue.fetch(request, env, ctx) };

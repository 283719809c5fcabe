// Benchmark reference server (`make bench`, Deno, Bun and Node): the module
// named by TOY_REFERENCE (relative to the repository; default the plain-JS
// handler, js-worker.mjs) served by the runtime running this file with the
// same server API, options and listening line as hosts/deno.mjs, bun.mjs and
// node.mjs serve the wasm. It loads nothing of the project: no hosts/, no
// build/. Started by scripts/serve.sh with TOY_REFERENCE set.
import process from "node:process";

const module = process.env.TOY_REFERENCE ?? "benches/workers/js-worker.mjs";
const reference = (await import(new URL(`../../${module}`, import.meta.url).href)).default;
const env = {};
if (process.env.TOY_SLEEP_MS !== undefined) env.TOY_SLEEP_MS = process.env.TOY_SLEEP_MS;
const fetch = (request) => reference.fetch(request, env);
const address = { hostname: "127.0.0.1", port: Number(process.env.PORT ?? "4567") };
const listening = (runtime, port) =>
  console.log(`toy-edge: ${runtime} serves GET /toy on http://127.0.0.1:${port}/toy`);

if (globalThis.Deno) {
  Deno.serve({ ...address, onListen: ({ port }) => listening("deno", port) }, fetch);
} else if (globalThis.Bun) {
  const server = Bun.serve({ ...address, idleTimeout: 0, fetch });
  listening("bun", server.port);
} else {
  const { serve } = await import("@hono/node-server");
  serve({ ...address, fetch }, ({ port }) => listening("node", port));
}

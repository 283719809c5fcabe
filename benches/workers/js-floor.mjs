// Benchmark floor: the least a worker can do for GET /toy — sleep on a timer,
// then answer the JSON. No routing, no abort handling, no checks. Shown in
// `make bench` beside the reference (js-worker.mjs) to price those extras.
export default {
  async fetch(request, env) {
    const ms = env.TOY_SLEEP_MS === undefined ? 1000 : Number(env.TOY_SLEEP_MS);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return new Response('{"result":1}', { headers: { "Content-Type": "application/json" } });
  },
};

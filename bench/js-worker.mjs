// Benchmark fixture: the /toy contract in plain JavaScript, the reference the
// wasm handler is measured against (`make bench`). Same routes, statuses,
// headers and bodies for GET /toy; not a second implementation to maintain.
const ALLOW = "GET, HEAD, OPTIONS";

function json(status, body, extra = {}) {
  return new Response(body, {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...extra },
  });
}

function error(status, message, extra) {
  return json(status, JSON.stringify({ error: { status, message } }), extra);
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname !== "/toy") return error(404, "not found: the only resource is /toy");
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { Allow: ALLOW } });
    if (request.method !== "GET" && request.method !== "HEAD") {
      return error(405, "method not allowed: /toy accepts GET, HEAD, OPTIONS", { Allow: ALLOW });
    }
    const ms = env.TOY_SLEEP_MS === undefined ? 1000 : Number(env.TOY_SLEEP_MS);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const timing = `sleep;dur=${(Date.now() - started).toFixed(1)};desc="host timer"`;
    return json(200, request.method === "HEAD" ? null : '{"result":1}', { "Server-Timing": timing });
  },
};

// Benchmark reference: the /toy contract in plain JavaScript, doing the same
// work per request as the Rust worker (`make bench`): the same routes,
// statuses, headers, bodies and Server-Timing; TOY_SLEEP_MS checked by the
// same rules on every request; a sleep that ends early when request.signal
// aborts and then clears its timer and listener; and a guard that turns an
// exception into the JSON 500, as src/app.rs does for a Rust panic.
const ALLOW = "GET, HEAD, OPTIONS";
const MAX_SLEEP_MS = 60000;

function json(status, body, extra) {
  const headers = new Headers(extra);
  headers.set("Content-Type", "application/json");
  headers.set("Cache-Control", "no-store");
  headers.set("Date", new Date().toUTCString());
  return new Response(body, { status, headers });
}

function error(status, message, extra) {
  return json(status, JSON.stringify({ error: { status, message } }), extra);
}

function sleepMs(raw) {
  if (raw === undefined) return 1000;
  const text = String(raw);
  if (!/^[0-9]+$/.test(text) || Number(text) > MAX_SLEEP_MS) return null;
  return Number(text);
}

// Resolves true when the timer fires, false when the signal aborts first.
function sleepOrAbort(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort);
  });
}

async function handle(request, env) {
  const { pathname } = new URL(request.url);
  if (pathname !== "/toy") return error(404, "not found: the only resource is /toy");
  const method = request.method;
  if (method === "OPTIONS") {
    return new Response(null, { status: 204, headers: { Allow: ALLOW, Date: new Date().toUTCString() } });
  }
  if (method !== "GET" && method !== "HEAD") {
    return error(405, "method not allowed: /toy accepts GET, HEAD, OPTIONS", { Allow: ALLOW });
  }
  const ms = sleepMs(env.TOY_SLEEP_MS);
  if (ms === null) {
    console.error(`toy-edge: TOY_SLEEP_MS=${JSON.stringify(env.TOY_SLEEP_MS)} is invalid`);
    return error(500, "server misconfigured: TOY_SLEEP_MS must be a whole number of milliseconds from 0 to 60000");
  }
  const started = Date.now();
  if (!(await sleepOrAbort(ms, request.signal))) return error(499, "client closed request");
  const timing = `sleep;dur=${(Date.now() - started).toFixed(1)};desc="host timer"`;
  return json(200, '{"result":1}', { "Server-Timing": timing });
}

export default {
  async fetch(request, env) {
    try {
      return await handle(request, env);
    } catch {
      return error(500, "internal error");
    }
  },
};

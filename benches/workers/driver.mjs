// Ablation probe (`make ablation`): calls the worker under test (imported as
// ./target.mjs) N times at once inside one isolate — no HTTP, no sockets, the
// real timers — and answers "ok/N" when every call has answered. CPU per call
// is then the handler's own cost, without the per-connection work that
// dominates a request over loopback.
import target from "./target.mjs";

export default {
  async fetch(request, env, ctx) {
    const n = Number(new URL(request.url).searchParams.get("n") || 1000);
    // worker-build's shim exports a class (WorkerEntrypoint); the others an object.
    const call =
      typeof target === "function"
        ? (r) => new target(ctx, env).fetch(r)
        : (r) => target.fetch(r, env, ctx);
    const calls = [];
    for (let i = 0; i < n; i++) calls.push(call(new Request("http://127.0.0.1/toy")));
    const responses = await Promise.all(calls);
    const ok = responses.filter((r) => r.status === 200).length;
    return new Response(`${ok}/${n}`);
  },
};

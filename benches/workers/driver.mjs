// Ablation probe (`make ablation`): calls the worker under test (imported as
// ./target.mjs) N times at once (BATCHES times over) inside one isolate — no HTTP, no sockets, the
// real timers — and answers "ok/N" when every call has answered. CPU per call
// is then the handler's own cost, without the per-connection work that
// dominates a request over loopback.
import target from "./target.mjs";

export default {
  async fetch(request, env, ctx) {
    const params = new URL(request.url).searchParams;
    const n = Number(params.get("n") || 1000);
    // Several batches per request, so that one measurement spans several
    // garbage collections instead of landing on or beside one.
    const batches = Number(params.get("batches") || 1);
    // spread=1: each call starts in a task of its own (after a setTimeout 0),
    // as requests arriving over sockets do; by default all N start in one
    // task, and whatever the worker schedules per call can be batched.
    const spread = params.get("spread") === "1";
    // worker-build's shim exports a class (WorkerEntrypoint); the others an object.
    const call =
      typeof target === "function"
        ? (r) => new target(ctx, env).fetch(r)
        : (r) => target.fetch(r, env, ctx);
    let ok = 0;
    for (let b = 0; b < batches; b++) {
      const calls = [];
      for (let i = 0; i < n; i++) {
        if (spread) await new Promise((resolve) => setTimeout(resolve, 0));
        calls.push(call(new Request("http://127.0.0.1/toy")));
      }
      const responses = await Promise.all(calls);
      ok += responses.filter((r) => r.status === 200).length;
    }
    return new Response(`${ok}/${n * batches}`);
  },
};

// What every host's entry shares (workerd.mjs, standalone.mjs for Deno, Bun
// and Node, and the browser's service-worker/sw.js): the wasm's handler,
// served as it is, plus the one thing Rust cannot do for itself.
//
// A panic costs nothing here: it unwinds inside the wasm, and the handler
// answers its request with the JSON 500 (src/app.rs). A trap (unreachable,
// an abort) kills the instance with every request in it. The requests that were in flight would never settle, so this module
// keeps each one's resolver, hears of the trap from the dying instance
// (src/trap.rs's `onTrap`), makes a fresh instance with the glue's
// `__wbg_reset_state` (built with wasm-bindgen's
// --experimental-reset-state-function) and answers them all at once with the
// JSON 503 that the fresh instance builds (`unavailable`). Nothing else: no
// host global is touched, no answer is written in JavaScript.
const TRAPPED = Symbol("trapped");

// Takes the glue (its instance made by the host's entry) and returns
// `fetch(request, env, ctx)`. `handler`: the export to call (default the
// glue's `fetch`, the worker's entry; the Service Worker's is `handleToy`).
export function adapt(glue, handler = glue.fetch) {
  // The resolvers of the requests in flight on the current instance.
  const inFlight = new Set();
  let listening = false;
  let dead = false;
  let traps = 0;
  function trapped() {
    dead = true;
    traps++;
    console.error(
      `toy-edge: the wasm instance trapped; ${inFlight.size} requests in flight answered 503, a fresh instance serves the next`,
    );
    for (const answer of inFlight) answer(TRAPPED);
    inFlight.clear();
  }
  // Before any call into the wasm: a fresh instance after a trap, and the
  // listener on the instance.
  function live() {
    if (dead) {
      glue.__wbg_reset_state();
      dead = false;
      listening = false;
    }
    if (!listening) {
      glue.onTrap(trapped);
      listening = true;
    }
  }

  // Not an async function, and one Promise of its own per request: this
  // runs for every request, and each Promise and closure is CPU and garbage.
  function fetch(request, env, ctx) {
    if (dead || !listening) live();
    let answer;
    // Made in this request's own call, so that on workerd its continuation
    // runs in this request's context even when another request's trap
    // settles it.
    const settled = new Promise((resolve, reject) => {
      answer = resolve;
      handler(request, env, ctx).then(resolve, reject);
    });
    inFlight.add(answer);
    return settled.then(
      (response) => {
        inFlight.delete(answer);
        if (response !== TRAPPED) return response;
        live();
        return glue.unavailable();
      },
      (error) => {
        inFlight.delete(answer);
        throw error;
      },
    );
  }

  // Whether `error` is what a trap leaves behind: the trap itself, thrown
  // from the poll it happened in, and, when the dead instance's timers fire
  // later, its callbacks refusing to run. Deno, Bun and Node end the
  // process on an uncaught exception or unhandled rejection; their entry
  // lets these pass (standalone.mjs).
  function leftByTrap(error) {
    return (
      traps > 0 &&
      (error instanceof WebAssembly.RuntimeError ||
        (error instanceof Error &&
          /^(Cannot invoke closure from previous WASM instance|Module terminated)$/.test(error.message)))
    );
  }

  return { fetch, leftByTrap };
}

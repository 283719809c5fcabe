// The shared core of every host: the wasm's handler (wasm-bindgen's glue,
// built by scripts/build.sh) behind a guard against Rust panics. Each host's
// entry (workerd.mjs, deno.mjs, bun.mjs, node.mjs, and the browser's
// service-worker/sw.js) instantiates the wasm its own way, hands the glue to
// `guard`, and serves what it returns. Nothing here is particular to one
// host: it runs in a browser as well as on a server.
//
// A Rust panic aborts the wasm instance (panic=abort; unwinding needs
// nightly). The `worker` crate's panic hook logs the message and sets
// `criticalError` on `globalThis.__worker_init_state`; the instance is then
// re-initialised. The dead instance cannot finish the requests that were in
// flight, but this module still holds each of them: the one whose handling
// panicked gets the JSON 500 of src/error.rs at once; every other one whose
// method is idempotent (GET, HEAD, OPTIONS: RFC 9110, 9.2.2) and whose
// client is still there is handled again, once, by the fresh instance, when
// its original sleep comes due; the rest get the JSON 500 then.
//
// The panic is seen where it happens, in the hook's write to
// `criticalError`, inside the poll of the request that panicked; the Rust
// side has just named that request (src/culprit.rs), and it is answered at
// once. Every other request does its own work in its own context (on
// workerd a Response made for it elsewhere would be refused: "Cannot
// perform I/O on behalf of a different request"), woken by its own sleep's
// timer.
const PANICKED = Symbol("panicked");
const REPLAY = Symbol("replay");
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);

// The requests in flight, each { request, env, started, replayed, wake,
// orphan }: `wake` settles the Promise of its current call of the handler.
const inFlight = new Set();

// Where a request's timers find it when they are armed outside its call
// of the handler (see setTimeout below): an AsyncLocalStorage where the host
// has one (the servers pass node:async_hooks'), else nothing. A browser has
// none; there every timer must be armed in the request's call, as this
// app's one sleep is.
const NO_STORAGE = { run: (_, work) => work(), getStore: () => undefined };
let handling = NO_STORAGE;

let critical = false;
// The wasm-bindgen glue of the one instance this process serves with, and
// its handler export.
let wasm = null;
let handler = null;

// Takes the glue (its instance already made by the host's entry) and returns
// the handler every host serves: `fetch(request, env, ctx)`, env holding
// `TOY_SLEEP_MS` when it is set. Options: `handler`, the export to call
// (default the glue's `fetch`); `storage`, an AsyncLocalStorage.
export function guard(glue, options = {}) {
  if (wasm) throw new Error("toy-edge: guard() takes one glue per process");
  wasm = glue;
  handler = options.handler ?? glue.fetch;
  handling = options.storage ?? NO_STORAGE;
  const state = globalThis.__worker_init_state;
  critical = state.criticalError;
  Object.defineProperty(state, "criticalError", {
    get: () => critical,
    set(value) {
      critical = value;
      if (value) bury(panicking());
    },
  });
  return { fetch };
}

// The request in flight that src/culprit.rs named in the panic hook, if any
// (the global is its PANICKING_KEY). Taken off the global at once: nothing
// is kept.
const PANICKING = "__toy_edge_panicking";
function panicking() {
  const request = globalThis[PANICKING];
  delete globalThis[PANICKING];
  if (request === undefined) return undefined;
  for (const flight of inFlight) if (flight.request === request) return flight;
  return undefined;
}

// A trap of an instance that died, rejecting a Promise of its own that
// nobody awaits (the culprit's task, unwound by the trap). Hosts that end the
// process on an unhandled rejection let these pass (standalone.mjs). Not
// "while the instance is dead": Bun reports the rejection late, after the
// next request has already re-initialised the instance (seen once in CI:
// the process ended).
let deaths = 0;
export function deadInstanceTrap(reason) {
  return deaths > 0 && reason instanceof WebAssembly.RuntimeError;
}

// Answers the request that panicked, and marks every other one in flight
// for a replay or the JSON 500.
function bury(culprit) {
  deaths++;
  let replayed = 0;
  let failed = culprit ? 1 : 0;
  culprit?.wake(PANICKED);
  for (const flight of inFlight) {
    if (flight === culprit) continue;
    const replay =
      !flight.replayed &&
      IDEMPOTENT.has(flight.request.method) &&
      !flight.request.signal.aborted;
    if (replay) replayed++;
    else failed++;
    // Woken by its own timer, in its own request context (see setTimeout
    // below): a Promise resolved from here would now and then run its
    // continuation in the culprit's context, and what it armed there is
    // lost when the culprit's request ends (seen: whole waves of replays
    // hung under c=1000).
    flight.orphan = replay ? REPLAY : PANICKED;
  }
  inFlight.clear();
  console.error(
    `toy-edge: the wasm instance panicked; ${replayed} requests in flight to be replayed on a fresh instance at their deadline, ${failed} answered with the JSON 500`,
  );
}

// Every timer of a request is armed in that request's context. When one of
// an orphaned request fires (the dead instance's sleep coming due), it wakes
// the request instead of calling into the dead instance. A request's sleep
// is armed in its first poll, which runs inside its own call of the
// handler: `calling` names that request without asking the
// AsyncLocalStorage, which the rest of the timers do.
let calling = null;
const hostSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = (callback, ms, ...args) => {
  const flight = calling ?? handling.getStore();
  if (flight === undefined) return hostSetTimeout(callback, ms, ...args);
  return hostSetTimeout(() => {
    if (flight.orphan) {
      const marker = flight.orphan;
      flight.orphan = null;
      flight.wake(marker);
    } else {
      callback(...args);
    }
  }, ms);
};

// wasm-bindgen-futures schedules the polls of Rust tasks with the global
// queueMicrotask: one job polls every task queued before it ran. A job runs
// in the request context of whoever queued it, so a task woken in one
// request's context but polled in another's would arm its timer there, and
// workerd cancels that timer when the other request ends (seen: replays
// started together hung). So a poll runs at once, in the context of the code
// that woke it (the request's own fetch call, or its own timer or signal);
// only a wake-up during a poll waits for a Promise job. Polling at once also
// spares workerd's queueMicrotask, which does more per call than a job.
// A panic inside a poll is seen by the hook above. Only the wasm's own
// callback is polled at once; anyone else's (a runtime's or an adapter's
// JavaScript, which may rely on being deferred) goes to the host's
// queueMicrotask. That callback is one function per instance (js-sys's
// task queue hands the same Closure every time), learnt during the
// instance's first call. (Telling it apart by AsyncLocalStorage.getStore()
// on every call cost ~4 µs per handler call on Bun, in one isolate.)
let polling = false;
let wasmTick = null;
const resolved = Promise.resolve();
function poll(callback) {
  polling = true;
  try {
    callback();
  } catch (error) {
    // The instance died in this poll: the hook has already answered or
    // marked every request. Thrown on, the trap would reject a Promise of
    // the dead instance that nobody awaits: Deno, Bun and Node end the
    // process on an unhandled rejection (workerd logs it).
    if (!critical) throw error;
  } finally {
    polling = false;
  }
}
const hostQueueMicrotask = globalThis.queueMicrotask;
globalThis.queueMicrotask = (callback) => {
  if (wasmTick === null && calling !== null) wasmTick = callback;
  if (callback !== wasmTick) hostQueueMicrotask(callback);
  else if (polling) resolved.then(() => poll(callback));
  else poll(callback);
};

function internalError() {
  const body = '{"error":{"status":500,"message":"internal error"}}';
  return new Response(body, {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

function fetch(request, env, ctx) {
  const flight = {
    request,
    env,
    started: Date.now(),
    replayed: false,
    wake: null,
    orphan: null,
  };
  return handling.run(flight, () => settle(flight, call(flight, env, ctx)));
}

// One call of the Rust handler, settled by whichever comes first: its
// answer, or the wake-up after a panic (one Promise, not a race of two).
function call(flight, env, ctx) {
  if (critical) {
    wasm.__wbg_reset_state();
    critical = false;
    wasmTick = null; // the fresh instance has its own
  }
  return new Promise((resolve, reject) => {
    flight.wake = resolve;
    inFlight.add(flight);
    calling = flight;
    try {
      handler(flight.request, env, ctx).then(resolve, reject);
    } finally {
      calling = null;
    }
  });
}

// Awaits the answer in a function of its own: an async `fetch` would keep
// its arguments alive for the whole sleep, `ctx` among them (workerd's
// ExecutionContext, ~380 bytes per request in flight in `make heap`).
async function settle(flight, answer) {
  let response = await outcome(flight, answer);
  if (response === REPLAY) {
    flight.replayed = true;
    // The Rust glue lets go of `ctx` at once; a replay has none to give.
    response = await outcome(flight, call(flight, remaining(flight), {}));
    if (response instanceof Response) retime(response, flight);
  }
  // Built here, in this request's own context. `null` is the Rust glue's
  // answer when the host would not build even its JSON error response.
  return response instanceof Response ? response : internalError();
}

async function outcome(flight, answer) {
  try {
    return await answer;
  } catch (error) {
    // A trap during the synchronous part of the call.
    if (!critical) throw error;
    return PANICKED;
  } finally {
    inFlight.delete(flight);
  }
}

// The request's env with `TOY_SLEEP_MS` cut to what is left of its
// original sleep (a value the handler would refuse is left as it is, and
// the replay gets the same JSON 500 as the first call would have).
function remaining(flight) {
  const raw = flight.env.TOY_SLEEP_MS ?? "1000";
  if (!/^[0-9]{1,5}$/.test(String(raw))) return flight.env;
  const left = Math.max(0, Number(raw) - (Date.now() - flight.started));
  return new Proxy(flight.env, {
    get: (env, key) => (key === "TOY_SLEEP_MS" ? String(left) : Reflect.get(env, key)),
  });
}

// A replayed answer's Server-Timing reports the whole time it waited, in
// the format of `server_timing` in src/app.rs (the replay's own is ~0 ms).
function retime(response, flight) {
  if (response.headers.has("Server-Timing")) {
    const waited = (Date.now() - flight.started).toFixed(1);
    response.headers.set("Server-Timing", `sleep;dur=${waited};desc="host timer"`);
  }
}

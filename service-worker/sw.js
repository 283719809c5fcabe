// The Service Worker (a module worker) that answers /toy with the Rust
// handler: the same app::handle and the same setTimeout Promise as in
// workerd, on the browser's Service Worker thread and its event loop, through
// the same adapter as every runtime (the build serves hosts/adapter.mjs at
// /hosts/adapter.mjs, where the import below finds it from the site's root as
// from this folder). Every other request goes to the network untouched.
// Loaded by page.js; built into build-sw/ by `scripts/build.sh
// --service-worker`; `make sw` serves it.
//
// `sw.js?sleep_ms=N` plays the part of the worker's TOY_SLEEP_MS.
import * as glue from "./pkg/toy_edge.js";
import { adapt } from "../hosts/adapter.mjs";

const sleepMs = new URL(self.location.href).searchParams.get("sleep_ms");
const env = sleepMs === null ? {} : { TOY_SLEEP_MS: sleepMs };
const wasmUrl = new URL("./pkg/toy_edge_bg.wasm", import.meta.url);

// Started while the script is evaluated: a Service Worker module may not
// await at its top level, so each event waits on this instead. Resolves to
// the adapted handler.
const ready = (async () => {
  const response = await fetch(wasmUrl);
  if (!response.ok) {
    throw new Error(`${wasmUrl.pathname} answered HTTP ${response.status}`);
  }
  await glue.default({ module_or_path: response });
  return adapt(glue, glue.handleToy);
})();
ready.catch(() => {}); // reported by the install handler below

// Tells the pages (controlled or not yet) why the worker cannot run, so they
// can say so instead of waiting.
async function report(error) {
  const text = `the Service Worker could not load the Rust handler's wasm: ${error.message ?? error}`;
  for (const client of await self.clients.matchAll({ includeUncontrolled: true, type: "window" })) {
    client.postMessage({ error: text });
  }
}

self.addEventListener("install", (event) => {
  // A wasm that does not load fails the install: the worker never controls a
  // page that would then get network errors for /toy.
  event.waitUntil(
    ready.then(
      () => self.skipWaiting(),
      async (error) => {
        await report(error);
        throw error;
      },
    ),
  );
});

// Take the page that registered us without a reload.
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// /toy and below; in the build with the test-only routes, /__panic,
// /__trap, /__stats and the like too.
function isToy(url) {
  const path = url.pathname;
  return (
    url.origin === self.location.origin &&
    (path === "/toy" || path.startsWith("/toy/") || (glue.testRoutes !== undefined && path.startsWith("/__")))
  );
}

// Every answer, errors included, is the handler's. One that throws (a
// browser that would not build even its JSON error) rejects respondWith:
// the page sees a network error, as from a server that failed.
self.addEventListener("fetch", (event) => {
  if (!isToy(new URL(event.request.url))) return; // to the network
  event.respondWith(ready.then((adapted) => adapted.fetch(event.request, env)));
});

// page.js asks how many sleeps are live (to see what an aborted fetch does).
self.addEventListener("message", (event) => {
  if (event.data?.stats) event.ports[0]?.postMessage({ liveSleeps: glue.liveSleeps() });
});

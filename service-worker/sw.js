// The Service Worker (a module worker) that answers /toy with the Rust
// handler: the same app::handle and the same setTimeout Promise as in
// workerd, on the browser's Service Worker thread and its event loop. Every
// other request goes to the network untouched. Loaded by page.js; built
// into build-sw/ by `scripts/build.sh --service-worker`; `make sw` serves it.
//
// `sw.js?sleep_ms=N` plays the part of the worker's TOY_SLEEP_MS.
import init, { handleToy, liveSleeps } from "./pkg/toy_edge.js";

const sleepMs = new URL(self.location.href).searchParams.get("sleep_ms");
const wasmUrl = new URL("./pkg/toy_edge_bg.wasm", import.meta.url);

// Started while the script is evaluated: a Service Worker module may not
// await at its top level, so each event waits on this instead.
const ready = (async () => {
  const response = await fetch(wasmUrl);
  if (!response.ok) {
    throw new Error(`${wasmUrl.pathname} answered HTTP ${response.status}`);
  }
  await init({ module_or_path: response });
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

function isToy(url) {
  return url.origin === self.location.origin && (url.pathname === "/toy" || url.pathname.startsWith("/toy/"));
}

// Same JSON 500 as src/error.rs, for a handler that threw instead of
// answering (it turns its own errors into responses).
function internalError() {
  return new Response('{"error":{"status":500,"message":"internal error"}}', {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

self.addEventListener("fetch", (event) => {
  if (!isToy(new URL(event.request.url))) return; // to the network
  event.respondWith(
    ready.then(() => handleToy(event.request, sleepMs)).catch((error) => {
      console.error("toy-edge:", error);
      return internalError();
    }),
  );
});

// page.js asks how many sleeps are live (to see what an aborted fetch does).
self.addEventListener("message", (event) => {
  if (event.data?.stats) event.ports[0]?.postMessage({ liveSleeps: liveSleeps() });
});

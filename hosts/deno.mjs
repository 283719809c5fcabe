// Deno's entry: `make serve RUNTIME=deno PORT=n`. Deno.serve takes the
// fetch(Request) -> Response shape as it is: no adapter. Deno's JavaScript
// event loop runs on a current-thread tokio runtime on its main thread; the
// wasm's sleep is a timer on that loop.
import { address, app, listening, stopOn } from "./standalone.mjs";

const handler = await app();
const server = Deno.serve(
  { ...address(), onListen: ({ port }) => listening("deno", port) },
  handler,
);
stopOn(() => server.shutdown());

// Bun's entry: `make serve RUNTIME=bun PORT=n`. Bun.serve takes the
// fetch(Request) -> Response shape as it is: no adapter.
import { address, app, listening, stopOn } from "./standalone.mjs";

const handler = await app();
const server = Bun.serve({
  ...address(),
  // Bun closes a connection idle for 10 s by default, a request that is
  // still sleeping included (seen: a 13 s sleep cut after ~12 s); a sleep
  // may last 60 s (TOY_SLEEP_MS).
  idleTimeout: 0,
  fetch: handler,
});
listening("bun", server.port);
stopOn(() => server.stop());

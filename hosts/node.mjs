// Node's entry: `make serve RUNTIME=node PORT=n`. node:http speaks
// IncomingMessage/ServerResponse, not Request/Response: @hono/node-server
// converts, and aborts request.signal when the client goes away. Chosen over
// srvx by measurement: srvx sent the body chunked, without Content-Length,
// and no reason phrase, unlike every other host (docs/hosts.md).
import { serve } from "@hono/node-server";
import { address, app, listening, stopOn } from "./standalone.mjs";

const handler = await app();
const server = serve({ ...address(), fetch: handler }, ({ port }) =>
  listening("node", port),
);
stopOn(() => new Promise((done) => server.close(done)));

// What a request in flight keeps alive in the V8 heap (`make heap`, through
// benches/heap.rs): connects to a workerd's or Node's inspector, takes a heap
// snapshot after one request served (5 s) and one with N requests sleeping,
// and prints the live heap per request in flight and the kinds of object it
// is made of (count and bytes per request; kinds that grew by at least one
// object per two requests), and, where the worker has `/__stats` (the test
// build), its wasm linear memory at both points. Run with the project's Node 22:
//   node benches/workers/heap.mjs INSPECTOR_PORT APP_PORT N
// The worker must sleep longer than the snapshots take (TOY_SLEEP_MS=5000).
const [inspector, app, n] = process.argv.slice(2).map(Number);
if (!inspector || !app || !n) {
  console.error("usage: node benches/workers/heap.mjs INSPECTOR_PORT APP_PORT N");
  process.exit(2);
}

// The first target the inspector lists (workerd: the worker; Node: the
// process).
const [target] = await (await fetch(`http://127.0.0.1:${inspector}/json/list`)).json();
const ws = new WebSocket(target?.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspector}/main`);
await new Promise((resolve, reject) => {
  ws.addEventListener("open", resolve, { once: true });
  ws.addEventListener("error", () => reject(new Error(`no inspector on 127.0.0.1:${inspector}`)), { once: true });
});
let lastId = 0;
const pending = new Map();
const chunks = [];
ws.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  } else if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
    chunks.push(message.params.chunk);
  }
});
// workerd's inspector answers these; HeapProfiler.collectGarbage it does
// not (a snapshot collects garbage first anyway).
const call = (method, params = {}) =>
  new Promise((resolve) => {
    const id = ++lastId;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

// Live objects by "type:name": [count, self bytes].
async function snapshot() {
  chunks.length = 0;
  await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  const heap = JSON.parse(chunks.join(""));
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const kinds = new Map();
  let total = 0;
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const key = `${types[heap.nodes[i + type]]}:${heap.strings[heap.nodes[i + name]].slice(0, 60)}`;
    const kind = kinds.get(key) ?? [0, 0];
    kind[0] += 1;
    kind[1] += heap.nodes[i + size];
    total += heap.nodes[i + size];
    kinds.set(key, kind);
  }
  return { kinds, total };
}

await call("HeapProfiler.enable");
// One request served first, so that what a worker makes once, on its first
// request (the wasm glue's views of its memory, cached strings), is in both
// snapshots: without it the wasm worker's whole linear memory (1.8 MB)
// counted as growth.
const first = await (await fetch(`http://127.0.0.1:${app}/toy`)).text();
if (first !== '{"result":1}') throw new Error(`the first request answered ${first}`);
// The wasm's linear memory in bytes, or null for a worker without /__stats.
const linear = async () => {
  const reply = await fetch(`http://127.0.0.1:${app}/__stats`);
  return reply.ok ? (await reply.json()).wasm_memory_bytes : (await reply.arrayBuffer(), null);
};
const idle = await snapshot();
const linearIdle = await linear();
const requests = Array.from({ length: n }, () =>
  fetch(`http://127.0.0.1:${app}/toy`).then((r) => r.text(), (e) => String(e)),
);
await new Promise((resolve) => setTimeout(resolve, 1500)); // all sent, all sleeping
const busy = await snapshot();
const linearBusy = await linear();
console.log(
  `live heap: idle ${idle.total} B, ${n} in flight ${busy.total} B: ${((busy.total - idle.total) / n).toFixed(0)} B per request in flight`,
);
if (linearIdle !== null) {
  console.log(
    `wasm linear memory: idle ${linearIdle} B, ${n} in flight ${linearBusy} B: ${((linearBusy - linearIdle) / n).toFixed(0)} B per request in flight (in the heap's JSArrayBufferData)`,
  );
}
const rows = [];
for (const [key, [count, bytes]] of busy.kinds) {
  const [count0, bytes0] = idle.kinds.get(key) ?? [0, 0];
  if (count - count0 >= n / 2) rows.push([key, (count - count0) / n, (bytes - bytes0) / n]);
}
rows.sort((a, b) => b[2] - a[2]);
const listed = rows.reduce((sum, row) => sum + row[2], 0);
console.log(
  `of which ${listed.toFixed(0)} B per request in these kinds; the rest grows as a few large objects (for the wasm worker, its linear memory: JSArrayBufferData)`,
);
for (const [key, count, bytes] of rows) {
  console.log(`${count.toFixed(2).padStart(6)} objects ${bytes.toFixed(0).padStart(5)} B per request  ${key}`);
}
const answers = await Promise.all(requests);
console.log(`answered {"result":1}: ${answers.filter((t) => t === '{"result":1}').length} of ${n}`);
ws.close();

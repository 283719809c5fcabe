// What the runtimes that listen on a port themselves (Deno, Bun, Node) share
// beyond adapter.mjs: compiling the wasm from its file, the env the handler
// reads, the address, the line that says where it listens, and stopping.
// Everything here is node:fs / node:process, which all three provide.
//
// Settings, from the environment (`make serve` sets them):
//   PORT          port on 127.0.0.1 (0: the system picks one); default 4567
//   TOY_SLEEP_MS  the sleep of GET /toy, as wrangler.toml's [vars]
//   TOY_BUILD     build directory, relative to the repository; default build
import { readFileSync } from "node:fs";
import process from "node:process";
import { adapt } from "./adapter.mjs";

// The handler, `(request) => Promise<Response>`, over the one build
// every host serves.
export async function app() {
  // The worker's `env`: only what is set, so an unset TOY_SLEEP_MS is the
  // default sleep and a bad one is the handler's clear 500, as on workerd.
  const env = {};
  if (process.env.TOY_SLEEP_MS !== undefined) env.TOY_SLEEP_MS = process.env.TOY_SLEEP_MS;
  const { fetch, leftByTrap } = adapt(await instantiate());
  // Deno, Bun and Node end the process on an uncaught exception or an
  // unhandled rejection (workerd and browsers log them). What a trap leaves
  // behind is expected, and has been answered; anything else still ends
  // the process.
  for (const event of ["uncaughtException", "unhandledRejection"]) {
    process.on(event, (error) => {
      if (leftByTrap(error)) return;
      console.error(error);
      process.exit(1);
    });
  }
  // The glue lets go of `ctx` at once: one empty object serves every call.
  const ctx = {};
  return (request) => fetch(request, env, ctx);
}

// The glue of TOY_BUILD (default build/), its instance made from the
// file's bytes. Unlike workerd these hosts may compile wasm at run time.
export async function instantiate() {
  const build = new URL(`../${process.env.TOY_BUILD ?? "build"}/`, import.meta.url);
  const glue = await import(new URL("index.js", build).href);
  glue.initSync({ module: new WebAssembly.Module(readFileSync(new URL("index_bg.wasm", build))) });
  return glue;
}

export function address() {
  const raw = process.env.PORT ?? "4567";
  const port = Number(raw);
  if (!/^[0-9]{1,5}$/.test(raw) || port > 65535) {
    console.error(`toy-edge: PORT must be a port number (0 to 65535), not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return { hostname: "127.0.0.1", port };
}

// The tests and benches read the port from this line.
export function listening(runtime, port) {
  console.log(`toy-edge: ${runtime} serves GET /toy on http://127.0.0.1:${port}/toy`);
}

// Ctrl-C or SIGTERM: stop listening, let the requests in flight finish, exit.
// A second signal exits at once.
export function stopOn(close) {
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`toy-edge: ${signal}: finishing the requests in flight (again to stop at once)`);
    await close();
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(signal));
}

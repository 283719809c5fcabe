// The page's script: registers sw.js as a module Service Worker, waits until
// it controls the page, and on the button sends N GET /toy at once and draws
// each request as a bar (sent → answered). Registration or wasm failures are
// said on the page in words. The tests (tests/service_worker.rs) drive the
// same functions: window.toyReady, window.runWave, window.swStats.
const statusLine = document.getElementById("status");
const button = document.getElementById("go");
const count = document.getElementById("count");
const summary = document.getElementById("summary");
const timeline = document.getElementById("timeline");

// How long to wait for the worker to take control before saying so.
const TAKE_CONTROL_MS = 15000;

function say(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

async function start() {
  if (!("serviceWorker" in navigator)) {
    throw new Error("this browser offers no Service Workers here (they need a secure origin such as http://127.0.0.1)");
  }
  const sw = navigator.serviceWorker;
  // sw.js reports a wasm that did not load before its install fails.
  let reported = null;
  const failed = new Promise((_, reject) => {
    sw.addEventListener("message", (event) => {
      if (event.data?.error) reject(new Error((reported = event.data.error)));
    });
  });
  const controlled = new Promise((resolve) => {
    if (sw.controller) resolve();
    sw.addEventListener("controllerchange", () => resolve(), { once: true });
  });
  let registration;
  try {
    // The page's query (e.g. ?sleep_ms=3000) goes to the worker.
    registration = await sw.register(`./sw.js${location.search}`, { type: "module", scope: "./" });
  } catch (error) {
    throw new Error(`the Service Worker could not be registered: ${error.message}`);
  }
  const gaveUp = new Promise((_, reject) => {
    const watch = (worker) =>
      worker?.addEventListener("statechange", () => {
        if (worker.state === "redundant") {
          // Give sw.js's own report a moment to arrive: it says why.
          setTimeout(() => reject(new Error(reported ?? "the Service Worker failed to install")), 200);
        }
      });
    watch(registration.installing);
    registration.addEventListener("updatefound", () => watch(registration.installing));
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`the Service Worker did not take control of this page within ${TAKE_CONTROL_MS / 1000} s`)), TAKE_CONTROL_MS),
  );
  await Promise.race([controlled, failed, gaveUp, timeout]);
}

// Resolves once the Service Worker answers /toy for this page; rejects with
// the reason it cannot.
window.toyReady = start().then(
  () => {
    say("Ready: the Service Worker answers /toy with the Rust handler.", "ready");
    button.disabled = false;
  },
  (error) => {
    say(`Not working: ${error.message.replace(/\.$/, "")}.`, "error");
    throw error;
  },
);
window.toyReady.catch(() => {}); // said on the page

// Sends n GET /toy at once; returns each request's times (ms since the wave
// began), status and Server-Timing.
window.runWave = async function runWave(n) {
  const t0 = performance.now();
  const one = async () => {
    const start = performance.now() - t0;
    try {
      const response = await fetch("/toy", { cache: "no-store" });
      const body = await response.text();
      return { start, end: performance.now() - t0, status: response.status, body, timing: response.headers.get("Server-Timing") };
    } catch (error) {
      return { start, end: performance.now() - t0, status: 0, body: String(error), timing: null };
    }
  };
  const bars = await Promise.all(Array.from({ length: n }, one));
  const wave = { n, wallMs: performance.now() - t0, bars };
  window.lastWave = wave;
  return wave;
};

// How many Rust sleeps the controlling worker has live.
window.swStats = function swStats() {
  return new Promise((resolve, reject) => {
    const controller = navigator.serviceWorker.controller;
    if (!controller) return reject(new Error("no Service Worker controls this page"));
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    controller.postMessage({ stats: true }, [channel.port2]);
  });
};

function draw(wave) {
  const width = Number(timeline.getAttribute("width"));
  const height = Number(timeline.getAttribute("height"));
  const left = 30, top = 10, axis = 30;
  const span = Math.max(wave.wallMs, 1000) * 1.05;
  const x = (ms) => left + (ms / span) * (width - 2 * left);
  const rowHeight = (height - top - axis) / wave.n;
  const ns = "http://www.w3.org/2000/svg";
  const add = (name, attributes, text) => {
    const element = document.createElementNS(ns, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text) element.textContent = text;
    timeline.appendChild(element);
    return element;
  };
  timeline.replaceChildren();
  wave.bars.forEach((bar, i) => {
    add("rect", {
      x: x(bar.start), y: top + i * rowHeight,
      width: Math.max(1, x(bar.end) - x(bar.start)), height: Math.max(1, rowHeight * 0.8),
      fill: bar.status === 200 ? "#3b6fd1" : "#c62828",
    });
  });
  const base = height - axis + 5;
  add("line", { x1: x(0), y1: base, x2: x(span), y2: base, stroke: "#555" });
  for (let ms = 0; ms <= span; ms += span > 4000 ? 1000 : 250) {
    add("line", { x1: x(ms), y1: base, x2: x(ms), y2: base + 5, stroke: "#555" });
    add("text", { x: x(ms), y: base + 18, "font-size": 11, "text-anchor": "middle" }, `${ms} ms`);
  }
}

button.addEventListener("click", async () => {
  const n = Math.min(1000, Math.max(1, Number(count.value) || 100));
  button.disabled = true;
  summary.textContent = `Sending ${n} requests…`;
  const wave = await window.runWave(n);
  draw(wave);
  const ok = wave.bars.filter((bar) => bar.status === 200).length;
  const shortest = Math.min(...wave.bars.map((bar) => bar.end - bar.start));
  summary.textContent =
    `${ok} of ${n} answered 200 by the Service Worker; all done in ${Math.round(wave.wallMs)} ms ` +
    `(shortest request ${Math.round(shortest)} ms). One after another, ${n} one-second sleeps would take ${n} s.`;
  summary.dataset.done = "true";
  button.disabled = false;
});

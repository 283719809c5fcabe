//! The Service Worker host: the page and worker in `service-worker/`, built
//! into `build-sw/`, served by Python's `http.server` on 127.0.0.1 (a plain
//! static server that has no `/toy`), driven in headless Chromium through
//! chromedriver. Every `/toy` answer the page gets can only come from the
//! Rust handler inside the Service Worker, sleeping on the browser's loop.
//!
//! Run: `make test`, or `scripts/test.sh sw` (it builds `build-sw/` first).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

use common::{Server, require, root};
use workerd_harness::Process;

/// Chromium with its page and the two processes behind it; all stopped on drop.
struct Browser {
    client: Client,
    // Dropped after `client`: kills chromedriver and the Chromium it started.
    _driver: Server,
    site: Server,
}

impl Browser {
    /// Serves `dir` and opens `page` (path and query) from it in headless
    /// Chromium, with the flags from webdriver.json (the same as the
    /// wasm-bindgen browser host).
    async fn open(dir: &Path, page: &str) -> Browser {
        let site = static_files(dir);
        let driver = chromedriver();
        let options: Value = serde_json::from_str(
            &fs::read_to_string(root().join("webdriver.json")).expect("read webdriver.json"),
        )
        .expect("parse webdriver.json");
        let mut chrome = options["goog:chromeOptions"].clone();
        chrome["binary"] = json!("/usr/bin/chromium");
        chrome["args"]
            .as_array_mut()
            .expect("args in webdriver.json")
            .push(json!("--window-size=1000,900"));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), chrome);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url(""))
            .await
            .expect("start a Chromium session through chromedriver");
        client.goto(&site.url(page)).await.expect("open the page");
        Browser {
            client,
            _driver: driver,
            site,
        }
    }

    /// Runs `script` (a function body; it may `await`) in the page and
    /// returns its value.
    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Waits until the page says whether the Service Worker controls it;
    /// returns what its status line says, and whether that is "ready".
    async fn settle(&self) -> (bool, String) {
        let state = self
            .js("return await window.toyReady.then(() => true, () => false)
                   .then((ok) => [ok, document.getElementById('status').textContent,
                                  document.getElementById('status').dataset.state]);")
            .await;
        let ok = state[0].as_bool() == Some(true);
        assert_eq!(
            state[2].as_str(),
            Some(if ok { "ready" } else { "error" }),
            "{state}"
        );
        (ok, state[1].as_str().unwrap_or_default().to_owned())
    }

    async fn ready(&self) {
        let (ok, status) = self.settle().await;
        assert!(ok, "the Service Worker did not take control: {status}");
    }

    /// `fetch(path, {method})` from the page: status, body, headers
    /// (lower-case names), and how long it took in ms.
    async fn fetch(&self, method: &str, path: &str) -> Fetched {
        let value = self
            .js(&format!(
                "const t0 = performance.now();
                 const r = await fetch({path:?}, {{ method: {method:?}, cache: 'no-store' }});
                 const body = await r.text();
                 return [r.status, body, Object.fromEntries(r.headers), performance.now() - t0];"
            ))
            .await;
        Fetched {
            status: value[0].as_u64().unwrap_or(0),
            body: value[1].as_str().unwrap_or_default().to_owned(),
            headers: value[2].clone(),
            ms: value[3].as_f64().unwrap_or(0.0),
        }
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[derive(Debug)]
struct Fetched {
    status: u64,
    body: String,
    headers: Value,
    ms: f64,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers[name].as_str()
    }
}

/// The built page and worker (`scripts/build.sh --service-worker`).
fn built() -> PathBuf {
    root().join("build-sw")
}

/// The same with the test-only routes, `/__panic` and `/__trap` among them
/// (`scripts/build.sh --service-worker --out-dir build-sw-test --features
/// service-worker,test-routes`).
fn built_with_test_routes() -> PathBuf {
    root().join("build-sw-test")
}

/// chromedriver (Debian's, as the set-up installs it) on the port it
/// picks and reports. Chromium keeps its temporary directories under
/// TMPDIR, here the scratch directory, so they go with it.
///
/// Asked for port 0, chromedriver binds `::1` on a port the system picks
/// and then `127.0.0.1` on the same number, which another process may
/// hold ("bind() failed: Address already in use", exit 1). A new start
/// gets a new port, so that one failure is retried.
fn chromedriver() -> Server {
    const ATTEMPTS: usize = 5;
    let mut attempt = 1;
    loop {
        let dir = Process::scratch().unwrap_or_else(|e| panic!("{e}"));
        let mut command = Command::new("chromedriver");
        command.arg("--port=0").env("TMPDIR", &dir);
        match Server::try_reporting(command, dir, "chromedriver", Duration::from_secs(30)) {
            Ok(server) => return server,
            Err(why) if attempt < ATTEMPTS && why.contains("Address already in use") => {
                eprintln!("[e2e] chromedriver lost its port to another process; starting it again");
                attempt += 1;
            }
            Err(why) => panic!("attempt {attempt} of {ATTEMPTS}: {why}"),
        }
    }
}

/// A copy of the build in a scratch directory, for breaking it.
fn copy_of_build(scratch: &TempDir) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).expect("create dir");
        for entry in fs::read_dir(from).expect("read build-sw").flatten() {
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).expect("copy a file");
            }
        }
    }
    let dir = scratch.path().join("site");
    copy(&built(), &dir);
    dir
}

const ERROR_404: &str =
    r#"{"error":{"status":404,"message":"not found: the only resource is /toy"}}"#;
const ERROR_405: &str =
    r#"{"error":{"status":405,"message":"method not allowed: /toy accepts GET, HEAD, OPTIONS"}}"#;

#[tokio::test]
async fn toy_is_answered_by_the_rust_handler_in_the_service_worker() {
    let browser = Browser::open(&built(), "/").await;
    // The static server itself has no /toy: an answer can only come from the
    // Service Worker.
    let direct = ureq::get(&browser.site.url("/toy"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("GET /toy from the static server");
    assert_eq!(direct.status(), 404);

    browser.ready().await;
    let got = browser.fetch("GET", "/toy").await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body, r#"{"result":1}"#);
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("cache-control"), Some("no-store"));
    let timing = got.header("server-timing").unwrap_or_default();
    let slept: f64 = timing
        .strip_prefix("sleep;dur=")
        .and_then(|rest| rest.split(';').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("Server-Timing {timing:?}"));
    assert!(slept >= 999.0, "Server-Timing says {slept} ms");
    assert!(got.ms >= 999.0, "answered after {} ms", got.ms);
    browser.close().await;
}

#[tokio::test]
async fn a_hundred_fetches_at_once_overlap_on_the_workers_loop() {
    let browser = Browser::open(&built(), "/").await;
    browser.ready().await;
    let wave = browser.js("return await window.runWave(100);").await;
    let bars = wave["bars"].as_array().expect("bars");
    assert_eq!(bars.len(), 100);
    for bar in bars {
        assert_eq!(bar["status"], 200, "{bar}");
        assert_eq!(bar["body"], r#"{"result":1}"#, "{bar}");
        let took = bar["end"].as_f64().unwrap_or(0.0) - bar["start"].as_f64().unwrap_or(0.0);
        assert!(took >= 999.0, "a request took {took} ms: {bar}");
    }
    // One after another they would take 100 s; the wide margin only says
    // "they overlapped".
    let wall = wave["wallMs"].as_f64().unwrap_or(f64::MAX);
    assert!(wall < 10_000.0, "100 sleeps took {wall} ms in all");
    browser.close().await;
}

#[tokio::test]
async fn head_options_and_errors_keep_the_contract_and_the_rest_goes_to_the_network() {
    let browser = Browser::open(&built(), "/").await;
    browser.ready().await;

    let head = browser.fetch("HEAD", "/toy").await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.body, "", "a HEAD answer has no body");
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert!(head.header("server-timing").is_some(), "{head:?}");

    let options = browser.fetch("OPTIONS", "/toy").await;
    assert_eq!(options.status, 204, "{options:?}");
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(options.body, "");

    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let refused = browser.fetch(method, "/toy").await;
        assert_eq!(refused.status, 405, "{method}: {refused:?}");
        assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
        assert_eq!(refused.header("content-type"), Some("application/json"));
        assert_eq!(refused.body, ERROR_405);
    }

    for path in ["/toy/", "/toy/extra", "/toy/x?y=1"] {
        let missing = browser.fetch("GET", path).await;
        assert_eq!(missing.status, 404, "{path}: {missing:?}");
        assert_eq!(missing.header("content-type"), Some("application/json"));
        assert_eq!(missing.body, ERROR_404, "{path}");
    }

    // Not /toy: the worker leaves it to the static server, whose 404 is HTML.
    let elsewhere = browser.fetch("GET", "/elsewhere").await;
    assert_eq!(elsewhere.status, 404);
    assert_ne!(elsewhere.body, ERROR_404);
    assert!(elsewhere.body.contains("<html"), "{elsewhere:?}");
    let page = browser.fetch("GET", "/page.js").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("runWave"));
    browser.close().await;
}

/// What Chromium does with a fetch the page aborts, seen from the Rust side:
/// the page's fetch rejects at once, but the worker's `request.signal` is
/// not aborted (Chromium 156), so `sleep_or_abort` sleeps on to its end and
/// its answer is dropped; then the sleep is gone. If a Chromium starts
/// propagating the abort, the middle check fails: update README, "The
/// Service Worker host".
#[tokio::test]
async fn an_aborted_fetch_rejects_at_once_but_the_workers_sleep_runs_to_its_end() {
    let browser = Browser::open(&built(), "/?sleep_ms=3000").await;
    browser.ready().await;
    let seen = browser
        .js("const wait = (ms) => new Promise((r) => setTimeout(r, ms));
             const controller = new AbortController();
             const t0 = performance.now();
             const fetched = fetch('/toy', { signal: controller.signal })
               .then((r) => 'answered ' + r.status, (e) => e.name);
             await wait(500);
             const before = (await window.swStats()).liveSleeps;
             controller.abort();
             const outcome = await fetched;
             const rejectedAfter = performance.now() - t0;
             await wait(1000);
             const afterAbort = (await window.swStats()).liveSleeps;
             await wait(3000);
             const afterSleep = (await window.swStats()).liveSleeps;
             return { before, outcome, rejectedAfter, afterAbort, afterSleep };")
        .await;
    assert_eq!(seen["before"], 1, "the request was sleeping: {seen}");
    assert_eq!(seen["outcome"], "AbortError", "{seen}");
    let rejected = seen["rejectedAfter"].as_f64().unwrap_or(f64::MAX);
    assert!(
        rejected < 2000.0,
        "the page's fetch rejected only after {rejected} ms: {seen}"
    );
    assert_eq!(
        seen["afterAbort"], 1,
        "the worker's sleep ended at the page's abort: Chromium now propagates it: {seen}"
    );
    assert_eq!(seen["afterSleep"], 0, "the sleep outlived its 3 s: {seen}");
    browser.close().await;
}

/// The page a person opens with `make sw`: the button sends N requests (100
/// by default) and draws one bar per request. With TOY_SW_SCREENSHOT=FILE
/// the drawn page is saved there (`make sw-screenshot` makes the README's).
#[tokio::test]
async fn the_button_sends_a_hundred_requests_and_draws_a_bar_for_each() {
    let browser = Browser::open(&built(), "/").await;
    browser.ready().await;
    let drawn = browser
        .js("document.getElementById('go').click();
             const summary = document.getElementById('summary');
             while (summary.dataset.done !== 'true') await new Promise((r) => setTimeout(r, 50));
             return { bars: document.querySelectorAll('#timeline rect').length,
                      n: window.lastWave.n,
                      ok: window.lastWave.bars.filter((b) => b.status === 200).length,
                      text: summary.textContent };")
        .await;
    assert_eq!(drawn["n"], 100, "{drawn}");
    assert_eq!(drawn["bars"], 100, "{drawn}");
    assert_eq!(drawn["ok"], 100, "{drawn}");
    assert!(
        drawn["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("100 of 100 answered 200")),
        "{drawn}"
    );
    if let Ok(path) = std::env::var("TOY_SW_SCREENSHOT") {
        let png = browser.client.screenshot().await.expect("screenshot");
        fs::write(&path, png).expect("write the screenshot");
        eprintln!("[sw] screenshot written to {path}");
    }
    browser.close().await;
}

#[tokio::test]
async fn a_worker_that_cannot_be_registered_is_said_on_the_page() {
    let scratch = TempDir::new().expect("a scratch directory");
    let site = copy_of_build(&scratch);
    fs::remove_file(site.join("sw.js")).expect("remove sw.js");
    let browser = Browser::open(&site, "/").await;
    let started = Instant::now();
    let (ok, status) = browser.settle().await;
    assert!(!ok, "{status}");
    assert!(
        status.starts_with("Not working: the Service Worker could not be registered:"),
        "{status}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    browser.close().await;
}

#[tokio::test]
async fn a_worker_that_never_takes_control_is_said_on_the_page() {
    let scratch = TempDir::new().expect("a scratch directory");
    let site = copy_of_build(&scratch);
    // A worker whose install never ends: it never activates, never fails.
    fs::write(
        site.join("sw.js"),
        "self.addEventListener('install', (event) => event.waitUntil(new Promise(() => {})));\n",
    )
    .expect("write a stuck sw.js");
    let browser = Browser::open(&site, "/").await;
    let started = Instant::now();
    let (ok, status) = browser.settle().await;
    assert!(!ok, "{status}");
    assert_eq!(
        status,
        "Not working: the Service Worker did not take control of this page within 15 s."
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "took {:?}",
        started.elapsed()
    );
    browser.close().await;
}

#[tokio::test]
async fn a_wasm_that_does_not_load_is_said_on_the_page() {
    let scratch = TempDir::new().expect("a scratch directory");
    let site = copy_of_build(&scratch);
    let wasm = site.join("pkg/toy_edge_bg.wasm");
    fs::remove_file(&wasm).expect("remove the wasm");
    let browser = Browser::open(&site, "/").await;
    let (ok, status) = browser.settle().await;
    assert!(!ok, "{status}");
    assert_eq!(
        status,
        "Not working: the Service Worker could not load the Rust handler's wasm: \
         /pkg/toy_edge_bg.wasm answered HTTP 404."
    );
    browser.close().await;

    // Present but not wasm.
    fs::write(&wasm, b"<html>not wasm</html>").expect("write garbage");
    let browser = Browser::open(&site, "/").await;
    let (ok, status) = browser.settle().await;
    assert!(!ok, "{status}");
    assert!(
        status.starts_with(
            "Not working: the Service Worker could not load the Rust handler's wasm: "
        ),
        "{status}"
    );
    browser.close().await;
}

/// In the page: sends the given `methods` to /toy at once, waits until the
/// worker has them all sleeping, then fetches `culprit` (a route that panics
/// or traps). Returns how many slept, the culprit's answer and each
/// request's, the live sleeps once every answer is in, and the requests the
/// instance had seen before the culprit and after every answer
/// (`/__stats`). Times are ms since the requests were sent.
async fn culprit_among(browser: &Browser, methods: &[&str], culprit: &str) -> Value {
    let script = format!(
        "const methods = {methods:?};
         const wait = (ms) => new Promise((r) => setTimeout(r, ms));
         const t0 = performance.now();
         const one = (method, path) => fetch(path, {{ method, cache: 'no-store' }}).then(
           async (r) => ({{ status: r.status, body: await r.text(), timing: r.headers.get('Server-Timing'),
                            type: r.headers.get('Content-Type'), retry: r.headers.get('Retry-After'),
                            end: performance.now() - t0 }}),
           (e) => ({{ status: 0, body: String(e), end: performance.now() - t0 }}));
         const seen = async () => (await (await fetch('/__stats', {{ cache: 'no-store' }})).json()).requests;
         const flights = methods.map((m) => one(m, '/toy'));
         let sleeping = 0;
         while (performance.now() - t0 < 5000) {{
           sleeping = (await window.swStats()).liveSleeps;
           if (sleeping === methods.length) break;
           await wait(20);
         }}
         const before = await seen();
         const at = performance.now() - t0;
         const culprit = {{ at, ...(await one('GET', {culprit:?})) }};
         const replies = await Promise.all(flights);
         const after = await seen();
         const live = (await window.swStats()).liveSleeps;
         return {{ sleeping, culprit, replies, live, before, after }};"
    );
    browser.js(&script).await
}

fn ms(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

/// The dur of a `sleep;dur=N;desc=…` Server-Timing value.
fn timing_ms(reply: &Value) -> f64 {
    reply["timing"]
        .as_str()
        .and_then(|t| t.strip_prefix("sleep;dur="))
        .and_then(|t| t.split(';').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no Server-Timing dur: {reply}"))
}

const ERROR_500: &str = r#"{"error":{"status":500,"message":"internal error"}}"#;

/// The panic unwinds inside the wasm, in the browser as on every server:
/// the request that panicked gets the JSON 500 at once, the 200 sleeping
/// beside it are answered at their own deadline, having slept once, and the
/// instance is the same one throughout.
async fn a_panic_costs_its_own_request_only(culprit: &str) {
    let browser = Browser::open(&built_with_test_routes(), "/?sleep_ms=1000").await;
    browser.ready().await;
    let mut methods = vec!["GET"; 190];
    methods.extend(["HEAD"; 10]);
    let seen = culprit_among(&browser, &methods, culprit).await;
    assert_eq!(seen["sleeping"], 200, "the 200 requests never all slept");
    let panic = &seen["culprit"];
    assert_eq!(panic["status"], 500, "{panic}");
    assert_eq!(panic["body"], ERROR_500, "{panic}");
    assert_eq!(panic["type"], "application/json", "{panic}");
    assert!(ms(&panic["end"]) - ms(&panic["at"]) < 1000.0, "{panic}");
    let replies = seen["replies"].as_array().expect("replies");
    assert_eq!(replies.len(), methods.len());
    for (i, reply) in replies.iter().enumerate() {
        let body = if methods[i] == "HEAD" {
            ""
        } else {
            r#"{"result":1}"#
        };
        assert_eq!(reply["status"], 200, "request {i}: {reply}");
        assert_eq!(reply["body"], body, "request {i}: {reply}");
        let took = ms(&reply["end"]);
        assert!((950.0..2500.0).contains(&took), "request {i}: {took} ms");
        assert!(timing_ms(reply) >= 995.0, "request {i}: {reply}");
    }
    assert_eq!(seen["live"], 0, "{}", seen["live"]);
    // A fresh instance would have started counting again.
    assert!(
        ms(&seen["after"]) >= ms(&seen["before"]) + 2.0,
        "requests seen before and after: {} {}",
        seen["before"],
        seen["after"]
    );
    browser.close().await;
}

#[tokio::test]
async fn a_panic_costs_its_own_request_only_and_the_instance_goes_on() {
    a_panic_costs_its_own_request_only("/__panic").await;
}

/// `/__panic_later` panics in a poll woken by its own timer.
#[tokio::test]
async fn a_panic_after_a_sleep_costs_its_own_request_only_too() {
    a_panic_costs_its_own_request_only("/__panic_later").await;
}

/// A trap kills the instance: the 50 requests asleep in it and the culprit
/// get the JSON 503 with Retry-After at once, long before their 3 s
/// deadline; a fresh instance serves the next request, and the worker
/// serves on after the dead instance's timers came due.
#[tokio::test]
async fn a_trap_answers_every_request_in_flight_503_and_a_fresh_instance_serves_the_next() {
    let browser = Browser::open(&built_with_test_routes(), "/?sleep_ms=3000").await;
    browser.ready().await;
    let seen = culprit_among(&browser, &["GET"; 50], "/__trap_later").await;
    assert_eq!(seen["sleeping"], 50, "the 50 requests never all slept");
    let trapped_at = ms(&seen["culprit"]["at"]);
    let replies = seen["replies"].as_array().expect("replies");
    for (i, reply) in std::iter::once(&seen["culprit"]).chain(replies).enumerate() {
        assert_eq!(reply["status"], 503, "reply {i}: {reply}");
        assert_eq!(reply["type"], "application/json", "reply {i}: {reply}");
        assert_eq!(reply["retry"], "1", "reply {i}: {reply}");
        let after = ms(&reply["end"]) - trapped_at;
        assert!(after < 1000.0, "reply {i} came {after} ms after the trap");
    }
    // The fresh instance had seen only that /__stats.
    assert_eq!(seen["after"], 1, "{seen}");
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    let next = browser.fetch("GET", "/toy").await;
    assert_eq!((next.status, next.body.as_str()), (200, r#"{"result":1}"#));
    browser.close().await;
}

#[tokio::test]
async fn the_release_build_has_no_test_routes() {
    let browser = Browser::open(&built(), "/").await;
    browser.ready().await;
    // Not the handler's: sw.js leaves /__* to the static server.
    for path in ["/__panic", "/__trap"] {
        let got = browser.fetch("GET", path).await;
        assert_eq!(got.status, 404, "{path}: {got:?}");
        assert!(got.body.contains("<html"), "{path}: {got:?}");
    }
    browser.close().await;
}

/// Python's `http.server` serving the files in `dir` (and nothing else:
/// no `/toy`) on the port it picks and reports.
fn static_files(dir: &Path) -> Server {
    require(&dir.join("index.html"), "scripts/build.sh --service-worker");
    let mut command = Command::new("/usr/bin/python3");
    command
        .args([
            "-u",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .arg("0");
    Server::reporting(command, "static", Duration::from_secs(30))
}

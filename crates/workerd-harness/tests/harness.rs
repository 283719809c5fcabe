//! workerd-harness on bare workerd, against small workers each test writes
//! out (a plain JS worker, worker-build's layout with a wasm module, one that
//! throws at start-up, broken configurations). tests/wrangler_dev.rs has the
//! workers that need `wrangler dev`.
//!
//! Run: `cargo test -p workerd-harness` with wrangler installed by npm in a
//! directory above the target directory, or WORKERD_BIN, WRANGLER_BIN and
//! NODE_BIN set.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use workerd_harness::{Backend, Error, Workerd};

mod fixture;
use fixture::{project, project_in};

const WRANGLER_TOML: &[u8] = br#"name = "fixture"
main = "src/worker.mjs"
compatibility_date = "2026-11-01"
[vars]
GREETING = "hello"
LIMIT = 3
"#;

/// Answers with its env as JSON and whether there is a global `navigator`
/// (the `no_global_navigator` flag removes it), and logs a line per request.
const JS_WORKER: &[u8] = br#"export default {
  fetch(request, env) {
    console.log("fixture served " + new URL(request.url).pathname);
    return Response.json({ env, navigator: typeof navigator });
  },
};
"#;

fn js_project(name: &str) -> PathBuf {
    project(
        name,
        &[
            ("wrangler.toml", WRANGLER_TOML),
            ("src/worker.mjs", JS_WORKER),
        ],
    )
}

#[test]
fn a_plain_js_worker_from_its_wrangler_toml_with_its_vars() {
    let dir = js_project("plain");
    let worker = Workerd::from_wrangler_toml(dir.join("wrangler.toml"))
        .and_then(|w| w.start())
        .expect("start");
    let reply = worker.get("/").expect("GET /");
    assert_eq!(reply.status, 200, "{reply:?}");
    let json = reply.json().expect("JSON");
    // A string var is text, a number is JSON: as wrangler passes them.
    assert_eq!(json["env"]["GREETING"], "hello");
    assert_eq!(json["env"]["LIMIT"], 3);
    assert_eq!(json["navigator"], "object");
}

#[test]
fn vars_and_flags_are_overridden_per_worker() {
    let dir = js_project("override");
    let worker = Workerd::from_wrangler_toml(dir.join("wrangler.toml"))
        .expect("wrangler.toml")
        .var("GREETING", "bonjour")
        .var("EXTRA", "1")
        .compatibility_flag("no_global_navigator")
        .start()
        .expect("start");
    let json = worker.get("/").expect("GET /").json().expect("JSON");
    assert_eq!(json["env"]["GREETING"], "bonjour");
    assert_eq!(json["env"]["EXTRA"], "1");
    assert_eq!(
        json["navigator"], "undefined",
        "the added flag did not apply"
    );
}

#[test]
fn several_workers_at_once_each_with_its_own_vars() {
    let dir = js_project("several");
    let toml = dir.join("wrangler.toml");
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|n| {
                let toml = &toml;
                scope.spawn(move || {
                    let worker = Workerd::from_wrangler_toml(toml)
                        .expect("wrangler.toml")
                        .var("GREETING", &format!("worker {n}"))
                        .start()
                        .expect("start");
                    let json = worker.get("/").expect("GET /").json().expect("JSON");
                    (worker.port(), json["env"]["GREETING"].clone())
                })
            })
            .collect();
        let mut ports = Vec::new();
        for (n, run) in runs.into_iter().enumerate() {
            let (port, greeting) = run.join().expect("thread");
            assert_eq!(greeting, format!("worker {n}"));
            ports.push(port);
        }
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 4, "workers shared a port");
    });
}

#[test]
fn the_log_has_what_the_worker_printed() {
    let dir = js_project("log");
    let worker = Workerd::from_wrangler_toml(dir.join("wrangler.toml"))
        .and_then(|w| w.start())
        .expect("start");
    worker.get("/logged").expect("GET");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !worker.log().contains("fixture served /logged") {
        assert!(Instant::now() < deadline, "log: {:?}", worker.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: u32) -> bool {
    // Reaped children are gone from /proc; a zombie would still be listed.
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn dropping_stops_workerd_even_when_the_test_panics() {
    let dir = js_project("drop");
    let toml = dir.join("wrangler.toml");
    let worker = Workerd::from_wrangler_toml(&toml)
        .and_then(|w| w.start())
        .expect("start");
    let (pid, url) = (worker.pid(), worker.url("/"));
    assert!(alive(pid));
    drop(worker);
    assert!(!alive(pid), "workerd {pid} outlived its Worker");
    assert!(
        workerd_harness::send("GET", &url, None).is_err(),
        "still answering"
    );

    let (tx, rx) = std::sync::mpsc::channel();
    let panicked = std::thread::spawn(move || {
        let worker = Workerd::from_wrangler_toml(&toml)
            .and_then(|w| w.start())
            .expect("start");
        tx.send(worker.pid()).expect("send pid");
        panic!("a test failing with a worker running");
    })
    .join();
    assert!(panicked.is_err());
    let pid = rx.recv().expect("pid");
    assert!(!alive(pid), "workerd {pid} outlived a panicking test");
}

#[test]
fn waiting_for_a_line_ends_with_the_log_when_the_process_exits_or_time_runs_out() {
    let listening = |log: &str| log.contains("listening").then_some(());
    let spawn = |script: &str| {
        let dir = workerd_harness::Process::scratch().expect("scratch");
        let mut command = std::process::Command::new("sh");
        command.args(["-c", script]);
        workerd_harness::Process::spawn(&mut command, dir, "out.log").expect("spawn")
    };
    let mut exits = spawn("echo starting; echo 'bind() failed' >&2; exit 3");
    match exits.wait_for_log("sh", Duration::from_secs(10), listening) {
        Err(Error::StartFailed { reason, log }) => {
            assert!(
                reason.starts_with("sh exited (") && reason.contains('3'),
                "{reason}"
            );
            assert!(log.contains("starting\nbind() failed"), "{log}");
        }
        other => panic!("want StartFailed, got {other:?}"),
    }
    let mut waits = spawn("echo starting; sleep 60");
    let started = Instant::now();
    match waits.wait_for_log("sh", Duration::from_millis(300), listening) {
        Err(Error::StartFailed { reason, log }) => {
            assert_eq!(reason, "sh not ready in 300ms");
            assert_eq!(log, "starting\n");
        }
        other => panic!("want StartFailed, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn dropping_a_process_kills_its_group_and_removes_its_directory() {
    // A shell that starts a grandchild and waits: the group holds both.
    let dir = workerd_harness::Process::scratch().expect("scratch");
    let mut command = std::process::Command::new("sh");
    command.current_dir(&dir).args([
        "-c",
        "sleep 60 & echo $! > grandchild.pid; echo ready; wait",
    ]);
    let mut process =
        workerd_harness::Process::spawn(&mut command, dir.clone(), "out.log").expect("spawn");
    let ready = |log: &str| log.contains("ready").then_some(());
    process
        .wait_for_log("sh", Duration::from_secs(10), ready)
        .unwrap_or_else(|e| panic!("{e}"));
    let grandchild: u32 = fs::read_to_string(dir.join("grandchild.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    let (pid, kept) = (process.pid(), process.dir().to_owned());
    assert!(alive(pid) && alive(grandchild));
    drop(process);
    assert!(!alive(pid), "the process outlived its Process");
    // The grandchild is not ours to wait for: SIGKILL reaches it
    // asynchronously, and dead it may stay a zombie of init for a moment.
    // Its state says whether it is dead; a live one (sleeping 60 s) stays.
    let dead = || {
        let state = fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        state.is_empty() || state.contains(") Z ")
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while !dead() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(dead(), "the grandchild {grandchild} outlived the group");
    assert!(!kept.exists(), "{} stayed", kept.display());
}

/// `(module (func (export "answer") (result i32) i32.const 42))`.
const WASM: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03,
    0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x00, 0x0a,
    0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
];

#[test]
fn worker_build_layout_shim_wasm_and_snippets() {
    // What worker-build writes: build/index.js (esbuild-minified) importing
    // the wasm and wasm-bindgen's snippets.
    let dir = project(
        "worker-build",
        &[
            (
                "wrangler.toml",
                b"name = \"wb\"\nmain = \"build/index.js\"\ncompatibility_date = \"2026-11-01\"\n[build]\ncommand = \"worker-build --release\"\n" as &[u8],
            ),
            (
                "build/index.js",
                b"import w from\"./index_bg.wasm\";import{prefix as p}from\"./snippets/wb-1/inline0.js\";export default{fetch(){return new Response(p+new WebAssembly.Instance(w).exports.answer())}};",
            ),
            ("build/index_bg.wasm", WASM),
            ("build/snippets/wb-1/inline0.js", b"export const prefix = 'answer=';"),
        ],
    );
    let config = Workerd::from_wrangler_toml(dir.join("wrangler.toml")).expect("wrangler.toml");
    let names: Vec<&str> = config.modules().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "build/index.js", "the main module comes first");
    let worker = config.start().expect("start");
    assert_eq!(worker.get("/").expect("GET").body, "answer=42");
}

/// What the fixture worker answers to `GET /`, started from `config`.
fn answer(config: &Workerd) -> serde_json::Value {
    let worker = config.start().expect("start");
    worker.get("/").expect("GET /").json().expect("JSON")
}

#[test]
fn wrangler_json_and_jsonc_with_comments_and_trailing_commas() {
    let jsonc = br#"// What `npm create cloudflare` writes, trimmed.
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "fixture",
  "main": "src/worker.mjs",
  /* a block comment */
  "compatibility_date": "2026-11-01",
  "vars": { "GREETING": "from jsonc", "LIMIT": 3, },
}
"#;
    let json = br#"{"name": "fixture", "main": "src/worker.mjs", "compatibility_date": "2026-11-01", "vars": {"GREETING": "from json"}}"#;
    for (file, content, greeting) in [
        ("wrangler.jsonc", &jsonc[..], "from jsonc"),
        ("wrangler.json", json, "from json"),
    ] {
        let dir = project(file, &[(file, content), ("src/worker.mjs", JS_WORKER)]);
        let config = Workerd::from_wrangler_config(dir.join(file)).expect(file);
        assert_eq!(config.backend(), &Backend::Workerd, "{file}");
        let json = answer(&config);
        assert_eq!(json["env"]["GREETING"], greeting, "{file}");
    }
}

#[test]
fn an_environment_inherits_main_and_flags_but_not_vars() {
    let toml: &[u8] = br#"name = "fixture"
main = "src/worker.mjs"
compatibility_date = "2026-11-01"
compatibility_flags = ["no_global_navigator"]
[vars]
GREETING = "top level"
TOP_ONLY = "x"
[env.staging.vars]
GREETING = "staging"
"#;
    let dir = project(
        "env",
        &[("wrangler.toml", toml), ("src/worker.mjs", JS_WORKER)],
    );
    let config = Workerd::from_wrangler_config(dir.join("wrangler.toml")).expect("wrangler.toml");
    let staging = config.clone().env("staging").expect("env staging");
    let json = answer(&staging);
    assert_eq!(
        json["env"],
        serde_json::json!({"GREETING": "staging"}),
        "vars are not inherited"
    );
    assert_eq!(json["navigator"], "undefined", "the flags are inherited");
    // A service started beside it needs wrangler dev, whichever environment.
    let with_service = config.clone().with_service(dir.join("wrangler.toml"));
    let backend = with_service
        .env("staging")
        .expect("env staging")
        .backend()
        .clone();
    assert!(
        matches!(backend, Backend::WranglerDev { .. }),
        "{backend:?}"
    );
    let error = config.env("production").expect_err("no such environment");
    assert!(
        error.to_string().contains("no environment `production`"),
        "{error}"
    );
}

// --- Bad input: each a clear error ----------------------------------------

fn start_error(dir: &Path) -> Error {
    match Workerd::from_wrangler_toml(dir.join("wrangler.toml")).and_then(|w| w.start()) {
        Ok(worker) => panic!("started on port {}", worker.port()),
        Err(error) => error,
    }
}

#[test]
fn a_missing_wrangler_toml() {
    let error = start_error(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-project"));
    assert!(matches!(error, Error::WranglerToml { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot read it"), "{error}");
}

#[test]
fn a_wrangler_toml_that_does_not_parse() {
    let dir = project(
        "unparsable",
        &[("wrangler.toml", b"main = \"src/worker.mjs\n")],
    );
    let error = start_error(&dir);
    assert!(error.to_string().contains("does not parse"), "{error}");
    let dir = project(
        "no-main",
        &[("wrangler.toml", b"compatibility_date = \"2026-11-01\"\n")],
    );
    assert!(start_error(&dir).to_string().contains("has no `main"));
}

#[test]
fn a_main_module_that_does_not_exist() {
    let dir = project(
        "no-main-file",
        &[(
            "wrangler.toml",
            b"main = \"build/index.js\"\ncompatibility_date = \"2026-11-01\"\n[build]\ncommand = \"worker-build --release\"\n",
        )],
    );
    let error = start_error(&dir);
    let Error::ModuleMissing { imported_by, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(imported_by.is_none());
    let text = error.to_string();
    assert!(text.contains("build/index.js does not exist"), "{text}");
    assert!(text.contains("`worker-build --release`"), "{text}");
}

#[test]
fn a_build_directory_that_was_never_built() {
    // This app's layout: the main module is source, the wasm glue is built.
    let dir = project(
        "unbuilt",
        &[
            (
                "wrangler.toml",
                b"main = \"src/entry.mjs\"\ncompatibility_date = \"2026-11-01\"\n[build]\ncommand = \"bash scripts/build.sh\"\n" as &[u8],
            ),
            ("src/entry.mjs", b"import * as wasm from \"../build/index.js\";\nexport default { fetch: wasm.fetch };\n"),
        ],
    );
    let error = start_error(&dir);
    let text = error.to_string();
    assert!(
        text.contains("build/index.js does not exist (imported by"),
        "{text}"
    );
    assert!(text.contains("`bash scripts/build.sh`"), "{text}");
}

#[test]
fn a_worker_that_throws_at_start_up() {
    let dir = project(
        "throws",
        &[
            ("wrangler.toml", WRANGLER_TOML),
            (
                "src/worker.mjs",
                b"throw new Error(\"boom at start-up\");\n",
            ),
        ],
    );
    let started = Instant::now();
    let error = start_error(&dir);
    let Error::StartFailed { log, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(log.contains("boom at start-up"), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for nothing"
    );
}

#[test]
fn no_workerd_says_where_it_looked_and_how_to_install_it() {
    // Outside the repository: no node_modules above it.
    let dir = project_in(
        &std::env::temp_dir(),
        "no-workerd",
        &[
            ("wrangler.toml", WRANGLER_TOML),
            ("src/worker.mjs", JS_WORKER),
        ],
    );
    let error = start_error(&dir);
    let _ = fs::remove_dir_all(&dir);
    let Error::WorkerdNotFound { searched } = &error else {
        panic!("{error:?} (is WORKERD_BIN set?)");
    };
    assert!(searched.iter().any(|p| p.ends_with("bin/workerd")));
    assert!(
        error
            .to_string()
            .contains("npm install --save-dev wrangler"),
        "{error}"
    );

    let error = Workerd::from_wrangler_toml(js_project("explicit").join("wrangler.toml"))
        .expect("wrangler.toml")
        .workerd_binary("/nonexistent/workerd")
        .start()
        .expect_err("no such binary");
    assert!(
        error.to_string().contains("/nonexistent/workerd"),
        "{error}"
    );
}

//! Harness shared by the native end-to-end tests and the benches: starts the
//! built worker on bare workerd or a runtime, and the servers it is compared
//! with, on loopback ports, talks HTTP to them, and stops them when dropped
//! (workerd-harness's `Worker` and `Process`). What one test file alone
//! needs lives in that file.
//!
//! The tests need the worker built first (`make test` does it). A missing
//! build or tool fails the test with the command that fixes it; nothing is
//! skipped.
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::time::{Duration, Instant};
use workerd_harness::{Process, Worker, Workerd};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with the command that makes `path` exist, when it does not.
pub fn require(path: &Path, fix: &str) {
    assert!(
        path.exists(),
        "{} is missing: run `{fix}` first",
        path.display()
    );
}

/// A directory of its own under `target/e2e` for a test's files (a dry
/// run's output, a copy of a build to break). Removed when dropped, unless
/// the test is failing: then it is kept and its path printed.
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        let parent = root().join("target/e2e");
        let dir = fs::create_dir_all(&parent)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(&format!("{label}-"))
                    .tempdir_in(&parent)
            })
            .expect("create scratch dir under target/e2e");
        Scratch { dir: Some(dir) }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |dir| dir.path())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("[e2e] test failed: kept {}", dir.keep().display());
        }
    }
}

/// A server on 127.0.0.1: a workerd started by workerd-harness, or another
/// process of this project's; killed (with its children) on drop.
pub struct Server {
    /// The loopback port it listens on.
    pub port: u16,
    kind: Kind,
}

enum Kind {
    Workerd(Worker),
    Process(Process),
}

/// The app as its wrangler.toml describes it (main module, date, flags,
/// `[vars]`), with the glue and wasm taken from `bundle_dir` ("build",
/// "build-test"), which hosts/workerd.mjs imports as `build/…`.
pub fn app_worker(bundle_dir: &str) -> Workerd {
    let root = root();
    let bundle = root.join(bundle_dir);
    require(&bundle.join("index_bg.wasm"), "make build");
    Workerd::from_wrangler_toml(root.join("wrangler.toml"))
        .unwrap_or_else(|e| panic!("{e} (make test builds build/ and build-test/)"))
        .module("build/index.js", bundle.join("index.js"))
        .module("build/index_bg.wasm", bundle.join("index_bg.wasm"))
}

/// A runtime that serves the one build (hosts/): bare workerd, or Deno, Bun
/// or Node through scripts/serve.sh (`make serve RUNTIME=…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Workerd,
    Deno,
    Bun,
    Node,
}

impl Runtime {
    /// Its name for scripts/serve.sh and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Workerd => "workerd",
            Runtime::Deno => "deno",
            Runtime::Bun => "bun",
            Runtime::Node => "node",
        }
    }
}

impl Server {
    /// The build in `bundle_dir` ("build", "build-test") served by `runtime`,
    /// `vars` as the worker's (unset: wrangler.toml's, the default sleep).
    pub fn on(runtime: Runtime, bundle_dir: &str, vars: &[(&str, &str)]) -> Server {
        if runtime == Runtime::Workerd {
            return Server::workerd(bundle_dir, vars);
        }
        require(&root().join(bundle_dir).join("index_bg.wasm"), "make build");
        Server::serve(runtime, &[("TOY_BUILD", bundle_dir)], vars)
    }

    /// The plain-JS reference handler (`js_module`, relative to the root) on
    /// `runtime`, served as the wasm is but loading nothing of the project
    /// (benches/workers/js-server.mjs): what `make bench` compares the wasm
    /// with.
    pub fn reference_on(runtime: Runtime, js_module: &str, vars: &[(&str, &str)]) -> Server {
        if runtime == Runtime::Workerd {
            return Server::workerd_js(js_module, vars);
        }
        Server::serve(runtime, &[("TOY_REFERENCE", js_module)], vars)
    }

    /// scripts/serve.sh RUNTIME on a port the system picks.
    fn serve(runtime: Runtime, settings: &[(&str, &str)], vars: &[(&str, &str)]) -> Server {
        let mut command = Command::new("bash");
        command
            .arg(root().join("scripts/serve.sh"))
            .arg(runtime.name())
            .env("PORT", "0")
            .env_remove("TOY_SLEEP_MS")
            .env_remove("TOY_REFERENCE")
            .envs(settings.iter().copied())
            .envs(vars.iter().copied());
        Server::reporting(command, runtime.name(), Duration::from_secs(30))
    }

    /// Bare workerd serving the app with the glue and wasm in `bundle_dir`
    /// ("build", "build-test"), vars overriding wrangler.toml's.
    pub fn workerd(bundle_dir: &str, vars: &[(&str, &str)]) -> Server {
        Server::start(app_worker(bundle_dir), vars)
    }

    /// Bare workerd serving one plain JavaScript module (relative to the
    /// root) with the app's compatibility settings.
    pub fn workerd_js(module: &str, vars: &[(&str, &str)]) -> Server {
        let path = root().join(module);
        require(&path, "git checkout");
        Server::start(
            app_worker("build").with_modules([("worker.mjs", path)]),
            vars,
        )
    }

    /// Starts `worker` with `vars` set.
    pub fn start(worker: Workerd, vars: &[(&str, &str)]) -> Server {
        let worker = vars
            .iter()
            .fold(worker, |worker, (name, value)| worker.var(name, value))
            .start()
            .unwrap_or_else(|e| panic!("{e}"));
        Server {
            port: worker.port(),
            kind: Kind::Workerd(worker),
        }
    }

    /// One of the Python servers in python/ (`seed.py`, `flask_fixed.py`,
    /// `quart_app.py`) from the project's venv, on the port it picks and
    /// reports.
    pub fn python(script: &str) -> Server {
        Server::python_with(script, &[])
    }

    /// [`Server::python`] with environment variables.
    pub fn python_with(script: &str, vars: &[(&str, &str)]) -> Server {
        let root = root();
        let python = root.join(".tools/venv/bin/python");
        require(&python, "scripts/setup.sh --python");
        let mut command = Command::new(python);
        command
            .current_dir(root.join("python"))
            .arg("-u")
            .arg(script)
            .arg("0")
            .envs(vars.iter().copied());
        Server::reporting(command, script, Duration::from_secs(30))
    }

    /// The seed under one of the production servers it recommends, from the
    /// project's venv, one worker process each: `gunicorn` (sync worker) or
    /// `uwsgi`, or `gunicorn-threads` / `uwsgi-threads` with 8 threads; on
    /// the port it reports.
    pub fn seed_under(server: &str) -> Server {
        let gunicorn = ["--no-control-socket", "-w", "1", "-b", "127.0.0.1:0"];
        let uwsgi = [
            "--http-socket",
            "127.0.0.1:0",
            "--wsgi-file",
            "seed.py",
            "--callable",
            "app",
            "--master",
            "--processes",
            "1",
        ];
        let (program, mut args) = match server {
            "gunicorn" | "gunicorn-threads" => ("gunicorn", gunicorn.to_vec()),
            "uwsgi" | "uwsgi-threads" => ("uwsgi", uwsgi.to_vec()),
            _ => panic!("no WSGI server called {server}"),
        };
        if server.ends_with("-threads") {
            args.extend(["--threads", "8"]);
        }
        if program == "gunicorn" {
            args.push("seed:app");
        }
        let root = root();
        let program = root.join(".tools/venv/bin").join(program);
        require(&program, "scripts/setup.sh --python");
        let mut command = Command::new(program);
        command.current_dir(root.join("python")).args(args);
        Server::reporting(command, server, Duration::from_secs(30))
    }

    /// chromedriver (Debian's, as the set-up installs it) on the port it
    /// picks and reports. Chromium keeps its temporary directories under
    /// TMPDIR, here the scratch directory, so they go with it.
    ///
    /// Asked for port 0, chromedriver binds `::1` on a port the system picks
    /// and then `127.0.0.1` on the same number, which another process may
    /// hold ("bind() failed: Address already in use", exit 1). A new start
    /// gets a new port, so that one failure is retried.
    pub fn chromedriver() -> Server {
        const ATTEMPTS: usize = 5;
        let mut attempt = 1;
        loop {
            let dir = Process::scratch().unwrap_or_else(|e| panic!("{e}"));
            let mut command = Command::new("chromedriver");
            command.arg("--port=0").env("TMPDIR", &dir);
            match Server::try_reporting_in(command, dir, Duration::from_secs(30)) {
                Ok(server) => return server,
                Err(why) if attempt < ATTEMPTS && why.contains("Address already in use") => {
                    eprintln!(
                        "[e2e] chromedriver lost its port to another process; starting it again"
                    );
                    attempt += 1;
                }
                Err(why) => panic!("chromedriver (attempt {attempt} of {ATTEMPTS}) {why}"),
            }
        }
    }

    /// Starts `command` and waits for the port it reports in its log
    /// ("... on http://127.0.0.1:PORT"): wrangler, Werkzeug and hypercorn all
    /// say so once they listen on the port the system gave them.
    pub fn reporting(command: Command, label: &str, wait: Duration) -> Server {
        let dir = Process::scratch().unwrap_or_else(|e| panic!("{e}"));
        Server::try_reporting_in(command, dir, wait).unwrap_or_else(|why| panic!("{label} {why}"))
    }

    /// [`Server::reporting`] with the scratch directory `dir` made already,
    /// and a server that exits before it reports a port an `Err` that quotes
    /// its log (its scratch directory goes).
    fn try_reporting_in(
        mut command: Command,
        dir: PathBuf,
        wait: Duration,
    ) -> Result<Server, String> {
        let mut process =
            Process::spawn(&mut command, dir, "server.log").map_err(|e| e.to_string())?;
        let deadline = Instant::now() + wait;
        let port = loop {
            let text = process.log();
            if let Some(port) = reported_port(&text) {
                break port;
            }
            if let Some(status) = process.exited() {
                return Err(format!("exited ({status}) before it listened:\n{text}"));
            }
            if Instant::now() > deadline {
                return Err(format!("did not report a port within {wait:?}:\n{text}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(Server {
            port,
            kind: Kind::Process(process),
        })
    }

    /// The server's process id (workerd itself for bare workerd).
    pub fn pid(&self) -> u32 {
        match &self.kind {
            Kind::Workerd(worker) => worker.pid(),
            Kind::Process(process) => process.pid(),
        }
    }

    /// Sends `signal` (SIGTERM, SIGINT: Ctrl-C) to a server process of this
    /// project's and waits up to `within` for it to exit: its exit code
    /// (`None`: still running, or killed by a signal).
    pub fn stop_with(&mut self, signal: libc::c_int, within: Duration) -> Option<i32> {
        let Kind::Process(process) = &mut self.kind else {
            panic!("stop_with() is for server processes, not the harness's workerd");
        };
        let pid = libc::pid_t::try_from(process.pid()).ok()?;
        // SAFETY: kill(2) takes plain integers.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = process.exited() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        match &self.kind {
            Kind::Workerd(worker) => worker.log(),
            Kind::Process(process) => process.log(),
        }
    }
}

/// The port in a "Ready on http://127.0.0.1:PORT" (wrangler), "Running on
/// http://127.0.0.1:PORT" (Werkzeug, hypercorn), "(http://127.0.0.1:PORT/)"
/// (Python's http.server), "started successfully on port PORT"
/// (chromedriver), "Listening at: http://127.0.0.1:PORT" (gunicorn) or
/// "bound to TCP address 127.0.0.1:PORT" (uWSGI) line.
fn reported_port(log: &str) -> Option<u16> {
    [
        " on http://127.0.0.1:",
        "(http://127.0.0.1:",
        "started successfully on port ",
        "Listening at: http://127.0.0.1:",
        "bound to TCP address 127.0.0.1:",
    ]
    .iter()
    .find_map(|marker| {
        let rest = log.split(marker).nth(1)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|&port| port != 0)
    })
}

/// What `wrangler deploy --dry-run` produced: the sizes it printed and the
/// bundle it would upload (in the scratch directory's `dist`).
pub struct DryRun {
    pub total_kib: f64,
    pub gzip_kib: f64,
    pub scratch: Scratch,
}

impl DryRun {
    /// The directory holding the bundle.
    pub fn dist(&self) -> PathBuf {
        self.scratch.dir().join("dist")
    }
}

/// Runs `wrangler deploy --dry-run --outdir …` (which builds the worker
/// first) and reads (Total Upload, gzip) in KiB from its line
/// `Total Upload: 148.00 KiB / gzip: 52.84 KiB`.
pub fn dry_run() -> DryRun {
    let root = root();
    let scratch = Scratch::new("dry-run");
    let output = Command::new("bash")
        .current_dir(&root)
        .arg("-c")
        .arg(format!(
            "source scripts/env.sh && wrangler deploy --dry-run --outdir {}",
            scratch.dir().join("dist").display()
        ))
        .output()
        .expect("run wrangler");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "wrangler deploy --dry-run failed:\n{text}"
    );
    let line = text
        .lines()
        .find(|l| l.contains("Total Upload:"))
        .unwrap_or_else(|| panic!("no size line in:\n{text}"));
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers[..] {
        [total_kib, gzip_kib, ..] => DryRun {
            total_kib,
            gzip_kib,
            scratch,
        },
        _ => panic!("cannot read sizes from {line:?}"),
    }
}

pub use workerd_harness::Reply;

/// Sends `method url` (with an optional body) and reads the whole reply;
/// every status is a reply.
pub fn send(method: &str, url: &str, body: Option<&str>) -> Reply {
    workerd_harness::send(method, url, body).unwrap_or_else(|e| panic!("{e}"))
}

/// `GET url`.
pub fn get(url: &str) -> Reply {
    send("GET", url, None)
}

/// The body as JSON.
pub fn json(reply: &Reply) -> serde_json::Value {
    reply
        .json()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", reply.body))
}

/// `Date` is there, once, an IMF-fixdate within a minute of now.
pub fn assert_http_date(reply: &Reply) {
    let dates: Vec<&str> = reply
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("date"))
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(dates.len(), 1, "want one Date header: {reply:?}");
    let sent = httpdate::parse_http_date(dates[0])
        .unwrap_or_else(|e| panic!("Date {:?} is no HTTP date: {e}", dates[0]));
    let skew = std::time::SystemTime::now()
        .duration_since(sent)
        .unwrap_or_else(|e| e.duration());
    assert!(
        skew < Duration::from_secs(60),
        "Date {:?} is {skew:?} off",
        dates[0]
    );
}

/// The `/toy` contract over HTTP, for a server started with a short sleep:
/// GET, HEAD (GET's headers, `Content-Length: 12`, no body), OPTIONS, 405s,
/// 404s, each with its exact JSON error body, and the query string ignored.
/// `Date` is there, once, on every answer.
pub fn assert_toy_contract(server: &Server) {
    use toy_edge::error::AppError;

    let get_reply = get(&server.url("/toy"));
    assert_eq!(
        (get_reply.status, get_reply.body.as_str()),
        (200, r#"{"result":1}"#)
    );
    assert_eq!(get_reply.header("content-type"), Some("application/json"));
    assert_eq!(get_reply.header("cache-control"), Some("no-store"));
    assert_eq!(get_reply.header("content-length"), Some("12"));
    assert!(
        get_reply
            .header("server-timing")
            .is_some_and(|t| t.starts_with("sleep;dur=")),
        "{get_reply:?}"
    );

    // HEAD: GET's status and headers, no body.
    let head = send("HEAD", &server.url("/toy"), None);
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");
    assert_eq!(head.header("content-length"), Some("12"));
    for name in ["content-type", "cache-control"] {
        assert_eq!(head.header(name), get_reply.header(name), "{name}");
    }
    assert!(head.header("server-timing").is_some());

    let options = send("OPTIONS", &server.url("/toy"), None);
    assert_eq!(options.status, 204);
    // Every answer is dated, whichever host sends it (RFC 9110, 6.6.1).
    for reply in [&get_reply, &head, &options] {
        assert_http_date(reply);
    }
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(options.body, "");

    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = send(method, &server.url("/toy"), Some("{}"));
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(
            reply.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{method}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.body, AppError::METHOD_NOT_ALLOWED.body(), "{method}");
    }

    for path in [
        "/",
        "/toy/",
        "/TOY",
        "/toy/extra",
        "//toy",
        "/toy%2F",
        "/%7E%ZZ",
        "/toy.json",
    ] {
        let reply = get(&server.url(path));
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        assert_eq!(reply.body, AppError::NOT_FOUND.body(), "{path}");
    }

    // A query string does not change the answer.
    let query = get(&server.url("/toy?x=1&result=2"));
    assert_eq!(
        (query.status, query.body.as_str()),
        (200, r#"{"result":1}"#)
    );
}

/// `(live_sleeps, wasm_memory_bytes)` from the test worker's `/__stats`.
pub fn stats(server: &Server) -> (u64, u64) {
    let reply = get(&server.url("/__stats"));
    assert_eq!(
        reply.status, 200,
        "/__stats needs the test worker: {reply:?}"
    );
    let json = json(&reply);
    let field = |name: &str| {
        json[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no {name} in {json}"))
    };
    (field("live_sleeps"), field("wasm_memory_bytes"))
}

/// Polls `/__stats` every 10 ms until `done(live_sleeps)` or `within` has
/// passed; returns how long it took, or `None` on a timeout.
pub fn wait_for_live(
    server: &Server,
    within: Duration,
    done: impl Fn(u64) -> bool,
) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if done(stats(server).0) {
            return Some(started.elapsed());
        }
        if started.elapsed() > within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `n` connections, each with a `GET /toy` sent and not yet answered.
pub fn open_requests(server: &Server, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
            stream
                .write_all(b"GET /toy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .expect("send request");
            stream
        })
        .collect()
}

/// Closes every connection with a reset (RST), as a client that crashes or
/// gives up does. workerd keeps serving a half-closed (FIN) client; a reset
/// aborts `request.signal`.
pub fn reset(streams: Vec<TcpStream>) {
    for stream in streams {
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    }
}

/// One batch of [`abort_batches`].
#[derive(Debug)]
pub struct AbortBatch {
    /// Live sleeps seen with the batch in flight, before the reset.
    pub live_before: u64,
    /// Time from the reset until no sleep was live (`None`: not within the limit).
    pub settled_in: Option<Duration>,
    /// Wasm memory once settled.
    pub memory_after: u64,
}

/// Client resets against the test worker (sleeping far longer than the run):
/// `batches` times, `batch` requests are sent, seen sleeping, then reset.
/// The baseline is the wasm memory with the first batch in flight, before
/// any abort: the most a batch needs. A leak of what an aborted request held
/// grows memory beyond it batch after batch.
pub fn abort_batches(
    server: &Server,
    batches: usize,
    batch: usize,
    settle_within: Duration,
) -> (u64, Vec<AbortBatch>) {
    assert_eq!(stats(server).0, 0, "sleeps live before the first abort");
    let mut baseline = None;
    let mut runs = Vec::new();
    for _ in 0..batches {
        let streams = open_requests(server, batch);
        let in_flight = wait_for_live(server, Duration::from_secs(10), |live| live >= batch as u64);
        let (live_before, memory) = stats(server);
        assert!(
            in_flight.is_some(),
            "only {live_before} of {batch} requests started sleeping"
        );
        baseline.get_or_insert(memory);
        reset(streams);
        let settled_in = wait_for_live(server, settle_within, |live| live == 0);
        runs.push(AbortBatch {
            live_before,
            settled_in,
            memory_after: stats(server).1,
        });
    }
    (baseline.unwrap_or(0), runs)
}

/// `n` GETs of `url` at once, one client thread each; the replies and the
/// wall time until the last one.
pub fn concurrent_gets(url: &str, n: usize) -> (Vec<Reply>, Duration) {
    let started = Instant::now();
    let replies = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n).map(|_| scope.spawn(|| get(url))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    (replies, started.elapsed())
}

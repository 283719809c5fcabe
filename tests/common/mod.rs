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
    /// The build in `bundle_dir` ("build", "build-test") served by `runtime`
    /// (workerd: bare, as [`app_worker`] describes it), `vars` as the
    /// worker's (unset: wrangler.toml's, the default sleep).
    pub fn on(runtime: Runtime, bundle_dir: &str, vars: &[(&str, &str)]) -> Server {
        if runtime == Runtime::Workerd {
            return Server::start(app_worker(bundle_dir), vars);
        }
        require(&root().join(bundle_dir).join("index_bg.wasm"), "make build");
        Server::serve(runtime, &[("TOY_BUILD", bundle_dir)], vars)
    }

    /// scripts/serve.sh RUNTIME on a port the system picks, with its
    /// `settings` (TOY_BUILD, TOY_REFERENCE) and the worker's `vars`.
    pub fn serve(runtime: Runtime, settings: &[(&str, &str)], vars: &[(&str, &str)]) -> Server {
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
    /// `quart_app.py`) from the project's venv, with `vars` in its
    /// environment, on the port it picks and reports.
    pub fn python(script: &str, vars: &[(&str, &str)]) -> Server {
        let mut command = venv("python");
        command.args(["-u", script, "0"]).envs(vars.iter().copied());
        Server::reporting(command, script, Duration::from_secs(30))
    }

    /// The seed under one of the production servers it recommends, one
    /// worker process each: `gunicorn` (sync worker) or `uwsgi`, or
    /// `gunicorn-threads` / `uwsgi-threads` with 8 threads; on the port it
    /// reports.
    pub fn seed_under(server: &str) -> Server {
        let program = server.trim_end_matches("-threads");
        let args = match program {
            "gunicorn" => "--no-control-socket -w 1 -b 127.0.0.1:0",
            "uwsgi" => {
                "--http-socket 127.0.0.1:0 --wsgi-file seed.py --callable app --master --processes 1"
            }
            _ => panic!("no WSGI server called {server}"),
        };
        let mut command = venv(program);
        command.args(args.split(' '));
        if server.ends_with("-threads") {
            command.args(["--threads", "8"]);
        }
        if program == "gunicorn" {
            command.arg("seed:app");
        }
        Server::reporting(command, server, Duration::from_secs(30))
    }

    /// Starts `command` and waits for the port it reports in its log
    /// ("... on http://127.0.0.1:PORT"): wrangler, Werkzeug and hypercorn all
    /// say so once they listen on the port the system gave them.
    pub fn reporting(command: Command, label: &str, wait: Duration) -> Server {
        let dir = Process::scratch().unwrap_or_else(|e| panic!("{e}"));
        Server::try_reporting(command, dir, label, wait).unwrap_or_else(|why| panic!("{why}"))
    }

    /// [`Server::reporting`] with the scratch directory `dir` made already,
    /// and a server that exits before it reports a port an `Err` that quotes
    /// its log (its scratch directory goes).
    pub fn try_reporting(
        mut command: Command,
        dir: PathBuf,
        label: &str,
        wait: Duration,
    ) -> Result<Server, String> {
        let mut process =
            Process::spawn(&mut command, dir, "server.log").map_err(|e| e.to_string())?;
        match process.wait_for_log(label, wait, reported_port) {
            Ok(port) => Ok(Server {
                port,
                kind: Kind::Process(process),
            }),
            Err(workerd_harness::Error::StartFailed { reason, log }) => {
                Err(format!("{reason}; what it printed:\n{log}"))
            }
            Err(other) => Err(other.to_string()),
        }
    }

    /// The server's process id (workerd itself for bare workerd).
    pub fn pid(&self) -> u32 {
        match &self.kind {
            Kind::Workerd(worker) => worker.pid(),
            Kind::Process(process) => process.pid(),
        }
    }

    /// `Some(status)` once a server process of this project's has exited
    /// (`None` for the harness's workerd, which a test never stops).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        match &mut self.kind {
            Kind::Workerd(_) => None,
            Kind::Process(process) => process.exited(),
        }
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

/// `program` from the project's venv, run in python/.
fn venv(program: &str) -> Command {
    let path = root().join(".tools/venv/bin").join(program);
    require(&path, "scripts/setup.sh --python");
    let mut command = Command::new(path);
    command.current_dir(root().join("python"));
    command
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
/// bundle it would upload (in `dist`, removed when dropped).
pub struct DryRun {
    pub total_kib: f64,
    pub gzip_kib: f64,
    pub dist: tempfile::TempDir,
}

/// Runs `wrangler deploy --dry-run --outdir …` (which builds the worker
/// first) and reads (Total Upload, gzip) in KiB from its line
/// `Total Upload: 148.00 KiB / gzip: 52.84 KiB`.
pub fn dry_run() -> DryRun {
    let dist = tempfile::TempDir::new().expect("a directory for the bundle");
    let output = Command::new("bash")
        .current_dir(root())
        .arg("-c")
        .arg("source scripts/env.sh && wrangler deploy --dry-run --outdir \"$1\"")
        .arg("dry-run")
        .arg(dist.path())
        .output()
        .expect("run wrangler");
    let text = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "wrangler deploy --dry-run failed:\n{text}"
    );
    let kib: Vec<f64> = text
        .lines()
        .find(|l| l.contains("Total Upload:"))
        .into_iter()
        .flat_map(|line| line.split(|c: char| !(c.is_ascii_digit() || c == '.')))
        .filter_map(|s| s.parse().ok())
        .collect();
    let [total_kib, gzip_kib, ..] = kib[..] else {
        panic!("no sizes in a 'Total Upload:' line of:\n{text}");
    };
    DryRun {
        total_kib,
        gzip_kib,
        dist,
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
    let json = reply.json().unwrap_or_default();
    let field = |name: &str| json[name].as_u64();
    match (field("live_sleeps"), field("wasm_memory_bytes")) {
        (Some(live), Some(memory)) => (live, memory),
        _ => panic!("/__stats needs the test worker (build-test/): {reply:?}"),
    }
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

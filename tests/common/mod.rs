//! Harness shared by the native end-to-end tests: starts the built worker on
//! bare workerd (or under `wrangler dev`) on a free loopback port, talks HTTP
//! to it, and stops it when dropped.
//!
//! The tests need the worker built first (`make test` does it). A missing
//! build or tool fails the test with the command that fixes it; nothing is
//! skipped.
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require(path: &Path, fix: &str) {
    assert!(
        path.exists(),
        "{} is missing: run `{fix}` first",
        path.display()
    );
}

/// `compatibility_date` and `compatibility_flags` from wrangler.toml, so the
/// bare-workerd tests run the worker as wrangler would.
fn compatibility() -> (String, Vec<String>) {
    let text = fs::read_to_string(root().join("wrangler.toml")).expect("read wrangler.toml");
    let table: toml::Table = text.parse().expect("parse wrangler.toml");
    let date = table["compatibility_date"]
        .as_str()
        .expect("compatibility_date")
        .to_owned();
    let flags = table
        .get("compatibility_flags")
        .and_then(toml::Value::as_array)
        .map(|flags| {
            flags
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (date, flags)
}

/// `target/e2e`, created if missing: generated configs and server logs.
pub fn scratch_dir() -> PathBuf {
    let dir = root().join("target/e2e");
    fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A worker process listening on 127.0.0.1; killed (with its children) on drop.
pub struct Server {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Bare workerd serving `src/entry.mjs` over the worker-build output in
    /// `bundle_dir` (relative to the root, e.g. "build"), with the given text
    /// bindings (`[vars]`), as wrangler.toml would.
    pub fn workerd(bundle_dir: &str, vars: &[(&str, &str)]) -> Server {
        require(&root().join(bundle_dir).join("index_bg.wasm"), "make build");
        let modules = format!(
            r#"(name = "src/entry.mjs", esModule = embed "../../src/entry.mjs"),
              (name = "build/index.js", esModule = embed "../../{bundle_dir}/index.js"),
              (name = "build/index_bg.wasm", wasm = embed "../../{bundle_dir}/index_bg.wasm")"#
        );
        Server::workerd_modules(&modules, vars)
    }

    /// Bare workerd serving one plain JavaScript module (relative to the root).
    pub fn workerd_js(module: &str, vars: &[(&str, &str)]) -> Server {
        require(&root().join(module), "git checkout");
        Server::workerd_modules(
            &format!(r#"(name = "worker.mjs", esModule = embed "../../{module}")"#),
            vars,
        )
    }

    /// The native tokio server (examples/tokio_server.rs, release build).
    pub fn tokio_example(vars: &[(&str, &str)]) -> Server {
        let root = root();
        let binary = root.join("target/release/examples/tokio_server");
        require(&binary, "cargo build --release --example tokio_server");
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .arg(format!("127.0.0.1:{port}"))
            .envs(vars.iter().copied());
        Server::start(command, port, Duration::from_secs(30))
    }

    fn workerd_modules(modules: &str, vars: &[(&str, &str)]) -> Server {
        let root = root();
        let workerd = root.join("node_modules/@cloudflare/workerd-linux-64/bin/workerd");
        require(&workerd, "make test (npm ci installs workerd)");
        let port = free_port();
        let dir = scratch_dir();
        let bindings: Vec<String> = vars
            .iter()
            .map(|(name, text)| format!("(name = {name:?}, text = {text:?})"))
            .collect();
        let (date, flags) = compatibility();
        let flags: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
        let config = format!(
            r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ {modules} ],
  compatibilityDate = {date:?},
  compatibilityFlags = [ {} ],
  bindings = [ {} ],
);
"#,
            flags.join(", "),
            bindings.join(", ")
        );
        let config_path = dir.join(format!("workerd-{port}.capnp"));
        fs::write(&config_path, config).expect("write workerd config");
        let mut command = Command::new(workerd);
        command.arg("serve").arg(&config_path);
        Server::start(command, port, Duration::from_secs(30))
    }

    /// `wrangler dev` as a user runs it (it builds the worker first), on a
    /// free port instead of 4567 so it can run beside `make dev`.
    pub fn wrangler_dev() -> Server {
        let root = root();
        let wrangler = root.join("node_modules/.bin/wrangler");
        require(&wrangler, "make test (npm ci installs wrangler)");
        let port = free_port();
        let inspector = free_port();
        // Same environment as `make dev`: scripts/env.sh puts node 22 first.
        let mut command = Command::new("bash");
        command.current_dir(&root).arg("-c").arg(format!(
            "source scripts/env.sh && exec wrangler dev --port {port} --inspector-port {inspector}"
        ));
        Server::start(command, port, Duration::from_secs(300))
    }

    fn start(mut command: Command, port: u16, wait: Duration) -> Server {
        let log = scratch_dir().join(format!("server-{port}.log"));
        let out = fs::File::create(&log).expect("create server log");
        let err = out.try_clone().expect("clone log handle");
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command.spawn().expect("spawn server");
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + wait;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "server exited ({status}) before listening:\n{}",
                    server.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "server not listening after {wait:?}:\n{}",
                server.log()
            );
            // Fine-grained: the benchmark times start-up with this loop.
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The server's process id (workerd itself for bare workerd).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends raw bytes on a fresh connection and returns what came back
    /// before the server closed it (or 10 s passed).
    pub fn raw(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // The server may answer and close before reading everything we send.
        let _ = stream.write_all(request);
        let _ = stream.shutdown(Shutdown::Write);
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        reply
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole process group (wrangler runs workerd as a child). The
        // group id is the child's pid, set by `process_group(0)` at spawn.
        if let Ok(pgid) = libc::pid_t::try_from(self.child.id())
            && pgid > 1
        {
            // SAFETY: kill(2) takes plain integers; a negative pid names a group.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// Runs `wrangler deploy --dry-run` (which builds the worker first) and
/// returns (Total Upload, gzip) in KiB from its line
/// `Total Upload: 148.00 KiB / gzip: 52.84 KiB`.
pub fn dry_run_sizes() -> (f64, f64) {
    let root = root();
    let out = scratch_dir().join("dist");
    let output = Command::new("bash")
        .current_dir(&root)
        .arg("-c")
        .arg(format!(
            "source scripts/env.sh && wrangler deploy --dry-run --outdir {}",
            out.display()
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
        [total, gzip, ..] => (total, gzip),
        _ => panic!("cannot read sizes from {line:?}"),
    }
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub elapsed: Duration,
}

impl Reply {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// An HTTP client that reports every status as a reply, not an error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Sends `method url` (with an optional body) and reads the whole reply.
pub fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<&str>) -> Reply {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .body(body.unwrap_or("").to_owned())
        .expect("request");
    let started = Instant::now();
    let mut response = agent
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("read body");
    Reply {
        status,
        headers,
        body,
        elapsed: started.elapsed(),
    }
}

/// `GET url`.
pub fn get(agent: &ureq::Agent, url: &str) -> Reply {
    send(agent, "GET", url, None)
}

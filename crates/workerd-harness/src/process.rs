//! A test's process (its own process group, its scratch directory, stopped
//! on drop), and one workerd run as one: the socket it inherits and the
//! control pipe that says when it listens.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Error, Reply, Workerd};

/// A process run for a test (workerd, or any server the test needs beside
/// it), in a process group of its own, with a scratch directory for its
/// files and its log. Dropping it kills the whole group (what the process
/// started goes too) and removes the directory, unless the thread is
/// panicking: then the directory is kept and the log's last lines printed.
#[derive(Debug)]
pub struct Process {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

impl Process {
    /// A new, empty scratch directory under `$TMPDIR` (`workerd-harness-…`),
    /// for the files the process will read before it is spawned.
    pub fn scratch() -> Result<PathBuf, Error> {
        tempfile::Builder::new()
            .prefix("workerd-harness-")
            .tempdir()
            .map(tempfile::TempDir::keep)
            .map_err(|e| io("creating a scratch directory", e))
    }

    /// Spawns `command` in a new process group, stdin closed, stdout and
    /// stderr into `dir/log`; `dir` (from [`Process::scratch`]) goes with the
    /// process.
    pub fn spawn(command: &mut Command, dir: PathBuf, log: &str) -> Result<Process, Error> {
        let log = dir.join(log);
        let spawned = fs::File::create(&log)
            .and_then(|out| Ok((out.try_clone()?, out)))
            .map_err(|e| io(&format!("creating {}", log.display()), e))
            .and_then(|(out, err)| {
                let program = command.get_program().to_string_lossy().into_owned();
                command
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .process_group(0)
                    .spawn()
                    .map_err(|e| io(&format!("spawning {program}"), e))
            });
        match spawned {
            Ok(child) => Ok(Process { child, dir, log }),
            Err(error) => {
                let _ = fs::remove_dir_all(&dir);
                Err(error)
            }
        }
    }

    /// The process id (the group's id too).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything it printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `Some(status)` once it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Reads the log every 20 ms until `find` finds in it what the caller
    /// waits for (the line a server prints once it listens, say) and returns
    /// that. [`Error::StartFailed`] with the log when the process exits
    /// first or `within` passes; `what` names it there ("wrangler dev").
    pub fn wait_for_log<T>(
        &mut self,
        what: &str,
        within: Duration,
        find: impl Fn(&str) -> Option<T>,
    ) -> Result<T, Error> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = find(&self.log()) {
                return Ok(found);
            }
            let reason = if let Some(status) = self.exited() {
                format!("{what} exited ({status})")
            } else if Instant::now() > deadline {
                format!("{what} not ready in {within:?}")
            } else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            // Read after the exit, so that its last words are in.
            let log = self.log();
            return Err(Error::StartFailed { reason, log });
        }
    }

    /// Kills the group and waits for the process, keeping the directory:
    /// for a caller that then reads the log and lets the value drop.
    fn kill(&mut self) {
        if let Ok(pgid) = libc::pid_t::try_from(self.child.id())
            && pgid > 1
        {
            // SAFETY: kill(2) takes plain integers; a negative pid names a group.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!(
                "[workerd-harness] test failed: kept {}; the last lines of its log:\n{}",
                self.dir.display(),
                tail.join("\n")
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A running worker on `127.0.0.1`: workerd, or `wrangler dev` (see
/// [`Backend`](crate::Backend)), a [`Process`]: dropping it kills the process
/// group and removes its scratch directory (kept, with the log's last lines
/// printed, when the test is failing).
#[derive(Debug)]
pub struct Worker {
    // Dropped in this order: the process first, then the files it read.
    process: Process,
    port: u16,
    _copies: Vec<tempfile::TempPath>,
}

impl Worker {
    /// A worker run by `process` on `port`, reading `copies` (removed when
    /// it is dropped).
    pub(crate) fn new(process: Process, port: u16, copies: Vec<tempfile::TempPath>) -> Worker {
        Worker {
            process,
            port,
            _copies: copies,
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id: workerd's, or wrangler's (Node).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `http://127.0.0.1:PORT{path}`, for any HTTP client.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `GET path`, read whole.
    pub fn get(&self, path: &str) -> Result<Reply, Error> {
        crate::send("GET", &self.url(path), None)
    }

    /// `method path` with an optional body, read whole.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<Reply, Error> {
        crate::send(method, &self.url(path), body)
    }

    /// Everything workerd (or wrangler) printed so far: the worker's
    /// `console` output and uncaught errors among it.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The scratch directory: `workerd.capnp`, `modules/`, `workerd.log`;
    /// under wrangler, `wrangler.log` and the local storage in `state/`.
    pub fn dir(&self) -> &Path {
        self.process.dir()
    }
}

pub(crate) fn start(config: &Workerd, workerd: &Path) -> Result<Worker, Error> {
    let dir = Process::scratch()?;
    // Copies, embedded by relative paths: workerd reads `embed` paths
    // relative to its config and refuses absolute ones, and a copy is what a
    // kept scratch directory needs to replay a failure.
    let mut files = Vec::new();
    for (name, path) in &config.modules {
        let file = format!("modules/{name}");
        let target = dir.join(&file);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| io(&format!("creating {}", parent.display()), e))?;
        }
        fs::copy(path, &target).map_err(|e| io(&format!("copying {}", path.display()), e))?;
        files.push(file);
    }
    let config_path = dir.join("workerd.capnp");
    fs::write(&config_path, config.config(&files)).map_err(|e| io("writing workerd.capnp", e))?;
    let listener = loopback_listener().map_err(|e| io("listening on 127.0.0.1:0", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| io("reading the port", e))?
        .port();
    let (control, control_out) = std::io::pipe().map_err(|e| io("creating the control pipe", e))?;

    let mut command = Command::new(workerd);
    let socket_fd = inherit(&mut command, listener.as_raw_fd());
    let control_fd = inherit(&mut command, control_out.as_raw_fd());
    command
        .arg("serve")
        .arg(&config_path)
        .arg(format!("--socket-fd=http={socket_fd}"))
        .arg(format!("--control-fd={control_fd}"))
        .args(
            config
                .inspector_port
                .map(|port| format!("--inspector-addr=127.0.0.1:{port}")),
        );
    let mut process = Process::spawn(&mut command, dir, "workerd.log")?;
    // Our copies go: if workerd dies, the port stops accepting and the pipe
    // reaches its end.
    drop((listener, control_out));
    match wait_for_listen(control, config.start_timeout) {
        Ok(()) => Ok(Worker::new(process, port, Vec::new())),
        Err(reason) => {
            process.kill();
            let log = process.log();
            Err(Error::StartFailed { reason, log })
        }
    }
}

/// Reads workerd's control messages until it reports the socket listening.
fn wait_for_listen(
    control: std::io::PipeReader,
    timeout: std::time::Duration,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(control).lines() {
            let Ok(line) = line else { break };
            let message: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if message["event"] == "listen" && message["socket"] == "http" {
                let _ = tx.send(true);
                return;
            }
        }
        let _ = tx.send(false);
    });
    match rx.recv_timeout(timeout) {
        Ok(true) => Ok(()),
        Ok(false) => Err("it exited before it listened".into()),
        Err(_) => Err(format!("it did not listen within {timeout:?}")),
    }
}

pub(crate) fn io(what: &str, error: std::io::Error) -> Error {
    Error::Io(what.to_owned(), error)
}

/// A listening socket on 127.0.0.1 whose port the kernel chose, handed to
/// workerd as an inherited descriptor: the port is ours from the moment it
/// is chosen, and a request sent before workerd is up waits in the backlog.
/// The backlog is 4096 (capped by `net.core.somaxconn`), not std's 128,
/// which a wave of thousands of connects overflows.
fn loopback_listener() -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// Lets `command`'s process inherit `fd` under its own number.
fn inherit(command: &mut Command, fd: RawFd) -> RawFd {
    // SAFETY: runs in the forked child before exec; fcntl(2) is
    // async-signal-safe and touches only this descriptor's flags.
    unsafe {
        command.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    fd
}

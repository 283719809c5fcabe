//! One workerd process: its scratch directory, the socket it inherits, the
//! control pipe that says when it listens, and killing it on drop.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::{Error, Reply, Workerd};

/// A running workerd serving one worker on `127.0.0.1`. Dropping it kills
/// workerd (its whole process group) and removes its scratch directory,
/// unless the thread is panicking: then the directory is kept and the log's
/// last lines are printed.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Worker {
    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// workerd's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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

    /// Everything workerd printed so far (the worker's `console` output and
    /// uncaught errors among it).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("workerd.log")).unwrap_or_default()
    }

    /// The scratch directory: `workerd.capnp`, `modules/`, `workerd.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!(
                "[workerd-harness] test failed: kept {}; last lines of workerd.log:\n{}",
                self.dir.display(),
                tail.join("\n")
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The whole process group: workerd is its leader (`process_group(0)`).
fn kill_group(child: &mut Child) {
    if let Ok(pgid) = libc::pid_t::try_from(child.id())
        && pgid > 1
    {
        // SAFETY: kill(2) takes plain integers; a negative pid names a group.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
    let _ = child.wait();
}

pub(crate) fn start(config: &Workerd, workerd: &Path) -> Result<Worker, Error> {
    let dir = scratch_dir()?;
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
    let log =
        fs::File::create(dir.join("workerd.log")).map_err(|e| io("creating workerd.log", e))?;
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
        )
        .stdin(Stdio::null())
        .stdout(
            log.try_clone()
                .map_err(|e| io("cloning the log handle", e))?,
        )
        .stderr(log)
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| io(&format!("spawning {}", workerd.display()), e))?;
    // Our copies go: if workerd dies, the port stops accepting and the pipe
    // reaches its end.
    drop((listener, control_out));
    match wait_for_listen(control, config.start_timeout) {
        Ok(()) => Ok(Worker { child, port, dir }),
        Err(reason) => {
            kill_group(&mut child);
            let log = fs::read_to_string(dir.join("workerd.log")).unwrap_or_default();
            let _ = fs::remove_dir_all(&dir);
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

fn io(what: &str, error: std::io::Error) -> Error {
    Error::Io(what.to_owned(), error)
}

/// `$TMPDIR/workerd-harness/<pid>-<n>`, new and empty.
fn scratch_dir() -> Result<PathBuf, Error> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir()
        .join("workerd-harness")
        .join(format!("{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| io(&format!("creating {}", dir.display()), e))?;
    Ok(dir)
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

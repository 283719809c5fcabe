//! [`Backend::WranglerDev`](crate::Backend::WranglerDev): the worker under
//! `wrangler dev --local`, a [`Process`] like workerd, its local storage
//! (`--persist-to`) in that process's scratch directory so that no two
//! workers share any.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Error, Process, Source, Worker, Workerd, config, io};

pub(crate) fn start(config: &Workerd, source: &Source) -> Result<Worker, Error> {
    let project = std::path::absolute(&config.project_dir)
        .map_err(|e| io("resolving the project directory", e))?;
    let wrangler = find(
        config.wrangler.as_ref(),
        "WRANGLER_BIN",
        &project,
        "node_modules/wrangler/bin/wrangler.js",
        |searched| Error::WranglerNotFound { searched },
    )?;
    let node = find_node(config, &project)?;
    let mut copies = Vec::new();
    let mut configs = Vec::new();
    for path in std::iter::once(&source.path).chain(&config.services) {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let (read, copy) = without_build(&path)?;
        configs.push(read);
        copies.extend(copy);
    }
    let dir = Process::scratch()?;
    let mut command = Command::new(node);
    command.current_dir(&project).arg(wrangler).arg("dev");
    for path in &configs {
        command.arg("--config").arg(path);
    }
    if let Some(env) = &source.env {
        command.args(["--env", env]);
    }
    let inspector = config.inspector_port.unwrap_or(0).to_string();
    command
        .args(["--local", "--ip", "127.0.0.1", "--port", "0"])
        .args(["--inspector-port", &inspector])
        .arg("--show-interactive-dev-session=false")
        .arg("--persist-to")
        .arg(dir.join("state"))
        .args(["--compatibility-date", &config.compatibility_date]);
    if !config.compatibility_flags.is_empty() {
        command
            .arg("--compatibility-flags")
            .args(&config.compatibility_flags);
    }
    for (name, value) in &config.vars {
        command.arg("--var").arg(format!("{name}:{value}"));
    }
    // No telemetry, no fetch of the `Request.cf` object, no colours, logs
    // into the scratch directory: a test needs no network but loopback.
    command
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("WRANGLER_LOG_PATH", dir.join("wrangler-logs"));
    let mut process = Process::spawn(&mut command, dir, "wrangler.log")?;
    let deadline = Instant::now() + config.start_timeout;
    loop {
        if let Some(port) = ready_port(&process.log()) {
            return Ok(Worker::new(process, port, copies));
        }
        let reason = if let Some(status) = process.exited() {
            format!("wrangler dev exited ({status})")
        } else if Instant::now() > deadline {
            format!("wrangler dev not ready in {:?}", config.start_timeout)
        } else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let log = process.log();
        return Err(Error::StartFailed { reason, log });
    }
}

/// The configuration for wrangler to read: the file itself, or, when it has
/// a `build` section (at the top or in an environment), a copy beside it
/// without one, removed with the [`Worker`]. The worker must be built before
/// it starts, as on bare workerd; wrangler would run the build command at
/// every start, seconds of `cargo` and `worker-build` per test.
fn without_build(path: &Path) -> Result<(PathBuf, Option<tempfile::TempPath>), Error> {
    let mut raw = config::read(path)?;
    let remove = |table: &mut Value| {
        table
            .as_object_mut()
            .and_then(|t| t.remove("build"))
            .is_some()
    };
    let mut had = remove(&mut raw);
    if let Some(envs) = raw.get_mut("env").and_then(Value::as_object_mut) {
        for env in envs.values_mut() {
            had |= remove(env);
        }
    }
    if !had {
        return Ok((path.to_owned(), None));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let copy = tempfile::Builder::new()
        .prefix(".workerd-harness-")
        .suffix(".json")
        .tempfile_in(dir)
        .map_err(|e| {
            io(
                &format!("writing a copy of {} beside it", path.display()),
                e,
            )
        })?;
    serde_json::to_writer_pretty(copy.as_file(), &raw)
        .map_err(|e| io(&format!("writing a copy of {}", path.display()), e.into()))?;
    let copy = copy.into_temp_path();
    Ok((copy.to_path_buf(), Some(copy)))
}

/// The port of wrangler's "Ready on http://127.0.0.1:PORT" line.
fn ready_port(log: &str) -> Option<u16> {
    let (_, rest) = log.split_once("Ready on http://127.0.0.1:")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The file the caller named, else the one in `variable`, else `relative`
/// in the project directory or the nearest directory above it that has it.
fn find(
    named: Option<&PathBuf>,
    variable: &str,
    project: &Path,
    relative: &str,
    not_found: fn(Vec<PathBuf>) -> Error,
) -> Result<PathBuf, Error> {
    if let Some(path) = named
        .cloned()
        .or_else(|| std::env::var_os(variable).map(PathBuf::from))
    {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(not_found(vec![path]))
        };
    }
    let searched: Vec<PathBuf> = project.ancestors().map(|dir| dir.join(relative)).collect();
    match searched.iter().find(|path| path.is_file()) {
        Some(path) => Ok(path.clone()),
        None => Err(not_found(searched)),
    }
}

/// Node for wrangler: named, `$NODE_BIN`, a project's own
/// (`node_modules/.bin/node`, from the `node` npm package), else `node` on
/// `PATH`.
fn find_node(config: &Workerd, project: &Path) -> Result<PathBuf, Error> {
    let not_found = |searched| Error::NodeNotFound { searched };
    let local = find(
        config.node.as_ref(),
        "NODE_BIN",
        project,
        "node_modules/.bin/node",
        not_found,
    );
    match local {
        Err(Error::NodeNotFound { mut searched })
            if config.node.is_none() && std::env::var_os("NODE_BIN").is_none() =>
        {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let on_path: Vec<PathBuf> = std::env::split_paths(&path)
                .map(|dir| dir.join("node"))
                .collect();
            match on_path.iter().find(|node| node.is_file()) {
                Some(node) => Ok(node.clone()),
                None => {
                    searched.extend(on_path);
                    Err(Error::NodeNotFound { searched })
                }
            }
        }
        found => found,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_port_of_the_ready_line() {
        let log = "⎔ Starting local server...\n[wrangler:info] Ready on http://127.0.0.1:41231\n";
        assert_eq!(super::ready_port(log), Some(41231));
        assert_eq!(super::ready_port("⎔ Starting local server...\n"), None);
    }
}

//! [`Backend::WranglerDev`](crate::Backend::WranglerDev): the worker under
//! `wrangler dev --local`, a [`Process`] like workerd, its local storage
//! (`--persist-to`) in that process's scratch directory so that no two
//! workers share any.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{Error, Process, Source, Worker, Workerd, config, io, tools};

pub(crate) fn start(config: &Workerd, source: &Source) -> Result<Worker, Error> {
    let project = std::path::absolute(&config.project_dir)
        .map_err(|e| io("resolving the project directory", e))?;
    let wrangler = tools::find(
        config.wrangler.as_ref(),
        "WRANGLER_BIN",
        &project,
        "node_modules/wrangler/bin/wrangler.js",
        Vec::new(),
        |searched| Error::WranglerNotFound { searched },
    )?;
    // A project's own Node (the `node` npm package) before the one on PATH.
    let node = tools::find(
        config.node.as_ref(),
        "NODE_BIN",
        &project,
        "node_modules/.bin/node",
        tools::on_path("node"),
        |searched| Error::NodeNotFound { searched },
    )?;
    let mut copies = Vec::new();
    let mut configs = Vec::new();
    // The worker's configuration as read already; its services' read here.
    let services = config
        .services
        .iter()
        .map(|path| Ok((path, config::read(path)?)));
    let all = std::iter::once(Ok((&source.path, source.raw.clone()))).chain(services);
    for read in all {
        let (path, raw) = read?;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let (read, copy) = without_build(&path, raw)?;
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
    let port = process.wait_for_log("wrangler dev", config.start_timeout, ready_port)?;
    Ok(Worker::new(process, port, copies))
}

/// The configuration for wrangler to read (`raw`, as read from `path`): the
/// file itself, or, when it has a `build` section (at the top or in an
/// environment), a copy beside it without one, removed with the [`Worker`]. The worker must be built before
/// it starts, as on bare workerd; wrangler would run the build command at
/// every start, seconds of `cargo` and `worker-build` per test.
fn without_build(
    path: &Path,
    mut raw: Value,
) -> Result<(PathBuf, Option<tempfile::TempPath>), Error> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_port_of_the_ready_line() {
        let log = "⎔ Starting local server...\n[wrangler:info] Ready on http://127.0.0.1:41231\n";
        assert_eq!(super::ready_port(log), Some(41231));
        assert_eq!(super::ready_port("⎔ Starting local server...\n"), None);
    }
}

//! Integration tests for Cloudflare Workers from `cargo test`: start the
//! worker as its wrangler configuration describes it, as `wrangler dev`
//! would, talk HTTP to it, stop it when dropped.
//!
//! ```no_run
//! use workerd_harness::Workerd;
//!
//! # fn main() -> Result<(), workerd_harness::Error> {
//! let worker = Workerd::from_wrangler_config("wrangler.jsonc")? // or .toml, .json
//!     .env("staging")?                                           // [env.staging], as wrangler --env
//!     .var("GREETING", "hi")                                     // overrides vars
//!     .start()?;                                                 // listening before it returns
//! let reply = worker.get("/")?;                                  // or worker.url("/") for any client
//! assert_eq!(reply.status, 200);
//! assert!(!worker.log().contains("Uncaught"));
//! # Ok(())
//! # }
//! ```
//!
//! # What it does
//!
//! - **Reads the configuration**: `wrangler.toml`, `wrangler.json` or
//!   `wrangler.jsonc`; a named environment with wrangler's rules for what it
//!   inherits ([`Workerd::env`]).
//! - **Two backends** ([`Backend`]), chosen per worker. A worker made of
//!   its modules and `vars` runs on **bare workerd**: the main module and
//!   every module it imports by a relative path (`./index_bg.wasm`,
//!   worker-build's `snippets/…`), transitively, become workerd modules;
//!   it starts in tens of milliseconds. Anything else (a KV namespace, R2
//!   bucket, D1 database, Durable Object, static assets, `.dev.vars`
//!   secrets, a service binding, an npm import, `rules`, `no_bundle`)
//!   runs under **`wrangler dev --local`**: wrangler bundles it and
//!   Miniflare backs its bindings, with storage in the [`Worker`]'s own
//!   scratch directory, fresh each time. [`Workerd::backend`] says which,
//!   and why.
//! - **No port races**: on bare workerd the test binds a listening socket on
//!   `127.0.0.1:0` and workerd inherits it (`--socket-fd`); wrangler picks
//!   a free port and reports it. [`Workerd::start`] returns once the worker
//!   listens, or fails with the log if it throws at start-up.
//! - **One process per [`Worker`]**, so tests run in parallel, each with its
//!   own vars, flags and storage. Dropping the [`Worker`] kills the process
//!   group, also when the test panics. Its files and log live in a scratch
//!   directory, removed on drop unless the test is failing: then the path
//!   and the log's last lines are printed.
//! - **Other processes a test needs** (a backend server) get the same care
//!   through [`Process`].
//! - **Finds its tools**: workerd at [`Workerd::workerd_binary`], else
//!   `$WORKERD_BIN`, else `node_modules/@cloudflare/workerd-<platform>/bin/workerd`
//!   in the project directory or above (npm installs it with `wrangler`);
//!   wrangler and Node likewise (`$WRANGLER_BIN`, `$NODE_BIN`,
//!   `node_modules`, then `node` on `PATH`). A missing one is an error that
//!   says where it looked and how to install it: never a hang, never a skip.
//!
//! # What it does not do
//!
//! It does not build the worker (run `worker-build` or your `build`
//! command first), under wrangler either: wrangler reads a copy of the
//! configuration without `build`, beside it, removed with the [`Worker`].
//! Wrangler still bundles JavaScript. Bindings that exist only on
//! Cloudflare's network (`ai`, `vectorize`) are an error. Unix only.
#![cfg(unix)]
#![deny(missing_docs)]

mod config;
mod error;
mod http;
mod modules;
mod process;
mod tools;
mod wrangler;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::Error;
pub use http::{Reply, send};
use process::io;
pub use process::{Process, Worker};

/// The platform part of the npm package name `@cloudflare/workerd-<platform>`.
const PLATFORM: &str = if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    "linux-arm64"
} else if cfg!(all(target_os = "macos", target_arch = "x86_64")) {
    "darwin-64"
} else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
    "darwin-arm64"
} else {
    "linux-64"
};

/// How [`Workerd::start`] runs a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// workerd alone, configured by this crate: for a worker made of its
    /// modules and `vars`. Starts in tens of milliseconds.
    Workerd,
    /// `wrangler dev --local`: wrangler bundles the worker (npm imports,
    /// `rules`, `no_bundle`, `find_additional_modules`) and Miniflare backs
    /// its bindings (KV, R2, D1, Durable Objects, assets, `.dev.vars`
    /// secrets, services), their storage in the [`Worker`]'s own scratch
    /// directory. Starts in seconds.
    WranglerDev {
        /// The first thing in the configuration that bare workerd cannot
        /// start, e.g. "`kv_namespaces`".
        because: String,
    },
}

/// Why a worker with [`Workerd::with_service`] needs wrangler dev.
const SERVICE_BESIDE: &str = "a service started beside it";

/// A wrangler configuration file as read, and the environment selected.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    path: PathBuf,
    raw: serde_json::Value,
    env: Option<String>,
}

/// A worker to start: modules, compatibility settings, vars. Made from a
/// wrangler configuration ([`Workerd::from_wrangler_config`]) or from
/// modules ([`Workerd::from_modules`]); [`Workerd::start`] runs it.
#[derive(Debug, Clone)]
pub struct Workerd {
    modules: Vec<(String, PathBuf)>,
    compatibility_date: String,
    compatibility_flags: Vec<String>,
    /// From the configuration: (name, workerd binding body: `text = "…"` or
    /// `json = "…"`).
    bindings: Vec<(String, String)>,
    /// Set by [`Workerd::var`]: (name, text), over `bindings`.
    vars: Vec<(String, String)>,
    v8_flags: Vec<String>,
    inspector_port: Option<u16>,
    workerd: Option<PathBuf>,
    wrangler: Option<PathBuf>,
    node: Option<PathBuf>,
    project_dir: PathBuf,
    start_timeout: Duration,
    source: Option<Source>,
    services: Vec<PathBuf>,
    backend: Backend,
}

impl Workerd {
    /// Reads a wrangler configuration file: `wrangler.toml`, `wrangler.json`
    /// or `wrangler.jsonc` (comments and trailing commas allowed), its top
    /// level (see [`Workerd::env`] for a named environment). A worker of
    /// modules and `vars` runs on bare workerd: its main module and
    /// everything it imports by relative paths, which must have been built.
    /// Anything else (a binding, an npm import, `rules`, `assets`, a
    /// `.dev.vars` file) runs under `wrangler dev`: see [`Backend`].
    pub fn from_wrangler_config(path: impl AsRef<Path>) -> Result<Workerd, Error> {
        let path = path.as_ref();
        let raw = config::read(path)?;
        let project_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let source = Source {
            path: path.to_owned(),
            raw,
            env: None,
        };
        Workerd {
            project_dir,
            ..Workerd::empty()
        }
        .configured(source)
    }

    /// [`Workerd::from_wrangler_config`], under its former name.
    pub fn from_wrangler_toml(path: impl AsRef<Path>) -> Result<Workerd, Error> {
        Workerd::from_wrangler_config(path)
    }

    /// Selects the environment `name` (`[env.name]`, `"env": {"name": …}`)
    /// as `wrangler --env name` does: its own settings, and from the top
    /// level the ones wrangler inherits (`main`, the compatibility settings,
    /// `build`, `rules`, …) where it sets none. `vars` and bindings are not
    /// inherited. Keeps what [`Workerd::var`] set; call it before the other
    /// settings.
    pub fn env(self, name: &str) -> Result<Workerd, Error> {
        let Some(mut source) = self.source.clone() else {
            return Err(Error::Unsupported(format!(
                "env(\"{name}\") needs a worker from a wrangler configuration"
            )));
        };
        source.env = Some(name.to_owned());
        self.configured(source)
    }

    /// The settings of `source`'s environment, and the backend they need.
    fn configured(mut self, source: Source) -> Result<Workerd, Error> {
        let path = &source.path;
        let settings = config::select(path, &source.raw, source.env.as_deref())?;
        let bad = |reason: String| Error::WranglerToml {
            path: path.clone(),
            reason,
        };
        let string = |key: &str| settings.get(key).and_then(serde_json::Value::as_str);
        let main = string("main").ok_or_else(|| bad("has no `main`".into()))?;
        let date = string("compatibility_date")
            .ok_or_else(|| bad("has no `compatibility_date` (\"YYYY-MM-DD\")".into()))?;
        let flags = match settings.get("compatibility_flags") {
            None => Vec::new(),
            Some(value) => value
                .as_array()
                .and_then(|flags| {
                    flags
                        .iter()
                        .map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
                .ok_or_else(|| bad("`compatibility_flags` is not a list of strings".into()))?,
        };
        let mut bindings = Vec::new();
        if let Some(vars) = settings.get("vars") {
            let vars = vars
                .as_object()
                .ok_or_else(|| bad("`vars` is not a table".into()))?;
            for (name, value) in vars {
                bindings.push((name.clone(), var_binding(value)));
            }
        }
        if let Some((name, kind)) = config::remote_only(&settings) {
            return Err(Error::UnsupportedBinding { name, kind });
        }
        let build = settings
            .get("build")
            .and_then(|build| build.get("command"))
            .and_then(serde_json::Value::as_str);
        let dev_vars = match &source.env {
            Some(env) => vec![format!(".dev.vars.{env}"), ".dev.vars".into()],
            None => vec![".dev.vars".into()],
        };
        let secrets = dev_vars
            .into_iter()
            .find(|file| self.project_dir.join(file).is_file());
        let because = match (config::needs_wrangler(&settings), secrets) {
            (Some(key), _) => Some(key),
            (None, Some(file)) => Some(format!("secrets in {file}")),
            (None, None) if !self.services.is_empty() => Some(SERVICE_BESIDE.into()),
            (None, None) => match modules::collect(&self.project_dir, Path::new(main), build)? {
                modules::Graph::Modules(modules) => {
                    self.modules = modules;
                    None
                }
                modules::Graph::NeedsBundling(import) => Some(import),
            },
        };
        self.backend = match because {
            Some(because) => {
                // Built first, as on bare workerd (wrangler builds nothing here).
                let file = self.project_dir.join(main);
                if !file.is_file() {
                    return Err(Error::ModuleMissing {
                        path: file,
                        imported_by: None,
                        build_command: build.map(str::to_owned),
                    });
                }
                self.modules = Vec::new();
                Backend::WranglerDev { because }
            }
            None => Backend::Workerd,
        };
        self.compatibility_date = date.to_owned();
        self.compatibility_flags = flags;
        self.bindings = bindings;
        self.source = Some(source);
        Ok(self)
    }

    /// A worker from modules given by hand: (name in the worker, file), the
    /// main module first. Names are what `import` specifiers resolve against.
    pub fn from_modules<N: Into<String>, P: Into<PathBuf>>(
        modules: impl IntoIterator<Item = (N, P)>,
        compatibility_date: &str,
    ) -> Workerd {
        Workerd {
            modules: modules
                .into_iter()
                .map(|(name, path)| (name.into(), path.into()))
                .collect(),
            compatibility_date: compatibility_date.to_owned(),
            ..Workerd::empty()
        }
    }

    fn empty() -> Workerd {
        Workerd {
            modules: Vec::new(),
            compatibility_date: String::new(),
            compatibility_flags: Vec::new(),
            bindings: Vec::new(),
            vars: Vec::new(),
            v8_flags: Vec::new(),
            inspector_port: None,
            workerd: None,
            wrangler: None,
            node: None,
            project_dir: PathBuf::from("."),
            start_timeout: Duration::from_secs(30),
            source: None,
            services: Vec::new(),
            backend: Backend::Workerd,
        }
    }

    /// Serves module `name` from `file`: replaces the file of the module of
    /// that name, or adds the module. For a second build of the same worker
    /// (a test build with extra routes, say) under the names it imports.
    pub fn module(mut self, name: &str, file: impl Into<PathBuf>) -> Workerd {
        let file = file.into();
        match self.modules.iter_mut().find(|(n, _)| n == name) {
            Some((_, path)) => *path = file,
            None => self.modules.push((name.to_owned(), file)),
        }
        self
    }

    /// Replaces every module: (name, file), the main module first. Keeps the
    /// compatibility settings and bindings.
    pub fn with_modules<N: Into<String>, P: Into<PathBuf>>(
        mut self,
        modules: impl IntoIterator<Item = (N, P)>,
    ) -> Workerd {
        self.modules = modules
            .into_iter()
            .map(|(name, path)| (name.into(), path.into()))
            .collect();
        self
    }

    /// Sets a text binding (a `vars` entry), replacing one of that name.
    pub fn var(mut self, name: &str, value: &str) -> Workerd {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Starts the worker of another wrangler configuration in the same
    /// `wrangler dev` session, so that a service binding (`services`) of
    /// this worker reaches it by its `name`. Needs [`Backend::WranglerDev`].
    pub fn with_service(mut self, config: impl Into<PathBuf>) -> Workerd {
        self.services.push(config.into());
        if self.backend == Backend::Workerd {
            self.backend = Backend::WranglerDev {
                because: SERVICE_BESIDE.into(),
            };
        }
        self
    }

    /// Adds a compatibility flag (e.g. `"enable_request_signal"`).
    pub fn compatibility_flag(mut self, flag: &str) -> Workerd {
        if !self.compatibility_flags.iter().any(|f| f == flag) {
            self.compatibility_flags.push(flag.to_owned());
        }
        self
    }

    /// Replaces every compatibility flag.
    pub fn compatibility_flags<S: Into<String>>(
        mut self,
        flags: impl IntoIterator<Item = S>,
    ) -> Workerd {
        self.compatibility_flags = flags.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the compatibility date.
    pub fn compatibility_date(mut self, date: &str) -> Workerd {
        date.clone_into(&mut self.compatibility_date);
        self
    }

    /// Adds a V8 flag (workerd's `v8Flags`), e.g. `"--no-opt"`.
    pub fn v8_flag(mut self, flag: &str) -> Workerd {
        self.v8_flags.push(flag.to_owned());
        self
    }

    /// Opens workerd's inspector (the Chrome DevTools protocol) on
    /// `127.0.0.1:port`.
    pub fn inspector_port(mut self, port: u16) -> Workerd {
        self.inspector_port = Some(port);
        self
    }

    /// Uses this workerd binary instead of looking for one.
    pub fn workerd_binary(mut self, path: impl Into<PathBuf>) -> Workerd {
        self.workerd = Some(path.into());
        self
    }

    /// Uses this wrangler (its `bin/wrangler.js`) for [`Backend::WranglerDev`]
    /// instead of looking for one.
    pub fn wrangler_binary(mut self, path: impl Into<PathBuf>) -> Workerd {
        self.wrangler = Some(path.into());
        self
    }

    /// Runs wrangler with this Node (22.12 or later for wrangler 4) instead of looking for one.
    pub fn node_binary(mut self, path: impl Into<PathBuf>) -> Workerd {
        self.node = Some(path.into());
        self
    }

    /// How [`Workerd::start`] will run it, and why.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// How long [`Workerd::start`] waits for the worker to listen (30 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Workerd {
        self.start_timeout = timeout;
        self
    }

    /// The modules it will load: (name, file), the main module first.
    pub fn modules(&self) -> &[(String, PathBuf)] {
        &self.modules
    }

    /// The compatibility flags it will run with.
    pub fn flags(&self) -> &[String] {
        &self.compatibility_flags
    }

    /// Starts the worker; returns once it listens on its loopback port.
    pub fn start(&self) -> Result<Worker, Error> {
        match (&self.backend, &self.source) {
            (Backend::WranglerDev { because }, Some(source)) => {
                let bare_only = [
                    (!self.v8_flags.is_empty(), "V8 flags"),
                    (!self.modules.is_empty(), "modules set by hand"),
                ];
                if let Some((_, what)) = bare_only.iter().find(|(set, _)| *set) {
                    return Err(Error::Unsupported(format!(
                        "{what} need bare workerd, and this worker needs wrangler dev ({because})"
                    )));
                }
                wrangler::start(self, source)
            }
            _ => {
                let workerd = self.find_workerd()?;
                process::start(self, &workerd)
            }
        }
    }

    /// Every binding for workerd's config: `vars` from the configuration,
    /// those [`Workerd::var`] set instead.
    fn all_bindings(&self) -> Vec<(String, String)> {
        let set = |name: &str| self.vars.iter().any(|(n, _)| n == name);
        let configured = self.bindings.iter().filter(|(n, _)| !set(n)).cloned();
        let vars = self
            .vars
            .iter()
            .map(|(n, v)| (n.clone(), format!("text = {}", capnp_string(v))));
        configured.chain(vars).collect()
    }

    fn find_workerd(&self) -> Result<PathBuf, Error> {
        let relative = format!("node_modules/@cloudflare/workerd-{PLATFORM}/bin/workerd");
        tools::find(
            self.workerd.as_ref(),
            "WORKERD_BIN",
            &self.project_dir,
            &relative,
            Vec::new(),
            |searched| Error::WorkerdNotFound { searched },
        )
    }

    /// The workerd config (Cap'n Proto text), each module embedded from the
    /// matching path in `module_files` (relative to the config).
    fn config(&self, module_files: &[String]) -> String {
        let modules: Vec<String> = self
            .modules
            .iter()
            .zip(module_files)
            .map(|((name, _), file)| {
                let kind = if name.ends_with(".wasm") {
                    "wasm"
                } else {
                    "esModule"
                };
                format!(
                    "(name = {}, {kind} = embed {})",
                    capnp_string(name),
                    capnp_string(file)
                )
            })
            .collect();
        let bindings: Vec<String> = self
            .all_bindings()
            .iter()
            .map(|(name, body)| format!("(name = {}, {body})", capnp_string(name)))
            .collect();
        let list = |items: &[String]| {
            items
                .iter()
                .map(|s| capnp_string(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
  v8Flags = [ {v8} ],
);
const w :Workerd.Worker = (
  modules = [ {modules} ],
  compatibilityDate = {date},
  compatibilityFlags = [ {flags} ],
  bindings = [ {bindings} ],
);
"#,
            v8 = list(&self.v8_flags),
            modules = modules.join(",\n    "),
            date = capnp_string(&self.compatibility_date),
            flags = list(&self.compatibility_flags),
            bindings = bindings.join(", "),
        )
    }
}

/// wrangler passes a `[vars]` string as text and anything else as JSON.
fn var_binding(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => format!("text = {}", capnp_string(text)),
        other => format!("json = {}", capnp_string(&other.to_string())),
    }
}

/// A Cap'n Proto text string literal (the escapes are C's, as JSON's).
fn capnp_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

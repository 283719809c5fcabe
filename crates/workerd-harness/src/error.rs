//! Why a worker could not be started, each case with its fix in its text.

use std::fmt;
use std::path::PathBuf;

/// Why a worker could not be started (or a request not answered).
///
/// `Debug` prints the same text as `Display`, fix included, so that a test
/// returning `Result<(), Error>` shows what to do rather than a struct.
#[non_exhaustive]
pub enum Error {
    /// The wrangler configuration (`wrangler.toml`, `.json`, `.jsonc`) is
    /// missing, does not parse, or lacks what a worker needs.
    WranglerToml {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A module the worker needs is not there: the main module, or one it
    /// imports. Usually the worker was never built.
    ModuleMissing {
        /// The module's file.
        path: PathBuf,
        /// The module that imports it, or `None` for `main`.
        imported_by: Option<PathBuf>,
        /// wrangler.toml's `[build] command`, if it has one.
        build_command: Option<String>,
    },
    /// No workerd binary was found.
    WorkerdNotFound {
        /// Every place that was tried.
        searched: Vec<PathBuf>,
    },
    /// A worker that needs `wrangler dev`, and no wrangler was found.
    WranglerNotFound {
        /// Every place that was tried.
        searched: Vec<PathBuf>,
    },
    /// A worker that needs `wrangler dev`, and no Node to run it.
    NodeNotFound {
        /// Every place that was tried.
        searched: Vec<PathBuf>,
    },
    /// A binding that only exists on Cloudflare's network (`ai`,
    /// `vectorize`): nothing local can back it.
    UnsupportedBinding {
        /// The binding's name, as the worker sees it in `env`.
        name: String,
        /// Its type: the configuration key that declares it.
        kind: String,
    },
    /// A setting the worker's backend cannot apply (see [`Backend`](crate::Backend)).
    Unsupported(String),
    /// workerd exited, or did not listen in time: its log says why (a worker
    /// that throws at start-up, a config workerd refuses).
    StartFailed {
        /// What happened.
        reason: String,
        /// Everything workerd printed.
        log: String,
    },
    /// Setting up or spawning failed (scratch directory, socket, spawn).
    Io(String, std::io::Error),
    /// An HTTP request failed below the HTTP level (no connection, a
    /// timeout, a malformed answer).
    Http(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WranglerToml { path, reason } => write!(f, "{}: {reason}", path.display()),
            Error::ModuleMissing {
                path,
                imported_by,
                build_command,
            } => {
                write!(f, "module {} does not exist", path.display())?;
                match imported_by {
                    Some(by) => write!(f, " (imported by {})", by.display())?,
                    None => write!(f, " (the configuration's `main`)")?,
                }
                match build_command {
                    Some(command) => write!(f, "; build the worker first: `{command}`"),
                    None => write!(f, "; build the worker first"),
                }
            }
            Error::WorkerdNotFound { searched } => {
                write!(
                    f,
                    "workerd not found; install it with `npm install --save-dev wrangler` \
                     (or `@cloudflare/workerd`) in the project, set WORKERD_BIN, or call \
                     Workerd::workerd_binary."
                )?;
                looked_at(f, searched)
            }
            Error::WranglerNotFound { searched } => {
                write!(
                    f,
                    "wrangler not found (this worker needs `wrangler dev`); install it with \
                     `npm install --save-dev wrangler` in the project, set WRANGLER_BIN to its \
                     bin/wrangler.js, or call Workerd::wrangler_binary."
                )?;
                looked_at(f, searched)
            }
            Error::NodeNotFound { searched } => {
                write!(
                    f,
                    "Node not found (wrangler 4 runs on Node 22.12 or later); install it from \
                     https://nodejs.org or with `npm install --save-dev node@22`, set NODE_BIN, \
                     or call Workerd::node_binary."
                )?;
                looked_at(f, searched)
            }
            Error::UnsupportedBinding { name, kind } => write!(
                f,
                "binding {name} ({kind}) exists only on Cloudflare's network; nothing local \
                 backs it: test the code that uses it with a stand-in"
            ),
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            Error::StartFailed { reason, log } => {
                write!(f, "the worker did not start: {reason}; its log:\n{log}")
            }
            Error::Io(what, error) => write!(f, "{what}: {error}"),
            Error::Http(what) => write!(f, "HTTP request failed: {what}"),
        }
    }
}

/// " Looked at:" and each path tried, a line each.
fn looked_at(f: &mut fmt::Formatter<'_>, searched: &[PathBuf]) -> fmt::Result {
    write!(f, " Looked at:")?;
    searched
        .iter()
        .try_for_each(|p| write!(f, "\n  {}", p.display()))
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

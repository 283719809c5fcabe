//! Smoke test of the developer experience: `wrangler dev`, as `make dev`
//! starts it (building the worker first), answers GET /toy.
//!
//! Run: `make test`, or `cargo test --test wrangler_dev`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use std::process::Command;

use common::{Server, get, require, root};

#[test]
fn wrangler_dev_serves_toy() {
    let server = wrangler_dev();
    let reply = get(&server.url("/toy"));
    assert_eq!(reply.status, 200, "{reply:?}\n{}", server.log());
    assert_eq!(reply.body, r#"{"result":1}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.elapsed >= Duration::from_millis(1000),
        "{:?}",
        reply.elapsed
    );
    // Starts clean offline: none of the warnings a user would worry about.
    let log = server.log();
    for worry in ["Unable to fetch the Request.cf", "metrics", "ERROR", "✘"] {
        assert!(
            !log.contains(worry),
            "wrangler dev printed {worry:?}:\n{log}"
        );
    }
}

/// `wrangler dev` as a user runs it (it builds the worker first), on the
/// port wrangler picks and reports (so it runs beside `make dev`, and
/// cannot be mistaken for another server).
fn wrangler_dev() -> Server {
    let root = root();
    let wrangler = root.join("node_modules/.bin/wrangler");
    require(&wrangler, "make test (npm ci installs wrangler)");
    // Same environment as `make dev`: scripts/env.sh puts node 22 first.
    let mut command = Command::new("bash");
    command
        .current_dir(&root)
        .arg("-c")
        .arg("source scripts/env.sh && exec wrangler dev --port 0 --inspector-port 0");
    Server::reporting(command, "wrangler", Duration::from_secs(300))
}

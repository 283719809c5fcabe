//! Smoke test of the developer experience: `wrangler dev`, as `make dev`
//! starts it (building the worker first), answers GET /toy.
//!
//! Run: `make test`, or `cargo test --test wrangler_dev`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::{Server, get};

#[test]
fn wrangler_dev_serves_toy() {
    let server = Server::wrangler_dev();
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

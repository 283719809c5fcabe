//! `make heap`: what one request in flight keeps alive in the V8 heap, for
//! the wasm worker as deployed and for the plain-JS reference. Each runs on
//! bare workerd as every benchmark server does (wrangler.toml's
//! compatibility settings), with `TOY_SLEEP_MS=5000` and workerd's inspector
//! on; benches/workers/heap.mjs (run by the project's Node 22) takes a heap
//! snapshot after one request served and one with N requests sleeping, and
//! prints the live bytes per request in flight and what they are made of.
//! Loopback only.
//!
//! Run: `make heap` (builds the worker first), or `cargo bench --bench heap
//! -- 500` for another N (default 1000).

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod support;

/// Loopback load from a native process: nothing to run on wasm.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::process::Command;

    use common::{Server, app_worker, require, root};
    use support::JS_WORKER;

    // cargo passes `--bench` to a harness-less bench; N is the one number.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1000);
    let root = root();
    let node = root.join("node_modules/.bin/node");
    require(&node, "make heap (npm ci installs Node 22)");
    let vars = [("TOY_SLEEP_MS", "5000")];
    let servers = [
        ("wasm", app_worker("build")),
        (
            "js",
            app_worker("build").with_modules([("worker.mjs", root.join(JS_WORKER))]),
        ),
    ];
    for (name, worker) in servers {
        let (server, inspector) = Server::inspected(worker, &vars);
        println!(
            "== {name} (app 127.0.0.1:{}, inspector 127.0.0.1:{inspector}), {n} requests in flight",
            server.port
        );
        let status = Command::new(&node)
            .arg(root.join("benches/workers/heap.mjs"))
            .args([
                inspector.to_string(),
                server.port.to_string(),
                n.to_string(),
            ])
            .status()
            .expect("run node");
        assert!(
            status.success(),
            "heap.mjs failed ({status}):\n{}",
            server.log()
        );
    }
}

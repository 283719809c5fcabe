//! `make heap`: what one request in flight keeps alive in the V8 heap and
//! in the wasm's linear memory, for the wasm worker and for the plain-JS
//! reference, on bare workerd (wrangler.toml's compatibility settings) and
//! on Node (the standalone hosts' V8), each with its inspector on and
//! `TOY_SLEEP_MS=5000`. The wasm side is the test build, whose `/__stats`
//! reports its linear memory; the JS side loads nothing of the project.
//! benches/workers/heap.mjs (run by the project's Node 22) takes a heap
//! snapshot after one request served and one with N requests sleeping, and
//! prints the live bytes per request in flight, what they are made of, and
//! the linear memory at both points. Loopback only.
//!
//! Run: `make heap` (builds first), or `cargo bench --bench heap -- 500`
//! for another N (default 1000).

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod support;

fn main() {
    // Loopback load from a native process: nothing to run on wasm.
    #[cfg(not(target_arch = "wasm32"))]
    bench::main()
}

/// Everything but the wasm stub: native only.
#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use crate::{common, support};

    pub fn main() {
        use std::process::Command;

        use common::{app_worker, require, root};
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
        let js = || app_worker("build-test").with_modules([("worker.mjs", root.join(JS_WORKER))]);
        let servers = [
            (
                "workerd wasm",
                workerd_inspected(app_worker("build-test"), &vars),
            ),
            ("workerd js", workerd_inspected(js(), &vars)),
            ("node wasm", node_inspected(true, &vars)),
            ("node js", node_inspected(false, &vars)),
        ];
        for (name, (server, inspector)) in servers {
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

    /// A loopback port the kernel just handed out and this process let go of:
    /// neither workerd nor Node takes an inherited socket for its inspector.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|free| free.local_addr())
            .expect("a free loopback port")
            .port()
    }

    /// `server` and its inspector's `port`, once the inspector answers.
    fn answering(server: common::Server, port: u16) -> (common::Server, u16) {
        use std::time::{Duration, Instant};
        let deadline = Instant::now() + Duration::from_secs(10);
        let list = format!("http://127.0.0.1:{port}/json/list");
        while workerd_harness::send("GET", &list, None).is_err() {
            assert!(
                Instant::now() < deadline,
                "no inspector answered on 127.0.0.1:{port}:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (server, port)
    }

    /// `worker` on workerd with its inspector (the Chrome DevTools protocol).
    fn workerd_inspected(
        worker: workerd_harness::Workerd,
        vars: &[(&str, &str)],
    ) -> (common::Server, u16) {
        let port = free_port();
        answering(
            common::Server::start(worker.inspector_port(port), vars),
            port,
        )
    }

    /// The test build (`wasm`) or the JS reference on Node, with Node's
    /// inspector on (NODE_OPTIONS=--inspect).
    fn node_inspected(wasm: bool, vars: &[(&str, &str)]) -> (common::Server, u16) {
        use common::{Runtime, Server};
        let port = free_port();
        let inspect = format!("--inspect=127.0.0.1:{port}");
        let vars: Vec<(&str, &str)> = vars
            .iter()
            .copied()
            .chain([("NODE_OPTIONS", inspect.as_str())])
            .collect();
        let server = if wasm {
            Server::on(Runtime::Node, "build-test", &vars)
        } else {
            support::start_reference(Runtime::Node, support::JS_WORKER, &vars)
        };
        answering(server, port)
    }
}

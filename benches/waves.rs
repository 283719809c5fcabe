//! `make bench`, first part: every server side by side, one wave of N
//! concurrent GETs /toy at a time, loopback only: the wasm handler and a
//! plain-JavaScript worker (benches/workers/js-worker.mjs, the same /toy
//! contract) on bare workerd, and a native tokio server
//! (examples/tokio_server.rs) as the thread-owned-loop point of comparison.
//!
//! Servers: `wasm` (this worker as deployed), `js` (the same work in plain
//! JavaScript), `js-floor` (benches/workers/js-floor.mjs, sleep then JSON and
//! nothing else), `tokio`, and the seed's side from python/: `flask-fixed`
//! (a loop per request thread), `quart` (one loop hypercorn owns), `seed`
//! (fails: its errors), and the seed under the servers it recommends:
//! `gunicorn` and `uwsgi` (one worker process: serial) and their `-threads`
//! variants (fail). Each wave is repeated an odd number of times (3 at
//! N=5000, else 5), alternating servers; the table shows median (min–max)
//! per column. Also: the bundle's size (`wrangler deploy --dry-run`), what a
//! thread-owned loop costs per call, and the machine's own noise (one fixed
//! CPU loop timed 9 times). The paired wasm-vs-JS figures and their targets
//! are benches/runtimes.rs's. Writes benches/results.json and
//! benches/latency.svg (shown in docs/benchmark.md).
//!
//! Run: `make bench`, or after `make build`: `cargo bench --bench waves`
//! (`-- 1 100` for other wave sizes than 1 100 1000 5000).

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

    use std::time::Duration;

    use common::{Runtime, Server, get};
    use support::Wave;

    /// Starts the server called `name` with the given `[vars]`.
    fn start(name: &str, vars: &[(&str, &str)]) -> Server {
        match name {
            "wasm" => Server::on(Runtime::Workerd, "build", vars),
            "js" => support::start_reference(Runtime::Workerd, support::JS_WORKER, vars),
            "js-floor" => support::start_reference(Runtime::Workerd, support::JS_FLOOR, vars),
            "tokio" => tokio_example(vars),
            "flask-fixed" => Server::python("flask_fixed.py", vars),
            "quart" => Server::python("quart_app.py", vars),
            "seed" => Server::python("seed.py", vars),
            _ if is_wsgi(name) => Server::seed_under(name),
            _ => unreachable!("unknown server {name}"),
        }
    }

    const SERVERS: [&str; 11] = [
        "wasm",
        "js",
        "js-floor",
        "tokio",
        "flask-fixed",
        "quart",
        "seed",
        "gunicorn",
        "gunicorn-threads",
        "uwsgi",
        "uwsgi-threads",
    ];

    /// The seed under the production servers it recommends.
    fn is_wsgi(server: &str) -> bool {
        server.starts_with("gunicorn") || server.starts_with("uwsgi")
    }

    /// Servers whose warm-up request fails: the seed's view in a request thread.
    fn fails(server: &str) -> bool {
        server == "seed" || server.ends_with("-threads")
    }

    /// Whether `server` takes part in waves of `n`: the seed, which fails
    /// every request at once, only shows its error count up to 1000, and the
    /// seed's WSGI servers one wave of 100: enough to show serial service.
    fn takes_part(server: &str, n: usize) -> bool {
        match server {
            "seed" => n <= 1000,
            _ if is_wsgi(server) => n == 100,
            _ => true,
        }
    }

    /// Repetitions of a wave for `server` when the others get `most`: the
    /// serial WSGI servers once (a wave of 100 ends at hey's 30 s timeout).
    fn reps(server: &str, most: usize) -> usize {
        if matches!(server, "gunicorn" | "uwsgi") {
            1
        } else {
            most
        }
    }

    pub fn main() {
        let mut sizes: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if sizes.is_empty() {
            sizes = vec![1, 100, 1000, 5000];
        }
        let bundle = bundle_size();
        let (per_call_us, shared_us) = runtime_costs();
        println!(
            "[bench] thread-owned loops: a tokio runtime per call costs {per_call_us:.2} us, a call on a shared runtime {shared_us:.2} us"
        );
        let all = table_waves(&sizes);
        let noise = support::machine_noise();
        println!(
            "[bench] machine noise: one fixed loop, 9 runs: {} ms CPU (max/min {:.2})",
            noise.show(1),
            noise.max / noise.min
        );
        let rows = support::summarise(&all);
        println!(
            "\nmedian (min–max) over the repetitions, each column on its own; errors: all repetitions\n{}",
            support::markdown(&rows)
        );
        let gzip = bundle.1;
        let met = if gzip <= 46.0 { "met" } else { "MISSED" };
        println!("target: bundle gzip <= 46 KiB: {gzip:.2}    {met}");
        let results = serde_json::json!({
            "date": support::utc_now(),
            "sleep_ms": 1000,
            "bundle": { "total_kib": bundle.0, "gzip_kib": bundle.1 },
            "tokio_runtime_per_call_us": per_call_us,
            "tokio_shared_runtime_call_us": shared_us,
            "rows": rows,
            "machine_noise_ms": noise,
            "all_waves": all,
            "targets": [{"target": "bundle gzip <= 46 KiB", "value": gzip, "met": gzip <= 46.0}],
        });
        write_results(&results, &rows);
    }

    /// (Total Upload, gzip) in KiB from `wrangler deploy --dry-run`.
    fn bundle_size() -> (f64, f64) {
        println!("[bench] bundle size: wrangler deploy --dry-run");
        let dry = common::dry_run();
        println!(
            "[bench]   Total Upload {} KiB / gzip {} KiB",
            dry.total_kib, dry.gzip_kib
        );
        (dry.total_kib, dry.gzip_kib)
    }

    /// The table: every server, long-lived, a wave of each size. An odd number
    /// of repetitions, alternating servers, so drift and noise hit all alike and
    /// the median is one real run (the serial WSGI servers once: see `reps`).
    fn table_waves(sizes: &[usize]) -> Vec<Wave> {
        let servers: Vec<(&str, Server)> = SERVERS
            .iter()
            .map(|name| (*name, start(name, &[])))
            .collect();
        for (name, server) in &servers {
            // Warm: instantiate the isolate before measuring (the seed and the
            // threaded WSGI servers only fail).
            let want = if fails(name) { 500 } else { 200 };
            let status = get(&server.url("/toy")).status;
            assert!(
                status == want || name.ends_with("threads"),
                "{name}: {status}"
            );
        }
        let mut all: Vec<Wave> = Vec::new();
        for &n in sizes {
            let most = if n >= 5000 { 3 } else { 5 };
            for rep in 1..=most {
                let taking_part = servers
                    .iter()
                    .filter(|(name, _)| takes_part(name, n) && rep <= reps(name, most));
                for (name, server) in taking_part {
                    let wave = support::wave(name, server.pid(), &server.url("/toy"), n);
                    println!(
                        "[bench] {name:<8} N={n:<5} rep {rep}/{}  wall {:.3} s  p50 {:.1} ms  p99 {:.1} ms  errors {}  CPU {:.1} us/req  peak RSS {:.1} MiB",
                        reps(name, most),
                        wave.wall_s,
                        wave.p50_ms,
                        wave.p99_ms,
                        wave.errors,
                        wave.cpu_us_per_req,
                        wave.peak_rss_mib
                    );
                    all.push(wave);
                    std::thread::sleep(Duration::from_millis(500)); // let sockets settle
                }
            }
        }
        all
    }

    /// benches/results.json and the chart, benches/latency.svg.
    fn write_results(results: &serde_json::Value, rows: &[support::Row]) {
        let title = "GET /toy (1 s sleep): wasm and plain JS on workerd, tokio, the Python seed and its fixes and servers";
        support::write_record(
            "results.json",
            results,
            "latency.svg",
            support::charts::latency(rows, title),
        );
    }

    /// The thread-owned world's two fixes (tests/contrast.rs), priced: building a
    /// current-thread tokio runtime with a timer per call, against `block_on`
    /// through the handle of one runtime the server owns. Microseconds per call,
    /// mean of 2000 calls of an empty coroutine.
    fn runtime_costs() -> (f64, f64) {
        const CALLS: u32 = 2000;
        // The toy's coroutine without its sleep: tokio's timer has 1 ms ticks,
        // which would swamp what is being priced.
        let zero = || async { std::hint::black_box(1) };
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime")
                .block_on(zero());
        }
        let per_call = started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS);
        let shared = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .expect("runtime");
        let handle = shared.handle().clone();
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            handle.block_on(zero());
        }
        let shared_call = started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS);
        (per_call, shared_call)
    }

    /// The native tokio server (examples/tokio_server.rs, release build), on
    /// the port it picks and reports.
    fn tokio_example(vars: &[(&str, &str)]) -> Server {
        let binary = common::root().join("target/release/examples/tokio_server");
        common::require(&binary, "cargo build --release --example tokio_server");
        let mut command = std::process::Command::new(binary);
        command.arg("127.0.0.1:0").envs(vars.iter().copied());
        Server::reporting(command, "tokio", Duration::from_secs(30))
    }
}

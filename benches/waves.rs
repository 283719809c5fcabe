//! `make bench`: the wasm handler side by side with a plain-JavaScript worker
//! (bench/js-worker.mjs, the same /toy contract) on bare workerd, and with a
//! native tokio server (examples/tokio_server.rs) as the thread-owned-loop
//! point of comparison; one wave of N concurrent requests at a time,
//! loopback only.
//!
//! Each wave is repeated (5 times, twice at N=5000), alternating servers;
//! the table shows medians. Prints progress and a table, checks the targets,
//! and writes
//! bench/results.json and bench/latency.svg (shown in the README).
//! Waves: `cargo bench --bench waves -- 1 100 1000 5000` (the default).

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod support;

/// Loopback load from a native process: nothing to run on wasm.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
use common::{Server, agent, get};
#[cfg(not(target_arch = "wasm32"))]
use support::Wave;

#[cfg(not(target_arch = "wasm32"))]
const JS_WORKER: &str = "bench/js-worker.mjs";

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1, 100, 1000, 5000];
    }
    let root = common::root();

    println!("[bench] bundle size: wrangler deploy --dry-run");
    let (total_kib, gzip_kib) = common::dry_run_sizes();
    println!("[bench]   Total Upload {total_kib} KiB / gzip {gzip_kib} KiB");

    // Time to first response from process start, with no sleep to wait on.
    let zero = [("TOY_SLEEP_MS", "0")];
    let first = |server: &Server| {
        let reply = get(&agent(), &server.url("/toy"));
        assert_eq!(reply.status, 200, "{reply:?}");
    };
    let (_, ttfr_wasm) = support::time_to_first_response(|| Server::workerd("build", &zero), first);
    let (_, ttfr_js) =
        support::time_to_first_response(|| Server::workerd_js(JS_WORKER, &zero), first);
    let (_, ttfr_tokio) = support::time_to_first_response(|| Server::tokio_example(&zero), first);
    println!(
        "[bench] time to first response: wasm {ttfr_wasm:?}, js {ttfr_js:?}, tokio {ttfr_tokio:?}"
    );

    let (per_call_us, shared_us) = runtime_costs();
    println!(
        "[bench] thread-owned loops: a tokio runtime per call costs {per_call_us:.2} us, a call on a shared runtime {shared_us:.2} us"
    );

    let servers = [
        ("wasm", Server::workerd("build", &[])),
        ("js", Server::workerd_js(JS_WORKER, &[])),
        // The thread-owned loop done right, for comparison (not a target).
        ("tokio", Server::tokio_example(&[])),
    ];
    for (_, server) in &servers {
        first(server); // warm: instantiate the isolate before measuring
    }
    let mut all: Vec<Wave> = Vec::new();
    for &n in &sizes {
        // Repeat, alternating servers, so drift and noise hit both alike.
        let reps = if n >= 5000 { 2 } else { 5 };
        for rep in 1..=reps {
            for (name, server) in &servers {
                let wave = support::wave(name, server.pid(), &server.url("/toy"), n);
                println!(
                    "[bench] {name:<4} N={n:<5} rep {rep}/{reps}  wall {:.3} s  p50 {:.1} ms  p99 {:.1} ms  errors {}  CPU {:.1} us/req  peak RSS {:.1} MiB",
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
    let waves = support::medians(&all);

    println!(
        "\nmedians over the repetitions (errors: all repetitions):\n{}",
        support::table(&waves)
    );
    let find = |server: &str, n: usize| waves.iter().find(|w| w.server == server && w.n == n);
    let mut targets = Vec::new();
    if let (Some(w), Some(j)) = (find("wasm", 1000), find("js", 1000)) {
        targets.push((
            "c=1000 wave wall <= 1.03 x JS",
            w.wall_s / j.wall_s,
            w.wall_s <= 1.03 * j.wall_s,
        ));
        targets.push(("c=1000 p99 <= 1100 ms", w.p99_ms, w.p99_ms <= 1100.0));
        targets.push((
            "c=1000 CPU/request <= 1.2 x JS",
            w.cpu_us_per_req / j.cpu_us_per_req,
            w.cpu_us_per_req <= 1.2 * j.cpu_us_per_req,
        ));
    }
    if let Some(w) = find("wasm", 5000) {
        targets.push(("c=5000 zero errors", w.errors as f64, w.errors == 0));
    }
    targets.push(("bundle gzip <= 55 KiB", gzip_kib, gzip_kib <= 55.0));
    println!("target                              value    verdict");
    for (name, value, met) in &targets {
        println!(
            "{name:<34} {value:>7.3}    {}",
            if *met { "met" } else { "MISSED" }
        );
    }

    let results = serde_json::json!({
        "date": String::from_utf8_lossy(&std::process::Command::new("date").arg("-u").arg("+%Y-%m-%dT%H:%M:%SZ").output().map(|o| o.stdout).unwrap_or_default()).trim(),
        "sleep_ms": 1000,
        "bundle": { "total_kib": total_kib, "gzip_kib": gzip_kib },
        "time_to_first_response_ms": { "wasm": ttfr_wasm.as_secs_f64() * 1e3, "js": ttfr_js.as_secs_f64() * 1e3, "tokio": ttfr_tokio.as_secs_f64() * 1e3 },
        "tokio_runtime_per_call_us": per_call_us,
        "tokio_shared_runtime_call_us": shared_us,
        "waves": support::json_rows(&waves),
        "all_waves": support::json_rows(&all),
        "targets": targets.iter().map(|(name, value, met)| serde_json::json!({"target": name, "value": value, "met": met})).collect::<Vec<_>>(),
    });
    let json_path = root.join("bench/results.json");
    let svg_path = root.join("bench/latency.svg");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&results).expect("json") + "\n",
    )
    .expect("write results");
    std::fs::write(
        &svg_path,
        support::svg(
            &waves,
            "GET /toy (1 s sleep): wasm and plain JS on workerd, native tokio",
        ),
    )
    .expect("write svg");
    println!(
        "[bench] wrote {} and {}",
        json_path.display(),
        svg_path.display()
    );
}

/// The thread-owned world's two fixes (tests/contrast.rs), priced: building a
/// current-thread tokio runtime with a timer per call, against `block_on`
/// through the handle of one runtime the server owns. Microseconds per call,
/// mean of 2000 calls of an empty coroutine.
#[cfg(not(target_arch = "wasm32"))]
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

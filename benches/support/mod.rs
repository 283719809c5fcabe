//! What the benches share (`make bench`, `make soak`, `make heap`) with
//! their smoke runs in the test command (tests/bench_smoke.rs,
//! tests/soak_short.rs): the servers compared, waves, readings from /proc,
//! hey, the statistics, paired figures, the charts and the soak.
//!
//! A wave is N requests all in flight at once (`hey -n N -c N`) against one
//! server on 127.0.0.1. Per wave: wall time, p50/p99 latency, errors, the
//! server's CPU time per request and its peak RSS, read from /proc.
#![allow(dead_code)] // each user takes a subset

pub mod charts;
mod hey;
pub mod pairs;
pub mod soak;
mod stats;

// Each bench and test binary uses its own part, as with dead code above.
#[allow(unused_imports)]
pub use hey::{Outcome, hey, hey_wave, read_hey};
#[allow(unused_imports)]
pub use stats::{Row, Stat, markdown, median_ci95, summarise};

use crate::common::{Runtime, Server, app_worker, root};
use std::fs;
use std::time::{Duration, Instant};

/// The plain-JS reference: the same work as the wasm worker.
pub const JS_WORKER: &str = "benches/workers/js-worker.mjs";
/// The plain-JS floor: sleep, then JSON, nothing else.
pub const JS_FLOOR: &str = "benches/workers/js-floor.mjs";
/// The JS reference with the wasm module loaded beside it, never called
/// (imports JS_WORKER and build/index.js by those names).
pub const JS_WITH_WASM: &str = "benches/workers/js-with-wasm.mjs";
/// Its twin on Deno, Bun and Node (served by benches/workers/js-server.mjs).
pub const JS_WITH_WASM_STANDALONE: &str = "benches/workers/js-with-wasm-standalone.mjs";

/// The build's `fetch` without hosts/adapter.mjs, as a reference on Deno,
/// Bun and Node: what the adapter costs.
pub const WASM_BARE: &str = "benches/workers/wasm-bare.mjs";

/// The build in `build` on `runtime`; with `liftoff_only`, V8 keeps its wasm
/// in the baseline compiler (no optimising tier: a diagnosis, not something a
/// deployed worker can set), which workerd and Deno can be told.
pub fn start_wasm(
    runtime: Runtime,
    build: &str,
    liftoff_only: bool,
    vars: &[(&str, &str)],
) -> Server {
    match (runtime, liftoff_only) {
        (_, false) => Server::on(runtime, build, vars),
        (Runtime::Workerd, true) => {
            Server::start(app_worker(build).v8_flag("--liftoff-only"), vars)
        }
        (Runtime::Deno, true) => {
            let flags = [("DENO_V8_FLAGS", "--liftoff-only")];
            let vars: Vec<_> = vars.iter().copied().chain(flags).collect();
            Server::on(runtime, build, &vars)
        }
        _ => panic!("{}: no switch for V8's baseline compiler", runtime.name()),
    }
}

/// The plain-JS module `module` (relative to the root) on `runtime`, served
/// as the wasm is but loading nothing of the project: on bare workerd with
/// the app's compatibility settings, elsewhere through
/// benches/workers/js-server.mjs. On workerd, JS_WITH_WASM_STANDALONE stands
/// for its twin JS_WITH_WASM, which imports the build's glue and wasm as
/// modules.
pub fn start_reference(runtime: Runtime, module: &str, vars: &[(&str, &str)]) -> Server {
    if runtime != Runtime::Workerd {
        return Server::serve(runtime, &[("TOY_REFERENCE", module)], vars);
    }
    let app = app_worker("build");
    let modules = if module == JS_WITH_WASM_STANDALONE {
        let mut modules = vec![
            (JS_WITH_WASM.to_owned(), root().join(JS_WITH_WASM)),
            (JS_WORKER.to_owned(), root().join(JS_WORKER)),
        ];
        modules.extend(app.modules().iter().skip(1).cloned());
        modules
    } else {
        vec![("worker.mjs".to_owned(), root().join(module))]
    };
    Server::start(app.with_modules(modules), vars)
}

/// The time now as an HTTP date (Sun, 06 Dec 2026 20:13:09 GMT).
pub fn utc_now() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now())
}

/// One wave's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Wave {
    pub server: String,
    pub n: usize,
    pub wall_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
    pub cpu_us_per_req: f64,
    pub peak_rss_mib: f64,
}

/// CPU time the process has used so far: the sum over its threads of
/// /proc/PID/task/TID/schedstat's first field (nanoseconds on a CPU).
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// A `/proc/PID/status` field in KiB (e.g. "VmRSS", "VmHWM").
pub fn status_kib(pid: u32, field: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A process's memory after a wave, in MiB: its peak RSS (VmHWM), and the
/// RSS split into private anonymous memory (heaps, wasm memory, compiled
/// code) and file-backed pages (the workerd binary's code as it is touched).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    pub peak_mib: f64,
    pub anon_mib: f64,
    pub file_mib: f64,
}

impl Memory {
    pub fn of(pid: u32) -> Memory {
        let mib = |field| status_kib(pid, field) as f64 / 1024.0;
        Memory {
            peak_mib: mib("VmHWM"),
            anon_mib: mib("RssAnon"),
            file_mib: mib("RssFile"),
        }
    }
}

/// How much this machine's CPU time moves by itself: one fixed loop, 9 runs,
/// this thread's CPU time per run in ms (clock_gettime's thread clock).
pub fn machine_noise() -> Stat {
    let thread_cpu_ms = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec we own.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
    };
    let runs: Vec<f64> = (0..9)
        .map(|_| {
            let before = thread_cpu_ms();
            let mut x = 0u64;
            for i in 0..50_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
            std::hint::black_box(x);
            thread_cpu_ms() - before
        })
        .collect();
    Stat::of(&runs)
}

/// The wasm's extra over JS at two sizes `(n, MiB)`, split along the line
/// through both: (MiB per process, KiB per request in flight).
pub fn gap_split((n1, g1): (usize, f64), (n2, g2): (usize, f64)) -> (f64, f64) {
    let per_request_kib = (g2 - g1) * 1024.0 / (n2 - n1) as f64;
    (g1 - per_request_kib * n1 as f64 / 1024.0, per_request_kib)
}

/// Writes a bench's record to `benches/<json>` and its chart to
/// `benches/<chart>`, and says so.
pub fn write_record(json: &str, results: &serde_json::Value, chart: &str, svg: String) {
    let benches = crate::common::root().join("benches");
    let (json_path, svg_path) = (benches.join(json), benches.join(chart));
    fs::write(
        &json_path,
        serde_json::to_string_pretty(results).expect("json") + "\n",
    )
    .expect("write results");
    fs::write(&svg_path, svg).expect("write svg");
    println!(
        "[bench] wrote {} and {}",
        json_path.display(),
        svg_path.display()
    );
}

/// Fires one wave of `n` concurrent GETs at `url`, served by process `pid`.
pub fn wave(server: &str, pid: u32, url: &str, n: usize) -> Wave {
    // Reset the peak-RSS mark to the current RSS (clear_refs "5"), so that
    // VmHWM after the wave is this wave's peak, not the process lifetime's.
    let _ = fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let cpu_before = cpu_ns(pid);
    let outcome = hey_wave(url, n);
    let cpu = cpu_ns(pid).saturating_sub(cpu_before);
    Wave {
        server: server.to_owned(),
        n,
        // hey's own run time: its first request to its last answer.
        wall_s: outcome.total_s,
        p50_ms: outcome.p50_ms,
        p99_ms: outcome.p99_ms,
        errors: n.saturating_sub(outcome.ok),
        cpu_us_per_req: cpu as f64 / 1000.0 / n as f64,
        peak_rss_mib: status_kib(pid, "VmHWM") as f64 / 1024.0,
    }
}

/// Time from `start()` (spawning a server) to its first good answer.
pub fn time_to_first_response<S>(
    start: impl FnOnce() -> S,
    first_answer: impl FnOnce(&S),
) -> (S, Duration) {
    let started = Instant::now();
    let server = start();
    first_answer(&server);
    (server, started.elapsed())
}

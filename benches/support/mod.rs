//! Wave runner shared by `make bench` (benches/waves.rs) and its smoke run in
//! the test command (tests/bench_smoke.rs).
//!
//! A wave is N requests all in flight at once (`hey -n N -c N`) against one
//! server on 127.0.0.1. Per wave: wall time, p50/p99 latency, errors, the
//! server's CPU time per request and its peak RSS, read from /proc.
#![allow(dead_code)] // each user takes a subset

pub mod charts;
pub mod soak;

use crate::common::{Runtime, Server, app_worker, root};
use std::fs;
use std::process::Command;
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

/// The plain-JS module `module` on `runtime`, served as the wasm is. On
/// workerd, JS_WITH_WASM_STANDALONE stands for its twin JS_WITH_WASM, which
/// imports the build's glue and wasm as modules.
pub fn start_reference(runtime: Runtime, module: &str, vars: &[(&str, &str)]) -> Server {
    if runtime == Runtime::Workerd && module == JS_WITH_WASM_STANDALONE {
        let app = app_worker("build");
        let mut modules = vec![
            (JS_WITH_WASM.to_owned(), root().join(JS_WITH_WASM)),
            (JS_WORKER.to_owned(), root().join(JS_WORKER)),
        ];
        modules.extend(app.modules().iter().skip(1).cloned());
        return Server::start(app.with_modules(modules), vars);
    }
    Server::reference_on(runtime, module, vars)
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

/// What hey reports of a run: answers 200, everything else (other statuses
/// and failed requests), the bytes of all bodies, the p50 and p99 latency of
/// the answers, and the first few errors as hey words them.
#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: usize,
    pub errors: usize,
    pub body_bytes: u64,
    /// hey's own run time, seconds ("Total:").
    pub total_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub first_errors: Vec<String>,
}

/// Runs `hey` against `url` with `args` and a 30 s bound per request;
/// `sample` is called every `every` while it runs (`Duration::MAX`:
/// never). The one load generator of every bench and soak.
pub fn hey(url: &str, args: &[&str], every: Duration, mut sample: impl FnMut()) -> Outcome {
    const POLL: Duration = Duration::from_millis(5);
    let mut child = Command::new("hey")
        .args(args)
        .args(["-t", "30", url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hey (scripts/setup.sh --load installs it)");
    let mut next = Instant::now().checked_add(every);
    while child.try_wait().ok().flatten().is_none() {
        std::thread::sleep(POLL);
        if let Some(due) = next.filter(|due| Instant::now() >= *due) {
            sample();
            next = due.checked_add(every);
        }
    }
    let output = child.wait_with_output().expect("hey's output");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "hey failed: {}{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_hey(&text)
}

/// hey's summary: "  Total:\t1.0123 secs", "  Slowest:\t1.0210 secs" and
/// "  Total data:\t12000 bytes" under "Summary:",
/// "  50% in 1.0050 secs" under "Latency distribution:",
/// "  [200]\t1000 responses" under "Status code distribution:", and
/// "  [3]\tGet ...: connection refused" under "Error distribution:".
pub fn read_hey(text: &str) -> Outcome {
    let mut outcome = Outcome {
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        ..Outcome::default()
    };
    let mut section = "";
    let mut slowest_ms = f64::NAN;
    for line in text.lines().map(str::trim) {
        if line.ends_with(':') {
            section = line;
            continue;
        }
        let bracketed = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .map(|(inside, rest)| (inside, rest.trim()));
        match (section, bracketed) {
            ("Status code distribution:", Some((code, rest))) => {
                let count: usize = rest
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if code == "200" {
                    outcome.ok += count
                } else {
                    outcome.errors += count;
                    outcome
                        .first_errors
                        .push(format!("{count} answered {code}"));
                }
            }
            ("Error distribution:", Some((count, what))) => {
                outcome.errors += count.parse::<usize>().unwrap_or(1);
                outcome.first_errors.push(format!("{count}× {what}"));
            }
            ("Summary:", None) => {
                if let Some(secs) = line.strip_prefix("Total:") {
                    let secs = secs.split_whitespace().next().and_then(|s| s.parse().ok());
                    outcome.total_s = secs.unwrap_or(f64::NAN);
                }
                if let Some(secs) = line.strip_prefix("Slowest:") {
                    let secs = secs
                        .split_whitespace()
                        .next()
                        .and_then(|s| s.parse::<f64>().ok());
                    slowest_ms = secs.map_or(f64::NAN, |s| s * 1e3);
                }
                if let Some(bytes) = line.strip_prefix("Total data:") {
                    let bytes = bytes.split_whitespace().next().and_then(|n| n.parse().ok());
                    outcome.body_bytes = bytes.unwrap_or(0);
                }
            }
            ("Latency distribution:", None) => {
                let secs = |prefix| {
                    line.strip_prefix(prefix)?
                        .split_whitespace()
                        .next()?
                        .parse::<f64>()
                        .ok()
                };
                if let Some(s) = secs("50% in ") {
                    outcome.p50_ms = s * 1e3
                }
                if let Some(s) = secs("99% in ") {
                    outcome.p99_ms = s * 1e3
                }
            }
            _ => {}
        }
    }
    // hey prints a percentile only once an answer reaches it (none of 95%
    // and 99% below 100 answers, none at all for one): there the slowest
    // answer is the nearest-rank percentile.
    for percentile in [&mut outcome.p50_ms, &mut outcome.p99_ms] {
        if percentile.is_nan() {
            *percentile = slowest_ms;
        }
    }
    outcome.first_errors.truncate(5);
    outcome
}

/// `n` requests all in flight at once (`hey -n N -c N`).
pub fn hey_wave(url: &str, n: usize) -> Outcome {
    let n = n.to_string();
    hey(url, &["-n", &n, "-c", &n], Duration::MAX, || {})
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

/// Minimum, median and maximum of one figure over a row's repetitions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Stat {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Stat {
    /// Over an odd number of values, so the median is one of them, not a
    /// pick between two middles (with 2 the nearest rank is the better run).
    pub fn of(values: &[f64]) -> Stat {
        assert!(
            values.len() % 2 == 1,
            "{} repetitions: use an odd number",
            values.len()
        );
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Stat {
            min: sorted[0],
            median: sorted[sorted.len() / 2],
            max: sorted[sorted.len() - 1],
        }
    }

    /// `median (min–max)`, with `decimals` decimals.
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// A distribution-free 95% confidence interval for the median of `values`
/// (order statistics: ranks k and n+1-k with k = ⌊(n+1)/2 − 1.96·√n/2⌋);
/// `None` below 6 values, where no such interval reaches 95%.
pub fn median_ci95(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    let k = ((n as f64 + 1.0) / 2.0 - 0.98 * (n as f64).sqrt()).floor() as usize;
    if k < 1 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((sorted[k - 1], sorted[n - k]))
}

/// One (server, N) over its repetitions. Each column is summarised on its
/// own: the median wall time and the median CPU may come from different
/// repetitions. Errors are summed over all repetitions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub server: String,
    pub n: usize,
    pub reps: usize,
    pub wall_s: Stat,
    pub p50_ms: Stat,
    pub p99_ms: Stat,
    pub errors: usize,
    pub cpu_us_per_req: Stat,
    pub peak_rss_mib: Stat,
}

/// Rows in the order their (server, N) first appears in `waves`.
pub fn summarise(waves: &[Wave]) -> Vec<Row> {
    let mut keys: Vec<(String, usize)> = Vec::new();
    for w in waves {
        if !keys.iter().any(|(s, n)| *s == w.server && *n == w.n) {
            keys.push((w.server.clone(), w.n));
        }
    }
    keys.into_iter()
        .map(|(server, n)| {
            let group: Vec<&Wave> = waves
                .iter()
                .filter(|w| w.server == server && w.n == n)
                .collect();
            let stat =
                |f: fn(&Wave) -> f64| Stat::of(&group.iter().map(|w| f(w)).collect::<Vec<_>>());
            Row {
                reps: group.len(),
                wall_s: stat(|w| w.wall_s),
                p50_ms: stat(|w| w.p50_ms),
                p99_ms: stat(|w| w.p99_ms),
                errors: group.iter().map(|w| w.errors).sum(),
                cpu_us_per_req: stat(|w| w.cpu_us_per_req),
                peak_rss_mib: stat(|w| w.peak_rss_mib),
                server,
                n,
            }
        })
        .collect()
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

/// The rows as a Markdown table (printed by the benchmarks, pasted into
/// docs/benchmark.md), median (min–max) per column.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| server | N | reps | wave wall (s) | p50 (ms) | p99 (ms) | errors | CPU per request (µs) | peak RSS (MiB) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out += &format!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {} | {} | {} |\n",
            r.server,
            r.n,
            r.reps,
            r.wall_s.show(2),
            r.p50_ms.median,
            r.p99_ms.median,
            r.errors,
            r.cpu_us_per_req.show(0),
            r.peak_rss_mib.show(0)
        );
    }
    out
}

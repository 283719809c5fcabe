//! Wave runner shared by `make bench` (benches/waves.rs) and its smoke run in
//! the test command (tests/bench_smoke.rs).
//!
//! A wave is N requests all in flight at once (`hey -n N -c N`) against one
//! server on 127.0.0.1. Per wave: wall time, p50/p99 latency, errors, the
//! server's CPU time per request and its peak RSS, read from /proc.
#![allow(dead_code)] // each user takes a subset

pub mod runtime_chart;
pub mod soak;

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

/// The two probes `make bench` uses to take the fresh-memory gap apart:
/// `wasm-liftoff`, the worker as deployed with V8 keeping its wasm in the
/// baseline compiler (no optimising tier-up; a V8 flag, not something a
/// deployed worker can set), and `js+wasm`, the JS reference with the wasm
/// module loaded beside it but never called
/// (benches/workers/js-with-wasm.mjs).
pub fn memory_probe(name: &str, vars: &[(&str, &str)]) -> crate::common::Server {
    use crate::common::{Server, app_worker, root};
    let app = app_worker("build");
    match name {
        "wasm-liftoff" => Server::start(app.v8_flag("--liftoff-only"), vars),
        "js+wasm" => {
            // The JS reference as main module, beside the glue and the wasm.
            let mut modules = vec![
                (JS_WITH_WASM.to_owned(), root().join(JS_WITH_WASM)),
                (JS_WORKER.to_owned(), root().join(JS_WORKER)),
            ];
            modules.extend(app.modules().iter().skip(1).cloned());
            Server::start(app.with_modules(modules), vars)
        }
        _ => panic!("no memory probe called {name}"),
    }
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

/// Colour of a server in the charts, by family: host-provided loop (blues),
/// thread-owned loop in Rust (green), thread-owned loop in Python (oranges).
fn colour(server: &str) -> &'static str {
    match server {
        "wasm" => "#1864ab",
        "js" => "#4dabf7",
        "js-floor" => "#a5d8ff",
        "tokio" => "#2f9e44",
        "flask-fixed" => "#e8590c",
        "quart" => "#f59f00",
        "seed" => "#c92a2a",
        "gunicorn" => "#d9480f",
        "uwsgi" => "#a61e4d",
        _ => "#868e96",
    }
}

/// Chart geometry.
const W: f64 = 980.0;
const H: f64 = 400.0;
const L: f64 = 70.0;
const PLOT_R: f64 = 540.0;
const T: f64 = 46.0;
const B: f64 = 50.0;

/// An SVG chart: median p50 (solid) and p99 (dashed) latency against
/// concurrency (log scale) for every server that answered, and beside it,
/// CPU per request and peak RSS at the largest N up to 1000, as bars.
pub fn svg(rows: &[Row], title: &str) -> String {
    let answered: Vec<&Row> = rows.iter().filter(|r| r.errors < r.n * r.reps).collect();
    let max_n = rows.iter().map(|r| r.n).max().unwrap_or(1).max(10) as f64;
    let max_ms = answered
        .iter()
        .map(|r| r.p99_ms.median)
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let top_ms = (max_ms / 250.0).ceil() * 250.0;
    let x = |n: usize| L + (n.max(1) as f64).log10() / max_n.log10() * (PLOT_R - L);
    let y = |ms: f64| H - B - ms / top_ms * (H - T - B);
    let mut ns: Vec<usize> = rows.iter().map(|r| r.n).collect();
    ns.sort_unstable();
    ns.dedup();
    let mut out = axes(title, top_ms, &ns, &y, &x);
    // Servers that answered at some size (the seed and the threaded WSGI
    // servers only fail: no line, no bar, no legend entry).
    let mut servers: Vec<&str> = Vec::new();
    for r in &answered {
        if !servers.contains(&r.server.as_str()) {
            servers.push(&r.server);
        }
    }
    for server in &servers {
        let line: Vec<&&Row> = answered.iter().filter(|r| r.server == *server).collect();
        for p99 in [false, true] {
            let points: Vec<String> = line
                .iter()
                .map(|r| {
                    let ms = if p99 {
                        r.p99_ms.median
                    } else {
                        r.p50_ms.median
                    };
                    format!("{:.1},{:.1}", x(r.n), y(ms))
                })
                .collect();
            out += &format!(
                "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" {} points=\"{}\"/>\n",
                colour(server),
                if p99 { "stroke-dasharray=\"6 4\"" } else { "" },
                points.join(" ")
            );
        }
    }
    let bar_n = ns.iter().copied().filter(|&n| n <= 1000).max().unwrap_or(0);
    let at: Vec<&Row> = servers
        .iter()
        .filter_map(|s| rows.iter().find(|r| r.server == *s && r.n == bar_n))
        .collect();
    out += &bars(&at, bar_n);
    out += &legend(&servers);
    out + "</svg>\n"
}

/// The frame, title, axes and their labels.
fn axes(
    title: &str,
    top_ms: f64,
    ns: &[usize],
    y: &dyn Fn(f64) -> f64,
    x: &dyn Fn(usize) -> f64,
) -> String {
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="14">{title}</text>
<text x="{}" y="38" text-anchor="middle" fill="#555">blue: host-provided loop (wasm, JS) · green: thread-owned, Rust (tokio) · orange: thread-owned, Python</text>
<line x1="{L}" y1="{}" x2="{PLOT_R}" y2="{}" stroke="black"/>
<line x1="{L}" y1="{T}" x2="{L}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">concurrent requests in one wave (log scale)</text>
<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">latency (ms), p50 solid, p99 dashed</text>
"##,
        W / 2.0,
        W / 2.0,
        H - B,
        H - B,
        H - B,
        (L + PLOT_R) / 2.0,
        H - 12.0,
        H / 2.0,
        H / 2.0
    );
    for step in 0..=4 {
        let ms = top_ms * step as f64 / 4.0;
        out += &format!(
            "<line x1=\"{L}\" y1=\"{0}\" x2=\"{PLOT_R}\" y2=\"{0}\" stroke=\"#ddd\"/><text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">{ms:.0}</text>\n",
            y(ms),
            L - 6.0,
            y(ms) + 4.0
        );
    }
    for &n in ns {
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>\n",
            x(n),
            H - B + 16.0
        );
    }
    out
}

/// Two bar panels: CPU per request and peak RSS of each row.
fn bars(at: &[&Row], bar_n: usize) -> String {
    let mut out = String::new();
    let panels: [(&str, f64, Vec<f64>); 2] = [
        (
            "CPU per request (µs)",
            600.0,
            at.iter().map(|r| r.cpu_us_per_req.median).collect(),
        ),
        (
            "peak RSS (MiB)",
            790.0,
            at.iter().map(|r| r.peak_rss_mib.median).collect(),
        ),
    ];
    for (label, left, values) in &panels {
        let width = 170.0;
        let top = values.iter().copied().fold(1.0, f64::max);
        let step = (H - T - B - 20.0) / at.len().max(1) as f64;
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{label}, N={bar_n}</text>\n",
            left + width / 2.0,
            T + 6.0
        );
        for (i, (row, value)) in at.iter().zip(values).enumerate() {
            let top_y = T + 16.0 + step * i as f64;
            let length = value / top * (width - 50.0);
            out += &format!(
                "<rect x=\"{left}\" y=\"{top_y:.1}\" width=\"{length:.1}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{value:.0}</text>\n",
                step * 0.7,
                colour(&row.server),
                left + length + 4.0,
                top_y + step * 0.5
            );
        }
    }
    out
}

/// The legend, under the bars.
fn legend(servers: &[&str]) -> String {
    let mut out = String::new();
    for (i, server) in servers.iter().enumerate() {
        let lx = 600.0 + 125.0 * (i % 3) as f64;
        let ly = H - 34.0 + 16.0 * (i / 3) as f64;
        out += &format!(
            "<rect x=\"{lx}\" y=\"{}\" width=\"12\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{ly}\">{server}</text>\n",
            ly - 9.0,
            colour(server),
            lx + 16.0
        );
    }
    out
}

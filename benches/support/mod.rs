//! Wave runner shared by `make bench` (benches/waves.rs) and its smoke run in
//! the test command (tests/bench_smoke.rs).
//!
//! A wave is N requests all in flight at once (`hey -n N -c N`) against one
//! server on 127.0.0.1. Per wave: wall time, p50/p99 latency, errors, the
//! server's CPU time per request and its peak RSS, read from /proc.
#![allow(dead_code)] // each user takes a subset

pub mod load;
pub mod soak;

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

/// One wave's figures.
#[derive(Debug, Clone)]
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

/// The value at quantile `q` (0..=1) of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Fires one wave of `n` concurrent GETs at `url`, served by process `pid`.
pub fn wave(server: &str, pid: u32, url: &str, n: usize) -> Wave {
    let cpu_before = cpu_ns(pid);
    let started = Instant::now();
    let output = Command::new("hey")
        .args([
            "-n",
            &n.to_string(),
            "-c",
            &n.to_string(),
            "-t",
            "30",
            "-o",
            "csv",
            url,
        ])
        .output()
        .expect("run hey (scripts/setup.sh --load installs it)");
    let wall = started.elapsed();
    let cpu = cpu_ns(pid).saturating_sub(cpu_before);
    assert!(
        output.status.success(),
        "hey failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // hey's CSV lists answered requests only: response-time (s), ..., status-code, offset.
    let text = String::from_utf8_lossy(&output.stdout);
    let mut latencies = Vec::with_capacity(n);
    let mut ok = 0;
    for row in text.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        if cols.len() < 8 {
            continue;
        }
        if let Ok(seconds) = cols[0].parse::<f64>() {
            latencies.push(seconds * 1000.0);
        }
        if cols[6] == "200" {
            ok += 1;
        }
    }
    latencies.sort_by(f64::total_cmp);
    Wave {
        server: server.to_owned(),
        n,
        wall_s: wall.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        errors: n.saturating_sub(ok),
        cpu_us_per_req: cpu as f64 / 1000.0 / n as f64,
        peak_rss_mib: status_kib(pid, "VmHWM") as f64 / 1024.0,
    }
}

/// Minimum, median and maximum of one figure over a row's repetitions.
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// One (server, N) over its repetitions. Each column is summarised on its
/// own: the median wall time and the median CPU may come from different
/// repetitions. Errors are summed over all repetitions.
#[derive(Debug, Clone)]
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

/// The rows as an aligned text table: median (min–max) per column.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<8} {:>5} {:>4} {:>22} {:>8} {:>8} {:>6} {:>22} {:>22}\n",
        "server", "N", "reps", "wall s", "p50 ms", "p99 ms", "errors", "CPU us/req", "peak MiB"
    );
    for r in rows {
        out += &format!(
            "{:<8} {:>5} {:>4} {:>22} {:>8.1} {:>8.1} {:>6} {:>22} {:>22}\n",
            r.server,
            r.n,
            r.reps,
            r.wall_s.show(3),
            r.p50_ms.median,
            r.p99_ms.median,
            r.errors,
            r.cpu_us_per_req.show(1),
            r.peak_rss_mib.show(1)
        );
    }
    out
}

fn stat_json(s: &Stat) -> serde_json::Value {
    serde_json::json!({ "min": s.min, "median": s.median, "max": s.max })
}

/// The rows as JSON.
pub fn json_rows(rows: &[Row]) -> serde_json::Value {
    rows.iter()
        .map(|r| {
            serde_json::json!({
                "server": r.server, "n": r.n, "reps": r.reps,
                "wall_s": stat_json(&r.wall_s), "p50_ms": stat_json(&r.p50_ms),
                "p99_ms": stat_json(&r.p99_ms), "errors": r.errors,
                "cpu_us_per_req": stat_json(&r.cpu_us_per_req),
                "peak_rss_mib": stat_json(&r.peak_rss_mib),
            })
        })
        .collect()
}

/// Every wave as JSON.
pub fn json_waves(waves: &[Wave]) -> serde_json::Value {
    waves
        .iter()
        .map(|w| {
            serde_json::json!({
                "server": w.server, "n": w.n, "wall_s": w.wall_s, "p50_ms": w.p50_ms,
                "p99_ms": w.p99_ms, "errors": w.errors, "cpu_us_per_req": w.cpu_us_per_req,
                "peak_rss_mib": w.peak_rss_mib,
            })
        })
        .collect()
}

/// An SVG chart of median p50 (solid) and p99 (dashed) latency against
/// concurrency (log scale), one colour per server.
pub fn svg(rows: &[Row], title: &str) -> String {
    let waves: Vec<Wave> = rows
        .iter()
        .map(|r| Wave {
            server: r.server.clone(),
            n: r.n,
            wall_s: r.wall_s.median,
            p50_ms: r.p50_ms.median,
            p99_ms: r.p99_ms.median,
            errors: r.errors,
            cpu_us_per_req: r.cpu_us_per_req.median,
            peak_rss_mib: r.peak_rss_mib.median,
        })
        .collect();
    let waves = &waves[..];
    const W: f64 = 640.0;
    const H: f64 = 360.0;
    const L: f64 = 70.0;
    const R: f64 = 130.0;
    const T: f64 = 40.0;
    const B: f64 = 50.0;
    let colours = ["#d9480f", "#1971c2", "#2f9e44", "#7048e8"];
    let max_n = waves.iter().map(|w| w.n).max().unwrap_or(1).max(10) as f64;
    let max_ms = waves
        .iter()
        .map(|w| w.p99_ms)
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let top_ms = (max_ms / 250.0).ceil() * 250.0;
    let x = |n: usize| L + (n.max(1) as f64).log10() / max_n.log10() * (W - L - R);
    let y = |ms: f64| H - B - ms / top_ms * (H - T - B);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="14">{title}</text>
<line x1="{L}" y1="{}" x2="{}" y2="{}" stroke="black"/>
<line x1="{L}" y1="{T}" x2="{L}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">concurrent requests in one wave (log scale)</text>
<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">latency (ms)</text>
"#,
        W / 2.0,
        H - B,
        W - R,
        H - B,
        H - B,
        (L + W - R) / 2.0,
        H - 12.0,
        H / 2.0,
        H / 2.0
    );
    for step in 0..=4 {
        let ms = top_ms * step as f64 / 4.0;
        out += &format!(
            "<line x1=\"{L}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ddd\"/><text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{ms:.0}</text>\n",
            y(ms),
            W - R,
            L - 6.0,
            y(ms) + 4.0
        );
    }
    let mut ns: Vec<usize> = waves.iter().map(|w| w.n).collect();
    ns.sort_unstable();
    ns.dedup();
    for &n in &ns {
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>\n",
            x(n),
            H - B + 16.0
        );
    }
    let mut servers: Vec<&str> = waves.iter().map(|w| w.server.as_str()).collect();
    servers.sort_unstable();
    servers.dedup();
    for (i, server) in servers.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let rows: Vec<&Wave> = waves.iter().filter(|w| w.server == *server).collect();
        for (dash, pick) in [("", 0), ("stroke-dasharray=\"6 4\"", 1)] {
            let points: Vec<String> = rows
                .iter()
                .map(|w| {
                    let ms = if pick == 0 { w.p50_ms } else { w.p99_ms };
                    format!("{:.1},{:.1}", x(w.n), y(ms))
                })
                .collect();
            out += &format!(
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" {dash} points=\"{}\"/>\n",
                points.join(" ")
            );
            for point in &points {
                let (cx, cy) = point.split_once(',').unwrap_or_default();
                out += &format!("<circle cx=\"{cx}\" cy=\"{cy}\" r=\"3\" fill=\"{colour}\"/>\n");
            }
        }
        let ly = T + 10.0 + 36.0 * i as f64;
        out += &format!(
            "<line x1=\"{0}\" y1=\"{ly}\" x2=\"{1}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{2}\" y=\"{3}\">{server} p50</text>\n\
             <line x1=\"{0}\" y1=\"{4}\" x2=\"{1}\" y2=\"{4}\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{2}\" y=\"{5}\">{server} p99</text>\n",
            W - R + 10.0,
            W - R + 34.0,
            W - R + 40.0,
            ly + 4.0,
            ly + 16.0,
            ly + 20.0
        );
    }
    out + "</svg>\n"
}

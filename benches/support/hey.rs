//! hey, the one load generator of every bench and soak: runs it, samples
//! while it runs, and reads its summary.

use std::process::Command;
use std::time::{Duration, Instant};

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

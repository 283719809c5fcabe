//! The statistics the benches report: min, median and max of an odd number
//! of repetitions, the median's 95% interval, and a wave table's rows.

use super::Wave;

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

//! `make bench`: the wasm handler side by side with a plain-JavaScript worker
//! (benches/workers/js-worker.mjs, the same /toy contract) on bare workerd, and with a
//! native tokio server (examples/tokio_server.rs) as the thread-owned-loop
//! point of comparison; one wave of N concurrent requests at a time,
//! loopback only.
//!
//! Servers: `wasm` (this worker as deployed), `js` (benches/workers/js-worker.mjs, the
//! same work in plain JavaScript: the reference), `js-floor`
//! (benches/workers/js-floor.mjs, sleep then JSON and nothing else), `tokio`,
//! and the seed's side from python/: `flask-fixed` (a loop per request
//! thread), `quart` (one loop hypercorn owns), `seed` (fails: its errors),
//! and the seed under the servers it recommends: `gunicorn` and `uwsgi` (one
//! worker process: serial) and their `-threads` variants (fail).
//! Each wave is repeated an odd number of times (3 from N=2000, else 5),
//! alternating servers; the table shows median (min–max) per column. Then,
//! for the wasm-vs-JS targets at N=1000 and 2000: a series of wasm and JS
//! waves alone, on a fresh pair of servers per size, in pairs (31 and 21),
//! CPU and wall as the median of the per-pair ratios (with a 95% interval for
//! the CPU's); and memory from fresh processes (one warm request, one wave; 5
//! alternating repetitions at N=1000 and 2000), split into private memory
//! (RssAnon) and file-backed pages (RssFile: workerd's own code as the
//! process touches it); at N=1000 two probes take the gap apart
//! (`support::memory_probe`: the wasm module loaded but not called; the wasm
//! kept in V8's baseline compiler), and the two sizes split it into a
//! per-process and a per-request part. And the machine's own noise: one fixed
//! CPU loop timed 9 times. Prints progress and a table, checks the targets,
//! and writes benches/results.json and benches/latency.svg (shown in the
//! README).
//! Waves: `cargo bench --bench waves -- 1 100 1000 2000 5000` (the default).

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
    bench::main()
}

/// Everything but the wasm stub: native only.
#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use crate::{common, support};

    use std::time::Duration;

    use common::{Server, get};
    use support::Wave;

    /// Starts the server called `name` with the given `[vars]`.
    fn start(name: &str, vars: &[(&str, &str)]) -> Server {
        match name {
            "wasm" => Server::workerd("build", vars),
            "js" => Server::workerd_js(support::JS_WORKER, vars),
            "js-floor" => Server::workerd_js(support::JS_FLOOR, vars),
            "tokio" => tokio_example(vars),
            "flask-fixed" => Server::python_with("flask_fixed.py", vars),
            "quart" => Server::python_with("quart_app.py", vars),
            "seed" => Server::python_with("seed.py", vars),
            _ if is_wsgi(name) => Server::seed_under(name),
            "wasm-liftoff" | "js+wasm" => support::memory_probe(name, vars),
            _ => unreachable!("unknown server {name}"),
        }
    }

    /// Rounds of start-ups for the time to the first response (each round
    /// starts every non-Python server once).
    const TTFR_ROUNDS: usize = 21;

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

    /// The Python servers sleep a fixed second (python/): no start-up timing.
    fn is_python(server: &str) -> bool {
        matches!(server, "flask-fixed" | "quart" | "seed") || is_wsgi(server)
    }

    /// The seed under the production servers it recommends.
    fn is_wsgi(server: &str) -> bool {
        server.starts_with("gunicorn") || server.starts_with("uwsgi")
    }

    /// Servers whose warm-up request fails: the seed's view in a request thread.
    fn fails(server: &str) -> bool {
        server == "seed" || server.ends_with("-threads")
    }

    /// Whether `server` takes part in waves of `n`: the Python servers skip
    /// 2000 (the wasm-vs-JS targets' extra size), the seed, which fails every
    /// request at once, only shows its error count up to 1000, and the seed's
    /// WSGI servers one wave of 100: enough to show serial service.
    fn takes_part(server: &str, n: usize) -> bool {
        match server {
            "flask-fixed" | "quart" => n != 2000,
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
            .filter(|a| !a.starts_with("--"))
            .filter_map(|a| a.parse().ok())
            .collect();
        if sizes.is_empty() {
            sizes = vec![1, 100, 1000, 2000, 5000];
        }
        let bundle = bundle_size();
        let ttfr = time_to_first_response();
        let (per_call_us, shared_us) = runtime_costs();
        println!(
            "[bench] thread-owned loops: a tokio runtime per call costs {per_call_us:.2} us, a call on a shared runtime {shared_us:.2} us"
        );
        let all = table_waves(&sizes);
        let pairs = target_series(&sizes);
        let fresh = fresh_memory(&sizes);
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
        let (mut targets, ratios) = wasm_vs_js(&rows, &pairs, &fresh);
        if let Some(w) = rows.iter().find(|r| r.server == "wasm" && r.n == 5000) {
            targets.push(("c=5000 zero errors".into(), w.errors as f64, w.errors == 0));
        }
        let gzip = bundle.1;
        targets.push(("bundle gzip <= 46 KiB".into(), gzip, gzip <= 46.0));
        let first = ttfr.paired.median;
        targets.push(("first response <= 1.15 x JS".into(), first, first <= 1.15));
        println!("target                              value    verdict");
        for (name, value, met) in &targets {
            println!(
                "{name:<34} {value:>7.3}    {}",
                if *met { "met" } else { "MISSED" }
            );
        }
        let results = serde_json::json!({
            "date": support::utc_now(),
            "sleep_ms": 1000,
            "bundle": { "total_kib": bundle.0, "gzip_kib": bundle.1 },
            "time_to_first_response_ms": ttfr.stats.iter().map(|(name, s)| (name.to_string(), serde_json::json!(s))).collect::<serde_json::Map<_, _>>(),
            "time_to_first_response_wasm_js": {"paired": ttfr.paired, "ci95": ttfr.ci, "ratios": ttfr.ratios},
            "tokio_runtime_per_call_us": per_call_us,
            "tokio_shared_runtime_call_us": shared_us,
            "rows": rows,
            "wasm_vs_js": ratios,
            "fresh_memory": fresh.iter().map(|(name, n, samples)| serde_json::json!({"server": name, "n": n, "samples": samples})).collect::<Vec<_>>(),
            "machine_noise_ms": noise,
            "all_waves": all,
            "target_pairs": pairs.iter().map(|(n, series)| serde_json::json!({"n": n, "wasm_js": series})).collect::<Vec<_>>(),
            "targets": targets.iter().map(|(name, value, met)| serde_json::json!({"target": name, "value": value, "met": met})).collect::<Vec<_>>(),
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

    /// Time from process start to the first 200, per server, and wasm over JS.
    struct FirstResponse {
        stats: Vec<(&'static str, support::Stat)>,
        ratios: Vec<f64>,
        paired: support::Stat,
        ci: Option<(f64, f64)>,
    }

    /// Time from process start to the first 200, with no sleep to wait on.
    /// One start of a process moves by ±15% from the next on this machine, so
    /// the target is judged like the CPU one: per round a wasm and a JS start
    /// back to back (order alternating), the median of the per-round ratios
    /// with its 95% interval. The other servers start once per round.
    fn time_to_first_response() -> FirstResponse {
        let zero = [("TOY_SLEEP_MS", "0")];
        let mut ttfr: Vec<(&'static str, Vec<f64>)> = SERVERS
            .iter()
            .filter(|name| !is_python(name))
            .map(|s| (*s, Vec::new()))
            .collect();
        for round in 0..TTFR_ROUNDS {
            let mut order: Vec<usize> = (0..ttfr.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let (name, samples) = &mut ttfr[i];
                let (_, took) = support::time_to_first_response(
                    || start(name, &zero),
                    |server: &Server| {
                        let reply = get(&server.url("/toy"));
                        assert_eq!(reply.status, 200, "{name}: {reply:?}");
                    },
                );
                samples.push(took.as_secs_f64() * 1e3);
            }
        }
        let starts = |name: &str| {
            ttfr.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.as_slice())
                .expect("wasm and js are among SERVERS")
        };
        let ratios: Vec<f64> = starts("wasm")
            .iter()
            .zip(starts("js"))
            .map(|(w, j)| w / j)
            .collect();
        let stats: Vec<(&str, support::Stat)> = ttfr
            .iter()
            .map(|(name, samples)| (*name, support::Stat::of(samples)))
            .collect();
        for (name, stat) in &stats {
            println!(
                "[bench] time to first response, {name}: {} ms ({TTFR_ROUNDS} starts)",
                stat.show(1)
            );
        }
        let paired = support::Stat::of(&ratios);
        let ci = support::median_ci95(&ratios);
        if let Some((lo, hi)) = ci {
            println!(
                "[bench] time to first response, wasm/js per round: median {:.3}, 95% interval {lo:.3}-{hi:.3}",
                paired.median
            );
        }
        FirstResponse {
            stats,
            ratios,
            paired,
            ci,
        }
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
            let most = if n >= 2000 { 3 } else { 5 };
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

    /// The wasm-vs-JS CPU and wall targets: a series per size on a wasm and a
    /// JS server started for it (3 waves of N first, not counted), alone, back
    /// to back, in pairs whose order alternates. One wave's CPU per request
    /// moves by ±20% from the next of the same server (workerd's own HTTP work),
    /// so a median of 9 ratios moved by up to 0.06 between runs. Fresh servers,
    /// because the ratio depends on what a process has been through: after
    /// waves of 5000 have grown both heaps, it reads lower than on young ones
    /// (docs/benchmark.md).
    fn target_series(sizes: &[usize]) -> Vec<(usize, Vec<(Wave, Wave)>)> {
        let mut pairs = Vec::new();
        for n in sizes.iter().copied().filter(|n| [1000, 2000].contains(n)) {
            let wasm = start("wasm", &[]);
            let js = start("js", &[]);
            let run = |name: &str| {
                let server = if name == "wasm" { &wasm } else { &js };
                let wave = support::wave(name, server.pid(), &server.url("/toy"), n);
                std::thread::sleep(Duration::from_millis(500));
                wave
            };
            for _ in 0..3 {
                run("wasm");
                run("js");
            }
            let count = target_pairs(n);
            let mut series = Vec::with_capacity(count);
            for k in 1..=count {
                let (w, j) = if k % 2 == 1 {
                    let w = run("wasm");
                    (w, run("js"))
                } else {
                    let j = run("js");
                    (run("wasm"), j)
                };
                println!(
                    "[bench] target pair N={n:<5} {k}/{count}  CPU wasm {:.1} js {:.1} us/req ({:.3})  wall {:.3} {:.3} s  errors {} {}",
                    w.cpu_us_per_req,
                    j.cpu_us_per_req,
                    w.cpu_us_per_req / j.cpu_us_per_req,
                    w.wall_s,
                    j.wall_s,
                    w.errors,
                    j.errors
                );
                series.push((w, j));
            }
            pairs.push((n, series));
        }
        pairs
    }

    /// Fresh-process memory samples: (server, N, one per repetition).
    type Fresh = Vec<(&'static str, usize, Vec<support::Memory>)>;

    /// Memory from fresh processes (one warm request, one wave; 5 alternating
    /// repetitions at N=1000 and 2000): the long-lived servers carry every
    /// earlier wave in their RSS. At 1000 the two probes take the gap apart.
    fn fresh_memory(sizes: &[usize]) -> Fresh {
        let mut fresh: Fresh = Vec::new();
        for n in sizes.iter().copied().filter(|n| [1000, 2000].contains(n)) {
            let probes: &[&'static str] = if n == 1000 {
                &["wasm", "js", "wasm-liftoff", "js+wasm"]
            } else {
                &["wasm", "js"]
            };
            for name in probes {
                fresh.push((name, n, Vec::new()));
            }
            for rep in 1..=5 {
                for (name, _, samples) in fresh.iter_mut().filter(|(_, m, _)| *m == n) {
                    let server = start(name, &[]);
                    assert_eq!(get(&server.url("/toy")).status, 200, "{name}");
                    let wave = support::wave(name, server.pid(), &server.url("/toy"), n);
                    assert_eq!(wave.errors, 0, "{wave:?}");
                    let memory = support::Memory::of(server.pid());
                    println!(
                        "[bench] fresh {name:<12} N={n:<5} rep {rep}/5  peak RSS {:.1} MiB  private {:.1}  file-backed {:.1}",
                        memory.peak_mib, memory.anon_mib, memory.file_mib
                    );
                    samples.push(memory);
                }
            }
        }
        let peak = |name: &str| fresh_stat(&fresh, name, 1000, |m| m.peak_mib).map(|s| s.median);
        if let (Some(wasm), Some(js), Some(liftoff), Some(loaded)) = (
            peak("wasm"),
            peak("js"),
            peak("wasm-liftoff"),
            peak("js+wasm"),
        ) {
            println!(
                "[bench] fresh peak RSS at N=1000, wasm {:+.1} MiB over js: the wasm module loaded but not called {:+.1}; \
             running it in V8's baseline compiler (compiled code, workerd's pages, per-request memory) {:+.1}; \
             V8's optimising tier-up {:+.1}",
                wasm - js,
                loaded - js,
                liftoff - loaded,
                wasm - liftoff
            );
        }
        fresh
    }

    fn fresh_stat(
        fresh: &Fresh,
        name: &str,
        n: usize,
        f: fn(&support::Memory) -> f64,
    ) -> Option<support::Stat> {
        fresh
            .iter()
            .find(|(s, m, _)| *s == name && *m == n)
            .map(|(_, _, samples)| support::Stat::of(&samples.iter().map(f).collect::<Vec<_>>()))
    }

    /// (target, value, met) rows.
    type Targets = Vec<(String, f64, bool)>;

    /// The wasm-vs-JS targets at 1000 and 2000, from the paired series and the
    /// fresh memory; and the fresh-memory gap split into a per-process and a
    /// per-request part.
    fn wasm_vs_js(
        rows: &[support::Row],
        pairs: &[(usize, Vec<(Wave, Wave)>)],
        fresh: &Fresh,
    ) -> (Targets, serde_json::Map<String, serde_json::Value>) {
        let mut targets = Targets::new();
        let mut ratios = serde_json::Map::new();
        let find = |server: &str, n: usize| rows.iter().find(|r| r.server == server && r.n == n);
        for n in [1000, 2000] {
            let (Some(w), Some(j)) = (find("wasm", n), find("js", n)) else {
                continue;
            };
            let series = pairs
                .iter()
                .find(|(m, _)| *m == n)
                .map(|(_, series)| series.as_slice())
                .expect("a target series at every size 1000 and 2000 that ran");
            let json = pair_figures(n, w, j, series, fresh, &mut targets);
            ratios.insert(format!("c={n}"), json);
        }
        let peak =
            |n: usize, name: &str| fresh_stat(fresh, name, n, |m| m.peak_mib).map(|s| s.median);
        let gap = |n: usize| Some(peak(n, "wasm")? - peak(n, "js")?);
        if let (Some(g1), Some(g2), Some(js1)) = (gap(1000), gap(2000), peak(1000, "js")) {
            ratios.insert("fresh_rss_gap_mib".into(), rss_gap(g1, g2, js1));
        }
        (targets, ratios)
    }

    /// One size's wasm/JS figures, printed, with its targets pushed.
    fn pair_figures(
        n: usize,
        w: &support::Row,
        j: &support::Row,
        series: &[(Wave, Wave)],
        fresh: &Fresh,
        targets: &mut Targets,
    ) -> serde_json::Value {
        let ratio = |a: &support::Stat, b: &support::Stat| a.median / b.median;
        let per_pair =
            |f: fn(&Wave) -> f64| -> Vec<f64> { series.iter().map(|(w, j)| f(w) / f(j)).collect() };
        let cpu = ratio(&w.cpu_us_per_req, &j.cpu_us_per_req);
        let cpu_ratios = per_pair(|w| w.cpu_us_per_req);
        let cpu_paired = support::Stat::of(&cpu_ratios);
        let cpu_ci = support::median_ci95(&cpu_ratios);
        let total = |f: fn(&(Wave, Wave)) -> f64| series.iter().map(f).sum::<f64>();
        let cpu_summed = total(|(w, _)| w.cpu_us_per_req) / total(|(_, j)| j.cpu_us_per_req);
        let wall_paired = support::Stat::of(&per_pair(|w| w.wall_s));
        let wall = wall_paired.median;
        let long_lived_rss = ratio(&w.peak_rss_mib, &j.peak_rss_mib);
        let fresh_ratio = |f: fn(&support::Memory) -> f64| {
            Some(fresh_stat(fresh, "wasm", n, f)?.median / fresh_stat(fresh, "js", n, f)?.median)
        };
        let peak = fresh_ratio(|m| m.peak_mib);
        let anon = fresh_ratio(|m| m.anon_mib);
        let file_extra = fresh_stat(fresh, "wasm", n, |m| m.file_mib)
            .zip(fresh_stat(fresh, "js", n, |m| m.file_mib))
            .map(|(w, j)| w.median - j.median);
        println!(
            "[bench] c={n} wasm/js: CPU {} over {} pairs, median's 95% interval {} (ratio of sums {cpu_summed:.3}; of the table's medians {cpu:.3}); wall {}; peak RSS long-lived {long_lived_rss:.3}, fresh {}; private memory {}; file-backed pages {} MiB more",
            cpu_paired.show(3),
            target_pairs(n),
            cpu_ci.map_or("-".into(), |(lo, hi)| format!("{lo:.3}–{hi:.3}")),
            wall_paired.show(3),
            peak.map_or("-".into(), |r| format!("{r:.3}")),
            anon.map_or("-".into(), |r| format!("{r:.3}")),
            file_extra.map_or("-".into(), |d| format!("{d:+.1}")),
        );
        let median = cpu_paired.median;
        targets.push((
            format!("c={n} CPU/request <= 1.10 x JS"),
            median,
            median <= 1.10,
        ));
        if let Some(rss) = peak {
            targets.push((format!("c={n} peak RSS <= 1.10 x JS"), rss, rss <= 1.10));
        }
        targets.push((format!("c={n} wave wall <= 1.03 x JS"), wall, wall <= 1.03));
        serde_json::json!({
            "pairs": target_pairs(n), "cpu_medians": cpu, "cpu_paired": cpu_paired,
            "cpu_paired_ci95": cpu_ci, "cpu_summed": cpu_summed, "wall": wall, "wall_paired": wall_paired, "peak_rss_long_lived": long_lived_rss, "peak_rss_fresh": peak,
            "private_memory_fresh": anon, "file_backed_extra_mib": file_extra,
        })
    }

    /// The fresh-memory gap (wasm minus JS) at two sizes: how much of it grows
    /// with requests in flight, and how much is there per process whatever the
    /// load (the wasm module, V8's compiled code and compilers).
    fn rss_gap(g1: f64, g2: f64, js1: f64) -> serde_json::Value {
        let (fixed_mib, per_request_kib) = support::gap_split((1000, g1), (2000, g2));
        let reading = if per_request_kib > 0.0 {
            format!(
                "{fixed_mib:.1} MiB per process + {per_request_kib:.2} KiB per request in flight; \
             with nothing per request the ratio at 1000 would be {:.3}",
                (js1 + fixed_mib) / js1
            )
        } else {
            "no growth with requests in flight this run can resolve: the gap is per process".into()
        };
        println!(
            "[bench] fresh peak RSS, wasm minus js: {g1:+.1} MiB at 1000, {g2:+.1} at 2000: {reading}"
        );
        serde_json::json!({"n1000": g1, "n2000": g2, "per_request_kib": per_request_kib})
    }

    /// benches/results.json and the chart, benches/latency.svg.
    fn write_results(results: &serde_json::Value, rows: &[support::Row]) {
        let title = "GET /toy (1 s sleep): wasm and plain JS on workerd, tokio, the Python seed and its fixes and servers";
        support::write_record(
            "results.json",
            results,
            "latency.svg",
            support::svg(rows, title),
        );
    }

    /// How many wasm/JS wave pairs carry the targets at `n`: odd, so the median
    /// is one real pair.
    fn target_pairs(n: usize) -> usize {
        if n >= 2000 { 21 } else { 31 }
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

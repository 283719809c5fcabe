//! `make bench`, second part: the one build on Deno, Bun and Node, each
//! beside the same plain-JS handler (benches/workers/js-worker.mjs, the
//! reference of the workerd rows) served the same way and loading nothing of
//! the project (benches/workers/js-server.mjs), loopback only.
//!
//! Per runtime and wave size (1000, 5000 requests at once, 1 s sleep): a
//! fresh wasm and a fresh JS server, one uncounted wave each, then pairs of
//! waves (15 at 1000, 7 at 5000) whose order alternates. Per wave: CPU per
//! request (schedstat of every thread), wall, errors, the wave's peak RSS
//! (VmHWM, reset before it). Reported: medians (min–max), and the median of
//! the per-pair wasm/JS ratios with its 95% interval. Then the time from
//! spawning to the first 200 (11 alternating rounds of fresh starts, paired),
//! and the peak RSS of one wave of 1000 and of 2000 from a fresh process (5
//! alternating pairs each): the gap split into a part per process and a part
//! per request in flight.
//! Before the waves, on workerd too: the handler's own CPU per request under
//! keep-alive load with TOY_SLEEP_MS=0 (5 alternating pairs of fresh
//! servers). Checks the targets (CPU per request <= 1.10x the JS handler on
//! the same runtime in waves, <= 1.25x keep-alive; 0 errors at 5000; fresh
//! peak RSS at 1000 <= 1.10x), writes benches/runtimes.json and
//! benches/runtimes.svg (shown in docs/benchmark.md).
//!
//! Run: `make bench`, or after `make build`: `cargo bench --bench runtimes`
//! (`-- deno` for one runtime; `-- --keep-alive` or `-- --memory` that part
//! only). Ablations, which write nothing: `-- --bare` puts the build's `fetch` without
//! hosts/adapter.mjs (benches/workers/wasm-bare.mjs) in the JS reference's
//! place (the adapter's cost); TOY_BENCH_BUILD=build-abort serves that build
//! as the wasm side (`scripts/build.sh --panic-abort --out-dir build-abort`:
//! what unwinding costs); `-- --memory --loaded` puts the JS reference with
//! the wasm module instantiated but never called
//! (benches/workers/js-with-wasm-standalone.mjs) in its place (what running
//! the module costs beyond having it); `DENO_V8_FLAGS=--liftoff-only` keeps
//! Deno's wasm in V8's baseline compiler (what the optimising tier costs).

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

    use {
        common::{Runtime, Server, get},
        serde_json::json,
        std::time::Duration,
        support::{Stat, Wave},
    };

    const RUNTIMES: [Runtime; 3] = [Runtime::Deno, Runtime::Bun, Runtime::Node];
    const SIZES: [usize; 2] = [1000, 5000];
    const TTFR_ROUNDS: usize = 11;
    /// The targets: CPU per request of the wasm over the JS handler, in waves
    /// and under keep-alive load with no sleep.
    const CPU_TARGET: f64 = 1.10;
    const KEEP_ALIVE_TARGET: f64 = 1.25;
    /// Keep-alive pairs per runtime, fresh servers each: odd, for the median.
    const KEEP_ALIVE_PAIRS: usize = 5;
    /// Fresh-process memory: pairs per wave size (odd), the sizes, the target.
    const FRESH_PAIRS: usize = 5;
    const FRESH_SIZES: [usize; 2] = [1000, 2000];
    const FRESH_RSS_TARGET: f64 = 1.10;

    /// Counted wave pairs at `n`: odd, so the median is one real pair.
    fn pairs(n: usize) -> usize {
        if n >= 5000 { 7 } else { 15 }
    }

    /// One runtime at one size: the wasm's and the JS handler's waves, pair by
    /// pair.
    struct Series {
        runtime: Runtime,
        n: usize,
        wasm: Vec<Wave>,
        js: Vec<Wave>,
    }

    /// The module the wasm is compared with: the JS reference, or with
    /// `--bare` the wasm without the adapter, or with `--loaded` the JS
    /// reference beside the wasm module it never calls.
    fn reference() -> &'static str {
        if std::env::args().any(|a| a == "--bare") {
            "benches/workers/wasm-bare.mjs"
        } else if std::env::args().any(|a| a == "--loaded") {
            support::JS_WITH_WASM_STANDALONE
        } else {
            support::JS_WORKER
        }
    }

    /// The build the wasm side serves: build/, or for an ablation the
    /// directory in TOY_BENCH_BUILD (`scripts/build.sh --panic-abort --out-dir
    /// build-abort`).
    fn wasm_build() -> String {
        std::env::var("TOY_BENCH_BUILD").unwrap_or_else(|_| "build".into())
    }

    fn start(runtime: Runtime, wasm: bool, vars: &[(&str, &str)]) -> Server {
        if wasm {
            Server::on(runtime, &wasm_build(), vars)
        } else {
            Server::reference_on(runtime, reference(), vars)
        }
    }

    fn series(runtime: Runtime, n: usize) -> Series {
        let name = runtime.name();
        let servers = [start(runtime, true, &[]), start(runtime, false, &[])];
        for server in &servers {
            assert_eq!(get(&server.url("/toy")).status, 200, "{name}");
            support::wave(name, server.pid(), &server.url("/toy"), n);
        }
        let mut out = Series {
            runtime,
            n,
            wasm: Vec::new(),
            js: Vec::new(),
        };
        for pair in 0..pairs(n) {
            let order = if pair % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let label = format!("{name}-{}", if i == 0 { "wasm" } else { "js" });
                let wave = support::wave(&label, servers[i].pid(), &servers[i].url("/toy"), n);
                println!(
                    "[bench] {label:<10} N={n:<5} pair {}/{}  wall {:.3} s  errors {}  CPU {:.1} us/req  peak RSS {:.1} MiB",
                    pair + 1,
                    pairs(n),
                    wave.wall_s,
                    wave.errors,
                    wave.cpu_us_per_req,
                    wave.peak_rss_mib
                );
                if i == 0 { &mut out.wasm } else { &mut out.js }.push(wave);
                std::thread::sleep(Duration::from_millis(500)); // let sockets settle
            }
        }
        out
    }

    /// `rounds` measurements of the wasm and of the JS server, the order
    /// alternating round by round so that drift hits both alike. `measure`
    /// takes `(round, is_wasm)`; returns the wasm's figures and the JS's.
    fn alternating(
        rounds: usize,
        mut measure: impl FnMut(usize, bool) -> f64,
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut wasm, mut js) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_wasm in order {
                let figure = measure(round, is_wasm);
                if is_wasm { &mut wasm } else { &mut js }.push(figure);
            }
        }
        (wasm, js)
    }

    /// Spawn-to-first-200 in ms, wasm and JS, over alternating rounds.
    fn first_responses(runtime: Runtime) -> (Vec<f64>, Vec<f64>) {
        let zero = [("TOY_SLEEP_MS", "0")];
        alternating(TTFR_ROUNDS, |_, is_wasm| {
            let (_, took) = support::time_to_first_response(
                || start(runtime, is_wasm, &zero),
                |server: &Server| assert_eq!(get(&server.url("/toy")).status, 200),
            );
            took.as_secs_f64() * 1e3
        })
    }

    /// `hey -n n -c 50` with keep-alive (hey's default) against `url`; every
    /// answer must be a 200.
    fn hey_keep_alive(url: &str, n: usize) {
        let n_text = n.to_string();
        let outcome = support::hey(url, &["-n", &n_text, "-c", "50"], Duration::MAX, || {});
        assert_eq!((outcome.ok, outcome.errors), (n, 0), "hey: {outcome:?}");
    }

    /// The handler's own CPU per request, with no sleep and no connection
    /// set-up: TOY_SLEEP_MS=0, keep-alive load of 20 000 requests at
    /// concurrency 50 after a 3 000-request warm-up, CPU from schedstat. A fresh
    /// wasm and JS server per pair, order alternating. Returns µs per request,
    /// wasm and JS.
    fn keep_alive(runtime: Runtime) -> (Vec<f64>, Vec<f64>) {
        const N: usize = 20_000;
        let zero = [("TOY_SLEEP_MS", "0")];
        alternating(KEEP_ALIVE_PAIRS, |pair, is_wasm| {
            let server = start(runtime, is_wasm, &zero);
            let url = server.url("/toy");
            hey_keep_alive(&url, 3000);
            let before = support::cpu_ns(server.pid());
            hey_keep_alive(&url, N);
            let us = support::cpu_ns(server.pid()).saturating_sub(before) as f64 / 1e3 / N as f64;
            println!(
                "[bench] {:<8} keep-alive pair {}/{KEEP_ALIVE_PAIRS} {}: {us:.1} us/req",
                runtime.name(),
                pair + 1,
                if is_wasm { "wasm" } else { "js" }
            );
            us
        })
    }

    /// Peak RSS (VmHWM, MiB) of a fresh server through one warm request and
    /// one wave of `n`: what a process needs to hold `n` requests at once,
    /// without the earlier waves a long-lived server carries.
    fn fresh_peak(runtime: Runtime, is_wasm: bool, n: usize) -> f64 {
        let server = start(runtime, is_wasm, &[]);
        assert_eq!(get(&server.url("/toy")).status, 200, "{}", runtime.name());
        let wave = support::wave(runtime.name(), server.pid(), &server.url("/toy"), n);
        assert_eq!(wave.errors, 0, "{wave:?}");
        wave.peak_rss_mib
    }

    /// Fresh-process peaks at each of FRESH_SIZES, paired; then the wasm's
    /// extra over JS split into a part per process and a part per request in
    /// flight (the line through the two sizes' median gaps).
    fn fresh_memory(runtime: Runtime) -> serde_json::Value {
        let mut sizes = Vec::new();
        let mut gaps = Vec::new();
        for n in FRESH_SIZES {
            let (wasm, js) = alternating(FRESH_PAIRS, |_, is_wasm| fresh_peak(runtime, is_wasm, n));
            let what = format!("fresh peak RSS, one wave of {n}");
            let mut record = paired(runtime, &what, ("mib", "MiB"), &wasm, &js);
            record["n"] = n.into();
            gaps.push(Stat::of(&wasm).median - Stat::of(&js).median);
            sizes.push(record);
        }
        let (per_process_mib, per_request_kib) =
            support::gap_split((FRESH_SIZES[0], gaps[0]), (FRESH_SIZES[1], gaps[1]));
        println!(
            "[bench] {} fresh peak RSS, wasm minus js: {:+.1} MiB at {}, {:+.1} at {}: {per_process_mib:.1} MiB per process + {per_request_kib:.2} KiB per request in flight",
            runtime.name(),
            gaps[0],
            FRESH_SIZES[0],
            gaps[1],
            FRESH_SIZES[1]
        );
        json!({
            "runtime": runtime.name(),
            "sizes": sizes,
            "per_process_mib": per_process_mib,
            "per_request_in_flight_kib": per_request_kib,
        })
    }

    /// One runtime's paired figures, printed; their record, keyed
    /// `wasm_<key>`, `js_<key>` and `wasm_js`. `unit`: (key, as printed).
    fn paired(
        runtime: Runtime,
        what: &str,
        (key, unit): (&str, &str),
        wasm: &[f64],
        js: &[f64],
    ) -> serde_json::Value {
        let pairs = ratio(wasm, js);
        println!(
            "[bench] {} {what}: wasm {} {unit}, js {} {unit}, wasm/js {}",
            runtime.name(),
            Stat::of(wasm).show(1),
            Stat::of(js).show(1),
            ratio_text(&pairs)
        );
        json!({
            "runtime": runtime.name(),
            format!("wasm_{key}"): Stat::of(wasm),
            format!("js_{key}"): Stat::of(js),
            "wasm_js": pairs,
        })
    }

    /// Median, min–max and the 95% interval of the per-pair ratios.
    fn ratio(wasm: &[f64], js: &[f64]) -> serde_json::Value {
        let ratios: Vec<f64> = wasm.iter().zip(js).map(|(w, j)| w / j).collect();
        let stat = Stat::of(&ratios);
        json!({ "stat": stat, "ci95": support::median_ci95(&ratios), "ratios": ratios })
    }

    fn figure(waves: &[Wave], f: fn(&Wave) -> f64) -> Vec<f64> {
        waves.iter().map(f).collect()
    }

    /// The JSON record of one series, and its line of the printed table.
    fn summarise(s: &Series) -> (serde_json::Value, String) {
        let both =
            |f: fn(&Wave) -> f64| (Stat::of(&figure(&s.wasm, f)), Stat::of(&figure(&s.js, f)));
        let pair = |f: fn(&Wave) -> f64| ratio(&figure(&s.wasm, f), &figure(&s.js, f));
        let cpu = |w: &Wave| w.cpu_us_per_req;
        let wall = |w: &Wave| w.wall_s;
        let rss = |w: &Wave| w.peak_rss_mib;
        let errors = |ws: &[Wave]| ws.iter().map(|w| w.errors).sum::<usize>();
        let (cpu_stats, wall_stats, rss_stats) = (both(cpu), both(wall), both(rss));
        let record = json!({
            "runtime": s.runtime.name(),
            "n": s.n,
            "pairs": s.wasm.len(),
            "cpu_us_per_req": { "wasm": cpu_stats.0, "js": cpu_stats.1 },
            "wall_s": { "wasm": wall_stats.0, "js": wall_stats.1 },
            "peak_rss_mib": { "wasm": rss_stats.0, "js": rss_stats.1 },
            "errors": { "wasm": errors(&s.wasm), "js": errors(&s.js) },
            "wasm_js": { "cpu": pair(cpu), "wall": pair(wall), "peak_rss": pair(rss) },
            "waves": { "wasm": s.wasm, "js": s.js },
        });
        let line = format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
            s.runtime.name(),
            s.n,
            cpu_stats.0.show(1),
            cpu_stats.1.show(1),
            ratio_text(&record["wasm_js"]["cpu"]),
            ratio_text(&record["wasm_js"]["wall"]),
            rss_stats.0.show(1),
            rss_stats.1.show(1),
            errors(&s.wasm),
            errors(&s.js),
        );
        (record, line)
    }

    /// "1.034 (0.981–1.102)": the median ratio and its 95% interval.
    fn ratio_text(ratio: &serde_json::Value) -> String {
        let median = ratio["stat"]["median"].as_f64().unwrap_or(f64::NAN);
        match (ratio["ci95"][0].as_f64(), ratio["ci95"][1].as_f64()) {
            (Some(lo), Some(hi)) => format!("{median:.3} ({lo:.3}–{hi:.3})"),
            _ => format!("{median:.3}"),
        }
    }

    pub fn main() {
        let wanted: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        let runtimes: Vec<Runtime> = RUNTIMES
            .into_iter()
            .filter(|r| wanted.is_empty() || wanted.iter().any(|w| w == r.name()))
            .collect();
        if reference() != support::JS_WORKER {
            println!("[bench] ablation: the `js` figures are {}", reference());
        }
        // An ablation: nothing is written.
        let ablation = reference() != support::JS_WORKER || wasm_build() != "build";
        let keep_alive_only = std::env::args().any(|a| a == "--keep-alive");
        let memory_only = std::env::args().any(|a| a == "--memory");
        let mut records = Vec::new();
        let mut lines = Vec::new();
        let mut targets = Vec::new();
        let mut starts = Vec::new();
        let mut keep_alives = Vec::new();
        let mut fresh = Vec::new();
        // Keep-alive first, on workerd too (its waves are in benches/waves.rs).
        let keep_alive_runtimes = std::iter::once(Runtime::Workerd)
            .filter(|r| wanted.is_empty() || wanted.iter().any(|w| w == r.name()))
            .chain(runtimes.iter().copied())
            .filter(|_| !memory_only);
        for runtime in keep_alive_runtimes {
            let (wasm, js) = keep_alive(runtime);
            let record = paired(
                runtime,
                "keep-alive, TOY_SLEEP_MS=0",
                ("us", "us/req"),
                &wasm,
                &js,
            );
            let median = record["wasm_js"]["stat"]["median"]
                .as_f64()
                .unwrap_or(f64::NAN);
            targets.push((
                format!(
                    "{} keep-alive CPU <= {KEEP_ALIVE_TARGET} x JS",
                    runtime.name()
                ),
                median,
                median <= KEEP_ALIVE_TARGET,
            ));
            keep_alives.push(record);
        }
        for &runtime in runtimes.iter().filter(|_| !keep_alive_only) {
            let record = fresh_memory(runtime);
            let ratio = record["sizes"][0]["wasm_js"]["stat"]["median"]
                .as_f64()
                .unwrap_or(f64::NAN);
            targets.push((
                format!(
                    "{} c={} fresh peak RSS <= {FRESH_RSS_TARGET} x JS",
                    runtime.name(),
                    FRESH_SIZES[0]
                ),
                ratio,
                ratio <= FRESH_RSS_TARGET,
            ));
            fresh.push(record);
            if memory_only {
                continue;
            }
            for n in SIZES {
                let (record, line) = summarise(&series(runtime, n));
                let cpu = record["wasm_js"]["cpu"]["stat"]["median"]
                    .as_f64()
                    .unwrap_or(f64::NAN);
                targets.push((
                    format!("{} c={n} CPU <= {CPU_TARGET} x JS", runtime.name()),
                    cpu,
                    cpu <= CPU_TARGET,
                ));
                if n == 5000 {
                    let errors = record["errors"]["wasm"].as_u64().unwrap_or(u64::MAX);
                    targets.push((
                        format!("{} c=5000 zero errors", runtime.name()),
                        errors as f64,
                        errors == 0,
                    ));
                }
                records.push(record);
                lines.push(line);
            }
            let (wasm, js) = first_responses(runtime);
            starts.push(paired(
                runtime,
                "time to first response",
                ("ms", "ms"),
                &wasm,
                &js,
            ));
        }
        println!(
            "\n| runtime | N | CPU µs/req wasm | CPU µs/req JS | CPU wasm/JS (95%) | wall wasm/JS (95%) | peak RSS MiB wasm | peak RSS MiB JS | errors wasm / JS |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for line in &lines {
            println!("{line}");
        }
        println!("\n{:<44} value    verdict", "target");
        for (name, value, met) in &targets {
            println!(
                "{name:<44} {value:>7.3}    {}",
                if *met { "met" } else { "MISSED" }
            );
        }
        let results = json!({
            "date": support::utc_now(),
            "sleep_ms": 1000,
            "series": records,
            "time_to_first_response": starts,
            "keep_alive_sleep_0": keep_alives,
            "fresh_memory": fresh,
            "targets": targets.iter().map(|(t, v, m)| json!({"target": t, "value": v, "met": m})).collect::<Vec<_>>(),
        });
        if !ablation && !keep_alive_only && !memory_only {
            write(&results);
        }
    }

    fn write(results: &serde_json::Value) {
        let chart = support::runtime_chart::runtime_chart(results);
        support::write_record("runtimes.json", results, "runtimes.svg", chart);
    }
}

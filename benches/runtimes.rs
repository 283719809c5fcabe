//! `make bench`, second part: the one build beside the same plain-JS handler
//! (benches/workers/js-worker.mjs) on each runtime, workerd, Deno, Bun and
//! Node, served the same way (workerd: bare, with wrangler.toml's settings;
//! the others: benches/workers/js-server.mjs, loading nothing of the
//! project), loopback only. Every figure is paired: a wasm and a JS
//! measurement back to back, order alternating, reported as the median of
//! the per-pair wasm/JS ratios with its 95% interval.
//!
//! Per runtime:
//! - keep-alive, TOY_SLEEP_MS=0: the handler's own CPU per request (5 pairs
//!   of fresh servers, 20 000 requests each after a 3 000-request warm-up);
//! - fresh-process memory: a fresh server, one warm request, one wave of
//!   1000 or 2000, then VmHWM, RssAnon, RssFile (5 pairs per size), the gap
//!   split into a part per process and a part per request in flight;
//! - waves of 1000 and 5000 (1 s sleep) on one fresh pair of servers, one
//!   uncounted wave each, then 15 and 7 pairs: CPU per request (schedstat of
//!   every thread), wall, errors, the wave's peak RSS (VmHWM reset before it);
//! - spawn to first 200 with TOY_SLEEP_MS=0, 11 pairs of fresh starts.
//!
//! Checks the targets (wasm/JS: keep-alive CPU <= 1.25, wave CPU <= 1.10,
//! wave wall <= 1.03, fresh peak RSS at 1000 <= 1.10, first response <=
//! 1.15; no errors at 5000) and writes benches/runtimes.json and
//! benches/runtimes.svg (shown in docs/benchmark.md).
//!
//! Run: `make bench`, or after `make build`: `cargo bench --bench runtimes`
//! (`-- deno` for one runtime; `-- --keep-alive` or `-- --memory` for that
//! part only). Ablations, which write nothing, each putting something else
//! on one side:
//! - `-- --bare` (not workerd): the build's `fetch` without
//!   hosts/adapter.mjs (benches/workers/wasm-bare.mjs) as the reference: the
//!   adapter's cost;
//! - `-- --loaded`: the JS reference with the wasm module instantiated but
//!   never called (benches/workers/js-with-wasm.mjs on workerd,
//!   benches/workers/js-with-wasm-standalone.mjs elsewhere): having the
//!   module against running it;
//! - `-- --liftoff-only` (workerd and Deno): the wasm kept in V8's baseline
//!   compiler: what the optimising tier costs (a diagnosis: a deployed worker
//!   cannot set it);
//! - TOY_BENCH_BUILD=build-abort: that build as the wasm side
//!   (`scripts/build.sh --panic-abort --out-dir build-abort`): what
//!   unwinding costs.

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
        serde_json::{Value, json},
        std::time::Duration,
        support::{
            Memory, Stat, Wave,
            pairs::{alternating, median, ratio, ratio_text},
        },
    };

    const RUNTIMES: [Runtime; 4] = [Runtime::Workerd, Runtime::Deno, Runtime::Bun, Runtime::Node];
    const SIZES: [usize; 2] = [1000, 5000];
    const FRESH_SIZES: [usize; 2] = [1000, 2000];
    /// Pairs: odd, so that the median is one real pair.
    const KEEP_ALIVE_PAIRS: usize = 5;
    const FRESH_PAIRS: usize = 5;
    const START_PAIRS: usize = 11;
    /// The targets, wasm over JS.
    const KEEP_ALIVE_CPU: f64 = 1.25;
    const WAVE_CPU: f64 = 1.10;
    const WAVE_WALL: f64 = 1.03;
    const FRESH_RSS: f64 = 1.10;
    const FIRST_RESPONSE: f64 = 1.15;

    /// Counted wave pairs at `n`.
    fn pairs(n: usize) -> usize {
        if n >= 5000 { 7 } else { 15 }
    }

    fn flag(name: &str) -> bool {
        std::env::args().any(|a| a == name)
    }

    /// The build the wasm side serves: build/, or the one in TOY_BENCH_BUILD.
    fn wasm_build() -> String {
        std::env::var("TOY_BENCH_BUILD").unwrap_or_else(|_| "build".into())
    }

    /// The module on the reference side.
    fn reference() -> &'static str {
        if flag("--bare") {
            support::WASM_BARE
        } else if flag("--loaded") {
            support::JS_WITH_WASM_STANDALONE
        } else {
            support::JS_WORKER
        }
    }

    /// Whether this run's ablation exists on `runtime`.
    fn applies(runtime: Runtime) -> bool {
        match runtime {
            Runtime::Workerd => !flag("--bare"),
            Runtime::Deno => true,
            Runtime::Bun | Runtime::Node => !flag("--liftoff-only"),
        }
    }

    fn start(runtime: Runtime, wasm: bool, vars: &[(&str, &str)]) -> Server {
        if wasm {
            support::start_wasm(runtime, &wasm_build(), flag("--liftoff-only"), vars)
        } else {
            support::start_reference(runtime, reference(), vars)
        }
    }

    fn side(is_wasm: bool) -> &'static str {
        if is_wasm { "wasm" } else { "js" }
    }

    /// The paired waves of one runtime at one size, on one fresh pair of
    /// servers.
    fn series(runtime: Runtime, n: usize) -> (Vec<Wave>, Vec<Wave>) {
        let name = runtime.name();
        let servers = [start(runtime, false, &[]), start(runtime, true, &[])];
        for server in &servers {
            assert_eq!(get(&server.url("/toy")).status, 200, "{name}");
            support::wave(name, server.pid(), &server.url("/toy"), n);
        }
        alternating(pairs(n), |pair, is_wasm| {
            let (label, server) = (
                format!("{name}-{}", side(is_wasm)),
                &servers[usize::from(is_wasm)],
            );
            let wave = support::wave(&label, server.pid(), &server.url("/toy"), n);
            println!(
                "[bench] {label:<12} N={n:<5} pair {}/{}  wall {:.3} s  errors {}  CPU {:.1} us/req  peak RSS {:.1} MiB",
                pair + 1,
                pairs(n),
                wave.wall_s,
                wave.errors,
                wave.cpu_us_per_req,
                wave.peak_rss_mib
            );
            std::thread::sleep(Duration::from_millis(500)); // let sockets settle
            wave
        })
    }

    /// Spawn to first 200 in ms, with no sleep to wait on.
    fn first_responses(runtime: Runtime) -> (Vec<f64>, Vec<f64>) {
        let zero = [("TOY_SLEEP_MS", "0")];
        alternating(START_PAIRS, |_, is_wasm| {
            let (_, took) = support::time_to_first_response(
                || start(runtime, is_wasm, &zero),
                |server: &Server| assert_eq!(get(&server.url("/toy")).status, 200),
            );
            took.as_secs_f64() * 1e3
        })
    }

    /// `hey -n n -c 50` with keep-alive (hey's default); every answer a 200.
    fn hey_keep_alive(url: &str, n: usize) {
        let n_text = n.to_string();
        let outcome = support::hey(url, &["-n", &n_text, "-c", "50"], Duration::MAX, || {});
        assert_eq!((outcome.ok, outcome.errors), (n, 0), "hey: {outcome:?}");
    }

    /// The handler's own CPU per request, µs: no sleep, no connection set-up.
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
                side(is_wasm)
            );
            us
        })
    }

    /// A fresh server's memory after one warm request and one wave of `n`:
    /// what a process needs to hold `n` requests at once, without the earlier
    /// waves a long-lived server carries.
    fn fresh(runtime: Runtime, is_wasm: bool, n: usize) -> Memory {
        let server = start(runtime, is_wasm, &[]);
        assert_eq!(get(&server.url("/toy")).status, 200, "{}", runtime.name());
        let wave = support::wave(runtime.name(), server.pid(), &server.url("/toy"), n);
        assert_eq!(wave.errors, 0, "{wave:?}");
        Memory::of(server.pid())
    }

    /// Fresh-process memory at each of FRESH_SIZES, paired; the peak's gap
    /// split into a part per process and a part per request in flight (the
    /// line through the two sizes' median gaps).
    fn fresh_memory(runtime: Runtime) -> Value {
        let mut sizes = Vec::new();
        let mut gaps = Vec::new();
        for n in FRESH_SIZES {
            let (wasm, js) = alternating(FRESH_PAIRS, |_, is_wasm| fresh(runtime, is_wasm, n));
            let figure =
                |side: &[Memory], f: fn(&Memory) -> f64| side.iter().map(f).collect::<Vec<_>>();
            let peak = |m: &Memory| m.peak_mib;
            let what = format!("fresh peak RSS, one wave of {n}");
            let mut record = paired(
                runtime,
                &what,
                ("mib", "MiB"),
                &figure(&wasm, peak),
                &figure(&js, peak),
            );
            let (anon, file) = (|m: &Memory| m.anon_mib, |m: &Memory| m.file_mib);
            let private = ratio(&figure(&wasm, anon), &figure(&js, anon));
            let file_extra =
                Stat::of(&figure(&wasm, file)).median - Stat::of(&figure(&js, file)).median;
            println!(
                "[bench] {} N={n}: private memory (RssAnon) wasm/js {}; file-backed pages {file_extra:+.1} MiB",
                runtime.name(),
                ratio_text(&private)
            );
            record["n"] = n.into();
            record["private_wasm_js"] = private;
            record["file_backed_extra_mib"] = file_extra.into();
            gaps.push(Stat::of(&figure(&wasm, peak)).median - Stat::of(&figure(&js, peak)).median);
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
    ) -> Value {
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

    /// The JSON record of one series, and its line of the printed table.
    fn summarise(runtime: Runtime, n: usize, wasm: &[Wave], js: &[Wave]) -> (Value, String) {
        let figure = |waves: &[Wave], f: fn(&Wave) -> f64| waves.iter().map(f).collect::<Vec<_>>();
        let both = |f: fn(&Wave) -> f64| (Stat::of(&figure(wasm, f)), Stat::of(&figure(js, f)));
        let pair = |f: fn(&Wave) -> f64| ratio(&figure(wasm, f), &figure(js, f));
        let (cpu, wall, rss) = (
            |w: &Wave| w.cpu_us_per_req,
            |w: &Wave| w.wall_s,
            |w: &Wave| w.peak_rss_mib,
        );
        let errors = |ws: &[Wave]| ws.iter().map(|w| w.errors).sum::<usize>();
        let (cpu_stats, rss_stats) = (both(cpu), both(rss));
        let record = json!({
            "runtime": runtime.name(),
            "n": n,
            "pairs": wasm.len(),
            "cpu_us_per_req": { "wasm": cpu_stats.0, "js": cpu_stats.1 },
            "wall_s": { "wasm": both(wall).0, "js": both(wall).1 },
            "peak_rss_mib": { "wasm": rss_stats.0, "js": rss_stats.1 },
            "errors": { "wasm": errors(wasm), "js": errors(js) },
            "wasm_js": { "cpu": pair(cpu), "wall": pair(wall), "peak_rss": pair(rss) },
            "waves": { "wasm": wasm, "js": js },
        });
        let line = format!(
            "| {} | {n} | {} | {} | {} | {} | {} | {} | {} / {} |",
            runtime.name(),
            cpu_stats.0.show(1),
            cpu_stats.1.show(1),
            ratio_text(&record["wasm_js"]["cpu"]),
            ratio_text(&record["wasm_js"]["wall"]),
            rss_stats.0.show(1),
            rss_stats.1.show(1),
            errors(wasm),
            errors(js),
        );
        (record, line)
    }

    /// (target, value, met) rows.
    type Targets = Vec<(String, f64, bool)>;

    /// Pushes the target `what <= bound x JS` for a ratio record.
    fn at_most(targets: &mut Targets, runtime: Runtime, what: &str, ratio: &Value, bound: f64) {
        let value = median(ratio);
        targets.push((
            format!("{} {what} <= {bound} x JS", runtime.name()),
            value,
            value <= bound,
        ));
    }

    pub fn main() {
        let wanted: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        let runtimes: Vec<Runtime> = RUNTIMES
            .into_iter()
            .filter(|r| wanted.is_empty() || wanted.iter().any(|w| w == r.name()))
            .filter(|&r| applies(r))
            .collect();
        let ablation =
            reference() != support::JS_WORKER || flag("--liftoff-only") || wasm_build() != "build";
        if ablation {
            println!(
                "[bench] ablation: wasm side {}, reference {}; nothing is written",
                wasm_build(),
                reference()
            );
        }
        let (keep_alive_only, memory_only) = (flag("--keep-alive"), flag("--memory"));
        let mut targets = Targets::new();
        let (mut records, mut lines, mut starts, mut keep_alives, mut fresh) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &runtime in &runtimes {
            if !memory_only {
                let (wasm, js) = keep_alive(runtime);
                let record = paired(
                    runtime,
                    "keep-alive, TOY_SLEEP_MS=0",
                    ("us", "us/req"),
                    &wasm,
                    &js,
                );
                at_most(
                    &mut targets,
                    runtime,
                    "keep-alive CPU",
                    &record["wasm_js"],
                    KEEP_ALIVE_CPU,
                );
                keep_alives.push(record);
            }
            if keep_alive_only {
                continue;
            }
            let record = fresh_memory(runtime);
            let what = format!("c={} fresh peak RSS", FRESH_SIZES[0]);
            at_most(
                &mut targets,
                runtime,
                &what,
                &record["sizes"][0]["wasm_js"],
                FRESH_RSS,
            );
            fresh.push(record);
            if memory_only {
                continue;
            }
            for n in SIZES {
                let (wasm, js) = series(runtime, n);
                let (record, line) = summarise(runtime, n, &wasm, &js);
                at_most(
                    &mut targets,
                    runtime,
                    &format!("c={n} CPU"),
                    &record["wasm_js"]["cpu"],
                    WAVE_CPU,
                );
                at_most(
                    &mut targets,
                    runtime,
                    &format!("c={n} wall"),
                    &record["wasm_js"]["wall"],
                    WAVE_WALL,
                );
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
            let record = paired(runtime, "time to first response", ("ms", "ms"), &wasm, &js);
            at_most(
                &mut targets,
                runtime,
                "first response",
                &record["wasm_js"],
                FIRST_RESPONSE,
            );
            starts.push(record);
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
            let chart = support::charts::runtimes(&results);
            support::write_record("runtimes.json", &results, "runtimes.svg", chart);
        }
    }
}

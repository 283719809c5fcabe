//! What benches/runtimes.rs measures, pair by pair: the servers of each
//! side (and of each ablation), keep-alive CPU, fresh-process memory, wave
//! series and start-up.

use serde_json::{Value, json};
use std::time::Duration;

use crate::common::{Runtime, Server, get};
use crate::support::{
    self, Memory, Stat, Wave,
    pairs::{alternating, ratio, ratio_text},
};

pub(crate) const SIZES: [usize; 2] = [1000, 5000];
pub(crate) const FRESH_SIZES: [usize; 2] = [1000, 2000];
/// Pairs: odd, so that the median is one real pair.
pub(crate) const KEEP_ALIVE_PAIRS: usize = 5;
pub(crate) const FRESH_PAIRS: usize = 5;
pub(crate) const START_PAIRS: usize = 11;

/// Counted wave pairs at `n`.
pub(crate) fn pairs(n: usize) -> usize {
    if n >= 5000 { 7 } else { 15 }
}

pub(crate) fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The build the wasm side serves: build/, or the one in TOY_BENCH_BUILD.
pub(crate) fn wasm_build() -> String {
    std::env::var("TOY_BENCH_BUILD").unwrap_or_else(|_| "build".into())
}

/// The module on the reference side.
pub(crate) fn reference() -> &'static str {
    if flag("--bare") {
        support::WASM_BARE
    } else if flag("--loaded") {
        support::JS_WITH_WASM_STANDALONE
    } else {
        support::JS_WORKER
    }
}

/// Whether this run's ablation exists on `runtime`.
pub(crate) fn applies(runtime: Runtime) -> bool {
    match runtime {
        Runtime::Workerd => !flag("--bare"),
        Runtime::Deno => true,
        Runtime::Bun | Runtime::Node => !flag("--liftoff-only"),
    }
}

pub(crate) fn start(runtime: Runtime, wasm: bool, vars: &[(&str, &str)]) -> Server {
    if wasm {
        support::start_wasm(runtime, &wasm_build(), flag("--liftoff-only"), vars)
    } else {
        support::start_reference(runtime, reference(), vars)
    }
}

pub(crate) fn side(is_wasm: bool) -> &'static str {
    if is_wasm { "wasm" } else { "js" }
}

/// The paired waves of one runtime at one size, on one fresh pair of
/// servers.
pub(crate) fn series(runtime: Runtime, n: usize) -> (Vec<Wave>, Vec<Wave>) {
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
pub(crate) fn first_responses(runtime: Runtime) -> (Vec<f64>, Vec<f64>) {
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
pub(crate) fn hey_keep_alive(url: &str, n: usize) {
    let n_text = n.to_string();
    let outcome = support::hey(url, &["-n", &n_text, "-c", "50"], Duration::MAX, || {});
    assert_eq!((outcome.ok, outcome.errors), (n, 0), "hey: {outcome:?}");
}

/// The handler's own CPU per request, µs: no sleep, no connection set-up.
pub(crate) fn keep_alive(runtime: Runtime) -> (Vec<f64>, Vec<f64>) {
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
pub(crate) fn fresh(runtime: Runtime, is_wasm: bool, n: usize) -> Memory {
    let server = start(runtime, is_wasm, &[]);
    assert_eq!(get(&server.url("/toy")).status, 200, "{}", runtime.name());
    let wave = support::wave(runtime.name(), server.pid(), &server.url("/toy"), n);
    assert_eq!(wave.errors, 0, "{wave:?}");
    Memory::of(server.pid())
}

/// Fresh-process memory at each of FRESH_SIZES, paired; the peak's gap
/// split into a part per process and a part per request in flight (the
/// line through the two sizes' median gaps).
pub(crate) fn fresh_memory(runtime: Runtime) -> Value {
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
pub(crate) fn paired(
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
pub(crate) fn summarise(runtime: Runtime, n: usize, wasm: &[Wave], js: &[Wave]) -> (Value, String) {
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

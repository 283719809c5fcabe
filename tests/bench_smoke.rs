//! A tiny run of the benchmark (waves of 5 and 10 against each worker, 100 ms
//! sleep) so `make bench` cannot rot unnoticed, and the benchmark's
//! statistics, unit-tested.
//!
//! Run: `make test`, or `cargo test --test bench_smoke`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use common::{Runtime, Server};
use support::{Stat, Wave, read_hey, summarise};

#[test]
fn waves_of_five_and_ten_against_each_worker() {
    let vars = [("TOY_SLEEP_MS", "100")];
    let servers = [
        ("wasm", Server::on(Runtime::Workerd, "build", &vars)),
        (
            "js",
            support::start_reference(Runtime::Workerd, support::JS_WORKER, &vars),
        ),
    ];
    let waves: Vec<_> = [5, 10]
        .into_iter()
        .flat_map(|n| servers.iter().map(move |(name, s)| (n, name, s)))
        .map(|(n, name, server)| support::wave(name, server.pid(), &server.url("/toy"), n))
        .collect();
    println!("{}", support::markdown(&support::summarise(&waves)));
    for wave in &waves {
        assert_eq!(wave.errors, 0, "{wave:?}");
        assert!(wave.p50_ms >= 99.0 && wave.p99_ms < 5_000.0, "{wave:?}");
        assert!(wave.wall_s < 5.0, "{wave:?}");
        assert!(
            wave.cpu_us_per_req > 0.0 && wave.peak_rss_mib > 1.0,
            "{wave:?}"
        );
    }
    let svg = support::charts::latency(&support::summarise(&waves), "smoke");
    // Per server a solid p50 line and a dashed p99 (one polyline per dash).
    for colour in ["#1864AB", "#4DABF7"] {
        let lines = svg.matches(&format!("stroke=\"{colour}\"")).count();
        assert!(lines >= 2, "{colour}: {lines} lines in {svg}");
    }
    for name in [
        "wasm",
        "js",
        "CPU per request (µs), N=10",
        "peak RSS (MiB), N=10",
    ] {
        assert!(svg.contains(name), "{name} in {svg}");
    }
}

const RUNTIMES: [Runtime; 4] = [Runtime::Workerd, Runtime::Deno, Runtime::Bun, Runtime::Node];

/// benches/runtimes.rs's servers: the wasm and the JS reference served the
/// same way on each runtime, and the JS reference keeps the contract the
/// comparison relies on (the same work as the wasm).
#[test]
fn a_wave_of_ten_against_wasm_and_js_on_each_runtime() {
    let vars = [("TOY_SLEEP_MS", "100")];
    for runtime in RUNTIMES {
        let wasm = support::start_wasm(runtime, "build", false, &vars);
        let js = support::start_reference(runtime, support::JS_WORKER, &vars);
        common::assert_toy_contract(&js);
        for (name, server) in [("wasm", &wasm), ("js", &js)] {
            let wave = support::wave(name, server.pid(), &server.url("/toy"), 10);
            assert_eq!(wave.errors, 0, "{runtime:?} {name}: {wave:?}");
            assert!(wave.cpu_us_per_req > 0.0, "{runtime:?} {name}: {wave:?}");
        }
    }
}

#[test]
fn the_runtime_chart_draws_two_bars_and_a_ratio_per_series() {
    let stat = |m: f64| serde_json::json!({"min": m - 1.0, "median": m, "max": m + 1.0});
    let series = |runtime: &str, n: usize| {
        serde_json::json!({
            "runtime": runtime, "n": n,
            "cpu_us_per_req": {"wasm": stat(110.0), "js": stat(100.0)},
            "wasm_js": {"cpu": {"stat": stat(1.1), "ci95": [1.05, 1.2]}},
        })
    };
    let svg = support::charts::runtimes(&serde_json::json!({
        "series": [series("deno", 1000), series("bun", 5000)]
    }));
    let bars = svg.matches("fill=\"#1864AB\"").count() + svg.matches("fill=\"#4DABF7\"").count();
    assert_eq!(bars, 4, "{svg}");
    assert!(
        svg.contains("deno c=1000") && svg.contains("bun c=5000"),
        "{svg}"
    );
    assert!(svg.contains("×1.10 (1.05–1.20)"), "{svg}");
}

/// The ablations' servers in benches/runtimes.rs answer /toy: each wave
/// of 10 is answered in full and sleeps its 100 ms.
#[test]
fn the_ablation_probes_answer() {
    let vars = [("TOY_SLEEP_MS", "100")];
    let mut probes = Vec::new();
    for runtime in RUNTIMES {
        let loaded = support::JS_WITH_WASM_STANDALONE;
        probes.push((
            runtime,
            "loaded",
            support::start_reference(runtime, loaded, &vars),
        ));
        if runtime != Runtime::Workerd {
            let bare = support::start_reference(runtime, support::WASM_BARE, &vars);
            probes.push((runtime, "bare", bare));
        }
        if matches!(runtime, Runtime::Workerd | Runtime::Deno) {
            let liftoff = support::start_wasm(runtime, "build", true, &vars);
            probes.push((runtime, "liftoff-only", liftoff));
        }
    }
    for (runtime, name, server) in probes {
        let wave = support::wave(name, server.pid(), &server.url("/toy"), 10);
        assert_eq!(
            wave.errors,
            0,
            "{runtime:?} {name}: {wave:?}\n{}",
            server.log()
        );
        assert!(wave.p50_ms >= 99.0, "{runtime:?} {name}: {wave:?}");
    }
}

// The statistics the benchmark reports.

fn wave(server: &str, n: usize, cpu: f64, wall: f64) -> Wave {
    Wave {
        server: server.into(),
        n,
        wall_s: wall,
        p50_ms: wall * 900.0,
        p99_ms: wall * 1000.0,
        errors: 1,
        cpu_us_per_req: cpu,
        peak_rss_mib: cpu / 10.0,
    }
}

#[test]
fn stat_is_min_median_max_of_odd_counts() {
    let s = Stat::of(&[5.0, 1.0, 3.0]);
    assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
    let s = Stat::of(&[7.0]);
    assert_eq!((s.min, s.median, s.max), (7.0, 7.0, 7.0));
    assert_eq!(Stat::of(&[2.0, 9.0, 4.0, 1.0, 100.0]).median, 4.0);
    assert_eq!(Stat::of(&[1.0, 2.0, 3.0]).show(1), "2.0 (1.0–3.0)");
}

#[test]
#[should_panic(expected = "odd number")]
fn an_even_count_of_repetitions_is_refused() {
    Stat::of(&[1.0, 2.0]);
}

#[test]
fn the_median_interval_is_the_order_statistics_for_95_percent() {
    let values: Vec<f64> = (1..=31).rev().map(f64::from).collect();
    // 31 values: ranks 10 and 22 (the usual table); 21 values: 6 and 16.
    assert_eq!(support::median_ci95(&values), Some((10.0, 22.0)));
    assert_eq!(support::median_ci95(&values[..21]), Some((16.0, 26.0)));
    assert_eq!(support::median_ci95(&values[..5]), None);
}

#[test]
fn hey_s_summary_gives_answers_errors_and_latency() {
    // The parts of a hey 0.1 summary the benches read.
    let summary = "Summary:\n  Total:\t1.0123 secs\n  Total data:\t11964 bytes\n\nLatency distribution:\n  10% in 1.0021 secs\n  \
                   50% in 1.0050 secs\n  99% in 1.0100 secs\n\nStatus code distribution:\n  [200]\t997 responses\n  \
                   [500]\t1 responses\n\nError distribution:\n  [2]\tGet \"http://127.0.0.1:1/toy\": EOF\n";
    let outcome = read_hey(summary);
    assert_eq!(
        (outcome.ok, outcome.errors, outcome.body_bytes),
        (997, 3, 11964)
    );
    assert_eq!(outcome.total_s, 1.0123, "hey's own run time");
    assert_eq!(
        (outcome.p50_ms.round(), outcome.p99_ms.round()),
        (1005.0, 1010.0)
    );
    assert_eq!(outcome.first_errors.len(), 2, "{outcome:?}");
    assert!(read_hey("").p50_ms.is_nan(), "no answers, no latency");
    // One answer: no percentile line; the slowest is every percentile.
    let one = read_hey(
        "Summary:\n  Slowest:\t0.1012 secs\n\nStatus code distribution:\n  [200]\t1 responses\n",
    );
    assert_eq!((one.p50_ms.round(), one.p99_ms.round()), (101.0, 101.0));
}

#[test]
fn rows_group_by_server_and_n_and_summarise_each_column() {
    let waves = [
        wave("a", 10, 300.0, 1.0),
        wave("b", 10, 100.0, 2.0),
        wave("a", 10, 100.0, 3.0),
        wave("a", 10, 200.0, 2.0),
        wave("a", 20, 50.0, 1.5),
    ];
    let rows = summarise(&waves);
    assert_eq!(rows.len(), 3);
    let a = &rows[0];
    assert_eq!((a.server.as_str(), a.n, a.reps, a.errors), ("a", 10, 3, 3));
    assert_eq!(
        a.cpu_us_per_req,
        Stat {
            min: 100.0,
            median: 200.0,
            max: 300.0
        }
    );
    // Columns are summarised independently: the median wall (2.0) comes
    // from the repetition whose CPU was 200, the median CPU too here,
    // but wall's max (3.0) is the repetition with the least CPU.
    assert_eq!(a.wall_s.max, 3.0);
    assert_eq!((rows[1].server.as_str(), rows[1].n), ("b", 10));
    assert_eq!(
        (rows[2].server.as_str(), rows[2].n, rows[2].reps),
        ("a", 20, 1)
    );
}

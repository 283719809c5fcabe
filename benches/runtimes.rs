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
#[path = "runtimes/measure.rs"]
mod measure;
#[cfg(not(target_arch = "wasm32"))]
mod support;

fn main() {
    // Loopback load from a native process: nothing to run on wasm.
    #[cfg(not(target_arch = "wasm32"))]
    bench::main()
}

/// Everything but the wasm stub: native only.
#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use crate::measure::{
        FRESH_SIZES, SIZES, applies, first_responses, flag, fresh_memory, keep_alive, paired,
        reference, series, summarise, wasm_build,
    };
    use crate::{common::Runtime, support, support::pairs::median};
    use serde_json::{Value, json};

    const RUNTIMES: [Runtime; 4] = [Runtime::Workerd, Runtime::Deno, Runtime::Bun, Runtime::Node];
    /// The targets, wasm over JS.
    const KEEP_ALIVE_CPU: f64 = 1.25;
    const WAVE_CPU: f64 = 1.10;
    const WAVE_WALL: f64 = 1.03;
    const FRESH_RSS: f64 = 1.10;
    const FIRST_RESPONSE: f64 = 1.15;

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

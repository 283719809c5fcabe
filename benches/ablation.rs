//! `make ablation`: where the wasm worker's CPU per request goes. Beside the
//! worker as deployed, one scratch build per cost item with only that item
//! removed or replaced (built by scripts/ablation.sh into target/ablation/),
//! and the plain-JS reference and floor, all on bare workerd, measured in
//! one run, alternating:
//!
//! - in-isolate: benches/workers/driver.mjs calls each worker's `fetch` 2000
//!   times at once (sleep 0, real timers, no HTTP) — CPU per call, the
//!   handler's own cost without the per-connection work;
//! - waves: 1000 concurrent `GET /toy` over loopback (1 s sleep), as in
//!   `make bench` — CPU per request and peak RSS.
//!
//! Prints median (min–max) per variant and the difference to `as-deployed`,
//! and writes benches/ablation.json.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod support;

/// Loopback load from a native process: nothing to run on wasm.
#[cfg(target_arch = "wasm32")]
fn main() {}

/// (variant, what it changes). Variants under target/ablation/ come from
/// scripts/ablation.sh; `js` and `js-floor` are benches/workers/*.mjs.
#[cfg(not(target_arch = "wasm32"))]
#[rustfmt::skip]
const VARIANTS: &[(&str, &str)] = &[
    ("as-deployed", "src/entry.mjs + wasm-bindgen glue + wasm, as shipped"),
    ("no-guard", "without src/entry.mjs's panic guard"),
    ("queue-microtask", "futures' wake-ups via workerd's queueMicrotask, not Promise jobs"),
    ("worker-build", "worker-build's Proxy shim and packaging, as before"),
    ("shared-callback", "timer woken by one shared callback, not JsFuture"),
    ("header-sets", "JSON headers set one by one, not copied from a template"),
    ("no-abort-listener", "plain sleep: request.signal not watched"),
    ("no-server-timing", "no Server-Timing header"),
    ("js", "plain-JS reference, the same work"),
    ("js-floor", "plain JS: sleep, then JSON, nothing else"),
];

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::path::PathBuf;
    use std::time::Duration;

    use common::{Server, agent, get};
    use support::Stat;

    let root = common::root();
    let files = |name: &str| -> Vec<(&'static str, PathBuf)> {
        match name {
            "js" => vec![("main.js", root.join(support::JS_WORKER))],
            "js-floor" => vec![("main.js", root.join(support::JS_FLOOR))],
            _ => {
                let dir = root.join("target/ablation").join(name);
                assert!(
                    dir.join("main.js").exists(),
                    "{} missing: run scripts/ablation.sh (make ablation does)",
                    dir.display()
                );
                vec![
                    ("main.js", dir.join("main.js")),
                    ("index_bg.wasm", dir.join("index_bg.wasm")),
                ]
            }
        }
    };
    let cpu_us = |server: &Server, work: &dyn Fn()| {
        let before = support::cpu_ns(server.pid());
        work();
        (support::cpu_ns(server.pid()) - before) as f64 / 1000.0
    };

    // In-isolate: the driver imports the variant's main module as target.mjs.
    const CALLS: usize = 2000;
    const REPS: usize = 9;
    let driver = root.join("benches/workers/driver.mjs");
    let zero = [("TOY_SLEEP_MS", "0")];
    let drivers: Vec<Server> = VARIANTS
        .iter()
        .map(|(name, _)| {
            let mut modules = vec![("driver.mjs", driver.clone())];
            for (module, path) in files(name) {
                modules.push((
                    if module == "main.js" {
                        "target.mjs"
                    } else {
                        module
                    },
                    path,
                ));
            }
            Server::workerd_modules(&modules, &zero)
        })
        .collect();
    let agent = agent();
    let call_all = |server: &Server| {
        let reply = get(&agent, &server.url(&format!("/?n={CALLS}")));
        assert_eq!(reply.body, format!("{CALLS}/{CALLS}"), "{}", server.log());
    };
    for server in &drivers {
        call_all(server); // warm: compile, tier up, grow the heap
        call_all(server);
    }
    let mut in_isolate = vec![Vec::new(); VARIANTS.len()];
    for rep in 1..=REPS {
        for (i, server) in drivers.iter().enumerate() {
            in_isolate[i].push(cpu_us(server, &|| call_all(server)) / CALLS as f64);
        }
        println!("[ablation] in-isolate rep {rep}/{REPS} done");
    }
    drop(drivers);

    // Waves over loopback, as in `make bench`.
    const N: usize = 1000;
    const WAVE_REPS: usize = 5;
    let servers: Vec<Server> = VARIANTS
        .iter()
        .map(|(name, _)| Server::workerd_modules(&files(name), &[]))
        .collect();
    for server in &servers {
        assert_eq!(
            get(&agent, &server.url("/toy")).status,
            200,
            "{}",
            server.log()
        );
    }
    let mut waves = vec![Vec::new(); VARIANTS.len()];
    for rep in 1..=WAVE_REPS {
        for (i, server) in servers.iter().enumerate() {
            let wave = support::wave(VARIANTS[i].0, server.pid(), &server.url("/toy"), N);
            assert_eq!(wave.errors, 0, "{wave:?}");
            waves[i].push(wave);
            std::thread::sleep(Duration::from_millis(500));
        }
        println!("[ablation] waves rep {rep}/{WAVE_REPS} done");
    }

    let base_isolate = Stat::of(&in_isolate[0]).median;
    let base_wave = Stat::of(
        &waves[0]
            .iter()
            .map(|w| w.cpu_us_per_req)
            .collect::<Vec<_>>(),
    )
    .median;
    println!(
        "\n{:<18} {:>22} {:>8} {:>22} {:>8} {:>10}  what changes",
        "variant", "in-isolate us/call", "delta", "c=1000 CPU us/req", "delta", "peak MiB"
    );
    let mut rows = Vec::new();
    for (i, (name, what)) in VARIANTS.iter().enumerate() {
        let isolate = Stat::of(&in_isolate[i]);
        let cpu = Stat::of(
            &waves[i]
                .iter()
                .map(|w| w.cpu_us_per_req)
                .collect::<Vec<_>>(),
        );
        let rss = Stat::of(&waves[i].iter().map(|w| w.peak_rss_mib).collect::<Vec<_>>());
        println!(
            "{name:<18} {:>22} {:>+8.1} {:>22} {:>+8.0} {:>10.1}  {what}",
            isolate.show(1),
            isolate.median - base_isolate,
            cpu.show(0),
            cpu.median - base_wave,
            rss.max
        );
        rows.push(serde_json::json!({
            "variant": name, "what": what,
            "in_isolate_us_per_call": {"min": isolate.min, "median": isolate.median, "max": isolate.max},
            "wave_cpu_us_per_req": {"min": cpu.min, "median": cpu.median, "max": cpu.max},
            "peak_rss_mib": rss.max,
        }));
    }
    let json = serde_json::json!({
        "calls_per_rep": CALLS, "in_isolate_reps": REPS, "wave_n": N, "wave_reps": WAVE_REPS,
        "rows": rows,
    });
    let path = root.join("benches/ablation.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json).expect("json") + "\n",
    )
    .expect("write ablation.json");
    println!("[ablation] wrote {}", path.display());
}

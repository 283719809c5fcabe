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
//!
//! For a quick look: `cargo bench --bench ablation -- --in-isolate-only
//! as-deployed js …` measures only the named variants (as-deployed always),
//! in-isolate only, and writes target/ablation/partial.json instead.
//! `--spread` starts each in-isolate call in a task of its own (as requests
//! over sockets arrive) instead of all of a round in one task; it implies a
//! partial run.

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
    ("before-cuts", "the worker before the last cuts (2b2e8cb): race-guard and rust-before together"),
    ("race-guard", "panic guard as before: an async fetch racing a second Promise"),
    ("rust-before", "Rust side as before: URL, event type, header name, body copied; ctx held"),
    ("keep-ctx", "the Rust glue holds ctx (workerd's ExecutionContext) across the sleep"),
    ("no-guard", "without src/entry.mjs's panic guard"),
    ("queue-microtask", "futures' wake-ups via workerd's queueMicrotask, not Promise jobs"),
    ("worker-build", "worker-build's Proxy shim and packaging, as before"),
    ("shared-callback", "timer woken by one shared callback, not JsFuture"),
    ("no-abort-listener", "plain sleep: request.signal not watched"),
    ("no-server-timing", "no Server-Timing header"),
    ("sync-first-poll", "js-sys's executor patched: a new Rust task polled at once, not in a microtask"),
    ("sync-poll", "js-sys's executor patched: new and woken Rust tasks polled at once"),
    ("js", "plain-JS reference, the same work"),
    ("js-no-abort-listener", "the JS reference with a plain sleep: request.signal not watched"),
    ("js-no-server-timing", "the JS reference without Server-Timing"),
    ("js-floor", "plain JS: sleep, then JSON, nothing else"),
];

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::path::PathBuf;
    use std::time::Duration;

    use common::{Server, agent, get};
    use support::Stat;

    let root = common::root();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let spread = args.iter().any(|a| a == "--spread");
    let in_isolate_only = spread || args.iter().any(|a| a == "--in-isolate-only");
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for name in &wanted {
        assert!(
            VARIANTS.iter().any(|(v, _)| v == name),
            "unknown variant {name}"
        );
    }
    let partial = in_isolate_only || !wanted.is_empty();
    let variants: Vec<(&str, &str)> = VARIANTS
        .iter()
        .copied()
        .filter(|(name, _)| wanted.is_empty() || *name == "as-deployed" || wanted.contains(name))
        .collect();
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
                let mut files = vec![("main.js", dir.join("main.js"))];
                // The JS variants have no wasm.
                if dir.join("index_bg.wasm").exists() {
                    files.push(("index_bg.wasm", dir.join("index_bg.wasm")));
                }
                files
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
    // Each measurement spans BATCHES rounds of CALLS at once: several
    // garbage collections, not one landing in some reps and not others.
    const BATCHES: usize = 10;
    const REPS: usize = 9;
    let driver = root.join("benches/workers/driver.mjs");
    let zero = [("TOY_SLEEP_MS", "0")];
    let drivers: Vec<Server> = variants
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
        let reply = get(
            &agent,
            &server.url(&format!(
                "/?n={CALLS}&batches={BATCHES}&spread={}",
                u8::from(spread)
            )),
        );
        assert_eq!(
            reply.body,
            format!("{}/{}", CALLS * BATCHES, CALLS * BATCHES),
            "{}",
            server.log()
        );
    };
    for server in &drivers {
        call_all(server); // warm: compile, tier up, grow the heap
        call_all(server);
    }
    let mut in_isolate = vec![Vec::new(); variants.len()];
    for rep in 1..=REPS {
        for (i, server) in drivers.iter().enumerate() {
            in_isolate[i].push(cpu_us(server, &|| call_all(server)) / (CALLS * BATCHES) as f64);
        }
        println!("[ablation] in-isolate rep {rep}/{REPS} done");
    }
    drop(drivers);

    // Waves over loopback, as in `make bench`.
    const N: usize = 1000;
    let wave_reps: usize = if in_isolate_only { 0 } else { 5 };
    let servers: Vec<Server> = variants
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
    let mut waves = vec![Vec::new(); variants.len()];
    for rep in 1..=wave_reps {
        for (i, server) in servers.iter().enumerate() {
            let wave = support::wave(variants[i].0, server.pid(), &server.url("/toy"), N);
            assert_eq!(wave.errors, 0, "{wave:?}");
            waves[i].push(wave);
            std::thread::sleep(Duration::from_millis(500));
        }
        println!("[ablation] waves rep {rep}/{wave_reps} done");
    }

    let base_isolate = Stat::of(&in_isolate[0]).median;
    // Wave columns are empty with --in-isolate-only.
    let wave_stat = |i: usize, f: fn(&support::Wave) -> f64| {
        (wave_reps > 0).then(|| Stat::of(&waves[i].iter().map(f).collect::<Vec<_>>()))
    };
    let base_wave = wave_stat(0, |w| w.cpu_us_per_req).map_or(0.0, |s| s.median);
    println!(
        "\n{:<18} {:>22} {:>8} {:>22} {:>8} {:>10}  what changes",
        "variant", "in-isolate us/call", "delta", "c=1000 CPU us/req", "delta", "peak MiB"
    );
    let mut rows = Vec::new();
    for (i, (name, what)) in variants.iter().enumerate() {
        let isolate = Stat::of(&in_isolate[i]);
        let cpu = wave_stat(i, |w| w.cpu_us_per_req);
        let rss = wave_stat(i, |w| w.peak_rss_mib);
        println!(
            "{name:<18} {:>22} {:>+8.1} {:>22} {:>8} {:>10}  {what}",
            isolate.show(1),
            isolate.median - base_isolate,
            cpu.as_ref().map_or("-".into(), |c| c.show(0)),
            cpu.as_ref()
                .map_or("-".into(), |c| format!("{:+.0}", c.median - base_wave)),
            rss.as_ref().map_or("-".into(), |r| format!("{:.1}", r.max)),
        );
        rows.push(serde_json::json!({
            "variant": name, "what": what,
            "in_isolate_us_per_call": isolate,
            "wave_cpu_us_per_req": cpu,
            "peak_rss_mib": rss.map(|r| r.max),
        }));
    }
    let json = serde_json::json!({
        "calls_per_rep": CALLS * BATCHES, "in_isolate_reps": REPS, "wave_n": N, "wave_reps": wave_reps,
        "rows": rows,
    });
    let path = if partial {
        root.join("target/ablation/partial.json")
    } else {
        root.join("benches/ablation.json")
    };
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json).expect("json") + "\n",
    )
    .expect("write ablation.json");
    println!("[ablation] wrote {}", path.display());
}

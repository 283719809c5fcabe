//! A tiny run of the benchmark (one wave of 10 against each worker, 100 ms
//! sleep) so `make bench` cannot rot unnoticed.
//!
//! Run: `make test`, or `cargo test --test bench_smoke`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use common::Server;

#[test]
fn a_wave_of_ten_against_each_worker() {
    let vars = [("TOY_SLEEP_MS", "100")];
    let servers = [
        ("wasm", Server::workerd("build", &vars)),
        ("js", Server::workerd_js("bench/js-worker.mjs", &vars)),
    ];
    let waves: Vec<_> = servers
        .iter()
        .map(|(name, server)| support::wave(name, server.pid(), &server.url("/toy"), 10))
        .collect();
    println!("{}", support::table(&support::summarise(&waves)));
    for wave in &waves {
        assert_eq!(wave.errors, 0, "{wave:?}");
        assert!(wave.p50_ms >= 99.0 && wave.p99_ms < 5_000.0, "{wave:?}");
        assert!(wave.wall_s < 5.0, "{wave:?}");
        assert!(
            wave.cpu_us_per_req > 0.0 && wave.peak_rss_mib > 1.0,
            "{wave:?}"
        );
    }
    let svg = support::svg(&support::summarise(&waves), "smoke");
    assert_eq!(
        svg.matches("<polyline").count(),
        4,
        "p50 and p99 per server"
    );
}

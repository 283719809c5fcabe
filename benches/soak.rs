//! `make soak`: reliability of the release worker on bare workerd under a
//! 5000-request wave, 2000 client aborts, 60 s at concurrency 1000 and
//! panics under load; then three rounds of a minute at concurrency 1000 on workerd, Deno,
//! Bun and Node, the wasm beside the plain-JS reference, with their memory
//! (loopback only, every loop bounded). Prints a report and exits non-zero
//! when a bound is broken. `-- --panics` and `-- --memory` run one part,
//! `-- --workerd` every part but the memory one;
//! `-- --short` is the few-seconds version that also runs inside `make test`
//! (without the memory part).

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
    let short = std::env::args().any(|a| a == "--short");
    let params = if short {
        support::soak::Params::short()
    } else {
        support::soak::Params::full()
    };
    let started = std::time::Instant::now();
    let only = |part: &str| std::env::args().any(|a| a == part);
    let report = if only("--panics") {
        support::soak::run_panics(&params)
    } else if only("--memory") {
        let mut report = support::soak::Report::default();
        support::soak::memory_beside_js(&params, &mut report);
        report
    } else {
        let mut report = support::soak::run(&params);
        // Minutes, not seconds: the full run only.
        if !short && !only("--workerd") {
            support::soak::memory_beside_js(&params, &mut report);
        }
        report
    };
    println!("\n[soak] report ({:.0} s)", started.elapsed().as_secs_f64());
    for line in &report.lines {
        println!("  {line}");
    }
    if report.violations.is_empty() {
        println!("[soak] all bounds held");
    } else {
        println!("[soak] {} bound(s) broken:", report.violations.len());
        for v in &report.violations {
            println!("  {v}");
        }
        std::process::exit(1);
    }
}

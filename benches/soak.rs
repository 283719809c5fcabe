//! `make soak`: reliability of the release worker on bare workerd under a
//! 5000-request wave, 2000 client aborts and 60 s at concurrency 1000
//! (loopback only, every loop bounded). Prints a report and exits non-zero
//! when a bound is broken. `cargo bench --bench soak -- --short` is the
//! few-seconds version that also runs inside `make test`.

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
    let report = if std::env::args().any(|a| a == "--panics") {
        support::soak::run_panics(&params)
    } else {
        support::soak::run(&params)
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

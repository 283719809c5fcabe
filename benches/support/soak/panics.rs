//! The soak's panic part: sustained load on the test worker with a
//! `/__panic` every so often.

use std::time::Duration;

use super::{Params, Report, error_lines, mib, sustained, wave};
use crate::common::{Runtime, Server};
use crate::support::status_kib;

/// Sustained load on the test worker with a `/__panic` every so often: only
/// the panicking requests fail (each panic unwinds inside its own request),
/// and nothing stays behind: no live sleep, wasm memory back to where it was.
pub(super) fn panics_under_load(p: &Params, report: &mut Report) {
    let sleep = p.sleep_ms.to_string();
    let server = Server::on(
        Runtime::Workerd,
        "build-test",
        &[("TOY_SLEEP_MS", sleep.as_str())],
    );
    // Wasm memory never shrinks: the baseline is taken after a wave as
    // large as the load, so that only a leak can grow it.
    let warm = wave(&server, p.soak_concurrency);
    report.check(warm.errors == 0, format!("warm-up wave: {warm:?}"));
    let (_, memory_before) = crate::common::stats(&server);
    let rss_before = status_kib(server.pid(), "VmRSS");
    let mut panics = 0;
    let mut not_500 = Vec::new();
    let outcome = sustained(
        &server,
        p.soak_concurrency,
        p.panic_soak,
        p.panic_every,
        || {
            let reply = crate::common::get(&server.url("/__panic"));
            panics += 1;
            if reply.status != 500 {
                not_500.push(reply.status);
            }
        },
    );
    report.outcome(
        &format!(
            "{:?} at concurrency {} with a panic every {:?} ({panics} panics)",
            p.panic_soak, p.soak_concurrency, p.panic_every
        ),
        &outcome,
    );
    report.check(
        not_500.is_empty(),
        format!("a /__panic was not answered 500: {not_500:?}"),
    );
    std::thread::sleep(Duration::from_millis(u64::from(p.sleep_ms) + 500));
    let (live, memory_after) = crate::common::stats(&server);
    report.say(format!(
        "after the panics: {live} live sleeps; wasm memory {} KiB before, {} KiB after; RSS {:.1} -> {:.1} MiB (reported)",
        memory_before / 1024,
        memory_after / 1024,
        mib(rss_before),
        mib(status_kib(server.pid(), "VmRSS"))
    ));
    report.check(
        live == 0,
        format!("{live} sleeps still live after the panics"),
    );
    let unexpected: Vec<String> = error_lines(&server.log())
        .into_iter()
        .filter(|line| !line.contains("handler panicked"))
        .collect();
    report.check(
        unexpected.is_empty(),
        format!(
            "workerd logged errors beyond the panics: {:?}",
            &unexpected[..unexpected.len().min(5)]
        ),
    );
    report.check(
        memory_after <= memory_before + 64 * 1024,
        format!("wasm memory grew over the panics: {memory_before} -> {memory_after} bytes"),
    );
}

//! The soak's memory minute: a minute at concurrency 1000 on every
//! runtime, the wasm beside the plain-JS reference.

use super::{Params, Report, mib, sustained};
use crate::common::{Runtime, Server};
use crate::support::{Stat, status_kib};

/// Rounds of the memory minute per runtime and side: odd, for the median.
const MEMORY_ROUNDS: usize = 3;

/// The minute at concurrency 1000 on every runtime: the wasm (the test
/// build, whose `/__stats` reports wasm memory) and the plain-JS reference
/// (loading nothing of the project), each on a fresh server, one after the
/// other; MEMORY_ROUNDS rounds, the order alternating by round and runtime.
/// Per runtime: RSS after the minute, wasm and JS, median (min–max), and the
/// median of the per-round ratios against its target (<= 1.10x JS,
/// reported, not asserted: it is a figure of V8 and the runtime as much as
/// of the app); RSS growth per request served over the second half of the
/// minute. The wasm's linear memory, sampled as it runs, must stay flat over
/// the second half (one page of slack): memory never shrinks and a leak
/// grows it all along, while the ramp-up to the steady flow is over in the
/// first seconds.
pub fn memory_beside_js(p: &Params, report: &mut Report) {
    let runtimes = [Runtime::Workerd, Runtime::Deno, Runtime::Bun, Runtime::Node];
    // Per runtime, per side (wasm, js): RSS after the minute (MiB) and
    // growth per request served in its second half (KiB), round by round.
    let mut after = vec![[Vec::new(), Vec::new()]; runtimes.len()];
    let mut per_served = after.clone();
    for round in 0..MEMORY_ROUNDS {
        for (r, &runtime) in runtimes.iter().enumerate() {
            let order = if (round + r) % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for wasm in order {
                let (end, served) = memory_minute(runtime, wasm, p, report);
                after[r][usize::from(!wasm)].push(end);
                per_served[r][usize::from(!wasm)].push(served);
            }
        }
    }
    for (r, runtime) in runtimes.iter().enumerate() {
        let [wasm, js] = &after[r];
        let ratios: Vec<f64> = wasm.iter().zip(js).map(|(w, j)| w / j).collect();
        let ratio = Stat::of(&ratios);
        report.say(format!(
            "{}: RSS after {:?} at concurrency {} (MiB, median (min–max) of {MEMORY_ROUNDS} rounds): wasm {}, js {}; wasm/js {} (target <= 1.10: {}); RSS growth per request served over the second half (KiB): wasm {}, js {}",
            runtime.name(),
            p.soak,
            p.soak_concurrency,
            Stat::of(wasm).show(1),
            Stat::of(js).show(1),
            ratio.show(3),
            if ratio.median <= 1.10 { "met" } else { "MISSED" },
            Stat::of(&per_served[r][0]).show(2),
            Stat::of(&per_served[r][1]).show(2),
        ));
    }
}

/// One minute on a fresh server: its outcome and figures reported, the
/// wasm's linear memory checked; returns the RSS after the minute (MiB) and
/// the RSS growth per request served over its second half (KiB; the flow is
/// steady by then, so half the requests fall in it).
fn memory_minute(runtime: Runtime, wasm: bool, p: &Params, report: &mut Report) -> (f64, f64) {
    let sleep = p.sleep_ms.to_string();
    let vars = [("TOY_SLEEP_MS", sleep.as_str())];
    let server = if wasm {
        Server::on(runtime, "build-test", &vars)
    } else {
        crate::support::start_reference(runtime, crate::support::JS_WORKER, &vars)
    };
    let (name, side) = (runtime.name(), if wasm { "wasm" } else { "js" });
    let pid = server.pid();
    let start = status_kib(pid, "VmRSS");
    let (mut rss, mut linear) = (Vec::new(), Vec::new());
    let outcome = sustained(&server, p.soak_concurrency, p.soak, p.sample_every, || {
        rss.push(status_kib(pid, "VmRSS"));
        if wasm {
            linear.push(crate::common::stats(&server).1 / 1024);
        }
    });
    let (end, peak) = (status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM"));
    let middle = rss.get(rss.len() / 2).copied().unwrap_or(start);
    let served = (end as f64 - middle as f64) / (outcome.ok.max(2) / 2) as f64;
    report.outcome(
        &format!(
            "{name} {side}, {:?} at concurrency {}",
            p.soak, p.soak_concurrency
        ),
        &outcome,
    );
    report.say(format!(
        "{name} {side}: RSS {:.1} MiB fresh, {:.1} halfway, {:.1} after the minute, peak {:.1}{}",
        mib(start),
        mib(middle),
        mib(end),
        mib(peak),
        if wasm {
            format!("; wasm memory every {:?} (KiB): {linear:?}", p.sample_every)
        } else {
            String::new()
        }
    ));
    if let (Some(half), Some(last)) = (linear.get(linear.len() / 2), linear.last()) {
        report.check(
            *last <= half + 64,
            format!("{name}: wasm memory grew over the second half of the minute: {linear:?} KiB"),
        );
    }
    (mib(end), served)
}

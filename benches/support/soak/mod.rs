//! The soak (`make soak`) and its short version in the test command
//! (tests/soak_short.rs): a big wave, client aborts, then sustained load,
//! against the release worker on bare workerd; the abort part is repeated on
//! the test worker, whose /__stats shows live sleeps and wasm memory, and
//! there asserted exactly (every sleep ends at once, memory stays put).

use std::time::{Duration, Instant};

use super::{Outcome, hey, status_kib};
use crate::common::{Runtime, Server};

mod memory;
mod panics;

#[allow(unused_imports)] // only the soak binary runs it
pub use memory::memory_beside_js;
use panics::panics_under_load;

/// How hard and how long.
pub struct Params {
    pub sleep_ms: u32,
    pub big_wave: usize,
    pub abort_batches: usize,
    pub abort_batch: usize,
    pub abort_after: Duration,
    pub follow_wave: usize,
    pub soak: Duration,
    pub soak_concurrency: usize,
    pub sample_every: Duration,
    /// The panic part: sustained load on the test worker this long, with a
    /// `/__panic` every `panic_every`.
    pub panic_soak: Duration,
    pub panic_every: Duration,
}

impl Params {
    /// The documented run: 5000 in one wave, 2000 aborts, 60 s at c=1000.
    pub fn full() -> Params {
        Params {
            sleep_ms: 1000,
            big_wave: 5000,
            abort_batches: 10,
            abort_batch: 200,
            abort_after: Duration::from_millis(100),
            follow_wave: 1000,
            soak: Duration::from_secs(60),
            soak_concurrency: 1000,
            sample_every: Duration::from_secs(5),
            panic_soak: Duration::from_secs(30),
            panic_every: Duration::from_secs(2),
        }
    }

    /// A few seconds' version for the test command.
    pub fn short() -> Params {
        Params {
            sleep_ms: 200,
            big_wave: 300,
            abort_batches: 4,
            abort_batch: 50,
            abort_after: Duration::from_millis(50),
            follow_wave: 100,
            soak: Duration::from_secs(6),
            soak_concurrency: 100,
            sample_every: Duration::from_secs(1),
            panic_soak: Duration::from_secs(4),
            panic_every: Duration::from_secs(1),
        }
    }
}

/// What the run found: a line per figure, and the bounds it broke.
#[derive(Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub violations: Vec<String>,
}

impl Report {
    fn say(&mut self, line: String) {
        println!("[soak] {line}");
        self.lines.push(line);
    }

    fn check(&mut self, ok: bool, what: String) {
        if !ok {
            println!("[soak] BOUND BROKEN: {what}");
            self.violations.push(what);
        }
    }

    fn no_errors_logged(&mut self, server: &Server) {
        let errors = error_lines(&server.log());
        let first = &errors[..errors.len().min(5)];
        self.check(
            errors.is_empty(),
            format!("workerd logged errors: {first:?}"),
        );
    }

    fn outcome(&mut self, name: &str, outcome: &Outcome) {
        self.say(format!(
            "{name}: {} requests, {} errors, p50 {:.1} ms, p99 {:.1} ms",
            outcome.ok + outcome.errors,
            outcome.errors,
            outcome.p50_ms,
            outcome.p99_ms
        ));
        self.check(
            outcome.errors == 0,
            format!(
                "{name}: {} errors, e.g. {:?}",
                outcome.errors, outcome.first_errors
            ),
        );
        // Every 200 of /toy is the 12 bytes of {"result":1}.
        self.check(
            outcome.body_bytes == 12 * outcome.ok as u64,
            format!(
                "{name}: {} bytes of body for {} answers, not 12 each",
                outcome.body_bytes, outcome.ok
            ),
        );
    }
}

/// `n` GET /toy all in flight at once.
fn wave(server: &Server, n: usize) -> Outcome {
    super::hey_wave(&server.url("/toy"), n)
}

/// `concurrency` clients sending GET /toy back to back, each on a new
/// connection, for `duration`; `sample` is called every `every` meanwhile.
fn sustained(
    server: &Server,
    concurrency: usize,
    duration: Duration,
    every: Duration,
    sample: impl FnMut(),
) -> Outcome {
    let (c, z) = (concurrency.to_string(), format!("{}s", duration.as_secs()));
    hey(
        &server.url("/toy"),
        &["-z", &z, "-c", &c, "-disable-keepalive"],
        every,
        sample,
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Lines of a workerd log that report a problem.
fn error_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error") || l.contains("uncaught") || l.contains("exception")
        })
        .map(str::to_owned)
        .collect()
}

/// Runs the three parts and reports.
pub fn run(p: &Params) -> Report {
    let mut report = Report::default();
    let sleep = p.sleep_ms.to_string();
    let vars = [("TOY_SLEEP_MS", sleep.as_str())];
    let drain = Duration::from_millis(u64::from(p.sleep_ms) + 500);

    // 1. One big wave.
    let server = Server::on(Runtime::Workerd, "build", &vars);
    let big = wave(&server, p.big_wave);
    report.outcome(&format!("big wave of {}", p.big_wave), &big);
    // 2. Client aborts (RST mid-sleep), in batches, then the test worker's.
    client_aborts(&server, p, &mut report);
    std::thread::sleep(drain);
    let follow = wave(&server, p.follow_wave);
    report.outcome(
        &format!("wave of {} after the aborts", p.follow_wave),
        &follow,
    );
    report.no_errors_logged(&server);
    aborts_on_the_test_worker(p, &mut report);
    // 3. Sustained load.
    soak(&server, p, &mut report);
    // 4. Repeated panics under sustained load.
    panics_under_load(p, &mut report);
    report
}

/// Only the panic part (`cargo bench --bench soak -- --panics`).
pub fn run_panics(p: &Params) -> Report {
    let mut report = Report::default();
    panics_under_load(p, &mut report);
    report
}

/// Client aborts (RST mid-sleep) in batches; RSS after each batch.
fn client_aborts(server: &Server, p: &Params, report: &mut Report) {
    let pid = server.pid();
    let mut rss = Vec::new();
    let mut aborted = 0;
    for _ in 0..p.abort_batches {
        let streams = crate::common::open_requests(server, p.abort_batch);
        std::thread::sleep(p.abort_after);
        aborted += streams.len();
        crate::common::reset(streams);
        std::thread::sleep(Duration::from_millis(200));
        rss.push(status_kib(pid, "VmRSS"));
    }
    report.say(format!(
        "aborted {aborted} requests in {} batches after {:?}; RSS per batch (MiB): {}",
        p.abort_batches,
        p.abort_after,
        rss.iter()
            .map(|k| format!("{:.1}", mib(*k)))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    report.check(
        aborted == p.abort_batches * p.abort_batch,
        format!("only {aborted} abort requests were sent"),
    );
}

/// The same aborts on the test worker, sleeping 10 s so only the abort can
/// end a sleep in time: every sleep must end within 500 ms of its reset, and
/// wasm memory must stay at the baseline taken with the first batch in
/// flight (one page of slack; a leak grows it every batch).
fn aborts_on_the_test_worker(p: &Params, report: &mut Report) {
    let probe = Server::on(Runtime::Workerd, "build-test", &[("TOY_SLEEP_MS", "10000")]);
    let (baseline, batches) = crate::common::abort_batches(
        &probe,
        p.abort_batches,
        p.abort_batch,
        Duration::from_millis(500),
    );
    let last = batches.last().map_or(0, |b| b.memory_after);
    report.say(format!(
        "test worker: live sleeps per batch before the reset {:?}; ms until none was live {:?}; wasm memory {} KiB with the first batch in flight, {} KiB after the last",
        batches.iter().map(|b| b.live_before).collect::<Vec<_>>(),
        batches.iter().map(|b| b.settled_in.map(|d| d.as_millis())).collect::<Vec<_>>(),
        baseline / 1024,
        last / 1024
    ));
    for (i, batch) in batches.iter().enumerate() {
        report.check(
            batch.live_before == p.abort_batch as u64 && batch.settled_in.is_some(),
            format!("abort batch {i}: {batch:?}"),
        );
    }
    report.check(
        last <= baseline + 64 * 1024,
        format!("wasm memory grew over the aborts: {baseline} -> {last} bytes"),
    );
    report.no_errors_logged(&probe);
}

/// Sustained load; RSS sampled as it runs.
fn soak(server: &Server, p: &Params, report: &mut Report) {
    let pid = server.pid();
    let started = Instant::now();
    let mut samples: Vec<(Duration, u64)> = vec![(Duration::ZERO, status_kib(pid, "VmRSS"))];
    let soak = sustained(server, p.soak_concurrency, p.soak, p.sample_every, || {
        samples.push((started.elapsed(), status_kib(pid, "VmRSS")));
    });
    report.outcome(
        &format!("soak {:?} at concurrency {}", p.soak, p.soak_concurrency),
        &soak,
    );
    report.say(format!(
        "RSS samples (s: MiB): {}",
        samples
            .iter()
            .map(|(at, kib)| format!("{}: {:.1}", at.as_secs(), mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // Reported, not asserted: V8 and workerd keep what they allocated, so
    // RSS is too blunt to catch a leak of a request's worth of wasm memory
    // (the abort part above asserts that precisely).
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        report.say(format!(
            "RSS from the start of the soak to its end: {:.1} -> {:.1} MiB",
            mib(first.1),
            mib(last.1)
        ));
    }
    report.no_errors_logged(server);
}

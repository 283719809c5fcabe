//! What js-host-timer promises, checked in every JavaScript host that runs
//! wasm-bindgen-test (Node and headless Chromium: tests/node.rs,
//! tests/browser.rs).
//!
//! Two kinds of test: real timers, where the host's loop does the waiting,
//! and a fake `setTimeout` ([`FakeTimers`]) that records each timer and fires
//! it when the test says, for the durations nobody can wait for (2^31 ms and
//! more). There is no runtime and no thread: each test is a future the host's
//! event loop drives.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures::future::{Either, join_all, select};
use js_host_timer::{Sleep, SleepError, live_sleeps, sleep, sleep_or_abort};
use js_sys::{Date, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

/// 2^31 − 1: the longest delay a host's `setTimeout` honours.
const LONGEST_MS: u64 = i32::MAX as u64;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Lets every Promise job queued so far run (a resolved leg's callbacks, the
/// wake-up they send).
async fn settle_jobs() {
    for _ in 0..3 {
        let _ = JsFuture::from(Promise::resolve(&JsValue::UNDEFINED)).await;
    }
}

/// Replaces the global `setTimeout`/`clearTimeout` with fakes that record
/// every call and fire nothing until [`FakeTimers::fire`]. Handles are
/// objects, as Node's are. Real timers are back once it is dropped; a test
/// awaits only Promise jobs while it is installed.
///
/// A failing assertion aborts the wasm instance (panic = abort), so `drop`
/// never runs: a real watchdog timer then puts the real timers back after
/// 2 s and hands them what the fakes caught meanwhile (the next tests' short
/// timers), so the failure is reported instead of the run going silent.
struct FakeTimers {
    fake: JsValue,
}

impl FakeTimers {
    fn install() -> FakeTimers {
        let fake = Function::new_no_args(
            "const g = globalThis;
             const real = g.__realTimers ??= { set: g.setTimeout, clear: g.clearTimeout };
             const fake = { delays: [], callbacks: [], handles: [], cleared: [], fired: new Set() };
             g.setTimeout = (callback, delay) => {
               const handle = { n: fake.handles.length };
               fake.delays.push(delay); fake.callbacks.push(callback); fake.handles.push(handle);
               return handle;
             };
             g.clearTimeout = (handle) => { fake.cleared.push(handle.n); };
             fake.restore = () => {
               real.clear.call(g, fake.watchdog);
               g.setTimeout = real.set; g.clearTimeout = real.clear;
             };
             fake.watchdog = real.set.call(g, () => {
               g.setTimeout = real.set; g.clearTimeout = real.clear;
               fake.callbacks.forEach((callback, n) => {
                 const open = !fake.fired.has(n) && !fake.cleared.includes(n);
                 if (open && fake.delays[n] < 60000) real.set.call(g, callback, fake.delays[n]);
               });
             }, 2000);
             return fake;",
        )
        .call0(&JsValue::NULL)
        .expect("install fake timers");
        FakeTimers { fake }
    }

    fn numbers(&self, key: &str) -> Vec<f64> {
        js_sys::Array::from(&get(&self.fake, key))
            .iter()
            .filter_map(|value| value.as_f64())
            .collect()
    }

    /// The delay of every `setTimeout` so far, in order.
    fn delays(&self) -> Vec<f64> {
        self.numbers("delays")
    }

    /// Which timers (by index into [`FakeTimers::delays`]) were cleared.
    fn cleared(&self) -> Vec<f64> {
        self.numbers("cleared")
    }

    /// Fires timer `n` as the host would when its delay is up.
    fn fire(&self, n: u32) {
        let callbacks = js_sys::Array::from(&get(&self.fake, "callbacks"));
        let callback: Function = callbacks.get(n).unchecked_into();
        let fired: js_sys::Set = get(&self.fake, "fired").unchecked_into();
        fired.add(&n.into());
        callback.call0(&JsValue::UNDEFINED).expect("fire");
    }
}

impl Drop for FakeTimers {
    fn drop(&mut self) {
        let restore: Function = get(&self.fake, "restore").unchecked_into();
        let _ = restore.call0(&JsValue::NULL);
    }
}

/// A waker that counts how often it was woken.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn poll_with(sleep: &mut Sleep, waker: &Waker) -> Poll<Result<(), SleepError>> {
    Pin::new(sleep).poll(&mut Context::from_waker(waker))
}

fn poll_once(sleep: &mut Sleep) -> Poll<Result<(), SleepError>> {
    poll_with(sleep, Waker::noop())
}

// --- Durations ------------------------------------------------------------

#[wasm_bindgen_test]
async fn zero_still_yields_to_the_host_loop_once() {
    let timers = FakeTimers::install();
    let mut zero = sleep(Duration::ZERO);
    assert_eq!(timers.delays(), [0.0]);
    assert!(
        poll_once(&mut zero).is_pending(),
        "ended before its timer ran"
    );
    timers.fire(0);
    settle_jobs().await;
    assert_eq!(poll_once(&mut zero), Poll::Ready(Ok(())));
    drop(timers);
    // And on the real host loop.
    sleep(Duration::ZERO).await.expect("sleep(0)");
}

#[wasm_bindgen_test]
async fn below_a_millisecond_is_rounded_up_never_down() {
    let timers = FakeTimers::install();
    let sleeps = [
        sleep(Duration::from_nanos(1)),
        sleep(Duration::from_micros(999)),
        sleep(Duration::from_micros(1_001)),
        sleep(ms(7)),
    ];
    assert_eq!(timers.delays(), [1.0, 1.0, 2.0, 7.0]);
    drop(sleeps);
    drop(timers);
    let started = Date::now();
    sleep(Duration::from_micros(500)).await.expect("sleep");
    assert!(Date::now() - started < 1_000.0);
}

#[wasm_bindgen_test]
async fn exactly_the_longest_delay_is_one_timer() {
    let timers = FakeTimers::install();
    let mut longest = sleep(ms(LONGEST_MS));
    assert_eq!(timers.delays(), [LONGEST_MS as f64]);
    assert!(poll_once(&mut longest).is_pending());
    timers.fire(0);
    settle_jobs().await;
    assert_eq!(poll_once(&mut longest), Poll::Ready(Ok(())));
    assert_eq!(timers.delays().len(), 1, "re-armed after the last leg");
}

#[wasm_bindgen_test]
async fn longer_than_the_longest_delay_is_re_armed_for_the_rest() {
    let timers = FakeTimers::install();
    let mut long = sleep(ms(LONGEST_MS + 1 + 5_000)); // 2^31 ms + 5 s
    assert_eq!(timers.delays(), [LONGEST_MS as f64]);
    assert!(poll_once(&mut long).is_pending());
    timers.fire(0);
    settle_jobs().await;
    assert!(
        poll_once(&mut long).is_pending(),
        "ended after the first leg"
    );
    assert_eq!(timers.delays(), [LONGEST_MS as f64, 5_001.0]);
    timers.fire(1);
    settle_jobs().await;
    assert_eq!(poll_once(&mut long), Poll::Ready(Ok(())));
    assert!(timers.cleared().is_empty(), "{:?}", timers.cleared());
}

#[wasm_bindgen_test]
async fn duration_max_neither_panics_nor_ends() {
    let timers = FakeTimers::install();
    let mut forever = sleep(Duration::MAX);
    for leg in 0..5 {
        assert!(
            poll_once(&mut forever).is_pending(),
            "ended after leg {leg}"
        );
        timers.fire(leg);
        settle_jobs().await;
    }
    assert!(poll_once(&mut forever).is_pending());
    assert_eq!(timers.delays(), [LONGEST_MS as f64; 6]);
    drop(forever);
    assert_eq!(
        timers.cleared(),
        [5.0],
        "the pending leg is cleared on drop"
    );
}

#[wasm_bindgen_test]
async fn the_host_does_not_end_long_sleeps_early() {
    // The real host loop: a setTimeout of more than 2^31 − 1 ms fires at once
    // there, so a sleep handed over as one timer would win this race.
    for long in [
        ms(LONGEST_MS),
        ms(LONGEST_MS + 1 + 5_000),
        Duration::from_secs(u64::MAX),
        Duration::MAX,
    ] {
        let raced = select(sleep(long), sleep(ms(300))).await;
        assert!(
            matches!(raced, Either::Right((Ok(()), _))),
            "a sleep of {long:?} ended before one of 300 ms"
        );
    }
    assert_eq!(live_sleeps(), 0);
}

#[wasm_bindgen_test]
async fn sleeps_no_shorter_than_asked_on_the_host_loop() {
    for wanted in [0.0, 30.0, 120.0] {
        let started = Date::now();
        sleep(ms(wanted as u64)).await.expect("sleep");
        let slept = Date::now() - started;
        // Date.now() is whole milliseconds and Node may fire up to 1 ms early
        // (libuv rounds), hence the 1 ms of slack.
        assert!(slept >= wanted - 1.0, "slept {slept} ms, wanted {wanted}");
        assert!(slept < wanted + 1000.0, "slept {slept} ms, wanted {wanted}");
    }
}

#[wasm_bindgen_test]
async fn hundred_sleeps_overlap_on_the_host_loop() {
    let started = Date::now();
    let results = join_all((0..100).map(|_| sleep(ms(100)))).await;
    let wall = Date::now() - started;
    assert!(results.iter().all(Result::is_ok));
    assert!(wall >= 99.0, "{wall} ms");
    // One after another they would take 10 s.
    assert!(wall < 2_000.0, "100 sleeps of 100 ms took {wall} ms");
}

// --- Polling --------------------------------------------------------------

/// A sleep of a second on a signal that has already aborted.
fn pre_aborted() -> Sleep {
    let controller = AbortController::new().expect("controller");
    controller.abort();
    sleep_or_abort(ms(1_000), &controller.signal())
}

#[wasm_bindgen_test]
async fn polled_again_after_it_finished_it_answers_the_same() {
    let mut done = sleep(ms(1));
    (&mut done).await.expect("sleep");
    assert_eq!(poll_once(&mut done), Poll::Ready(Ok(())));
    assert_eq!(poll_once(&mut done), Poll::Ready(Ok(())));

    let mut aborted = pre_aborted();
    assert_eq!(
        poll_once(&mut aborted),
        Poll::Ready(Err(SleepError::Aborted))
    );
    assert_eq!(
        poll_once(&mut aborted),
        Poll::Ready(Err(SleepError::Aborted))
    );
}

#[wasm_bindgen_test]
async fn the_latest_waker_is_the_one_woken() {
    let timers = FakeTimers::install();
    let (first, last) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
    let mut moved = sleep(ms(50));
    assert!(poll_with(&mut moved, &Waker::from(first.clone())).is_pending());
    // Moved to another task, which polls it next.
    assert!(poll_with(&mut moved, &Waker::from(last.clone())).is_pending());
    timers.fire(0);
    settle_jobs().await;
    assert_eq!(
        first.0.load(Ordering::Relaxed),
        0,
        "the stale waker was woken"
    );
    assert_eq!(
        last.0.load(Ordering::Relaxed),
        1,
        "the latest waker was not woken"
    );
    assert_eq!(poll_once(&mut moved), Poll::Ready(Ok(())));
}

#[wasm_bindgen_test]
async fn the_latest_waker_is_woken_across_legs_too() {
    let timers = FakeTimers::install();
    let last = Arc::new(Counter::default());
    let mut long = sleep(ms(LONGEST_MS + 10));
    assert!(poll_once(&mut long).is_pending());
    timers.fire(0);
    settle_jobs().await;
    // This poll finds the first leg over, arms the second and asks to be
    // polled again at once, as an executor then does.
    let waker = Waker::from(last.clone());
    assert!(poll_with(&mut long, &waker).is_pending());
    assert_eq!(last.0.load(Ordering::Relaxed), 1);
    assert!(poll_with(&mut long, &waker).is_pending());
    timers.fire(1);
    settle_jobs().await;
    assert_eq!(
        last.0.load(Ordering::Relaxed),
        2,
        "the second leg did not wake"
    );
    assert_eq!(poll_once(&mut long), Poll::Ready(Ok(())));
}

// --- Cancel on drop -------------------------------------------------------

/// Wraps the real `setTimeout`/`clearTimeout` so that timers of exactly `ms`
/// milliseconds are counted when they fire and when they are cleared.
struct TimerSpy {
    restore: Function,
}

impl TimerSpy {
    fn install(ms: u32) -> TimerSpy {
        let install = Function::new_with_args(
            "ms",
            "const g = globalThis, set = g.setTimeout, clear = g.clearTimeout;
             const spy = { fired: 0, cleared: 0, ids: new Set() };
             g.setTimeout = (cb, t, ...rest) => {
               if (t !== ms) return set(cb, t, ...rest);
               const id = set((...a) => { spy.fired++; cb(...a); }, t, ...rest);
               spy.ids.add(id);
               return id;
             };
             g.clearTimeout = (id) => { if (spy.ids.has(id)) spy.cleared++; clear(id); };
             return () => { g.setTimeout = set; g.clearTimeout = clear; return spy; };",
        );
        let restore = install
            .call1(&JsValue::NULL, &ms.into())
            .expect("install spy")
            .unchecked_into();
        TimerSpy { restore }
    }

    /// (fired, cleared)
    fn restore(self) -> (u32, u32) {
        let spy = self.restore.call0(&JsValue::NULL).expect("restore");
        let count = |name: &str| get(&spy, name).as_f64().unwrap_or(-1.0) as u32;
        (count("fired"), count("cleared"))
    }
}

#[wasm_bindgen_test]
async fn an_awaited_sleep_fires_its_timer_once() {
    // The control for the tests below: the spy does see a timer fire.
    let spy = TimerSpy::install(37);
    sleep(ms(37)).await.expect("sleep");
    assert_eq!(spy.restore(), (1, 0));
}

#[wasm_bindgen_test]
async fn dropping_a_sleep_clears_its_timer() {
    let spy = TimerSpy::install(37);
    drop(sleep(ms(37)));
    // Wait well past the moment the dropped timer would have fired.
    sleep(ms(150)).await.expect("sleep");
    assert_eq!(spy.restore(), (0, 1), "(fired, cleared)");
    assert_eq!(live_sleeps(), 0);
}

#[wasm_bindgen_test]
async fn a_sleep_that_loses_a_race_is_cleared() {
    let spy = TimerSpy::install(37);
    let winner = select(sleep(ms(5)), sleep(ms(37))).await;
    assert!(matches!(winner, Either::Left(_)));
    drop(winner); // drops the losing, still pending sleep
    sleep(ms(100)).await.expect("sleep");
    assert_eq!(spy.restore(), (0, 1), "(fired, cleared)");
}

/// Under `panic = "unwind"`: a task that panics while it holds a pending
/// sleep unwinds through it, and the sleep's drop clears its timer as any
/// drop does.
#[cfg(panic = "unwind")]
#[wasm_bindgen_test]
async fn a_panic_that_unwinds_through_a_sleep_clears_its_timer() {
    use futures::FutureExt;
    let spy = TimerSpy::install(37);
    let panicking = std::panic::AssertUnwindSafe(async {
        let pending = sleep(ms(37));
        sleep(ms(1)).await.expect("sleep");
        if live_sleeps() > 0 {
            panic!("deliberate panic while a sleep is pending");
        }
        drop(pending);
    });
    assert!(panicking.catch_unwind().await.is_err());
    assert_eq!(live_sleeps(), 0);
    sleep(ms(150)).await.expect("sleep");
    assert_eq!(spy.restore(), (0, 1), "(fired, cleared)");
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

#[wasm_bindgen_test]
async fn dropped_sleeps_leave_nothing_behind() {
    // A dropped sleep must leave no callback waiting in wasm memory (with
    // JsFuture, a sleep that only cleared its timer leaked ~100 bytes each).
    // Drop 20 000 and check that memory stays put.
    let controller = AbortController::new().expect("controller");
    let drop_many = |n: usize| {
        for i in 0..n {
            if i % 2 == 0 {
                drop(sleep(ms(60_000)));
            } else {
                drop(sleep_or_abort(ms(60_000), &controller.signal()));
            }
        }
    };
    drop_many(1_000); // warm up the allocator
    sleep(ms(0)).await.expect("sleep");
    let before = wasm_memory_bytes();
    for _ in 0..20 {
        drop_many(1_000);
        sleep(ms(0)).await.expect("sleep"); // let the settled Promises run their callbacks
    }
    let grown = wasm_memory_bytes() - before;
    assert!(
        grown < 256.0 * 1024.0,
        "wasm memory grew {grown} bytes over 20 000 dropped sleeps"
    );
    assert_eq!(live_sleeps(), 0);
}

// --- Abort ----------------------------------------------------------------

#[wasm_bindgen_test]
async fn an_abort_signal_ends_the_sleep_early_and_clears_its_timer() {
    let spy = TimerSpy::install(1_000);
    let controller = AbortController::new().expect("controller");
    let started = Date::now();
    let slept = sleep_or_abort(ms(1_000), &controller.signal());
    let abort = async {
        sleep(ms(20)).await.expect("sleep");
        controller.abort();
    };
    let (slept, ()) = futures::join!(slept, abort);
    assert_eq!(slept, Err(SleepError::Aborted));
    assert!(Date::now() - started < 500.0);
    assert_eq!(spy.restore(), (0, 1), "(fired, cleared)");

    // A signal that never aborts changes nothing.
    let quiet = AbortController::new().expect("controller");
    assert_eq!(sleep_or_abort(ms(10), &quiet.signal()).await, Ok(()));
}

#[wasm_bindgen_test]
async fn an_already_aborted_signal_ends_the_sleep_at_once_without_a_timer() {
    let timers = FakeTimers::install();
    let mut aborted = pre_aborted();
    assert_eq!(
        poll_once(&mut aborted),
        Poll::Ready(Err(SleepError::Aborted))
    );
    assert!(timers.delays().is_empty(), "{:?}", timers.delays());
}

#[wasm_bindgen_test]
async fn an_abort_between_legs_of_a_long_sleep_ends_it() {
    let timers = FakeTimers::install();
    let controller = AbortController::new().expect("controller");
    let mut long = sleep_or_abort(ms(3 * LONGEST_MS), &controller.signal());
    assert!(poll_once(&mut long).is_pending());
    timers.fire(0);
    settle_jobs().await;
    assert!(poll_once(&mut long).is_pending());
    controller.abort();
    settle_jobs().await;
    assert_eq!(poll_once(&mut long), Poll::Ready(Err(SleepError::Aborted)));
    assert_eq!(timers.cleared(), [1.0], "the second leg's timer is cleared");
}

// --- Hosts that refuse -----------------------------------------------------

#[wasm_bindgen_test]
async fn a_host_whose_set_timeout_throws_gives_an_error_not_a_panic() {
    let swap = Function::new_no_args(
        "const g = globalThis, set = g.setTimeout;
         g.setTimeout = () => { throw new TypeError('no timers here'); };
         return () => { g.setTimeout = set; };",
    )
    .call0(&JsValue::NULL)
    .expect("swap setTimeout");
    let result = sleep(ms(10)).await;
    swap.unchecked_ref::<Function>()
        .call0(&JsValue::NULL)
        .expect("restore");
    let Err(SleepError::Host(error)) = result else {
        panic!("expected SleepError::Host, got {result:?}");
    };
    assert!(format!("{error:?}").contains("no timers here"), "{error:?}");
    assert_eq!(live_sleeps(), 0);
}

//! Sleep in Rust on a JavaScript host's event loop.
//!
//! [`sleep`] is the global `setTimeout` wrapped in a `js_sys::Promise` and
//! awaited through `wasm_bindgen_futures::JsFuture`; [`sleep_or_abort`] also
//! ends when an `AbortSignal` aborts (the shape of the web's
//! `scheduler.wait(ms, { signal })`). Nothing here owns a loop or spawns a
//! thread: the host runs its single-threaded event loop, the Promise resolves
//! on it, and `wasm-bindgen-futures` wakes the Rust task that awaits it.
//!
//! It works in any host with a global `setTimeout`: workerd (Cloudflare
//! Workers), Node, Deno, Bun, a browser page, a Web Worker, a Service Worker.
//! The globals are bound, not `window`'s, and the timer handle is kept as an
//! opaque `JsValue` (Node returns a `Timeout` object where the others return
//! a number).
//!
//! # What a [`Sleep`] guarantees
//!
//! - **Any [`Duration`].** Hosts fire a timer whose delay is above 2^31−1 ms
//!   (about 24.8 days) at once; a longer sleep is armed in legs of at most
//!   that and re-armed until the whole duration has passed. `Duration::MAX`
//!   sleeps (practically) forever, without overflow or panic.
//! - **Never shorter than asked**, to the host's resolution: the duration is
//!   rounded *up* to whole milliseconds, so 1 µs sleeps 1 ms. Zero is a
//!   `setTimeout(…, 0)`: it still yields to the host loop once.
//! - **Cancel on drop.** Dropping a pending sleep clears its timer, removes
//!   its abort listener and settles its Promise, so nothing is left on the
//!   host loop and no callback stays in wasm memory (`JsFuture` alone does
//!   neither).
//! - **The latest waker is woken**: a sleep moved to another task between
//!   polls wakes the task that polled it last.
//! - **Polled again after it finished**, it returns the same result again.
//! - **A signal that has already aborted** ends the sleep at once, without
//!   arming a timer.
//!
//! # A worker that sleeps until the client goes away
//!
//! With workerd's `enable_request_signal` compatibility flag,
//! `request.signal` aborts when the client disconnects; the sleep then ends
//! with [`SleepError::Aborted`] and its timer is cleared. The same file is
//! `examples/worker.rs`, compiled with the crate's tests:
//!
//! ```no_run
#![doc = include_str!("../examples/worker.rs")]
//! # fn main() {}
//! ```
//!
//! # Outside a worker
//!
//! ```no_run
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), js_host_timer::SleepError> {
//! // Races are cheap: the loser is dropped, and dropping clears its timer.
//! use futures::future::{select, Either};
//! let first = select(
//!     js_host_timer::sleep(Duration::from_millis(5)),
//!     js_host_timer::sleep(Duration::from_secs(60)),
//! )
//! .await;
//! assert!(matches!(first, Either::Left(_)));
//! assert_eq!(js_host_timer::live_sleeps(), 0);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use js_sys::{Function, JsString, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    // `catch`: a host that lacks the global (or a test that broke it) yields
    // an error instead of trapping the wasm instance.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &Function, millis: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

    // Called with the event type as a JS string made once: web-sys's
    // bindings take a `&str`, which the glue decodes out of wasm memory into
    // a new JS string on every call.
    #[wasm_bindgen(js_name = EventTarget)]
    type Target;

    #[wasm_bindgen(method, catch, js_name = addEventListener)]
    fn add_listener(this: &Target, kind: &JsString, listener: &Function) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = removeEventListener)]
    fn remove_listener(this: &Target, kind: &JsString, listener: &Function) -> Result<(), JsValue>;
}

thread_local! {
    static ABORT: JsString = JsString::from("abort");
}

/// The longest delay every host honours: a `setTimeout` above it fires at
/// once (Node sets it to 1 ms and warns; browsers and workerd wrap it).
const LONGEST_LEG_MS: u64 = i32::MAX as u64;

/// Sleeps for `duration` on the host's event loop.
///
/// The timer is armed at once, when this is called, not at the first poll;
/// awaiting the future yields to the host loop, which runs other work
/// meanwhile. The output is `Ok(())` once the whole duration has passed, or
/// [`SleepError::Host`] if the host refused the timer.
///
/// ```no_run
/// # async fn demo() {
/// js_host_timer::sleep(std::time::Duration::from_millis(250)).await.ok();
/// # }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(duration, None)
}

/// Like [`sleep`], but ends early with [`SleepError::Aborted`] when `signal`
/// aborts, at once if it already has.
///
/// ```no_run
/// # async fn demo() {
/// let controller = web_sys::AbortController::new().unwrap();
/// let sleeping = js_host_timer::sleep_or_abort(
///     std::time::Duration::from_secs(60),
///     &controller.signal(),
/// );
/// controller.abort();
/// assert_eq!(sleeping.await, Err(js_host_timer::SleepError::Aborted));
/// # }
/// ```
pub fn sleep_or_abort(duration: Duration, signal: &AbortSignal) -> Sleep {
    Sleep::new(duration, Some(signal))
}

/// How many [`Sleep`]s exist right now (made and not yet dropped).
///
/// A diagnostic: a sleep that is never dropped keeps whatever owns it alive
/// (a request's future, say), so a count that keeps growing is a leak.
pub fn live_sleeps() -> usize {
    LIVE.load(Ordering::Relaxed)
}

// wasm32-unknown-unknown has one thread; the atomic only makes the static
// safe to share.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The future returned by [`sleep`] and [`sleep_or_abort`].
///
/// Resolves to `Ok(())` once its duration has passed. Dropping it before
/// then clears the JavaScript timer and settles its Promise, so an
/// abandoned sleep (a cancelled request, a lost race) leaves nothing behind.
#[must_use = "a Sleep does nothing useful unless awaited, and dropping it clears its timer"]
#[derive(Debug)]
pub struct Sleep {
    state: State,
}

#[derive(Debug)]
enum State {
    Waiting {
        leg: Leg,
        /// Milliseconds still to sleep after this leg.
        rest_ms: u64,
        signal: Option<AbortSignal>,
    },
    Done(Result<(), SleepError>),
}

/// One `setTimeout` of at most [`LONGEST_LEG_MS`], as a Promise. The timer's
/// callback is the Promise's own `resolve`, and so is the abort listener:
/// no Rust closure is handed to JavaScript for the timer's sake, and
/// whichever comes first settles the one Promise. The timer resolves it with
/// `undefined`, an abort with the event.
#[derive(Debug)]
struct Leg {
    promise: JsFuture,
    timer: JsValue,
    resolve: Function,
}

impl Leg {
    fn arm(millis: u64, signal: Option<&AbortSignal>) -> Result<Leg, SleepError> {
        let delay = millis.min(LONGEST_LEG_MS) as f64;
        let mut armed = Err(JsValue::UNDEFINED);
        // The executor runs synchronously: `armed` is set before `new` returns.
        // Under `panic = "unwind"` wasm-bindgen wants closures handed to
        // JavaScript to be `UnwindSafe`, which a captured `&mut` is not. The
        // assertion holds: the executor neither panics nor leaves `armed`
        // half-written (it is one assignment). The whole wrapper is captured
        // (through `DerefMut`), not its field, or the closure would capture
        // the bare `&mut` again.
        let mut slot = AssertUnwindSafe(&mut armed);
        let promise = Promise::new(&mut move |resolve, _reject| {
            **slot = set_timeout(&resolve, delay).map(|timer| (timer, resolve));
        });
        let (timer, resolve) = armed.map_err(SleepError::Host)?;
        if let Some(signal) = signal {
            let listening = ABORT.with(|abort| {
                signal
                    .unchecked_ref::<Target>()
                    .add_listener(abort, &resolve)
            });
            if let Err(error) = listening {
                clear_timeout(&timer);
                return Err(SleepError::Host(error));
            }
        }
        Ok(Leg {
            promise: JsFuture::from(promise),
            timer,
            resolve,
        })
    }

    /// Unhooks everything that could still call `resolve`.
    fn disarm(&self, signal: Option<&AbortSignal>, timer_fired: bool) {
        if !timer_fired {
            clear_timeout(&self.timer);
        }
        if let Some(signal) = signal {
            let _ = ABORT.with(|abort| {
                signal
                    .unchecked_ref::<Target>()
                    .remove_listener(abort, &self.resolve)
            });
        }
    }
}

impl Sleep {
    fn new(duration: Duration, signal: Option<&AbortSignal>) -> Sleep {
        LIVE.fetch_add(1, Ordering::Relaxed);
        // Rounded up: a sleep is never shorter than asked. Saturates at
        // u64::MAX ms (585 million years): 128-bit arithmetic would add ~1 KB
        // of compiler-rt to every module that sleeps.
        let millis = duration
            .as_secs()
            .saturating_mul(1_000)
            .saturating_add(u64::from(duration.subsec_nanos().div_ceil(1_000_000)));
        Sleep {
            state: State::start(millis, signal.cloned()),
        }
    }
}

impl State {
    /// Arms the first leg of the `millis` still to sleep: one function for
    /// the first leg and the next, kept out of line so that the module
    /// holds it once.
    #[inline(never)]
    fn start(millis: u64, signal: Option<AbortSignal>) -> State {
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            return State::Done(Err(SleepError::Aborted));
        }
        match Leg::arm(millis, signal.as_ref()) {
            Ok(leg) => State::Waiting {
                leg,
                rest_ms: millis.saturating_sub(LONGEST_LEG_MS),
                signal,
            },
            Err(error) => State::Done(Err(error)),
        }
    }
}

impl Future for Sleep {
    type Output = Result<(), SleepError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (outcome, rest_ms, signal) = match &mut self.state {
            State::Done(outcome) => return Poll::Ready(outcome.clone()),
            State::Waiting {
                leg,
                rest_ms,
                signal,
            } => {
                // JsFuture keeps the waker of its latest poll.
                let settled = std::task::ready!(Pin::new(&mut leg.promise).poll(cx));
                let fired = matches!(&settled, Ok(value) if value.is_undefined());
                leg.disarm(signal.as_ref(), fired);
                let outcome = match settled {
                    Ok(_) if fired => Ok(()),
                    Ok(_) => Err(SleepError::Aborted),
                    Err(error) => Err(SleepError::Host(error)),
                };
                (outcome, *rest_ms, signal.take())
            }
        };
        if outcome.is_ok() && rest_ms > 0 {
            // A leg of a long sleep ended: arm the next, and be polled again
            // so that its JsFuture holds the waker.
            self.state = State::start(rest_ms, signal);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.state = State::Done(outcome.clone());
        Poll::Ready(outcome)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        if let State::Waiting { leg, signal, .. } = &self.state {
            leg.disarm(signal.as_ref(), false);
            // JsFuture frees its callbacks only when its Promise settles, and
            // a cleared timer never settles it: settle it here. Nothing waits
            // on it any more, so the value is never seen.
            let _ = leg.resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Why a [`Sleep`] ended without its full duration.
#[derive(Debug, Clone, PartialEq)]
pub enum SleepError {
    /// The signal passed to [`sleep_or_abort`] aborted first (or had
    /// already aborted).
    Aborted,
    /// The host threw when asked to arm the timer or listen to the signal
    /// (a host without a global `setTimeout`, say); the exception.
    Host(JsValue),
}

impl std::fmt::Display for SleepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SleepError::Aborted => write!(f, "the sleep was aborted"),
            SleepError::Host(error) => write!(f, "the host refused the timer: {error:?}"),
        }
    }
}

impl std::error::Error for SleepError {}

//! Where Rust meets JavaScript timers: [`sleep`] is the global `setTimeout`
//! wrapped in a `js_sys::Promise` and awaited through
//! `wasm_bindgen_futures::JsFuture`.
//!
//! The timer's callback is the Promise's own `resolve` function, so no Rust
//! closure is handed to JavaScript for the timer's sake. [`sleep_or_abort`]
//! also hands `resolve` to an `AbortSignal` as its "abort" listener (the
//! shape of the web's `scheduler.wait(ms, { signal })`): one Promise, woken
//! by whichever comes first.
//!
//! `JsFuture` alone cancels nothing when dropped, and keeps its own callbacks
//! alive until the Promise settles; so [`Sleep`] clears its timer and removes
//! its listener when it is done or dropped, and on drop settles the Promise
//! itself, which frees those callbacks.
//!
//! The globals are bound, not `window`'s, so the same code runs in workerd,
//! Node and a browser. Node returns a `Timeout` object from `setTimeout` where
//! the others return a number, so the handle stays an opaque [`JsValue`].

use std::future::Future;
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

    // The signal's listener calls with the event type as a JS string made
    // once: web-sys's take a `&str`, which the glue decodes out of wasm
    // memory into a new JS string on every call (a V8 CPU profile of the
    // worker put the two calls at ~4.8 µs per request, the JS worker's at
    // ~1.8).
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

/// Sleeps for `duration` on the host's event loop.
///
/// Durations are rounded down to whole milliseconds, the timer's resolution.
/// The returned future arms the timer at once; awaiting it yields to the
/// host loop, which is free to run other requests in the meantime.
pub fn sleep(duration: Duration) -> Sleep {
    start(duration, None)
}

/// Like [`sleep`], but ends early with [`SleepError::Aborted`] when `signal`
/// aborts (workerd aborts `request.signal` when the client goes away).
pub fn sleep_or_abort(duration: Duration, signal: &AbortSignal) -> Sleep {
    start(duration, Some(signal))
}

fn start(duration: Duration, signal: Option<&AbortSignal>) -> Sleep {
    let millis = duration.as_millis() as f64;
    let mut armed = Err(JsValue::UNDEFINED);
    // The executor runs synchronously, so `armed` is set before `new` returns.
    // The timer resolves with `undefined`; an abort resolves with the event
    // (or the signal, if it had already aborted).
    let promise = Promise::new(&mut |resolve, _reject| {
        armed = set_timeout(&resolve, millis).map(|timer| {
            let signal = signal.filter(|signal| {
                if signal.aborted() {
                    let _ = resolve.call1(&JsValue::UNDEFINED, signal);
                    false
                } else {
                    ABORT.with(|abort| {
                        signal
                            .unchecked_ref::<Target>()
                            .add_listener(abort, &resolve)
                            .is_ok()
                    })
                }
            });
            Armed {
                timer,
                resolve,
                signal: signal.cloned(),
            }
        });
    });
    LIVE.fetch_add(1, Ordering::Relaxed);
    match armed {
        Ok(armed) => Sleep {
            promise: JsFuture::from(promise),
            armed: Some(armed),
        },
        Err(error) => Sleep {
            promise: JsFuture::from(Promise::reject(&error)),
            armed: None,
        },
    }
}

/// How many [`Sleep`]s exist right now. A sleep that is neither finished nor
/// dropped keeps its request's future alive, so this is the number to watch
/// for leaks (the test worker reports it at `/__stats`).
pub fn live_sleeps() -> usize {
    LIVE.load(Ordering::Relaxed)
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Future returned by [`sleep`] and [`sleep_or_abort`]: resolves once the
/// host's timer fires (or the signal aborts).
///
/// Dropping it before it resolves clears the JavaScript timer and settles
/// the Promise, so an abandoned sleep (a cancelled request, a lost race)
/// leaves nothing behind: no timer on the host loop and no callbacks in
/// wasm memory.
#[must_use = "a Sleep does nothing unless awaited, and dropping it clears its timer"]
#[derive(Debug)]
pub struct Sleep {
    promise: JsFuture,
    /// What can still wake the Promise; `None` once it has settled (or if
    /// the timer never started).
    armed: Option<Armed>,
}

#[derive(Debug)]
struct Armed {
    timer: JsValue,
    resolve: Function,
    signal: Option<AbortSignal>,
}

impl Armed {
    /// Unhooks everything that could still call `resolve`; returns it.
    fn disarm(self, timer_fired: bool) -> Function {
        if !timer_fired {
            clear_timeout(&self.timer);
        }
        if let Some(signal) = &self.signal {
            let _ = ABORT.with(|abort| {
                signal
                    .unchecked_ref::<Target>()
                    .remove_listener(abort, &self.resolve)
            });
        }
        self.resolve
    }
}

/// Why a [`Sleep`] ended without its full duration.
#[derive(Debug, Clone, PartialEq)]
pub enum SleepError {
    /// The signal passed to [`sleep_or_abort`] aborted first.
    Aborted,
    /// The host's `setTimeout` threw.
    Timer(JsValue),
}

impl std::fmt::Display for SleepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SleepError::Aborted => write!(f, "the sleep was aborted"),
            SleepError::Timer(error) => write!(f, "the host's setTimeout failed: {error:?}"),
        }
    }
}

impl std::error::Error for SleepError {}

impl Future for Sleep {
    type Output = Result<(), SleepError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let settled = std::task::ready!(Pin::new(&mut self.promise).poll(cx));
        let elapsed = matches!(&settled, Ok(value) if value.is_undefined());
        if let Some(armed) = self.armed.take() {
            armed.disarm(elapsed);
        }
        Poll::Ready(match settled {
            Ok(_) if elapsed => Ok(()),
            Ok(_) => Err(SleepError::Aborted),
            Err(error) => Err(SleepError::Timer(error)),
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        if let Some(armed) = self.armed.take() {
            // JsFuture frees its callbacks only when the Promise settles; a
            // cleared timer never settles it, so settle it here. Nothing is
            // waiting on it any more, so the value is never seen.
            let _ = armed.disarm(false).call0(&JsValue::UNDEFINED);
        }
    }
}

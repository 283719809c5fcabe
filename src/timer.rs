//! Where Rust meets JavaScript timers: [`sleep`] is the global `setTimeout`
//! wrapped in a `js_sys::Promise` and awaited through
//! `wasm_bindgen_futures::JsFuture`.
//!
//! The timer's callback is the Promise's own `resolve` function, so no Rust
//! closure is handed to JavaScript for the timer's sake. `JsFuture` alone
//! cancels nothing when dropped, and keeps its own callbacks alive until the
//! Promise settles; so [`Sleep`] clears its timer on drop and settles the
//! Promise itself, which frees them.
//!
//! The globals are bound, not `window`'s, so the same code runs in workerd,
//! Node and a browser. Node returns a `Timeout` object from `setTimeout` where
//! the others return a number, so the handle stays an opaque [`JsValue`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    // `catch`: a host that lacks the global (or a test that broke it) yields
    // an error instead of trapping the wasm instance.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &Function, millis: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Sleeps for `duration` on the host's event loop.
///
/// Durations are rounded down to whole milliseconds, the timer's resolution.
/// The returned future arms the timer at once; awaiting it yields to the
/// host loop, which is free to run other requests in the meantime.
pub fn sleep(duration: Duration) -> Sleep {
    let millis = duration.as_millis() as f64;
    let mut armed = Err(JsValue::UNDEFINED);
    // The executor runs synchronously, so `armed` is set before `new` returns.
    let promise = Promise::new(&mut |resolve, _reject| {
        armed = set_timeout(&resolve, millis).map(|handle| (handle, resolve));
    });
    LIVE.fetch_add(1, Ordering::Relaxed);
    match armed {
        Ok(timer) => Sleep {
            promise: JsFuture::from(promise),
            timer: Some(timer),
        },
        Err(error) => Sleep {
            promise: JsFuture::from(Promise::reject(&error)),
            timer: None,
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

/// Future returned by [`sleep`]: resolves once the host's timer fires.
///
/// Dropping it before it resolves clears the JavaScript timer and settles
/// the Promise, so an abandoned sleep (a cancelled request, a lost race)
/// leaves nothing behind: no timer on the host loop and no callbacks in
/// wasm memory.
#[must_use = "a Sleep does nothing unless awaited, and dropping it clears its timer"]
#[derive(Debug)]
pub struct Sleep {
    promise: JsFuture,
    /// The live timer and its Promise's `resolve`; `None` once it has fired
    /// (or if it never started).
    timer: Option<(JsValue, Function)>,
}

/// Why a [`Sleep`] failed: the host's `setTimeout` threw.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerError(pub JsValue);

impl std::fmt::Display for TimerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host's setTimeout failed: {:?}", self.0)
    }
}

impl std::error::Error for TimerError {}

impl Future for Sleep {
    type Output = Result<(), TimerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(Pin::new(&mut self.promise).poll(cx));
        self.timer = None;
        Poll::Ready(result.map(drop).map_err(TimerError))
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        if let Some((handle, resolve)) = self.timer.take() {
            clear_timeout(&handle);
            // JsFuture frees its callbacks only when the Promise settles; a
            // cleared timer never settles it, so settle it here. Nothing is
            // waiting on it any more, so the value is never seen.
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

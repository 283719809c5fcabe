//! Where Rust meets JavaScript timers: [`sleep`] is the global `setTimeout`
//! wrapped in a `js_sys::Promise` and awaited through
//! `wasm_bindgen_futures::JsFuture`.
//!
//! The timer's callback is the Promise's own `resolve` function, so no Rust
//! closure is handed to JavaScript and nothing has to be leaked or kept alive
//! for the timer's sake. `JsFuture` alone cancels nothing when dropped, so
//! [`Sleep`] clears its timer itself on drop.
//!
//! The globals are bound, not `window`'s, so the same code runs in workerd,
//! Node and a browser. Node returns a `Timeout` object from `setTimeout` where
//! the others return a number, so the handle stays an opaque [`JsValue`].

use std::future::Future;
use std::pin::Pin;
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
    let mut handle = Ok(JsValue::UNDEFINED);
    // The executor runs synchronously, so `handle` is set before `new` returns.
    let promise = Promise::new(&mut |resolve, _reject| {
        handle = set_timeout(&resolve, millis);
    });
    match handle {
        Ok(handle) => Sleep {
            promise: JsFuture::from(promise),
            handle: Some(handle),
        },
        Err(error) => Sleep {
            promise: JsFuture::from(Promise::reject(&error)),
            handle: None,
        },
    }
}

/// Future returned by [`sleep`]: resolves once the host's timer fires.
///
/// Dropping it before it resolves clears the JavaScript timer, so an
/// abandoned sleep (a cancelled request, a lost `select`) leaves nothing
/// behind on the host loop.
#[must_use = "a Sleep does nothing unless awaited, and dropping it clears its timer"]
#[derive(Debug)]
pub struct Sleep {
    promise: JsFuture,
    /// The live timer, `None` once it has fired (or never started).
    handle: Option<JsValue>,
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
        self.handle = None;
        Poll::Ready(result.map(drop).map_err(TimerError))
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            clear_timeout(&handle);
        }
    }
}

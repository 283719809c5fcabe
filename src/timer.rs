//! Where Rust meets JavaScript timers: [`sleep`] is the global `setTimeout`
//! wrapped in a `js_sys::Promise`, and the returned [`Sleep`] future awaits
//! that Promise from Rust.
//!
//! The timer's callback is the Promise's own `resolve` function, so no Rust
//! closure is handed to JavaScript for the timer's sake. [`sleep_or_abort`]
//! also hands `resolve` to an `AbortSignal` as its "abort" listener (the
//! shape of the web's `scheduler.wait(ms, { signal })`): one Promise, woken
//! by whichever comes first.
//!
//! How the Promise wakes Rust. `wasm_bindgen_futures::JsFuture` would do it
//! with two fresh Rust closures per Promise (each a JS function, a
//! `FinalizationRegistry` entry and a heap cell, kept until the Promise
//! settles). Here every Promise gets the same long-lived callback instead:
//! `promise.then(ON_SETTLED)`, and the Promise's value says which sleep
//! settled, and how: the timer resolves it with the sleep's key, the abort
//! listener (a bound `resolve`) with the key negated. The callback finds the
//! sleep's slot, records the outcome and wakes its task. Measured: this
//! halves what a sleeping request costs in wasm-side memory and closures
//! (README, "Where the microseconds go").
//!
//! A [`Sleep`] that is dropped early clears its timer and removes its
//! listener, so its Promise never settles and nothing is left behind: no
//! timer on the host loop, no callback waiting in wasm memory.
//!
//! The globals are bound, not `window`'s, so the same code runs in workerd,
//! Node and a browser. Node returns a `Timeout` object from `setTimeout` where
//! the others return a number, so the handle stays an opaque [`JsValue`].

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::{Closure, wasm_bindgen};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    // `catch`: a host that lacks the global (or a test that broke it) yields
    // an error instead of trapping the wasm instance. Extra arguments are
    // passed to the callback: `resolve(key)`.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &Function, millis: f64, key: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
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
    let key = SLOTS.with_borrow_mut(Slots::insert);
    let mut armed = Err(JsValue::UNDEFINED);
    // The executor runs synchronously, so `armed` is set before `new` returns.
    let promise = Promise::new(&mut |resolve, _reject| {
        armed = set_timeout(&resolve, millis, key.as_f64()).map(|timer| {
            let abort = signal.and_then(|signal| {
                // Resolving with -key tells ON_SETTLED it was the abort.
                let abort: Function = resolve
                    .bind1(&JsValue::NULL, &JsValue::from(-key.as_f64()))
                    .unchecked_into();
                if signal.aborted() {
                    let _ = abort.call0(&JsValue::NULL);
                    None
                } else {
                    let added = signal.add_event_listener_with_callback("abort", &abort);
                    added.is_ok().then(|| (signal.clone(), abort))
                }
            });
            Armed { timer, abort }
        });
    });
    match armed {
        Ok(armed) => {
            ON_SETTLED.with(|on_settled| {
                let _ = promise.then(on_settled);
            });
            Sleep {
                key,
                armed: Some(armed),
                failed: None,
            }
        }
        Err(error) => Sleep {
            key,
            armed: None,
            failed: Some(error),
        },
    }
}

/// How many [`Sleep`]s exist right now. A sleep that is neither finished nor
/// dropped keeps its request's future alive, so this is the number to watch
/// for leaks (the test worker reports it at `/__stats`).
pub fn live_sleeps() -> usize {
    SLOTS.with_borrow(|slots| slots.live)
}

/// Future returned by [`sleep`] and [`sleep_or_abort`]: resolves once the
/// host's timer fires (or the signal aborts).
///
/// Dropping it before it resolves clears the JavaScript timer and removes
/// its abort listener, so an abandoned sleep (a cancelled request, a lost
/// race) leaves nothing behind: no timer on the host loop and no callbacks in
/// wasm memory.
#[must_use = "a Sleep does nothing unless awaited, and dropping it clears its timer"]
#[derive(Debug)]
pub struct Sleep {
    key: Key,
    /// What can still settle the Promise; `None` once it has settled (or if
    /// the timer never started).
    armed: Option<Armed>,
    /// Why the timer never started.
    failed: Option<JsValue>,
}

#[derive(Debug)]
struct Armed {
    timer: JsValue,
    /// The signal and the listener registered on it.
    abort: Option<(AbortSignal, Function)>,
}

impl Armed {
    /// Unhooks everything that could still settle the Promise.
    fn disarm(self, timer_fired: bool) {
        if !timer_fired {
            clear_timeout(&self.timer);
        }
        if let Some((signal, listener)) = &self.abort {
            let _ = signal.remove_event_listener_with_callback("abort", listener);
        }
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
        if let Some(error) = self.failed.take() {
            return Poll::Ready(Err(SleepError::Timer(error)));
        }
        let key = self.key;
        let Some(outcome) = SLOTS.with_borrow_mut(|slots| slots.poll(key, cx.waker())) else {
            return Poll::Pending;
        };
        if let Some(armed) = self.armed.take() {
            armed.disarm(outcome == Outcome::Elapsed);
        }
        Poll::Ready(match outcome {
            Outcome::Elapsed => Ok(()),
            Outcome::Aborted => Err(SleepError::Aborted),
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(armed) = self.armed.take() {
            // The Promise has not settled: make sure it never does. Its
            // `then` holds only the shared callback, so nothing leaks.
            armed.disarm(false);
        }
        SLOTS.with_borrow_mut(|slots| slots.remove(self.key));
    }
}

/// How a sleep's Promise settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Elapsed,
    Aborted,
}

/// A slot index and its generation, sent through JavaScript as one number
/// (exact: well below 2^53). The generation makes a late settlement of a
/// dropped sleep miss the slot's next occupant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    index: u32,
    generation: u32,
}

impl Key {
    fn as_f64(self) -> f64 {
        // +1 so that no key is 0, and -key always differs from key.
        f64::from(self.generation) * 4_294_967_296.0 + f64::from(self.index) + 1.0
    }

    fn from_f64(value: f64) -> Option<Key> {
        if !(1.0..9.0e15).contains(&value) || value.fract() != 0.0 {
            return None;
        }
        let raw = value as u64 - 1;
        Some(Key {
            index: (raw & 0xffff_ffff) as u32,
            generation: (raw >> 32) as u32,
        })
    }
}

#[derive(Default)]
struct Slot {
    generation: u32,
    occupied: bool,
    waker: Option<Waker>,
    outcome: Option<Outcome>,
}

/// Every live sleep's state, indexed by [`Key`].
#[derive(Default)]
struct Slots {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

impl Slots {
    fn insert(&mut self) -> Key {
        self.live += 1;
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        });
        let slot = &mut self.slots[index as usize];
        slot.occupied = true;
        Key {
            index,
            generation: slot.generation,
        }
    }

    fn get(&mut self, key: Key) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|slot| slot.occupied && slot.generation == key.generation)
    }

    /// The outcome if settled; otherwise remembers who to wake.
    fn poll(&mut self, key: Key, waker: &Waker) -> Option<Outcome> {
        let slot = self.get(key)?;
        if slot.outcome.is_none() && !slot.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            slot.waker = Some(waker.clone());
        }
        slot.outcome
    }

    /// Records how the sleep settled; returns the task to wake.
    fn settle(&mut self, key: Key, outcome: Outcome) -> Option<Waker> {
        let slot = self.get(key)?;
        slot.outcome.get_or_insert(outcome);
        slot.waker.take()
    }

    fn remove(&mut self, key: Key) {
        if let Some(slot) = self.get(key) {
            *slot = Slot {
                generation: slot.generation.wrapping_add(1),
                ..Slot::default()
            };
            self.free.push(key.index);
            self.live -= 1;
        }
    }
}

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::default();

    /// The one callback every sleep's Promise settles into: `key` from the
    /// timer, `-key` from the abort listener.
    static ON_SETTLED: Closure<dyn FnMut(JsValue)> = Closure::new(|value: JsValue| {
        let Some(number) = value.as_f64() else { return };
        let (outcome, number) = if number < 0.0 {
            (Outcome::Aborted, -number)
        } else {
            (Outcome::Elapsed, number)
        };
        let waker = Key::from_f64(number)
            .and_then(|key| SLOTS.with_borrow_mut(|slots| slots.settle(key, outcome)));
        // Woken outside the borrow: the task may poll (and drop) sleeps.
        if let Some(waker) = waker {
            waker.wake();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_a_js_number() {
        for (index, generation) in [(0, 0), (1, 0), (0, 1), (u32::MAX, 0), (7, 2_000_000)] {
            let key = Key { index, generation };
            let number = key.as_f64();
            assert!(number >= 1.0);
            assert_eq!(Key::from_f64(number), Some(key));
        }
        for bad in [0.0, -1.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(Key::from_f64(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_reused_slot_ignores_the_previous_sleeps_settlement() {
        let mut slots = Slots::default();
        let first = slots.insert();
        slots.remove(first);
        let second = slots.insert();
        assert_eq!(first.index, second.index);
        assert_ne!(first, second);
        assert!(slots.settle(first, Outcome::Elapsed).is_none());
        assert_eq!(slots.live, 1);
        let waker = std::task::Waker::noop();
        assert_eq!(slots.poll(second, waker), None, "still sleeping");
        assert!(slots.settle(second, Outcome::Aborted).is_some());
        assert_eq!(slots.poll(second, waker), Some(Outcome::Aborted));
        slots.remove(second);
        assert_eq!(slots.live, 0);
    }
}

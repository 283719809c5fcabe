//! HTTP routing and the `/toy` contract. The glue calls [`handle`]; tests call
//! it too, without a socket, with a `Request` built in Node or a browser.
//!
//! It speaks the host's own `web_sys::Request`/`Response`: workers-rs's
//! wrappers would parse every URL in Rust (the `url` crate) and copy every
//! body, which cost CPU per request and bundle bytes for nothing here.
//!
//! | request                        | response                                     |
//! |--------------------------------|----------------------------------------------|
//! | `GET /toy`                     | 200 `{"result":1}` after the sleep           |
//! | `HEAD /toy`                    | GET's answer; the host sends it without body |
//! | `OPTIONS /toy`                 | 204, `Allow: GET, HEAD, OPTIONS`             |
//! | other method on `/toy`         | 405, `Allow`, JSON error                     |
//! | any other path                 | 404, JSON error                              |
//!
//! The query string is ignored: `/toy?x=1` is `/toy`.

use std::time::Duration;

use std::cell::Cell;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use js_sys::JsString;
use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, Response};

use crate::config::ConfigError;
use crate::error::AppError;
use crate::http::{json_headers, pathname, respond, set_header};
use js_host_timer::SleepError;

/// The one resource.
pub const TOY_PATH: &str = "/toy";
pub use crate::http::ALLOW;
/// The body of a successful `GET /toy`.
pub const RESULT_BODY: &str = r#"{"result":1}"#;

/// What a request asks for, once routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /toy` or `HEAD /toy`. HEAD gets GET's response: the host, like
    /// any HTTP server, sends its headers (`Content-Length` included) and
    /// drops the body.
    Toy,
    /// `OPTIONS /toy`.
    Options,
}

/// Routes by method and path. `method` is the raw method token: the `worker`
/// crate's `Method` maps unknown tokens to GET, which would make
/// `FOO /toy` look like `GET /toy`.
pub fn route(method: &str, path: &str) -> Result<Route, AppError> {
    if path != TOY_PATH {
        return Err(AppError::NOT_FOUND);
    }
    match method {
        "GET" | "HEAD" => Ok(Route::Toy),
        "OPTIONS" => Ok(Route::Options),
        _ => Err(AppError::METHOD_NOT_ALLOWED),
    }
}

/// `Server-Timing` value reporting the time actually slept, in milliseconds
/// with one decimal. Integer formatting on purpose: `f64`'s `Display` costs
/// about 14 KB of wasm.
pub fn server_timing(slept_ms: f64) -> String {
    let tenths = (slept_ms.max(0.0) * 10.0).round() as u64;
    format!(
        "sleep;dur={}.{};desc=\"host timer\"",
        tenths / 10,
        tenths % 10
    )
}

/// Answers one request. `sleep` is the configured sleep length, or why the
/// configuration is unusable (reported only to requests that need it).
///
/// Every failure becomes a JSON error response, a panic in any poll of the
/// handler too: it unwinds to here (the wasm is built with
/// `panic = "unwind"`), costs this request its JSON 500 and nothing else:
/// the other requests in flight are separate futures, and the instance goes
/// on. The `Err` case is left for a host that cannot build even that.
pub async fn handle(
    req: &Request,
    sleep: Result<Duration, ConfigError>,
) -> Result<Response, JsValue> {
    log_panics_once();
    // Unwind-safe in fact: what `serve` touches dies with it (its timers are
    // cleared by their drop during the unwinding), and what outlives it is
    // read-only (the interned strings) or counts drops (live sleeps).
    match AssertUnwindSafe(serve(req, sleep)).catch_unwind().await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) => error.into_response(),
        // The panic hook has logged the message.
        Err(_panic) => AppError::INTERNAL.into_response(),
    }
}

/// Sets this app's panic hook before the first request. It replaces the
/// `worker` crate's, which logs every panic as "Critical Error": here a
/// panic costs one request and the instance goes on. Once per instance.
fn log_panics_once() {
    thread_local! {
        static SET: Cell<bool> = const { Cell::new(false) };
    }
    if !SET.replace(true) {
        std::panic::set_hook(Box::new(|info| {
            worker::console_error!(
                "toy-edge: a request's handler panicked; that request is answered with the JSON 500: {info}"
            );
        }));
    }
}

async fn serve(req: &Request, sleep: Result<Duration, ConfigError>) -> Result<Response, AppError> {
    // In a block: a `String` alive across the sleep is kept in the future.
    let route = {
        let path = pathname(req).map_err(|_| AppError::BAD_REQUEST)?;
        #[cfg(feature = "test-routes")]
        if let Some(response) = test_routes::serve(&path).await? {
            return Ok(response);
        }
        route(&req.method(), &path)?
    };
    match route {
        Route::Options => {
            let headers = Headers::new()?;
            headers.set("Allow", ALLOW)?;
            Ok(respond(204, &headers, None)?)
        }
        Route::Toy => {
            let duration = sleep.map_err(|error| {
                worker::console_error!("toy-edge: {error}");
                AppError::MISCONFIGURED
            })?;
            let started = js_sys::Date::now();
            // workerd aborts request.signal when the client goes away
            // (`enable_request_signal`): stop sleeping for nobody.
            match js_host_timer::sleep_or_abort(duration, &req.signal()).await {
                Ok(()) => {}
                Err(SleepError::Aborted) => return Err(AppError::CLIENT_GONE),
                Err(error @ SleepError::Host(_)) => {
                    worker::console_error!("toy-edge: {error}");
                    return Err(AppError::TIMER_FAILED);
                }
            }
            let slept_ms = js_sys::Date::now() - started;
            let headers = json_headers()?;
            STRINGS
                .with(|js| {
                    set_header(&headers, &js.server_timing, &server_timing(slept_ms))?;
                    respond(200, &headers, Some(&js.result))
                })
                .map_err(AppError::from)
        }
    }
}

/// The constant strings of a 200, made once per instance as JS strings.
struct JsStrings {
    result: JsString,
    server_timing: JsString,
}

thread_local! {
    static STRINGS: JsStrings = JsStrings {
        result: RESULT_BODY.into(),
        server_timing: "Server-Timing".into(),
    };
}

/// Routes compiled only into the test worker (`--features test-routes`),
/// never into the release bundle.
#[cfg(feature = "test-routes")]
mod test_routes {
    use std::sync::atomic::{AtomicU32, Ordering};

    use wasm_bindgen::JsCast;
    use web_sys::Response;

    use crate::error::AppError;
    use crate::http::{json_headers, respond};

    static SEEN: AtomicU32 = AtomicU32::new(0);

    /// `/__panic` panics in the handler's first poll, `/__panic_later` in a
    /// later one, woken by a 100 ms sleep; `/__trap` and `/__trap_later`
    /// trap the instance there instead (`unreachable`, which no unwinding
    /// catches); `/__stats` reports live sleeps, wasm memory and how many
    /// requests this instance has seen (a fresh instance starts again at 1).
    pub(super) async fn serve(path: &str) -> Result<Option<Response>, AppError> {
        let seen = SEEN.fetch_add(1, Ordering::Relaxed) + 1;
        if matches!(path, "/__panic_later" | "/__trap_later") {
            let _ = js_host_timer::sleep(std::time::Duration::from_millis(100)).await;
        }
        match path {
            "/__panic" | "/__panic_later" => {
                panic!("deliberate panic from the test-only {path} route")
            }
            "/__trap" | "/__trap_later" => trap(),
            "/__stats" => {
                let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
                let bytes = memory
                    .buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length();
                let body = format!(
                    r#"{{"live_sleeps":{},"wasm_memory_bytes":{bytes},"requests":{seen}}}"#,
                    js_host_timer::live_sleeps()
                );
                Ok(Some(respond(
                    200,
                    &json_headers()?,
                    Some(&body.as_str().into()),
                )?))
            }
            _ => Ok(None),
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn trap() -> ! {
        core::arch::wasm32::unreachable()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn trap() -> ! {
        std::process::abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toy_methods() {
        assert_eq!(route("GET", "/toy"), Ok(Route::Toy));
        assert_eq!(route("HEAD", "/toy"), Ok(Route::Toy));
        assert_eq!(route("OPTIONS", "/toy"), Ok(Route::Options));
    }

    #[test]
    fn other_methods_are_405() {
        for method in [
            "POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "get", "FOO", "",
        ] {
            assert_eq!(
                route(method, "/toy"),
                Err(AppError::METHOD_NOT_ALLOWED),
                "{method}"
            );
        }
    }

    #[test]
    fn other_paths_are_404_whatever_the_method() {
        let long = format!("/{}", "a".repeat(10_000));
        for path in [
            "/",
            "",
            "/toy/",
            "/TOY",
            "/toy/extra",
            "//toy",
            "/toy%2F",
            "/%74oy",
            "/toy%00",
            &long,
        ] {
            for method in ["GET", "POST", "OPTIONS"] {
                assert_eq!(
                    route(method, path),
                    Err(AppError::NOT_FOUND),
                    "{method} {path}"
                );
            }
        }
    }

    #[test]
    fn server_timing_reports_milliseconds() {
        assert_eq!(
            server_timing(1000.46),
            "sleep;dur=1000.5;desc=\"host timer\""
        );
    }
}

//! The suite every JavaScript host runs (Node and headless Chromium; workerd
//! runs the end-to-end tests): the handler's contract, called directly,
//! without a socket. The timer's own promises are tested in its crate
//! (crates/js-host-timer/tests).
//!
//! There is no runtime and no thread anywhere below: each test is a future the
//! host's event loop drives, exactly as in the worker.

use std::time::Duration;

use futures::future::join_all;
use js_sys::{Date, Function, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Request, Response};

use js_host_timer::sleep;
use toy_edge::app;
use toy_edge::config::ConfigError;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn request(method: &str, url: &str) -> Request {
    request_with_signal(method, url, None)
}

fn request_with_signal(method: &str, url: &str, signal: Option<&web_sys::AbortSignal>) -> Request {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_signal(signal);
    Request::new_with_str_and_init(url, &init).expect("request")
}

async fn call(
    method: &str,
    path: &str,
    sleep: Result<Duration, ConfigError>,
) -> (Response, String) {
    let req = request(method, &format!("http://toy.test{path}"));
    let response = app::handle(&req, sleep).await.expect("response");
    let text = JsFuture::from(response.text().expect("body")).await;
    let body = text.expect("body").as_string().unwrap_or_default();
    (response, body)
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).expect("header")
}

#[wasm_bindgen_test]
async fn handler_answers_get_toy_after_the_sleep() {
    let started = Date::now();
    let (response, body) = call("GET", "/toy", Ok(ms(50))).await;
    let elapsed = Date::now() - started;
    assert_eq!(response.status(), 200);
    assert_eq!(body, r#"{"result":1}"#);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(header(&response, "server-timing").is_some_and(|t| t.starts_with("sleep;dur=")));
    assert!(elapsed >= 49.0, "{elapsed} ms");
}

/// Runs `work` with `TextDecoder.prototype.decode` watched: wasm-bindgen's
/// glue calls it for every Rust string it copies out of wasm memory into a
/// new JS string. Returns the strings copied.
async fn strings_copied_out_of_wasm<F: std::future::Future>(work: F) -> (F::Output, Vec<String>) {
    let proto = Reflect::get(&js_sys::global(), &"TextDecoder".into())
        .and_then(|decoder| Reflect::get(&decoder, &"prototype".into()))
        .expect("TextDecoder.prototype");
    // Made before watching starts: this key is a string copied out of wasm too.
    let decode = JsValue::from_str("decode");
    let original = Reflect::get(&proto, &decode).expect("decode");
    let copied = js_sys::Array::new();
    let watching = Function::new_with_args(
        "original, copied",
        "return function (...args) { \
           const text = original.apply(this, args); copied.push(text); return text; };",
    )
    .call2(&JsValue::UNDEFINED, &original, &copied)
    .expect("wrapper");
    Reflect::set(&proto, &decode, &watching).expect("watch");
    let output = work.await;
    Reflect::set(&proto, &decode, &original).expect("restore");
    let copied = copied
        .iter()
        .map(|text| text.as_string().unwrap_or_default())
        .collect();
    (output, copied)
}

#[wasm_bindgen_test]
async fn a_get_copies_one_string_out_of_wasm_its_server_timing() {
    // The first call makes the per-instance JS strings (and the header
    // template); a later one copies only what it computed: the
    // Server-Timing value: the URL, "abort", the header name and the body
    // are not copied again.
    call("GET", "/toy", Ok(ms(0))).await;
    let req = request("GET", "http://toy.test/toy");
    let (response, copied) = strings_copied_out_of_wasm(app::handle(&req, Ok(ms(0)))).await;
    let timing = header(&response.expect("response"), "server-timing").expect("Server-Timing");
    assert_eq!(
        copied,
        [timing],
        "strings copied out of wasm memory by one GET /toy"
    );
}

#[wasm_bindgen_test]
async fn handler_head_options_and_errors() {
    // HEAD gets GET's response; dropping the body is the HTTP server's job
    // (tests/workerd.rs checks the wire).
    let (head, body) = call("HEAD", "/toy?x=1", Ok(ms(1))).await;
    assert_eq!((head.status(), body.as_str()), (200, r#"{"result":1}"#));
    assert_eq!(
        header(&head, "content-type").as_deref(),
        Some("application/json")
    );

    let (options, _) = call("OPTIONS", "/toy", Ok(ms(1))).await;
    assert_eq!(options.status(), 204);
    assert_eq!(header(&options, "allow").as_deref(), Some(app::ALLOW));

    for method in ["POST", "DELETE", "FOO"] {
        let (response, body) = call(method, "/toy", Ok(ms(1))).await;
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(header(&response, "allow").as_deref(), Some(app::ALLOW));
        assert!(body.starts_with(r#"{"error":{"status":405,"#), "{body}");
    }

    let (missing, body) = call("GET", "/toy/", Ok(ms(1))).await;
    assert_eq!(missing.status(), 404);
    assert!(body.starts_with(r#"{"error":{"status":404,"#), "{body}");

    let bad = Err(ConfigError {
        value: "abc".into(),
    });
    let (misconfigured, body) = call("GET", "/toy", bad).await;
    assert_eq!(misconfigured.status(), 500);
    assert!(body.contains("TOY_SLEEP_MS"), "{body}");
}

#[wasm_bindgen_test]
async fn hundred_handler_calls_overlap_without_a_runtime_or_thread() {
    // No executor is created here and no thread is spawned: the host's loop
    // runs every timer and wasm-bindgen-futures wakes each handler.
    let started = Date::now();
    let calls = (0..100).map(|_| call("GET", "/toy", Ok(ms(200))));
    let replies = join_all(calls).await;
    let wall = Date::now() - started;
    for (response, body) in &replies {
        assert_eq!((response.status(), body.as_str()), (200, r#"{"result":1}"#));
    }
    assert!(
        wall < 3_000.0,
        "100 handler calls sleeping 200 ms took {wall} ms (20 s one by one)"
    );
}

#[wasm_bindgen_test]
fn there_is_no_thread_to_own_a_loop() {
    // On wasm32-unknown-unknown a thread cannot even be spawned, so nothing
    // in this crate can own an event loop: the host's is the only one.
    let spawned = std::thread::Builder::new().spawn(|| ());
    assert!(spawned.is_err(), "a thread was spawned");
}

#[wasm_bindgen_test]
async fn client_going_away_stops_the_sleep_and_clears_its_timer() {
    // workerd aborts request.signal when the client resets the connection
    // (enable_request_signal); here an AbortController plays the client.
    let controller = web_sys::AbortController::new().expect("controller");
    let req = request_with_signal("GET", "http://toy.test/toy", Some(&controller.signal()));
    let started = Date::now();
    let handler = app::handle(&req, Ok(ms(1_000)));
    let abort = async {
        sleep(ms(30)).await.expect("sleep");
        controller.abort();
    };
    let (response, ()) = futures::join!(handler, abort);
    let elapsed = Date::now() - started;
    assert_eq!(response.expect("response").status(), 499);
    assert!(elapsed < 500.0, "handler kept sleeping for {elapsed} ms");
    // Its timer was cleared with it (the crate's own tests spy on that).
    assert_eq!(js_host_timer::live_sleeps(), 0);
}

/// The unwinding build with the test-only routes (`make test` runs this suite
/// so too): a panic in the handler, in its first poll or a later one, is
/// caught in Rust and becomes the JSON 500, while a request sleeping beside
/// it is answered in full. Under `panic = "abort"` the same panic would end
/// the instance and this test with it.
#[cfg(all(panic = "unwind", feature = "test-routes"))]
#[wasm_bindgen_test]
async fn a_panic_becomes_the_json_500_and_costs_no_other_request() {
    let internal = toy_edge::error::AppError::INTERNAL.body();
    for path in ["/__panic", "/__panic_later"] {
        let bystander = call("GET", "/toy", Ok(ms(300)));
        let culprit = call("GET", path, Ok(ms(300)));
        let ((response, body), (panicked, error)) = futures::join!(bystander, culprit);
        assert_eq!((response.status(), body.as_str()), (200, r#"{"result":1}"#));
        assert_eq!(
            (panicked.status(), error.as_str()),
            (500, internal.as_str())
        );
        assert_eq!(
            header(&panicked, "content-type").as_deref(),
            Some("application/json")
        );
    }
    assert_eq!(js_host_timer::live_sleeps(), 0);
}

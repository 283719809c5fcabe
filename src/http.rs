//! The host's own HTTP objects: reading a request's path, building responses
//! with its `Response` and `Headers`. The one place both the routing
//! ([`crate::app`]) and the error type ([`crate::error`]) take them from, so
//! the arrows run one way.

use js_sys::JsString;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, Request, Response, ResponseInit};

/// Methods `/toy` accepts, as sent in `Allow`.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// A response with the given status, headers and (optional) body, stamped
/// with `Date` (RFC 9110, 6.6.1: an origin with a clock sends it). workerd
/// adds none, Bun none to a HEAD answer; set here, every host sends the same
/// headers. The body is a JS string: a fixed one can be made once and used
/// for every response.
pub fn respond(
    status: u16,
    headers: &Headers,
    body: Option<&JsString>,
) -> Result<Response, JsValue> {
    // JavaScript's toUTCString is the IMF-fixdate of RFC 9110, 5.6.7, and
    // stays a JS string: nothing is copied out of wasm memory.
    DATE.with(|name| {
        headers
            .unchecked_ref::<HostHeaders>()
            .set_text(name, &js_sys::Date::new_0().to_utc_string())
    })?;
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(headers);
    Ok(HostResponse::new(body, &init)?.unchecked_into())
}

/// The request's path, by the host's URL parser: percent-encoding and case
/// are left as sent. Only the pathname is copied into wasm memory; the URL
/// stays a JS string.
pub fn pathname(req: &Request) -> Result<String, JsValue> {
    Ok(HostUrl::new(&req.unchecked_ref::<HostRequest>().url())?.pathname())
}

/// Sets one header whose name is a JS string made once.
pub fn set_header(headers: &Headers, name: &JsString, value: &str) -> Result<(), JsValue> {
    headers.unchecked_ref::<HostHeaders>().set(name, value)
}

// web-sys's `Request::url`, `Url::new`, `Response` constructors and
// `Headers::set` take or give Rust strings, which the glue copies across the
// boundary on every call (a V8 CPU profile of the worker showed those copies
// among its largest costs per request). These keep JS strings JS strings.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Request)]
    type HostRequest;

    #[wasm_bindgen(method, getter)]
    fn url(this: &HostRequest) -> JsString;

    #[wasm_bindgen(js_name = URL)]
    type HostUrl;

    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(url: &JsString) -> Result<HostUrl, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn pathname(this: &HostUrl) -> String;

    #[wasm_bindgen(js_name = Response)]
    type HostResponse;

    #[wasm_bindgen(constructor, js_class = "Response", catch)]
    fn new(body: Option<&JsString>, init: &ResponseInit) -> Result<HostResponse, JsValue>;

    #[wasm_bindgen(js_name = Headers)]
    type HostHeaders;

    #[wasm_bindgen(method, catch, js_name = set)]
    fn set(this: &HostHeaders, name: &JsString, value: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = set)]
    fn set_text(this: &HostHeaders, name: &JsString, value: &JsString) -> Result<(), JsValue>;
}

/// Headers of every JSON answer: the type, and no caching (each answer is a
/// fresh sleep). Copied from one template made once per instance: one host
/// call per response instead of two `set`s, each copying two strings out of
/// wasm memory.
pub fn json_headers() -> Result<Headers, JsValue> {
    JSON_HEADERS.with(|template| match template {
        Ok(template) => Headers::new_with_headers(template),
        Err(error) => Err(error.clone()),
    })
}

thread_local! {
    static DATE: JsString = JsString::from("Date");
    static JSON_HEADERS: Result<Headers, JsValue> = (|| {
        let headers = Headers::new()?;
        headers.set("Content-Type", "application/json")?;
        headers.set("Cache-Control", "no-store")?;
        Ok(headers)
    })();
}

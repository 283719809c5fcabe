//! Building responses with the host's own `Response` and `Headers`: the one
//! place both the routing ([`crate::app`]) and the error type
//! ([`crate::error`]) take them from, so the arrows run one way.

use wasm_bindgen::JsValue;
use web_sys::{Headers, Response, ResponseInit};

/// Methods `/toy` accepts, as sent in `Allow`.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// A response with the given status, headers and (optional) body.
pub fn respond(status: u16, headers: &Headers, body: Option<&str>) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(headers);
    Response::new_with_opt_str_and_init(body, &init)
}

/// Headers of every JSON answer: the type, and no caching (each answer is a
/// fresh sleep). Copied from one template made once per instance: one host
/// call per response instead of two `set`s, each copying two strings out of
/// wasm memory (measured no different so far: `make ablation`, variant
/// header-sets).
pub fn json_headers() -> Result<Headers, JsValue> {
    JSON_HEADERS.with(|template| match template {
        Ok(template) => Headers::new_with_headers(template),
        Err(error) => Err(error.clone()),
    })
}

thread_local! {
    static JSON_HEADERS: Result<Headers, JsValue> = (|| {
        let headers = Headers::new()?;
        headers.set("Content-Type", "application/json")?;
        headers.set("Cache-Control", "no-store")?;
        Ok(headers)
    })();
}

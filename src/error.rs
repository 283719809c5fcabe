//! One error type for every failure a request can meet; it turns itself into
//! a JSON response of one shape: `{"error":{"status":N,"message":"..."}}`.
//!
//! Messages are fixed strings chosen here, never client input echoed back, so
//! a body is always valid JSON without an escaping step, and nothing a client
//! sends can be reflected into a response. Details (a bad config value, a JS
//! exception) go to the log instead.

use wasm_bindgen::JsValue;
use web_sys::{Headers, Response};

use crate::http::{ALLOW, json_headers, respond};

/// `Retry-After` of a 503, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// A request that cannot get `{"result":1}`, with the status it gets instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppError {
    /// HTTP status code.
    pub status: u16,
    /// Human-readable reason, a fixed ASCII string without quotes or backslashes.
    pub message: &'static str,
}

impl AppError {
    /// The host handed over a request whose URL does not parse (Bun does,
    /// for an HTTP/1.0 request without `Host`).
    pub const BAD_REQUEST: Self = Self {
        status: 400,
        message: "bad request: the request URL is not a valid URL",
    };
    /// No such resource; only `/toy` exists.
    pub const NOT_FOUND: Self = Self {
        status: 404,
        message: "not found: the only resource is /toy",
    };
    /// A method other than GET, HEAD or OPTIONS on `/toy`.
    pub const METHOD_NOT_ALLOWED: Self = Self {
        status: 405,
        message: "method not allowed: /toy accepts GET, HEAD, OPTIONS",
    };
    /// `TOY_SLEEP_MS` is set to something unusable.
    pub const MISCONFIGURED: Self = Self {
        status: 500,
        message: "server misconfigured: TOY_SLEEP_MS must be a whole number of milliseconds from 0 to 60000",
    };
    /// The client went away mid-sleep (nobody receives this; it ends the
    /// request early). 499 as in nginx's "client closed request".
    pub const CLIENT_GONE: Self = Self {
        status: 499,
        message: "client closed request",
    };
    /// The host's timer failed.
    pub const TIMER_FAILED: Self = Self {
        status: 500,
        message: "internal error: the host timer failed",
    };
    /// Anything else that went wrong while building a response, and a
    /// panic in the handler (caught in [`crate::app::handle`]; its message
    /// goes to the log).
    pub const INTERNAL: Self = Self {
        status: 500,
        message: "internal error",
    };
    /// The wasm instance trapped while the request was in flight
    /// ([`crate::trap`]): it cannot be resumed, and a retry is served by a
    /// fresh instance.
    pub const INSTANCE_FAILED: Self = Self {
        status: 503,
        message: "service unavailable: the handler failed while the request was in flight, retry",
    };

    /// The JSON body for this error.
    pub fn body(&self) -> String {
        format!(
            r#"{{"error":{{"status":{},"message":"{}"}}}}"#,
            self.status, self.message
        )
    }

    /// The header set every error response carries; 405 also gets `Allow`,
    /// 503 `Retry-After` (RFC 9110, 10.2.3: the retry is served at once).
    fn headers(&self) -> Result<Headers, JsValue> {
        let headers = json_headers()?;
        match self.status {
            405 => headers.set("Allow", ALLOW)?,
            503 => headers.set("Retry-After", RETRY_AFTER_SECONDS)?,
            _ => {}
        }
        Ok(headers)
    }

    /// Turns the error into its response. Fails only if the host refuses to
    /// build a response at all.
    pub fn into_response(self) -> Result<Response, JsValue> {
        respond(
            self.status,
            &self.headers()?,
            Some(&self.body().as_str().into()),
        )
    }
}

impl From<JsValue> for AppError {
    /// A host API threw while a response was being built.
    fn from(error: JsValue) -> Self {
        worker::console_error!("toy-edge: {error:?}");
        Self::INTERNAL
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MAX_SLEEP_MS;

    const ALL: [AppError; 8] = [
        AppError::BAD_REQUEST,
        AppError::INSTANCE_FAILED,
        AppError::NOT_FOUND,
        AppError::CLIENT_GONE,
        AppError::METHOD_NOT_ALLOWED,
        AppError::MISCONFIGURED,
        AppError::TIMER_FAILED,
        AppError::INTERNAL,
    ];

    #[test]
    fn every_body_is_json_of_one_shape() {
        for error in ALL {
            let body: serde_json::Value = serde_json::from_str(&error.body()).unwrap();
            let inner = body.as_object().unwrap();
            assert_eq!(inner.len(), 1, "{body}");
            assert_eq!(body["error"]["status"], error.status);
            assert_eq!(body["error"]["message"], error.message);
            assert_eq!(body["error"].as_object().unwrap().len(), 2, "{body}");
        }
    }

    #[test]
    fn messages_need_no_escaping() {
        for error in ALL {
            assert!(
                error
                    .message
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' '),
                "{:?}",
                error.message
            );
        }
    }

    #[test]
    fn misconfiguration_names_variable_and_range() {
        let m = AppError::MISCONFIGURED.message;
        assert!(m.contains(crate::config::SLEEP_VAR));
        assert!(m.contains(&format!("from 0 to {MAX_SLEEP_MS}")));
    }
}

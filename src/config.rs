//! The sleep length, read from the `TOY_SLEEP_MS` variable (`[vars]` in
//! wrangler.toml, the environment or the page's query elsewhere). The
//! parsing is pure Rust, tested natively; [`from_env`] reads the host's
//! `env` object.
//!
//! A missing variable means the default. A present but bad one is an error,
//! never a silent fallback: a typo in the config must not quietly change what
//! the endpoint does.

use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};

/// Name of the variable that sets the sleep length.
pub const SLEEP_VAR: &str = "TOY_SLEEP_MS";
/// Sleep length when [`SLEEP_VAR`] is not set, in milliseconds.
pub const DEFAULT_SLEEP_MS: u32 = 1_000;
/// Largest accepted sleep, in milliseconds (a minute).
pub const MAX_SLEEP_MS: u32 = 60_000;

/// A bad [`SLEEP_VAR`] value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The value as found, for the log line (never echoed to clients).
    pub value: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{SLEEP_VAR}={:?} is invalid: it must be a whole number of milliseconds from 0 to {MAX_SLEEP_MS}",
            self.value
        )
    }
}

impl std::error::Error for ConfigError {}

/// Parses the raw value of [`SLEEP_VAR`]; `None` (unset) gives the default.
///
/// Only plain ASCII digits are accepted: no sign, no exponent, no fraction,
/// no surrounding spaces.
pub fn sleep_duration(raw: Option<&str>) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Duration::from_millis(DEFAULT_SLEEP_MS.into()));
    };
    let bad = || ConfigError {
        value: raw.to_owned(),
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match raw.parse::<u32>() {
        Ok(ms) if ms <= MAX_SLEEP_MS => Ok(Duration::from_millis(ms.into())),
        _ => Err(bad()),
    }
}

/// The sleep length from the host's `env` object (workerd's `Env`, a plain
/// object elsewhere): its [`SLEEP_VAR`] parsed by [`sleep_duration`].
pub fn from_env(env: &JsValue) -> Result<Duration, ConfigError> {
    sleep_duration(raw_var(env).as_deref())
}

thread_local! {
    // Made once per instance: `&str` into `JsValue` copies the name out of
    // wasm memory into a new JS string on every call.
    static SLEEP_KEY: JsValue = JsValue::from_str(SLEEP_VAR);
}

/// The raw [`SLEEP_VAR`]. wrangler passes `[vars]` numbers as JS numbers, so
/// those are turned into their decimal text; anything else that is not a
/// string is kept as its debug text, which the parser rejects.
fn raw_var(env: &JsValue) -> Option<String> {
    let value = SLEEP_KEY.with(|key| js_sys::Reflect::get(env, key)).ok()?;
    if value.is_undefined() {
        None
    } else if let Some(text) = value.as_string() {
        Some(text)
    } else if value.as_f64().is_some() {
        // Formatted by JS (1000 -> "1000", 1e99 -> "1e+99"): Rust's f64
        // Display would add about 14 KB to the bundle.
        Some(String::from(
            value
                .unchecked_ref::<js_sys::Number>()
                .to_string_with_radix(10)
                .ok()?,
        ))
    } else {
        Some(format!("{value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_default() {
        assert_eq!(sleep_duration(None), Ok(Duration::from_millis(1_000)));
    }

    #[test]
    fn accepts_whole_milliseconds_in_range() {
        for (raw, ms) in [("0", 0), ("1", 1), ("250", 250), ("060000", 60_000)] {
            assert_eq!(sleep_duration(Some(raw)), Ok(Duration::from_millis(ms)));
        }
    }

    #[test]
    fn rejects_everything_else() {
        for raw in [
            "",
            " ",
            "abc",
            "-5",
            "+5",
            "1e99",
            "1.5",
            " 100",
            "100 ",
            "60001",
            "4294967296",
            "99999999999999999999999",
            "１００",
            "0x10",
            "NaN",
        ] {
            let err = sleep_duration(Some(raw)).unwrap_err();
            assert_eq!(err.value, raw);
        }
    }

    #[test]
    fn error_names_the_variable_and_the_range() {
        let text = sleep_duration(Some("abc")).unwrap_err().to_string();
        assert!(text.contains("TOY_SLEEP_MS"), "{text}");
        assert!(text.contains("from 0 to 60000"), "{text}");
        assert!(text.contains("\"abc\""), "{text}");
    }
}

//! A wrangler configuration file (`wrangler.toml`, `wrangler.json`,
//! `wrangler.jsonc`) read into one JSON value, a named environment selected
//! from it, and which way the worker it describes can be started.

use std::path::Path;

use serde_json::{Map, Value};

use crate::Error;

/// Keys an `[env.<name>]` section inherits from the top level when it does
/// not set them: wrangler 4's list (its config validation marks them
/// inheritable). Every other key, `vars` and every binding among them, is
/// not inherited: an environment that wants one declares it again.
const INHERITED: &[&str] = &[
    "access",
    "account_id",
    "assets",
    "base_dir",
    "build",
    "cache",
    "compatibility_date",
    "compatibility_flags",
    "compliance_region",
    "exports",
    "find_additional_modules",
    "first_party_worker",
    "jsx_factory",
    "jsx_fragment",
    "keep_names",
    "limits",
    "logfwdr",
    "logpush",
    "main",
    "migrations",
    "minify",
    "name",
    "no_bundle",
    "observability",
    "placement",
    "preserve_file_names",
    "preview_urls",
    "previews",
    "python_modules",
    "route",
    "routes",
    "rules",
    "triggers",
    "tsconfig",
    "upload_source_maps",
    "workers_dev",
];

/// Keys that change nothing about how the worker runs locally, or that bare
/// workerd handles itself (`main`, the compatibility settings, `vars`). A
/// worker whose environment has any other key (a binding, `rules`,
/// `assets`, …) is started with `wrangler dev`.
const BARE: &[&str] = &[
    "$schema",
    "name",
    "main",
    "compatibility_date",
    "compatibility_flags",
    "vars",
    "build",
    "env",
    "account_id",
    "workers_dev",
    "preview_urls",
    "route",
    "routes",
    "dev",
    "observability",
    "upload_source_maps",
    "placement",
    "limits",
    "logpush",
    "minify",
    "keep_vars",
    "send_metrics",
    "tail_consumers",
    "triggers",
];

/// Bindings that exist only on Cloudflare's network: `wrangler dev --local`
/// cannot back them, so a worker that declares one cannot be started here.
const REMOTE_ONLY: &[&str] = &["ai", "vectorize"];

/// The file, parsed: TOML, or JSON with comments and trailing commas.
pub(crate) fn read(path: &Path) -> Result<Value, Error> {
    let bad = |reason: String| Error::WranglerToml {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let value = if path.extension().is_some_and(|e| e == "toml") {
        toml::from_str::<Value>(&text).map_err(|e| bad(format!("does not parse: {e}")))?
    } else {
        let options = jsonc_parser::ParseOptions::default();
        jsonc_parser::parse_to_serde_value::<Option<Value>>(&text, &options)
            .map_err(|e| bad(format!("does not parse: {e}")))?
            .ok_or_else(|| bad("is empty".into()))?
    };
    match value {
        Value::Object(_) => Ok(value),
        _ => Err(bad("is not a table of settings".into())),
    }
}

/// The settings of environment `env` (`None`: the top level): its own keys,
/// and the top level's [`INHERITED`] ones it does not set.
pub(crate) fn select(path: &Path, config: &Value, env: Option<&str>) -> Result<Value, Error> {
    let Some(name) = env else {
        return Ok(config.clone());
    };
    let section = config
        .get("env")
        .and_then(|envs| envs.get(name))
        .and_then(Value::as_object)
        .ok_or_else(|| Error::WranglerToml {
            path: path.to_owned(),
            reason: format!("has no environment `{name}` (no `env.{name}` section)"),
        })?;
    let mut selected: Map<String, Value> = section.clone();
    for key in INHERITED {
        if let (false, Some(value)) = (selected.contains_key(*key), config.get(*key)) {
            selected.insert((*key).to_owned(), value.clone());
        }
    }
    Ok(Value::Object(selected))
}

/// What in these settings bare workerd cannot start: the first key that
/// needs `wrangler dev`, or `None`.
pub(crate) fn needs_wrangler(settings: &Value) -> Option<String> {
    let keys = settings.as_object()?.keys();
    keys.filter(|key| !BARE.contains(&key.as_str()))
        .map(|key| format!("`{key}`"))
        .next()
}

/// A binding `wrangler dev --local` cannot back: (its name, its type).
pub(crate) fn remote_only(settings: &Value) -> Option<(String, String)> {
    REMOTE_ONLY.iter().find_map(|kind| {
        let declared = settings.get(*kind)?;
        let names = match declared {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let name = names
            .iter()
            .find_map(|b| b.get("binding").and_then(Value::as_str))
            .unwrap_or("?");
        Some((name.to_owned(), (*kind).to_owned()))
    })
}

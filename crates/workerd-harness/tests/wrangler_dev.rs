//! workerd-harness with the workers that need `wrangler dev`: bindings
//! backed by local storage (KV, R2, D1, a Durable Object, static assets,
//! `.dev.vars` secrets, a service binding), an npm import and a text module,
//! each on a project the test writes out; and the errors a newcomer meets.
//!
//! Run: `cargo test -p workerd-harness` with wrangler installed by npm in a
//! directory above the target directory, or WRANGLER_BIN (its
//! bin/wrangler.js) and NODE_BIN (Node 22.12 or later) set.
#![cfg(unix)]

use std::fs;
use std::path::Path;

use workerd_harness::{Backend, Error, Worker, Workerd};

mod fixture;
use fixture::project;

/// Starts the worker of `dir/wrangler.jsonc`, which must need wrangler dev.
fn start(dir: &Path) -> Worker {
    let config = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect("config");
    assert!(
        matches!(config.backend(), Backend::WranglerDev { .. }),
        "{:?}",
        config.backend()
    );
    config.start().unwrap_or_else(|e| panic!("{e}"))
}

fn body(worker: &Worker, path: &str) -> String {
    let reply = worker.get(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status, 200, "{path}: {reply:?}\n{}", worker.log());
    reply.body
}

const STORAGE: &str = r#"{
  "name": "storage",
  "main": "src/index.js",
  "compatibility_date": "2026-11-01",
  "kv_namespaces": [{ "binding": "KV", "id": "local-kv" }],
  "r2_buckets": [{ "binding": "BUCKET", "bucket_name": "local-bucket" }],
  "d1_databases": [{ "binding": "DB", "database_name": "local-db", "database_id": "local-db" }],
}"#;

/// `/put?v=…` stores `v` in KV, R2 and D1; `/get` reads the three back.
const STORAGE_WORKER: &str = r#"export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    await env.DB.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)");
    if (url.pathname === "/put") {
      const v = url.searchParams.get("v");
      await env.KV.put("k", v);
      await env.BUCKET.put("k", v);
      await env.DB.prepare("INSERT OR REPLACE INTO kv VALUES ('k', ?)").bind(v).run();
      return new Response("stored");
    }
    const object = await env.BUCKET.get("k");
    const row = await env.DB.prepare("SELECT v FROM kv WHERE k = 'k'").first();
    return Response.json({
      kv: await env.KV.get("k"),
      r2: object && (await object.text()),
      d1: row && row.v,
    });
  },
};
"#;

#[test]
fn kv_r2_and_d1_each_worker_with_storage_of_its_own() {
    let dir = project(
        "storage",
        &[
            ("wrangler.jsonc", STORAGE),
            ("src/index.js", STORAGE_WORKER),
        ],
    );
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| start(&dir));
        (start(&dir), other.join().expect("thread"))
    });
    assert_eq!(body(&first, "/put?v=one"), "stored");
    let read: serde_json::Value = serde_json::from_str(&body(&first, "/get")).expect("JSON");
    assert_eq!(
        read,
        serde_json::json!({"kv": "one", "r2": "one", "d1": "one"})
    );
    let other: serde_json::Value = serde_json::from_str(&body(&second, "/get")).expect("JSON");
    assert_eq!(
        other,
        serde_json::json!({"kv": null, "r2": null, "d1": null}),
        "storage shared"
    );
}

#[test]
fn a_sqlite_durable_object_of_the_same_worker() {
    let config = r#"{
  "name": "counter",
  "main": "src/index.js",
  "compatibility_date": "2026-11-01",
  "durable_objects": { "bindings": [{ "name": "COUNTER", "class_name": "Counter" }] },
  "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Counter"] }],
}"#;
    let worker = r#"import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async increment() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO c VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM c").one().n;
  }
}
export default {
  async fetch(request, env) {
    const stub = env.COUNTER.get(env.COUNTER.idFromName("one"));
    return new Response(String(await stub.increment()));
  },
};
"#;
    let dir = project(
        "durable-object",
        &[("wrangler.jsonc", config), ("src/index.js", worker)],
    );
    let worker = start(&dir);
    assert_eq!(body(&worker, "/"), "1");
    assert_eq!(body(&worker, "/"), "2");
}

#[test]
fn static_assets_secrets_from_dev_vars_and_a_var_set_by_the_test() {
    let config = r#"{
  "name": "site",
  "main": "src/index.js",
  "compatibility_date": "2026-11-01",
  "assets": { "directory": "./public" },
  "vars": { "MODE": "from the config" },
}"#;
    let worker = r#"export default {
  fetch(request, env) { return new Response(`secret=${env.API_KEY} mode=${env.MODE}`); },
};
"#;
    let dir = project(
        "assets",
        &[
            ("wrangler.jsonc", config),
            ("src/index.js", worker),
            ("public/hello.txt", "hello from an asset\n"),
            (".dev.vars", "API_KEY=shh\n"),
        ],
    );
    // `assets` alone needs wrangler: it is named, though `.dev.vars` would be too.
    let config = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect("config");
    let because = Backend::WranglerDev {
        because: "`assets`".into(),
    };
    assert_eq!(config.backend(), &because);
    let worker = start(&dir);
    assert_eq!(body(&worker, "/hello.txt"), "hello from an asset\n");
    assert_eq!(
        body(&worker, "/anything-else"),
        "secret=shh mode=from the config"
    );
    let config = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect("config");
    let worker = config
        .var("MODE", "test: a:b")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body(&worker, "/"), "secret=shh mode=test: a:b");
}

#[test]
fn a_service_binding_between_two_workers_of_one_test() {
    let front = r#"{
  "name": "front",
  "main": "src/front.js",
  "compatibility_date": "2026-11-01",
  "services": [{ "binding": "BACK", "service": "back" }],
}"#;
    let back = r#"{ "name": "back", "main": "src/back.js", "compatibility_date": "2026-11-01" }"#;
    let dir = project(
        "service",
        &[
            ("wrangler.jsonc", front),
            ("back/wrangler.jsonc", back),
            (
                "src/front.js",
                "export default { async fetch(r, env) { return new Response('front+' + await (await env.BACK.fetch(r)).text()); } };\n",
            ),
            (
                "back/src/back.js",
                "export default { fetch() { return new Response('back'); } };\n",
            ),
        ],
    );
    let worker = Workerd::from_wrangler_config(dir.join("wrangler.jsonc"))
        .expect("config")
        .with_service(dir.join("back/wrangler.jsonc"))
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body(&worker, "/"), "front+back");
}

#[test]
fn an_npm_import_and_a_text_module_bundled_by_wrangler() {
    let config =
        r#"{ "name": "bundled", "main": "src/index.js", "compatibility_date": "2026-11-01" }"#;
    let worker = r#"import { shout } from "tiny-shout";
import greeting from "./greeting.txt";
export default { fetch() { return new Response(shout(greeting.trim())); } };
"#;
    let dir = project(
        "npm",
        &[
            ("wrangler.jsonc", config),
            ("src/index.js", worker),
            ("src/greeting.txt", "hello\n"),
            (
                "node_modules/tiny-shout/package.json",
                r#"{"name": "tiny-shout", "version": "1.0.0", "type": "module", "main": "index.js"}"#,
            ),
            (
                "node_modules/tiny-shout/index.js",
                "export const shout = (s) => s.toUpperCase() + '!';\n",
            ),
        ],
    );
    let config = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect("config");
    let Backend::WranglerDev { because } = config.backend() else {
        panic!("{:?}", config.backend());
    };
    assert!(because.contains("\"tiny-shout\""), "{because}");
    let worker = config.start().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body(&worker, "/"), "HELLO!");
}

/// `no_bundle` with `find_additional_modules` and `rules`: wrangler uploads
/// the modules as they are, with every file the rules match, so a module
/// only imported dynamically is there.
#[test]
fn no_bundle_with_additional_modules_found_by_rules() {
    let config = r#"{
  "name": "unbundled",
  "main": "src/index.js",
  "compatibility_date": "2026-11-01",
  "no_bundle": true,
  "find_additional_modules": true,
  "rules": [{ "type": "ESModule", "globs": ["**/*.js"] }, { "type": "Text", "globs": ["**/*.txt"] }],
}"#;
    let worker = r#"export default {
  async fetch() {
    const name = "./lazy.js"; // a specifier no bundler can follow
    const { word } = await import(name);
    const { default: text } = await import("./note.txt");
    return new Response(`${word} ${text.trim()}`);
  },
};
"#;
    let dir = project(
        "no-bundle",
        &[
            ("wrangler.jsonc", config),
            ("src/index.js", worker),
            ("src/lazy.js", "export const word = 'found';\n"),
            ("src/note.txt", "by the rules\n"),
        ],
    );
    assert_eq!(body(&start(&dir), "/"), "found by the rules");
}

/// A worker is built before it starts, as on bare workerd: wrangler does not
/// run the build command (here one that would fail) at each start.
#[test]
fn the_build_command_is_not_run_and_an_unbuilt_worker_says_what_to_run() {
    let config = r#"{
  "name": "built",
  "main": "build/index.js",
  "compatibility_date": "2026-11-01",
  "build": { "command": "exit 3" },
  "kv_namespaces": [{ "binding": "KV", "id": "kv" }],
}"#;
    let worker = "export default { fetch() { return new Response('built'); } };\n";
    let dir = project(
        "built",
        &[("wrangler.jsonc", config), ("build/index.js", worker)],
    );
    let started = start(&dir);
    assert_eq!(body(&started, "/"), "built");
    drop(started);
    let copies: Vec<_> = fs::read_dir(&dir)
        .expect("project dir")
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(".workerd-harness-")
        })
        .collect();
    assert!(copies.is_empty(), "left behind: {copies:?}");

    fs::remove_file(dir.join("build/index.js")).expect("unbuild");
    let error = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect_err("not built");
    assert!(matches!(error, Error::ModuleMissing { .. }), "{error:?}");
    assert!(error.to_string().contains("`exit 3`"), "{error}");
}

// --- What a newcomer meets: each a clear error -------------------------------

#[test]
fn a_remote_only_binding_is_named_with_its_type() {
    let config = r#"{ "name": "ai", "main": "src/index.js", "compatibility_date": "2026-11-01", "ai": { "binding": "AI" } }"#;
    let dir = project(
        "ai",
        &[
            ("wrangler.jsonc", config),
            ("src/index.js", "export default {};\n"),
        ],
    );
    let error = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect_err("no local AI");
    let Error::UnsupportedBinding { name, kind } = &error else {
        panic!("{error:?}");
    };
    assert_eq!((name.as_str(), kind.as_str()), ("AI", "ai"));
    assert!(error.to_string().contains("binding AI (ai)"), "{error}");
}

#[test]
fn no_wrangler_or_no_node_says_how_to_install_it_and_bare_only_settings_are_refused() {
    let dir = project(
        "tools",
        &[
            ("wrangler.jsonc", STORAGE),
            ("src/index.js", STORAGE_WORKER),
        ],
    );
    let config = Workerd::from_wrangler_config(dir.join("wrangler.jsonc")).expect("config");
    let error = config
        .clone()
        .wrangler_binary("/nonexistent/wrangler.js")
        .start()
        .expect_err("no wrangler");
    assert!(matches!(error, Error::WranglerNotFound { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("npm install --save-dev wrangler")
            && text.contains("/nonexistent/wrangler.js"),
        "{text}"
    );
    let error = config
        .clone()
        .node_binary("/nonexistent/node")
        .start()
        .expect_err("no node");
    assert!(matches!(error, Error::NodeNotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("nodejs.org"), "{error}");
    // What only bare workerd can do is refused, not dropped without a word.
    for config in [
        config.clone().v8_flag("--no-opt"),
        config.module("extra.js", "extra.js"),
    ] {
        let error = config.start().expect_err("bare workerd only");
        assert!(matches!(error, Error::Unsupported(_)), "{error:?}");
        assert!(
            error.to_string().contains("needs wrangler dev (`"),
            "{error}"
        );
    }
}
